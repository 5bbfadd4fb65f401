package errchain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"testing"

	pkgerrors "github.com/pkg/errors"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type cyclicErr struct{ next error }

func (e *cyclicErr) Error() string { return "cyclic" }
func (e *cyclicErr) Unwrap() error { return e.next }

type nilPtrErr struct{ msg string }

func (e *nilPtrErr) Error() string { return e.msg } // panics on a nil receiver

type callersErr struct{ pcs []uintptr }

func (e *callersErr) Error() string      { return "has callers" }
func (e *callersErr) Callers() []uintptr { return e.pcs }

type panickyUnwrap struct{}

func (panickyUnwrap) Error() string { return "panicky" }
func (panickyUnwrap) Unwrap() error { panic("unwrap exploded") }

func types(links []Link) []string {
	var out []string
	for _, l := range links {
		out = append(out, l.Exc.Type)
	}
	return out
}

func TestWalkChainLinear(t *testing.T) {
	_, err := os.Open("/definitely/not/here")
	wrapped := fmt.Errorf("load config: %w", err)
	links := Walk(wrapped, 0)
	require.Equal(t, []string{"*fs.PathError", "*fs.PathError", "syscall.Errno"}, types(links), "the wrapper is named after what it wraps")
	assert.Equal(t, -1, links[0].Parent)
	assert.Equal(t, 0, links[1].Parent)
	assert.Equal(t, 1, links[2].Parent)
	assert.Equal(t, "io/fs", links[1].Exc.Module)
	var pe *fs.PathError
	require.ErrorAs(t, wrapped, &pe)
	assert.Equal(t, pe.Error(), links[1].Exc.Value)
}

func TestWalkChainPkgErrorsMergesStackWrappers(t *testing.T) {
	root := pkgerrors.New("root")
	err := pkgerrors.Wrap(root, "mid")
	links := Walk(err, 0)
	// withStack{withMessage{fundamental}} -> withMessage (inherits the stack), fundamental
	require.Equal(t, []string{"error", "error"}, types(links))
	assert.NotNil(t, links[0].PCs, "the wrapper's stack moves to its cause")
	assert.NotNil(t, links[1].PCs)
	assert.Equal(t, "mid: root", links[0].Exc.Value)

	ws := pkgerrors.WithStack(errors.New("plain"))
	links = Walk(ws, 0)
	require.Equal(t, []string{"error"}, types(links))
	assert.NotNil(t, links[0].PCs)
}

func TestWalkChainJoinIsGroup(t *testing.T) {
	a, b := errors.New("a"), fmt.Errorf("b: %w", errors.New("b0"))
	links := Walk(errors.Join(a, b), 0)
	require.Equal(t, []string{"errors.Join", "error", "error", "error"}, types(links))
	assert.True(t, links[0].Group)
	assert.Equal(t, 0, links[1].Parent)
	assert.Equal(t, 0, links[2].Parent)
	assert.Equal(t, 2, links[3].Parent)
}

func TestWalkChainTerminates(t *testing.T) {
	t.Run("cycle", func(t *testing.T) {
		a := &cyclicErr{}
		b := &cyclicErr{next: a}
		a.next = b
		links := Walk(a, 0)
		assert.Len(t, links, 2)
	})
	t.Run("self join", func(t *testing.T) {
		j := &joinLoop{}
		j.errs = []error{j, j}
		links := Walk(j, 0)
		assert.Len(t, links, 1)
	})
	t.Run("depth", func(t *testing.T) {
		var err error = errors.New("base")
		for i := 0; i < 100; i++ {
			err = fmt.Errorf("l%d: %w", i, err)
		}
		assert.Len(t, Walk(err, 10), 10)
		assert.Len(t, Walk(err, 0), DefaultMaxDepth)
	})
	t.Run("typed nil", func(t *testing.T) {
		var p *nilPtrErr
		links := Walk(fmt.Errorf("wrap: %w", error(p)), 0)
		require.Len(t, links, 2)
		assert.Contains(t, links[1].Exc.Value, "panicked")
	})
	t.Run("panicking unwrap", func(t *testing.T) {
		links := Walk(panickyUnwrap{}, 0)
		require.Len(t, links, 1)
		assert.Equal(t, "panicky", links[0].Exc.Value)
	})
}

type joinLoop struct{ errs []error }

func (j *joinLoop) Error() string   { return "loop" }
func (j *joinLoop) Unwrap() []error { return j.errs }

func TestWalkChainCallersInterface(t *testing.T) {
	pcs := make([]uintptr, 16)
	pcs = pcs[:runtime.Callers(1, pcs)]
	links := Walk(fmt.Errorf("x: %w", &callersErr{pcs: pcs}), 0)
	require.Len(t, links, 2)
	assert.Nil(t, links[0].PCs)
	assert.Equal(t, pcs, links[1].PCs)
	assert.True(t, HasOwnStack(fmt.Errorf("x: %w", &callersErr{pcs: pcs})))
	assert.False(t, HasOwnStack(fmt.Errorf("x: %w", errors.New("y"))))
	assert.True(t, HasOwnStack(errors.Join(errors.New("a"), pkgerrors.New("b"))))
}

func TestClampString(t *testing.T) {
	huge := strings.Repeat("é", protocol.MaxValueBytes)
	out := protocol.Clamp(huge, protocol.MaxValueBytes)
	assert.LessOrEqual(t, len(out), protocol.MaxValueBytes+len("…"))
	assert.True(t, strings.HasSuffix(out, "…"))
	assert.NotContains(t, out, "\uFFFD", "cut on a rune boundary")
	assert.Equal(t, "a\uFFFDb", protocol.Clamp("a\xffb", 10))
}

// fuzzErr is an error graph node built from fuzz input: it may wrap one
// error, several, or loop back to an earlier node.
type fuzzErr struct {
	msg   string
	one   error
	many  []error
	multi bool
}

func (e *fuzzErr) Error() string { return e.msg }
func (e *fuzzErr) Unwrap() error {
	if e.multi {
		return nil
	}
	return e.one
}

type fuzzJoin struct{ *fuzzErr }

func (e fuzzJoin) Unwrap() []error { return e.many }

func FuzzWalkChain(f *testing.F) {
	f.Add([]byte{1, 2, 3}, "msg")
	f.Add([]byte{0, 0, 0, 0}, "\xff")
	f.Add([]byte{5, 1, 7, 2, 9, 0, 3}, strings.Repeat("x", 100))
	f.Fuzz(func(t *testing.T, shape []byte, msg string) {
		if len(shape) > 64 {
			shape = shape[:64]
		}
		nodes := make([]*fuzzErr, len(shape)+1)
		for i := range nodes {
			nodes[i] = &fuzzErr{msg: fmt.Sprint(msg, i)}
		}
		errs := make([]error, len(nodes))
		for i, b := range shape {
			n := nodes[i]
			target := int(b>>2) % len(nodes) // may point backwards: cycles
			switch b & 3 {
			case 0:
				n.one = nodes[target]
			case 1:
				n.multi = true
				n.many = []error{nodes[target], nodes[(target+1)%len(nodes)]}
			case 2:
				n.one = fmt.Errorf("wrap %d: %w", i, nodes[target])
			case 3:
				var typedNil *nilPtrErr
				n.one = typedNil
			}
		}
		for i, n := range nodes {
			if n.multi {
				errs[i] = fuzzJoin{n}
			} else {
				errs[i] = n
			}
		}
		links := Walk(errs[0], DefaultMaxDepth)
		if len(links) == 0 || len(links) > DefaultMaxDepth {
			t.Fatalf("links = %d", len(links))
		}
		for i, l := range links {
			if l.Parent >= i || l.Parent < -1 || (i > 0 && l.Parent < 0) {
				t.Fatalf("link %d has parent %d", i, l.Parent)
			}
			if len(l.Exc.Value) > protocol.MaxValueBytes+4 {
				t.Fatalf("value not clamped: %d bytes", len(l.Exc.Value))
			}
		}
		_ = HasOwnStack(errs[0])
	})
}
