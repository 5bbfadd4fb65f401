// Command crasher dies in the way its first argument names. It produces
// real Go crash output for the crash-output parser's testdata and tests:
//
//	crasher goroutine-panic | concurrent-map | nil-map | nested-panic |
//	        repanic | error-panic | nil-deref | index | deadlock |
//	        stack-overflow | custom-panic | struct-panic | multiline |
//	        recovered-new | nested3 | exit3
//
// With CRASHER_OUTPUT=FILE it also writes its crash output to FILE with
// runtime/debug.SetCrashOutput.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

type customErr struct{ code int }

func (e customErr) Error() string { return fmt.Sprintf("custom failure %d", e.code) }

type point struct{ X, Y int }

//go:noinline
func doPanic(msg string) { panic(msg) }

//go:noinline
func worker(wg *sync.WaitGroup, f func()) {
	f()
	wg.Done() // not deferred: a panic in f must not let main return first
}

func inGoroutine(f func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go worker(&wg, f)
	wg.Wait()
}

//go:noinline
//lint:ignore SA5007 the stack overflow under test
func recurse(n int) int { var buf [64]byte; buf[n%64] = 1; return recurse(n+1) + int(buf[0]) }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: crasher MODE")
		os.Exit(2)
	}
	// CRASHER_OUTPUT names a file for runtime/debug.SetCrashOutput.
	if path := os.Getenv("CRASHER_OUTPUT"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			panic(err)
		}
		if err := debug.SetCrashOutput(f, debug.CrashOptions{}); err != nil {
			panic(err)
		}
		f.Close()
	}
	// A few idle goroutines so that GOTRACEBACK=all shows several.
	block := make(chan struct{})
	for i := 0; i < 2; i++ {
		go func() { <-block }()
	}
	var mu sync.Mutex
	mu.Lock()
	go func() { mu.Lock() }()
	time.Sleep(10 * time.Millisecond)
	Crash(os.Args[1])
}

// Crash dies in the named way.
func Crash(mode string) {
	switch mode {
	case "goroutine-panic":
		inGoroutine(func() { doPanic("boom in goroutine") })
	case "concurrent-map":
		m := map[int]int{}
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go worker(&wg, func() {
				for j := 0; ; j++ {
					m[j%1000] = j
				}
			})
		}
		wg.Wait()
	case "nil-map":
		inGoroutine(func() {
			var m map[string]int
			m["x"] = 1 //lint:ignore SA5000 the crash under test
		})
	case "nested-panic":
		func() {
			defer func() { panic("second panic in defer") }()
			doPanic("first panic")
		}()
	case "repanic":
		func() {
			defer func() {
				r := recover()
				panic(r)
			}()
			doPanic("repanicked value")
		}()
	case "error-panic":
		panic(fmt.Errorf("wrapped: %w", errors.New("disk full")))
	case "custom-panic":
		panic(customErr{code: 42})
	case "struct-panic":
		panic(point{1, 2})
	case "nil-deref":
		inGoroutine(func() {
			var p *point
			fmt.Println(p.X)
		})
	case "index":
		s := []int{1, 2, 3}
		i := 5
		fmt.Println(s[i])
	case "deadlock":
		var wg sync.WaitGroup
		wg.Add(1)
		wg.Wait()
	case "stack-overflow":
		fmt.Println(recurse(0))
	case "multiline":
		panic("line one\nline two\n\tindented")
	case "recovered-new":
		func() {
			defer func() {
				recover()
				panic("after recover")
			}()
			doPanic("original")
		}()
	case "nested3":
		func() {
			defer func() { panic("third") }()
			defer func() { panic("second") }()
			doPanic("first")
		}()
	case "exit3":
		fmt.Fprintln(os.Stderr, "exiting with 3")
		os.Exit(3)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		os.Exit(2)
	}
}
