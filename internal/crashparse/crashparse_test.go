package crashparse_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"time"

	"github.com/ravenkit/raven/internal/crashparse"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/internal/stack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	symbolizer = stack.NewSymbolizer(nil, nil, 0, 0)
	errNoCrash = errors.New("no crash")
)

// parseCrash is what raven.ParseCrash does: parse, then build the event
// with this binary's symbolizer.
func parseCrash(data []byte) (*protocol.Event, error) {
	r := crashparse.Parse(data, false)
	if r == nil {
		return nil, errNoCrash
	}
	return r.Event(symbolizer, time.Now()), nil
}

// parseTestdata parses testdata/crash/FILE.
func parseTestdata(t *testing.T, file string) *protocol.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "crash", file))
	require.NoError(t, err)
	ev, err := parseCrash(data)
	require.NoError(t, err)
	return ev
}

// The files in testdata/crash are real outputs of
// internal/testprog/crasher built with Go 1.26 and run with
// GOTRACEBACK=all (single-goroutine-panic.txt: GOTRACEBACK=single): its
// stderr as MODE.txt, and what runtime/debug.SetCrashOutput wrote as
// setcrashoutput-MODE.txt.
func TestParseCrashTestdata(t *testing.T) {
	tests := []struct {
		file      string
		panics    int
		typ, val  string
		mech      string
		crashedID uint64
		threads   int
		topFn     string // innermost frame of the exception's stack, as printed
		topLine   int
		data      map[string]any
	}{
		{"goroutine-panic.txt", 1, "panic", "boom in goroutine", "panic", 5, 5, "doPanic", 29, nil},
		{"single-goroutine-panic.txt", 1, "panic", "boom in goroutine", "panic", 22, 1, "doPanic", 29, nil},
		{"concurrent-map.txt", 1, "fatal error", "concurrent map writes", "fatal_error", 6, 8, "Crash.func2", 87, nil},
		{"nil-map.txt", 1, "panic", "assignment to entry in nil map", "panic", 5, 5, "Crash.func3", 95, nil},
		{"nil-deref.txt", 1, "runtime error", "invalid memory address or nil pointer dereference", "panic", 19, 5, "Crash.func6", 119,
			map[string]any{"signal": "SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a3bf6"}},
		{"index.txt", 1, "runtime error", "index out of range [5] with length 3", "panic", 1, 4, "Crash", 124, nil},
		{"nested-panic.txt", 2, "panic", "second panic in defer", "panic", 1, 4, "Crash.func4.1", 99, nil},
		{"nested3.txt", 3, "panic", "third", "panic", 1, 4, "Crash.func8.1", 143, nil},
		{"recovered-new.txt", 2, "panic", "after recover", "panic", 1, 4, "Crash.func7.1", 137, nil},
		{"repanic.txt", 1, "panic", "repanicked value", "panic", 1, 4, "Crash.func5.1", 106,
			map[string]any{"recovered": true, "repanicked": true}},
		{"error-panic.txt", 1, "panic", "wrapped: disk full", "panic", 1, 4, "Crash", 111, nil},
		{"custom-panic.txt", 1, "panic", "custom failure 42", "panic", 1, 4, "Crash", 113, nil},
		{"struct-panic.txt", 1, "main.point", "(main.point) 0x4d5090", "panic", 1, 4, "Crash", 115, nil},
		{"multiline.txt", 1, "panic", "line one\nline two\n\tindented", "panic", 1, 4, "Crash", 132, nil},
		{"deadlock.txt", 1, "fatal error", "all goroutines are asleep - deadlock!", "fatal_error", 1, 4, "runtime_SemacquireWaitGroup", 114, nil},
		{"stack-overflow.txt", 1, "fatal error", "stack overflow", "fatal_error", 1, 9, "recurse", 45,
			map[string]any{"frames_elided": 6100695}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev := parseTestdata(t, tt.file)
			assert.Equal(t, protocol.LevelFatal, ev.Level)
			require.NotNil(t, ev.Exception)
			require.Len(t, ev.Exception.Values, tt.panics)
			exc := ev.Exception.Values[tt.panics-1]
			assert.Equal(t, tt.typ, exc.Type)
			assert.Equal(t, tt.val, exc.Value)
			require.NotNil(t, exc.Mechanism)
			assert.Equal(t, tt.mech, exc.Mechanism.Type)
			require.NotNil(t, exc.Mechanism.Handled)
			assert.False(t, *exc.Mechanism.Handled)
			assert.Equal(t, 0, exc.Mechanism.ExceptionID)
			for k, v := range tt.data {
				assert.EqualValues(t, v, exc.Mechanism.Data[k], k)
			}
			require.NotNil(t, exc.ThreadID)
			assert.Equal(t, tt.crashedID, *exc.ThreadID)
			require.NotNil(t, exc.Stacktrace)
			frames := exc.Stacktrace.Frames
			top := frames[len(frames)-1]
			assert.Equal(t, stack.NormalizeFunction(tt.topFn), top.Function)
			assert.Equal(t, tt.topFn, cmp.Or(top.RawFunction, top.Function))
			assert.Equal(t, tt.topLine, top.Lineno)
			if strings.HasPrefix(tt.topFn, "runtime_") {
				assert.Equal(t, "sync", top.Module)
				assert.False(t, top.InApp)
			} else {
				assert.Equal(t, "main", top.Module)
				assert.True(t, top.InApp)
				assert.True(t, strings.HasSuffix(top.AbsPath, "internal/testprog/crasher/main.go"), top.AbsPath)
			}
			// oldest first: the goroutine's entry function comes first
			if tt.crashedID == 1 && tt.file != "stack-overflow.txt" {
				assert.Equal(t, "main", frames[0].Function)
			}
			// runtime machinery stays out of the top of the exception; a
			// nested panic's runtime.gopanic, which called the deferred
			// function that panicked again, stays below it
			assert.False(t, stack.IsRuntime(top.Module), "%+v", top)

			require.NotNil(t, ev.Threads)
			assert.Len(t, ev.Threads.Values, tt.threads)
			crashed := 0
			for _, th := range ev.Threads.Values {
				if th.Crashed {
					crashed++
					assert.Equal(t, tt.crashedID, th.ID)
				}
				assert.Equal(t, th.ID == 1, th.Main)
			}
			assert.Equal(t, 1, crashed)

			payload, err := json.Marshal(ev)
			require.NoError(t, err)
			schematest.Check(t, payload)
		})
	}
}

func TestParseCrashThreadDetails(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "crash", "goroutine-panic.txt"))
	require.NoError(t, err)
	ev, err := parseCrash(data)
	require.NoError(t, err)
	th := ev.Threads.Values[0]
	assert.Equal(t, "running", th.State)
	assert.Equal(t, "goroutine 5 (created by main.inGoroutine in goroutine 1)", th.Name)
	var fns []string
	for _, f := range th.Stacktrace.Frames {
		fns = append(fns, f.Module+"."+cmp.Or(f.RawFunction, f.Function))
	}
	assert.Equal(t, []string{"main.worker", "main.Crash.func1", "main.doPanic"}, fns)

	// a goroutine blocked in the standard library: state and in_app
	last := ev.Threads.Values[len(ev.Threads.Values)-1]
	assert.Equal(t, "sync.Mutex.Lock", last.State)
	fr := last.Stacktrace.Frames
	assert.Equal(t, "internal/sync", fr[len(fr)-1].Module)
	assert.Equal(t, "runtime_SemacquireMutex", fr[len(fr)-1].Function)
	assert.Equal(t, "runtime/sema.go", fr[len(fr)-1].Filename)
	assert.False(t, fr[len(fr)-1].InApp)
	assert.Equal(t, "(*Mutex).lockSlow", fr[len(fr)-2].Function)
}

func TestParseCrashNested(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "crash", "nested3.txt"))
	require.NoError(t, err)
	ev, err := parseCrash(data)
	require.NoError(t, err)
	vals := ev.Exception.Values
	require.Len(t, vals, 3)
	assert.Equal(t, []string{"first", "second", "third"}, []string{vals[0].Value, vals[1].Value, vals[2].Value})
	// the last panic is the root; each earlier one hangs under the next
	assert.Equal(t, 2, vals[0].Mechanism.ExceptionID)
	assert.Equal(t, 1, *vals[0].Mechanism.ParentID)
	assert.Equal(t, 1, vals[1].Mechanism.ExceptionID)
	assert.Equal(t, 0, *vals[1].Mechanism.ParentID)
	assert.Nil(t, vals[2].Mechanism.ParentID)
	assert.Nil(t, vals[0].Stacktrace)
	assert.NotNil(t, vals[2].Stacktrace)
}

func TestParseCrashNoCrash(t *testing.T) {
	for name, in := range map[string]string{
		"empty":        "",
		"plain stderr": "listening on :8080\nerror: something\n",
		"exit status":  "exit status 3\n",
		"panic inline": "log: panic: not at line start\n",
	} {
		t.Run(name, func(t *testing.T) {
			ev, err := parseCrash([]byte(in))
			assert.Nil(t, ev)
			assert.True(t, errors.Is(err, errNoCrash))
		})
	}
}

func TestParseCrashSkipsLeadingOutput(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "crash", "nil-map.txt"))
	require.NoError(t, err)
	in := append([]byte("starting server\nsome log line (with parens)\n\tindented\n"), data...)
	in = append(in, "exit status 2\n"...)
	ev, err := parseCrash(in)
	require.NoError(t, err)
	assert.Equal(t, "assignment to entry in nil map", ev.Exception.Values[0].Value)
	assert.Len(t, ev.Threads.Values, 5)
}

func TestParseCrashBounds(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("panic: " + strings.Repeat("x", 100000) + "\n\n")
	for g := 1; g <= 300; g++ {
		fmt.Fprintf(&b, "goroutine %d [running]:\n", g)
		depth := 5
		if g == 1 {
			depth = 1000
		}
		for i := 0; i < depth; i++ {
			fmt.Fprintf(&b, "main.f%d(0x1)\n\t/src/main.go:%d +0x10\n", i, i+1)
		}
		b.WriteString("\n")
	}
	ev, err := parseCrash(b.Bytes())
	require.NoError(t, err)
	assert.Len(t, ev.Threads.Values, crashparse.MaxThreads)
	exc := ev.Exception.Values[0]
	assert.LessOrEqual(t, len(exc.Value), 9000)
	frames := exc.Stacktrace.Frames
	require.Len(t, frames, crashparse.MaxFrames)
	// innermost and outermost frames are kept, the middle dropped
	assert.Equal(t, "f999", frames[0].Function)
	assert.Equal(t, "f0", frames[len(frames)-1].Function)
	assert.EqualValues(t, 900, exc.Mechanism.Data["frames_elided"])
	assert.EqualValues(t, 200, exc.Mechanism.Data["goroutines_omitted"])

	huge := bytes.Repeat([]byte("main.f(0x1)\n\t/a.go:1 +0x1\n"), (crashparse.MaxOutputBytes/26)+10)
	huge = append([]byte("fatal error: big\n\ngoroutine 1 [running]:\n"), huge...)
	ev, err = parseCrash(huge)
	require.NoError(t, err)
	assert.Equal(t, true, ev.Exception.Values[0].Mechanism.Data["output_truncated"])
}

func FuzzParseCrash(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "crash", "*.txt"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("panic: x [recovered]\n\tpanic: y\n[signal SIGSEGV]\n\ngoroutine 1 [running]:\nmain.main()\n\t/a.go:1\n...additional frames elided...\ncreated by x in goroutine 2\n\t/b.go:2 +0x1\n"))
	f.Add([]byte("fatal error: \xff\xfe\n\ngoroutine 18446744073709551615 [\xff]:\n(\xff)\n\t:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := parseCrash(data)
		if err != nil {
			if !errors.Is(err, errNoCrash) || ev != nil {
				t.Fatalf("unexpected result %v, %v", ev, err)
			}
			return
		}
		if ev.Exception == nil || len(ev.Exception.Values) == 0 || ev.Level != protocol.LevelFatal {
			t.Fatalf("crash event without exception: %+v", ev)
		}
		if ev.Threads != nil && len(ev.Threads.Values) > crashparse.MaxThreads {
			t.Fatalf("%d threads", len(ev.Threads.Values))
		}
		if _, err := json.Marshal(ev); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	})
}

// TestParseCrashDropsRuntimeMachinery: with GOTRACEBACK=system the runtime
// prints the frames that raised the panic (panic, mapassign_faststr,
// panicmem, sigpanic, panicBounds64) above the program's; the exception's
// stack starts at the program's frame, the crashed thread keeps all.
func TestParseCrashDropsRuntimeMachinery(t *testing.T) {
	tests := []struct{ file, top string }{
		{"system-nil-map.txt", "Crash.func3"},
		{"system-nil-deref.txt", "Crash.func6"},
		{"system-index.txt", "Crash"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev := parseTestdata(t, tt.file)
			exc := ev.Exception.Values[len(ev.Exception.Values)-1]
			frames := exc.Stacktrace.Frames
			top := frames[len(frames)-1]
			assert.Equal(t, tt.top, cmp.Or(top.RawFunction, top.Function))
			assert.Equal(t, "main", top.Module)
			for _, f := range frames {
				assert.False(t, stack.IsRuntime(f.Module), "%+v", f)
			}
			var thread []protocol.Frame
			for _, th := range ev.Threads.Values {
				if th.Crashed {
					thread = th.Stacktrace.Frames
				}
			}
			require.NotEmpty(t, thread)
			assert.True(t, stack.IsRuntime(thread[len(thread)-1].Module), "the thread shows what was printed: %+v", thread[len(thread)-1])
			payload, err := json.Marshal(ev)
			require.NoError(t, err)
			schematest.Check(t, payload)
		})
	}
}
