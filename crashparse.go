package raven

import (
	"errors"
	"sync"
	"time"

	"github.com/ravenkit/raven/internal/crashparse"
	"github.com/ravenkit/raven/internal/stack"
)

// Limits of the crash-output parser. Input beyond MaxCrashOutputBytes is
// ignored (the runtime prints the crashing goroutine first, so it is never
// what gets cut); goroutines beyond MaxCrashThreads and frames beyond
// MaxCrashFrames per goroutine are left out of the event.
const (
	MaxCrashOutputBytes = crashparse.MaxOutputBytes
	MaxCrashThreads     = crashparse.MaxThreads
	MaxCrashFrames      = crashparse.MaxFrames
)

// ErrNoCrash is returned by ParseCrash when the output holds no Go panic or
// fatal error.
var ErrNoCrash = errors.New("raven: no Go crash found in output")

// ParseCrash turns the crash output of a Go program (what the runtime
// writes to stderr, or to the file given to runtime/debug.SetCrashOutput,
// when a panic is not recovered or a fatal error occurs) into a fatal event:
// one exception per panic printed (the one that killed the process last)
// with the crashing goroutine's stack, and every goroutine printed as a
// thread, the crashing one marked crashed. Text before the crash header is
// skipped, so the whole stderr of a program can be passed. It returns
// ErrNoCrash when data holds no crash. Only the first MaxCrashOutputBytes
// are read; ParseCrash never panics on malformed input.
func ParseCrash(data []byte) (*Event, error) {
	r := crashparse.Parse(data, false)
	if r == nil {
		return nil, ErrNoCrash
	}
	return r.Event(defaultCrashFrameInfo(), time.Now()), nil
}

// defaultCrashFrameInfo is the symbolizer of ParseCrash: this binary's
// module for in_app, no context lines.
var defaultCrashFrameInfo = sync.OnceValue(func() *stack.Symbolizer {
	return stack.NewSymbolizer(nil, nil, 0, DefaultMaxFrames)
})
