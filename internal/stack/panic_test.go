package stack

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recoveredPCs runs f and returns the stack recorded in the deferred
// recover of the panic it raises, as RecoverContext records it.
func recoveredPCs(f func()) (pcs []uintptr) {
	defer func() {
		if recover() == nil {
			panic("f did not panic")
		}
		pcs = CapturePCs(0, nil)
	}()
	f()
	return nil
}

var (
	sinkMap   map[string]int
	sinkSlice []int
	sinkPtr   *struct{ n int }
	sinkIface any = "not an int"
	sinkZero  int
	sinkChan  = make(chan int)
)

//go:noinline
func writeNilMap() { sinkMap["k"] = 1 }

//go:noinline
func indexOutOfRange(i int) int { return sinkSlice[i] }

//go:noinline
func derefNil() int { return sinkPtr.n }

//go:noinline
func divide(n int) int { return n / sinkZero }

//go:noinline
func assertInt() int { return sinkIface.(int) }

//go:noinline
func sendOnClosed() { sinkChan <- 1 }

//go:noinline
func explicitPanic() { panic("explicit") }

// TestSymbolizePanicDropsRuntimeMachinery: whatever raised the panic in
// the runtime (a map write, a bounds check, a signal, a division, a type
// assertion, a channel send), the innermost frame is the program's
// function that did it.
func TestSymbolizePanicDropsRuntimeMachinery(t *testing.T) {
	closed := make(chan int)
	close(closed)
	tests := []struct {
		name string
		f    func()
		top  string
	}{
		{"nil map write", writeNilMap, "writeNilMap"},
		{"index out of range", func() { indexOutOfRange(3) }, "indexOutOfRange"},
		{"nil pointer dereference", func() { derefNil() }, "derefNil"},
		{"integer division by zero", func() { divide(1) }, "divide"},
		{"failed type assertion", func() { assertInt() }, "assertInt"},
		{"send on a closed channel", func() { sinkChan = closed; sendOnClosed() }, "sendOnClosed"},
		{"explicit panic", explicitPanic, "explicitPanic"},
	}
	fi := NewSymbolizer(nil, nil, 0, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := fi.Symbolize(recoveredPCs(tt.f), true)
			require.NotEmpty(t, frames)
			top := frames[len(frames)-1]
			assert.Equal(t, tt.top, top.Function)
			assert.Equal(t, "github.com/ravenkit/raven/internal/stack", top.Module)
			for _, f := range frames {
				assert.False(t, IsRuntime(f.Module), "runtime frame %s.%s kept", f.Module, f.Function)
			}
		})
	}
}

// TestTrimPanicKeepsRuntimeCallers: runtime frames below the first frame
// outside the runtime really called it and stay; so do the frames of a
// stack that holds nothing but the runtime.
func TestTrimPanicKeepsRuntimeCallers(t *testing.T) {
	rt := func(fn string) rawFrame { return rawFrame{pkg: "runtime", fn: fn} }
	user := func(fn string) rawFrame { return rawFrame{pkg: "example.com/app", fn: fn} }
	maps := rawFrame{pkg: "internal/runtime/maps", fn: "(*Map).putSlot"}
	tests := []struct {
		name      string
		raw, want []rawFrame
	}{
		{"recovering code and machinery cut",
			[]rawFrame{user("recoverer"), rt("gopanic"), maps, rt("mapassign_faststr"), user("write"), rt("call16"), user("caller"), rt("goexit")},
			[]rawFrame{user("write"), rt("call16"), user("caller"), rt("goexit")}},
		{"only the innermost panic counts",
			[]rawFrame{rt("gopanic"), user("deferred"), rt("gopanic"), rt("panicmem"), rt("sigpanic"), user("deref")},
			[]rawFrame{user("deferred"), rt("gopanic"), rt("panicmem"), rt("sigpanic"), user("deref")}},
		{"no gopanic: leading runtime frames",
			[]rawFrame{rt("goPanicIndex"), user("index"), user("main")},
			[]rawFrame{user("index"), user("main")}},
		{"nothing but the runtime", []rawFrame{rt("gopanic"), rt("throw")}, []rawFrame{rt("gopanic"), rt("throw")}},
		{"runtime/debug is not machinery",
			[]rawFrame{rt("gopanic"), {pkg: "runtime/debug", fn: "SetMaxStack"}, user("f")},
			[]rawFrame{{pkg: "runtime/debug", fn: "SetMaxStack"}, user("f")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, trimPanic(tt.raw))
		})
	}
}

// TestSymbolizePlainStackKeepsRuntimeFrames: outside a panic, runtime
// frames at the top are the code that was running, and stay.
func TestSymbolizePlainStackKeepsRuntimeFrames(t *testing.T) {
	fi := NewSymbolizer(nil, nil, 0, 0)
	pcs := CapturePCs(-2, nil) // runtime.Callers itself on top
	frames := fi.Symbolize(pcs, false)
	require.NotEmpty(t, frames)
	top := frames[len(frames)-1]
	assert.Equal(t, "runtime", top.Module)
	assert.Equal(t, "Callers", top.Function)
}

// closureRecursion records its stack n calls of a recursive closure deep.
func closureRecursion(n int) []uintptr {
	var rec func(n int) []uintptr
	rec = func(n int) []uintptr {
		if n == 0 {
			return CapturePCs(0, nil)
		}
		return rec(n - 1)
	}
	return rec(n)
}

// TestSymbolizeDeepClosureRecursion: a runaway recursion of closures is
// symbolized, its two ends kept (BenchmarkSymbolizeDeepClosureRecursion
// measures the cost, linear in the depth).
func TestSymbolizeDeepClosureRecursion(t *testing.T) {
	fi := NewSymbolizer(nil, nil, 0, 0)
	pcs := closureRecursion(20000)
	require.Greater(t, len(pcs), 20000)
	frames := fi.Symbolize(pcs, false)
	assert.Len(t, frames, DefaultMaxFrames)
	assert.Equal(t, "closureRecursion.func", frames[len(frames)-1].Function)
}

func BenchmarkSymbolizeDeepClosureRecursion(b *testing.B) {
	fi := NewSymbolizer(nil, nil, 0, 0)
	pcs := closureRecursion(5000)
	b.ReportAllocs()
	for b.Loop() {
		fi.Symbolize(pcs, false) // deeper than the cache keeps: resolved every time
	}
}
