package raven

import (
	"fmt"
	"reflect"
	"strings"

	pkgerrors "github.com/pkg/errors"
)

// DefaultMaxErrorDepth bounds how many links of an error chain (or tree,
// for errors.Join) become exceptions. Cycles and longer chains stop there.
const DefaultMaxErrorDepth = 32

// maxValueBytes bounds an exception value or a message.
const maxValueBytes = 8192

type stackTracer interface{ StackTrace() pkgerrors.StackTrace }
type callerser interface{ Callers() []uintptr }

// errorStack returns the stack recorded by the error itself, innermost
// first, or nil.
func errorStack(err error) (pcs []uintptr) {
	defer func() {
		if recover() != nil {
			pcs = nil
		}
	}()
	switch e := err.(type) {
	case stackTracer:
		st := e.StackTrace()
		pcs = make([]uintptr, len(st))
		for i, f := range st {
			pcs[i] = uintptr(f)
		}
		return pcs
	case callerser:
		return e.Callers()
	}
	return nil
}

// hasOwnStack reports, cheaply and without calling Error, whether any link
// of the chain carries a stack. It runs on the caller's goroutine.
func hasOwnStack(err error, depth int) bool {
	for i := 0; err != nil && i < depth; i++ {
		switch err.(type) {
		case stackTracer, callerser:
			return true
		}
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range safeUnwrapMulti(e) {
				if hasOwnStack(c, depth-i-1) {
					return true
				}
			}
			return false
		default:
			err = unwrapOne(err)
		}
	}
	return false
}

func unwrapOne(err error) (next error) {
	defer func() {
		if recover() != nil {
			next = nil
		}
	}()
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		return e.Unwrap()
	case interface{ Cause() error }:
		return e.Cause()
	}
	return nil
}

func safeUnwrapMulti(e interface{ Unwrap() []error }) (errs []error) {
	defer func() {
		if recover() != nil {
			errs = nil
		}
	}()
	return e.Unwrap()
}

// safeError calls err.Error, turning a panic (typed-nil receivers) into a
// description.
func safeError(err error) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("<%T: Error() panicked: %v>", err, r)
		}
	}()
	if v := reflect.ValueOf(err); v.Kind() == reflect.Pointer && v.IsNil() {
		// Many types still answer Error on a nil receiver; try, and fall back.
		s = err.Error()
		return s
	}
	return err.Error()
}

func clampString(s string, n int) string {
	if len(s) > n {
		cut := n
		for cut > 0 && cut > n-4 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func typeName(err error) (name, module string) {
	t := reflect.TypeOf(err)
	name = t.String()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return name, t.PkgPath()
}

// chainLink is one exception in the making, outermost first.
type chainLink struct {
	exc    Exception
	pcs    []uintptr
	parent int // -1 for the root
	group  bool
}

// walkChain flattens err into links, outermost first, depth-first. A
// wrapper that only adds a stack (its message equals its single cause's)
// is merged into its cause, which inherits the stack.
func walkChain(err error, maxDepth int) []chainLink {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxErrorDepth
	}
	var links []chainLink
	seen := map[any]bool{}
	var visit func(err error, parent int, inherited []uintptr)
	visit = func(err error, parent int, inherited []uintptr) {
		for err != nil && len(links) < maxDepth {
			if v := reflect.ValueOf(err); v.Kind() == reflect.Pointer {
				key := [2]uintptr{v.Pointer(), uintptr(reflect.ValueOf(reflect.TypeOf(err)).UnsafePointer())}
				if seen[key] {
					return
				}
				seen[key] = true
			}
			msg := safeError(err)
			stack := errorStack(err)
			if stack == nil {
				stack = inherited
			}
			inherited = nil
			if multi, ok := err.(interface{ Unwrap() []error }); ok {
				children := safeUnwrapMulti(multi)
				name, mod := typeName(err)
				links = append(links, chainLink{exc: Exception{Type: name, Module: mod, Value: clampString(msg, maxValueBytes)}, pcs: stack, parent: parent, group: true})
				me := len(links) - 1
				for _, c := range children {
					visit(c, me, nil)
				}
				return
			}
			next := unwrapOne(err)
			if next != nil && stack != nil && errorStack(next) == nil && safeError(next) == msg {
				// stack-only wrapper (pkg/errors withStack): let the cause carry the stack
				inherited = stack
				err = next
				continue
			}
			name, mod := typeName(err)
			links = append(links, chainLink{exc: Exception{Type: name, Module: mod, Value: clampString(msg, maxValueBytes)}, pcs: stack, parent: parent})
			parent = len(links) - 1
			err = next
		}
	}
	visit(err, -1, nil)
	return links
}
