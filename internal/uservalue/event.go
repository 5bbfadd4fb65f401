package uservalue

import (
	"reflect"

	"github.com/ravenkit/raven/internal/protocol"
)

// sameMap reports whether a and b are the same map.
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// PlainEvent replaces every user value of ev (extra, contexts, user data,
// request data, breadcrumb data, message parameters, mechanism data) with
// its plain form. Maps and slices of ev are replaced, never modified: they
// may be shared with scopes. callMethods is as for Walker. It
// returns how many placeholders replaced what the bounds cut.
func PlainEvent(ev *protocol.Event, callMethods bool) (cuts int) {
	// One walker, its budget renewed for each field: a walk per field, as
	// the bounds are documented, without a walker per field.
	w := NewWalker(callMethods)
	total := 0
	defer func() { cuts = total + w.cuts }()
	walker := func() *Walker {
		total += w.cuts
		path := w.path[:0]
		*w = Walker{nodes: MaxNodes, bytes: protocol.MaxEventBytes, callMethods: callMethods, path: path}
		return w
	}
	if ev.Extra != nil {
		ev.Extra = walker().PlainMap(ev.Extra)
	}
	if ev.Contexts != nil {
		ctxs := make(map[string]map[string]any, len(ev.Contexts))
		for k, c := range ev.Contexts {
			ctxs[k] = walker().PlainMap(c)
		}
		ev.Contexts = ctxs
	}
	if ev.User != nil && ev.User.Data != nil {
		u := *ev.User
		u.Data = walker().PlainMap(u.Data)
		ev.User = &u
	}
	if ev.Request != nil && ev.Request.Data != nil && !isString(ev.Request.Data) {
		// a raw body stays whole: the integration that read it bounds it
		r := *ev.Request
		r.Data = walker().Value(r.Data, 0)
		ev.Request = &r
	}
	if ev.Breadcrumbs != nil {
		var crumbs []protocol.Breadcrumb // copied at the first change
		w := walker()                    // one budget for every breadcrumb
		for i, b := range ev.Breadcrumbs.Values {
			if b.Data == nil {
				continue
			}
			d := w.PlainMap(b.Data)
			if sameMap(d, b.Data) {
				continue
			}
			if crumbs == nil {
				crumbs = append([]protocol.Breadcrumb(nil), ev.Breadcrumbs.Values...)
			}
			crumbs[i].Data = d
		}
		if crumbs != nil {
			ev.Breadcrumbs = &protocol.BreadcrumbList{Values: crumbs}
		}
	}
	if ev.Message != nil && ev.Message.Params != nil {
		m := *ev.Message
		if p, ok := walker().Value(m.Params, 0).([]any); ok {
			m.Params = p
		} else {
			m.Params = nil
		}
		ev.Message = &m
	}
	if ev.Exception != nil {
		var excs []protocol.Exception
		for i, x := range ev.Exception.Values {
			if x.Mechanism == nil || x.Mechanism.Data == nil {
				continue
			}
			if excs == nil {
				excs = append([]protocol.Exception(nil), ev.Exception.Values...)
			}
			m := *x.Mechanism
			m.Data = walker().PlainMap(m.Data)
			excs[i].Mechanism = &m
		}
		if excs != nil {
			ev.Exception = &protocol.ExceptionList{Values: excs}
		}
	}
	return 0 // the deferred sum
}
