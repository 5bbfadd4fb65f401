package errchain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"reflect"
	"runtime"

	pkgerrors "github.com/pkg/errors"
)

// TypeName returns the exception type (and its module) for a value: an
// error's by the rule below, any other value's Go type ("main.point").
//
// The exception type is the first thing an issue list shows ("Type:
// value") and one of what servers group by, so it names what went wrong,
// the same way every time; the type of a wrapper says nothing
// ("*fmt.wrapError", "*errors.withMessage"). The rule, first match wins,
// following wrappers:
//
//  1. A known sentinel of the standard library is named as such:
//     "io.EOF", "io.ErrUnexpectedEOF", "context.Canceled",
//     "context.DeadlineExceeded", "fs.ErrNotExist" (os.ErrNotExist is the
//     same value), "fs.ErrExist", "fs.ErrPermission", "net.ErrClosed",
//     "http.ErrServerClosed", "sql.ErrNoRows" and the others of the
//     sentinels table. They are matched by identity (==), except
//     database/sql's: the SDK does not link database/sql for them, and
//     matches their exact type (*errors.errorString) and text instead.
//  2. Errors the runtime raises (index out of range, nil map write, nil
//     dereference, failed type assertion) are "runtime.Error", the
//     interface they implement; their messages vary, the kind does not.
//  3. The opaque wrappers of the standard library and pkg/errors (fmt.Errorf
//     with one %w, pkg/errors' WithMessage and WithStack, and so Wrap and
//     Wrapf) are named after what they wrap, by this rule: a
//     "checkout: %w" around a *stripe.CardError is a *stripe.CardError.
//  4. Their opaque leaves (errors.New and fmt.Errorf without %w, pkg/errors'
//     New and Errorf), and a wrapper whose chain ends or is cut, are
//     "error".
//  5. Multi-errors: errors.Join's is "errors.Join", fmt.Errorf's with
//     several %w "fmt.Errorf".
//  6. Any other type keeps its Go type name, as reflect prints it
//     ("*fs.PathError", "*shop.CardError", "syscall.Errno").
//
// A name never holds the error's message or any other value that changes
// from one occurrence to the next.
func TypeName(v any) (name, module string) {
	if err, ok := v.(error); ok {
		return errorType(err)
	}
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil", ""
	}
	return t.String(), pkgPath(t)
}

// sentinels are the standard library's sentinel errors named by TypeName,
// matched by identity. Their dynamic types are comparable, so comparing
// any error with them never panics.
var sentinels = [...]struct {
	err          error
	name, module string
}{
	{io.EOF, "io.EOF", "io"},
	{io.ErrUnexpectedEOF, "io.ErrUnexpectedEOF", "io"},
	{io.ErrClosedPipe, "io.ErrClosedPipe", "io"},
	{io.ErrShortWrite, "io.ErrShortWrite", "io"},
	{io.ErrShortBuffer, "io.ErrShortBuffer", "io"},
	{io.ErrNoProgress, "io.ErrNoProgress", "io"},
	{context.Canceled, "context.Canceled", "context"},
	{context.DeadlineExceeded, "context.DeadlineExceeded", "context"},
	{fs.ErrNotExist, "fs.ErrNotExist", "io/fs"},
	{fs.ErrExist, "fs.ErrExist", "io/fs"},
	{fs.ErrPermission, "fs.ErrPermission", "io/fs"},
	{fs.ErrClosed, "fs.ErrClosed", "io/fs"},
	{fs.ErrInvalid, "fs.ErrInvalid", "io/fs"},
	{os.ErrDeadlineExceeded, "os.ErrDeadlineExceeded", "os"},
	{os.ErrProcessDone, "os.ErrProcessDone", "os"},
	{errors.ErrUnsupported, "errors.ErrUnsupported", "errors"},
	{net.ErrClosed, "net.ErrClosed", "net"},
	{http.ErrServerClosed, "http.ErrServerClosed", "net/http"},
	{http.ErrHandlerTimeout, "http.ErrHandlerTimeout", "net/http"},
	{http.ErrAbortHandler, "http.ErrAbortHandler", "net/http"},
	{http.ErrBodyReadAfterClose, "http.ErrBodyReadAfterClose", "net/http"},
	{http.ErrMissingFile, "http.ErrMissingFile", "net/http"},
	{http.ErrNoCookie, "http.ErrNoCookie", "net/http"},
	{http.ErrUseLastResponse, "http.ErrUseLastResponse", "net/http"},
}

// sqlSentinels are database/sql's sentinels, errors.New values recognized
// by their text (a test checks the texts against database/sql's).
var sqlSentinels = [...]struct{ text, name string }{
	{"sql: no rows in result set", "sql.ErrNoRows"},
	{"sql: transaction has already been committed or rolled back", "sql.ErrTxDone"},
	{"sql: connection is already closed", "sql.ErrConnDone"},
}

var (
	errorStringType = reflect.TypeOf(errors.New(""))
	wrapErrorType   = reflect.TypeOf(fmt.Errorf("%w", errors.New("")))
	wrapErrorsType  = reflect.TypeOf(fmt.Errorf("%w%w", errors.New(""), errors.New("")))
	fundamentalType = reflect.TypeOf(pkgerrors.New(""))
	withMessageType = reflect.TypeOf(pkgerrors.WithMessage(errors.New(""), ""))
	withStackType   = reflect.TypeOf(pkgerrors.WithStack(errors.New("")))
)

// maxWrapperSteps bounds how many opaque wrappers errorType follows.
const maxWrapperSteps = DefaultMaxDepth

// sentinelTypes are the dynamic types of the sentinels: an error of
// another type is none of them, without comparing it with each.
var sentinelTypes = func() map[reflect.Type]bool {
	m := map[reflect.Type]bool{}
	for _, s := range sentinels {
		m[reflect.TypeOf(s.err)] = true
	}
	return m
}()

// errorType names err by the rule of TypeName, following opaque wrappers.
func errorType(err error) (name, module string) {
	for range maxWrapperSteps {
		name, module, wrapper := ownType(err)
		if !wrapper {
			return name, module
		}
		if err = unwrapOne(err); err == nil {
			break
		}
	}
	return "error", ""
}

// ownType names err by the rule of TypeName, except that it reports an
// opaque wrapper as such instead of following it.
func ownType(err error) (name, module string, wrapper bool) {
	t := reflect.TypeOf(err)
	if sentinelTypes[t] {
		for _, s := range sentinels {
			if err == s.err {
				return s.name, s.module, false
			}
		}
	}
	switch t {
	case errorStringType:
		msg := safeError(err)
		for _, s := range sqlSentinels {
			if msg == s.text {
				return s.name, "database/sql", false
			}
		}
		return "error", "errors", false
	case fundamentalType:
		return "error", "github.com/pkg/errors", false
	case joinType:
		return "errors.Join", "errors", false
	case wrapErrorsType:
		return "fmt.Errorf", "fmt", false
	case wrapErrorType, withMessageType, withStackType:
		return "", "", true
	}
	if _, ok := err.(runtime.Error); ok && pkgPath(t) == "runtime" {
		return "runtime.Error", "runtime", false
	}
	return t.String(), pkgPath(t), false
}

// nameWrappers names the links of opaque wrappers after the link each
// wraps (the next one), innermost first so that a chain of wrappers takes
// its innermost name; a wrapper whose cause was cut from the links follows
// its chain itself.
func nameWrappers(links []Link) {
	for i := len(links) - 1; i >= 0; i-- {
		l := &links[i]
		if l.wrapper == nil {
			continue
		}
		if i+1 < len(links) && links[i+1].Parent == i {
			l.Exc.Type, l.Exc.Module = links[i+1].Exc.Type, links[i+1].Exc.Module
		} else {
			l.Exc.Type, l.Exc.Module = errorType(l.wrapper)
		}
		l.wrapper = nil
	}
}

// pkgPath is the import path of the package that defines t (or the type
// t points to).
func pkgPath(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath()
}
