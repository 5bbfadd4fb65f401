package errchain

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"reflect"
	"testing"

	pkgerrors "github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type cardError struct{ code string }

func (e *cardError) Error() string { return "card declined: " + e.code }

// sliceErr is an error type that cannot be compared with ==.
type sliceErr []string

func (e sliceErr) Error() string { return fmt.Sprint([]string(e)) }

type point struct{ X, Y int }

// recovered returns the value of the panic f raises.
func recovered(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

func TestTypeName(t *testing.T) {
	var nilMap map[string]int
	var nilPtr *point
	var idx []int
	var iface any = "x"
	card := &cardError{"insufficient_funds"}
	tests := []struct {
		name     string
		v        any
		typ, mod string
	}{
		{"io.EOF", io.EOF, "io.EOF", "io"},
		{"io.ErrUnexpectedEOF", io.ErrUnexpectedEOF, "io.ErrUnexpectedEOF", "io"},
		{"context.Canceled", context.Canceled, "context.Canceled", "context"},
		{"context.DeadlineExceeded", context.DeadlineExceeded, "context.DeadlineExceeded", "context"},
		{"os.ErrNotExist is fs.ErrNotExist", os.ErrNotExist, "fs.ErrNotExist", "io/fs"},
		{"fs.ErrExist", fs.ErrExist, "fs.ErrExist", "io/fs"},
		{"fs.ErrPermission", fs.ErrPermission, "fs.ErrPermission", "io/fs"},
		{"net.ErrClosed", net.ErrClosed, "net.ErrClosed", "net"},
		{"http.ErrServerClosed", http.ErrServerClosed, "http.ErrServerClosed", "net/http"},
		{"sql.ErrNoRows", sql.ErrNoRows, "sql.ErrNoRows", "database/sql"},
		{"sql.ErrTxDone", sql.ErrTxDone, "sql.ErrTxDone", "database/sql"},
		{"sql.ErrConnDone", sql.ErrConnDone, "sql.ErrConnDone", "database/sql"},
		{"a sentinel wrapped by fmt.Errorf", fmt.Errorf("read header of %s: %w", "a.bin", io.EOF), "io.EOF", "io"},
		{"a sentinel wrapped twice", fmt.Errorf("checkout: %w", fmt.Errorf("load cart 42: %w", sql.ErrNoRows)), "sql.ErrNoRows", "database/sql"},
		{"a sentinel wrapped by pkg/errors", pkgerrors.Wrap(context.DeadlineExceeded, "call payments"), "context.DeadlineExceeded", "context"},
		{"a sentinel under pkg/errors WithMessage", pkgerrors.WithMessage(io.EOF, "read"), "io.EOF", "io"},
		{"errors.New", errors.New("cart 42 is empty"), "error", "errors"},
		{"fmt.Errorf without %w", fmt.Errorf("cart %d is empty", 42), "error", "errors"},
		{"pkg/errors New", pkgerrors.New("cart is empty"), "error", "github.com/pkg/errors"},
		{"pkg/errors Errorf wrapped", pkgerrors.Wrapf(pkgerrors.Errorf("id %d", 7), "load"), "error", "github.com/pkg/errors"},
		{"a wrapper of a meaningful type", fmt.Errorf("checkout: %w", card), "*errchain.cardError", "github.com/ravenkit/raven/internal/errchain"},
		{"a meaningful type", card, "*errchain.cardError", "github.com/ravenkit/raven/internal/errchain"},
		{"a path error", &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}, "*fs.PathError", "io/fs"},
		{"fmt.Errorf with a nil %w", fmt.Errorf("nothing: %w", nil), "error", ""},
		{"errors.Join", errors.Join(io.EOF, card), "errors.Join", "errors"},
		{"fmt.Errorf with several %w", fmt.Errorf("%w; %w", io.EOF, card), "fmt.Errorf", "fmt"},
		{"a wrapped join", fmt.Errorf("batch: %w", errors.Join(io.EOF)), "errors.Join", "errors"},
		{"nil map write", recovered(func() { nilMap["k"] = 1 }), "runtime.Error", "runtime"},
		{"index out of range", recovered(func() { _ = idx[len(idx)+3] }), "runtime.Error", "runtime"},
		{"nil dereference", recovered(func() { _ = nilPtr.X }), "runtime.Error", "runtime"},
		{"failed type assertion", recovered(func() { _ = iface.(int) }), "runtime.Error", "runtime"},
		{"a non-comparable error type", sliceErr{"a", "b"}, "errchain.sliceErr", "github.com/ravenkit/raven/internal/errchain"},
		{"a wrapped non-comparable error type", fmt.Errorf("w: %w", sliceErr{"a"}), "errchain.sliceErr", "github.com/ravenkit/raven/internal/errchain"},
		{"a panic value that is not an error", point{1, 2}, "errchain.point", "github.com/ravenkit/raven/internal/errchain"},
		{"a typed nil error", (*cardError)(nil), "*errchain.cardError", "github.com/ravenkit/raven/internal/errchain"},
		{"nil", nil, "nil", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, mod := TypeName(tt.v)
			assert.Equal(t, tt.typ, typ)
			assert.Equal(t, tt.mod, mod)
		})
	}
}

// TestTypeNameSQLTexts: database/sql's sentinels are recognized by their
// text; this fails if a Go release changes one.
func TestTypeNameSQLTexts(t *testing.T) {
	for _, err := range []error{sql.ErrNoRows, sql.ErrTxDone, sql.ErrConnDone} {
		assert.Equal(t, errorStringType, reflect.TypeOf(err), "%v is an errors.New value", err)
		found := false
		for _, s := range sqlSentinels {
			found = found || s.text == err.Error()
		}
		assert.True(t, found, "%q", err.Error())
	}
}

// TestTypeNameDoesNotChangeWithValues: the same kind of error gives the
// same name whatever its message, ids or paths.
func TestTypeNameDoesNotChangeWithValues(t *testing.T) {
	var names []string
	for i := range 5 {
		_, openErr := os.Open(fmt.Sprintf("/nonexistent/%d/config.yaml", i))
		err := fmt.Errorf("order %d: %w", i*7919, pkgerrors.Wrapf(openErr, "user %x", i))
		links := Walk(err, 0)
		require.NotEmpty(t, links)
		names = append(names, links[0].Exc.Type)
	}
	for _, n := range names {
		assert.Equal(t, "*fs.PathError", n)
	}
}

// TestTypeNameDeepWrapperChain: following wrappers is bounded.
func TestTypeNameDeepWrapperChain(t *testing.T) {
	err := error(io.EOF)
	for range 10 * maxWrapperSteps {
		err = fmt.Errorf("w: %w", err)
	}
	typ, _ := TypeName(err)
	assert.Equal(t, "error", typ, "cut: named as an opaque leaf")
	typ, _ = TypeName(fmt.Errorf("w: %w", io.EOF))
	assert.Equal(t, "io.EOF", typ)
}
