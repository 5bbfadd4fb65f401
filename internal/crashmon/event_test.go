package crashmon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven/internal/crashparse"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/stack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What runtime/debug.SetCrashOutput receives: the same as stderr for
// panics, but for fatal errors the runtime prints "fatal error: MSG" to
// stderr only. The monitor parses these files with headerless set.
func TestParseSetCrashOutputFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "crashparse", "testdata", "crash", "setcrashoutput-*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	headerless := map[string]string{
		"concurrent-map": "concurrent map access",
		"deadlock":       "all goroutines are asleep - deadlock!",
		"stack-overflow": "stack overflow",
	}
	for _, file := range files {
		mode := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), "setcrashoutput-"), ".txt")
		t.Run(mode, func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			st := &State{Scope: &protocol.Event{Tags: map[string]string{"k": "v"}, Release: "r1"}}
			ev := Event(st, data)
			assert.Equal(t, protocol.LevelFatal, ev.Level)
			assert.Equal(t, "v", ev.Tags["k"])
			assert.Equal(t, "r1", ev.Release)
			exc := ev.Exception.Values[len(ev.Exception.Values)-1]
			if prefix, ok := headerless[mode]; ok {
				assert.Equal(t, "fatal error", exc.Type)
				assert.True(t, strings.HasPrefix(exc.Value, prefix), exc.Value)
				assert.Equal(t, true, exc.Mechanism.Data["message_unavailable"])
				assert.Equal(t, "fatal_error", exc.Mechanism.Type)
			} else {
				// a panic: the same event as from stderr
				stderr, err := os.ReadFile(filepath.Join("..", "crashparse", "testdata", "crash", mode+".txt"))
				require.NoError(t, err)
				r := crashparse.Parse(stderr, false)
				require.NotNil(t, r)
				want := r.Event(stack.NewSymbolizer(nil, nil, 0, stack.DefaultMaxFrames), time.Now())
				w := want.Exception.Values[len(want.Exception.Values)-1]
				assert.Equal(t, w.Type, exc.Type)
				assert.Equal(t, w.Value, exc.Value)
				assert.Equal(t, w.Stacktrace, exc.Stacktrace)
			}
			require.NotNil(t, exc.Stacktrace)
			require.NotNil(t, ev.Threads)
		})
	}
	// Without headerless (ParseCrash, raven run), a goroutine dump alone is
	// not a crash: programs print stacks in their logs.
	data, err := os.ReadFile(filepath.Join("..", "crashparse", "testdata", "crash", "setcrashoutput-concurrent-map.txt"))
	require.NoError(t, err)
	assert.Nil(t, crashparse.Parse(data, false))

	// A headerless fatal error nothing identifies.
	ev0 := Event(&State{Scope: &protocol.Event{}}, []byte("\ngoroutine 7 [running]:\nmain.work()\n\t/app/main.go:3 +0x1\n"))
	assert.True(t, strings.HasPrefix(ev0.Exception.Values[0].Value, "unknown fatal error"), ev0.Exception.Values[0].Value)

	// Output the parser does not know still gives a fatal event.
	ev := Event(&State{Scope: &protocol.Event{}}, []byte("something odd\n"))
	assert.Equal(t, "crash", ev.Exception.Values[0].Type)
	assert.Equal(t, "something odd", ev.Exception.Values[0].Value)
}

// FuzzCrashMonitorOutput fuzzes what the monitor parses: the crash output
// file, where output without a header counts.
func FuzzCrashMonitorOutput(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "crashparse", "testdata", "crash", "setcrashoutput-*.txt"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("runtime stack:\nruntime.newstack()\n\ngoroutine 1 [running]:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev := Event(&State{Scope: &protocol.Event{}}, data)
		if ev.Exception == nil || len(ev.Exception.Values) == 0 || ev.Level != protocol.LevelFatal {
			t.Fatalf("no exception: %+v", ev)
		}
		if ev.Threads != nil && len(ev.Threads.Values) > crashparse.MaxThreads {
			t.Fatalf("%d threads", len(ev.Threads.Values))
		}
		if b, err := ev.MarshalJSON(); err != nil || !json.Valid(b) {
			t.Fatalf("encoding: %v", err)
		}
	})
}
