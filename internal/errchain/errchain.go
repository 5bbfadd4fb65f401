// Package errchain walks error chains and trees (Unwrap, Cause,
// Unwrap() []error) into the exceptions of an event, bounded in depth and
// in nodes, each node visited once, with user methods' panics contained.
package errchain

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	pkgerrors "github.com/pkg/errors"
	"github.com/ravenkit/raven/internal/protocol"
)

// DefaultMaxDepth bounds how many links of an error chain (or tree, for
// errors.Join) become exceptions. Cycles and longer chains stop there.
const DefaultMaxDepth = 32

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

// MaxNodes bounds how many nodes of an error graph a walk visits, so
// that a graph which shares nodes or loops (errors.Join(e, e) nested, a
// multi-error that contains itself) costs at most this much, whatever its
// shape.
const MaxNodes = 256

// nodeKey identifies an error value by reference: the data pointer of a
// pointer, slice, map, func or chan, with its dynamic type. Values of other
// kinds cannot form a cycle on their own and have no key.
type nodeKey struct {
	ptr uintptr
	typ reflect.Type
}

func keyOf(err error) (nodeKey, bool) {
	v := reflect.ValueOf(err)
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return nodeKey{v.Pointer(), v.Type()}, true
	}
	return nodeKey{}, false
}

// visited is the set of nodes an error-graph walk has seen. The first few
// sit in an array, so that walking a plain chain allocates nothing.
type visited struct {
	few  [8]nodeKey
	n    int
	many map[nodeKey]struct{}
}

// add records err and reports whether it was new. Errors without a key are
// always new; the walk's node budget bounds them.
func (s *visited) add(err error) bool {
	k, ok := keyOf(err)
	if !ok {
		return true
	}
	for i := 0; i < s.n; i++ {
		if s.few[i] == k {
			return false
		}
	}
	if _, dup := s.many[k]; dup {
		return false
	}
	if s.n < len(s.few) {
		s.few[s.n] = k
		s.n++
		return true
	}
	if s.many == nil {
		s.many = make(map[nodeKey]struct{})
	}
	s.many[k] = struct{}{}
	return true
}

// HasOwnStack reports, cheaply and without calling Error, whether any node
// of the error graph carries a stack. It runs on the caller's goroutine, so
// it visits at most MaxNodes nodes and each multi-error once (see
// walkNodes).
func HasOwnStack(err error) bool {
	return walkNodes(err, func(e error) bool {
		switch e.(type) {
		case stackTracer, callerser:
			return true
		}
		return false
	})
}

// walkNodes calls found on each node of the error graph, depth first,
// until it returns true, and reports whether it did. It visits at most
// MaxNodes nodes and each multi-error once: graphs branch only at
// multi-errors, so a graph that shares nodes (errors.Join(e, e) nested)
// costs one visit per distinct node, not one per path.
func walkNodes(err error, found func(error) bool) bool {
	var seen visited
	var stackBuf [8]error
	todo := append(stackBuf[:0], err)
	nodes := 0
	for len(todo) > 0 {
		err = todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for ; err != nil; nodes++ {
			if nodes >= MaxNodes {
				return false
			}
			if found(err) {
				return true
			}
			if e, ok := err.(interface{ Unwrap() []error }); ok {
				if seen.add(err) {
					children := safeUnwrapMulti(e)
					for i := len(children) - 1; i >= 0; i-- {
						todo = append(todo, children[i])
					}
				}
				err = nil
			} else {
				err = unwrapOne(err)
			}
		}
	}
	return false
}

// Is reports whether a node of err's graph is target or says it is (an
// Is(error) bool method), like errors.Is but bounded as walkNodes is and
// safe from panicking comparisons and methods: it may run on a
// capturing goroutine and on hostile error values.
func Is(err, target error) bool {
	if err == nil || target == nil {
		return false
	}
	return walkNodes(err, func(e error) bool { return isNode(e, target) })
}

func isNode(e, target error) (is bool) {
	defer func() {
		if recover() != nil {
			is = false
		}
	}()
	if reflect.TypeOf(e).Comparable() && e == target {
		return true
	}
	if x, ok := e.(interface{ Is(error) bool }); ok {
		return x.Is(target)
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

// Link is one exception in the making, outermost first.
type Link struct {
	Exc    protocol.Exception
	PCs    []uintptr // the error's own stack, innermost first, or nil
	Parent int       // index of the link this one wraps; -1 for the root
	Group  bool      // a multi-error (Unwrap() []error)

	wrapper error // an opaque wrapper's error, until it is named after its cause
}

// Walk flattens err into links, outermost first, depth-first. A
// wrapper that only adds a stack (its message equals its single cause's)
// is merged into its cause, which inherits the stack. Each link's type is
// named by the rule of TypeName. It keeps at most
// maxDepth links and visits each node of the graph once, at most
// MaxNodes of them.
func Walk(err error, maxDepth int) []Link {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	var links []Link
	var seen visited
	nodes := 0
	var msgs joinMessages
	var visit func(err error, parent int, inherited []uintptr)
	visit = func(err error, parent int, inherited []uintptr) {
		for err != nil && len(links) < maxDepth && nodes < MaxNodes {
			if !seen.add(err) {
				return
			}
			nodes++
			msg := msgs.message(err)
			stack := errorStack(err)
			if stack == nil {
				stack = inherited
			}
			inherited = nil
			if multi, ok := err.(interface{ Unwrap() []error }); ok {
				children := safeUnwrapMulti(multi)
				name, mod, _ := ownType(err) // multi-errors are never wrappers
				links = append(links, Link{Exc: protocol.Exception{Type: name, Module: mod, Value: protocol.Clamp(msg, protocol.MaxValueBytes)}, PCs: stack, Parent: parent, Group: true})
				me := len(links) - 1
				for _, c := range children {
					if len(links) >= maxDepth || nodes >= MaxNodes {
						break
					}
					visit(c, me, nil)
				}
				return
			}
			next := unwrapOne(err)
			if next != nil && stack != nil && errorStack(next) == nil && msgs.message(next) == msg {
				// stack-only wrapper (pkg/errors withStack): let the cause carry the stack
				inherited = stack
				err = next
				continue
			}
			name, mod, wrapper := ownType(err)
			l := Link{Exc: protocol.Exception{Type: name, Module: mod, Value: protocol.Clamp(msg, protocol.MaxValueBytes)}, PCs: stack, Parent: parent}
			if wrapper {
				l.wrapper = err
			}
			links = append(links, l)
			parent = len(links) - 1
			err = next
		}
	}
	visit(err, -1, nil)
	nameWrappers(links)
	return links
}

// joinType is the type errors.Join returns. Its Error concatenates its
// children's messages on every call, which takes time exponential in the
// depth of a graph that shares nodes; joinMessages builds the same text
// once per node, bounded.
var joinType = reflect.TypeOf(errors.Join(errors.New("")))

// joinMessages computes error messages for one walk, remembering those of
// errors.Join values.
type joinMessages struct{ m map[nodeKey]string }

// message returns err's message: Error's result, except for errors.Join
// values, whose message is built from their children's (each computed
// once) and clamped to protocol.MaxValueBytes.
func (m *joinMessages) message(err error) string {
	return m.messageDepth(err, 0)
}

func (m *joinMessages) messageDepth(err error, depth int) string {
	if reflect.TypeOf(err) != joinType {
		return safeError(err)
	}
	k, _ := keyOf(err)
	if s, ok := m.m[k]; ok {
		return s
	}
	if depth >= MaxNodes || len(m.m) >= MaxNodes {
		return "<errors.Join: too deep>"
	}
	if m.m == nil {
		m.m = make(map[nodeKey]string)
	}
	m.m[k] = "<errors.Join: cycle>" // seen again while building: a loop
	var b strings.Builder
	for i, c := range safeUnwrapMulti(err.(interface{ Unwrap() []error })) {
		if c == nil {
			continue
		}
		if i > 0 && b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.messageDepth(c, depth+1))
		if b.Len() > protocol.MaxValueBytes {
			break
		}
	}
	s := b.String()
	if len(s) > protocol.MaxValueBytes {
		s = protocol.Clamp(s, protocol.MaxValueBytes)
	}
	m.m[k] = s
	return s
}
