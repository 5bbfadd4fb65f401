package errchain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	pkgerrors "github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
)

type isSliceErr []int

func (isSliceErr) Error() string { return "uncomparable" }

type panicIs struct{}

func (panicIs) Error() string     { return "panics" }
func (panicIs) Is(error) bool     { panic("hostile Is") }
func (panicIs) Unwrap() error     { return io.EOF }
func (p *selfJoin) Error() string { return "self" }
func (p *selfJoin) Unwrap() []error {
	return []error{p, p}
}

type selfJoin struct{}

type sayIs struct{}

func (sayIs) Error() string        { return "says" }
func (sayIs) Is(target error) bool { return target == context.Canceled }

func TestIsFollowsChainsJoinsAndIsMethods(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"wrapped", fmt.Errorf("a: %w", fmt.Errorf("b: %w", context.Canceled)), context.Canceled, true},
		{"joined", errors.Join(io.EOF, fmt.Errorf("x: %w", context.DeadlineExceeded)), context.DeadlineExceeded, true},
		{"pkg/errors", pkgerrors.Wrap(context.Canceled, "w"), context.Canceled, true},
		{"Is method", fmt.Errorf("w: %w", sayIs{}), context.Canceled, true},
		{"absent", fmt.Errorf("w: %w", io.EOF), context.Canceled, false},
		{"uncomparable node", fmt.Errorf("w: %w", isSliceErr{1}), context.Canceled, false},
		{"uncomparable target", io.EOF, isSliceErr{1}, false},
		{"panicking Is, then the chain", panicIs{}, io.EOF, true},
		{"self-containing join", &selfJoin{}, io.EOF, false},
		{"nil", nil, io.EOF, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Is(tc.err, tc.target))
		})
	}
}

// A 64-level errors.Join(e, e) has 2^64 paths; Is visits each node once.
func TestIsOnSharedDAGIsBounded(t *testing.T) {
	e := error(io.ErrUnexpectedEOF)
	for range 64 {
		e = errors.Join(e, e)
	}
	assert.False(t, Is(e, context.Canceled))
	assert.True(t, Is(e, io.ErrUnexpectedEOF))
}
