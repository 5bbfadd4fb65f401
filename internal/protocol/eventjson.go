package protocol

import (
	"strconv"
)

// The event encoder below writes, without reflection, the bytes that
// encoding/json writes for the event model: the same member order (struct
// field order, with the timestamp and then the breadcrumbs last, as the
// former encoding through an embedded struct put them), the same omitempty
// rules, map keys sorted as plain strings, and strings escaped by
// appendJSONString. Values of type any are written by appendValue, which
// hands every type it does not know to encoding/json so that MarshalJSON
// and MarshalText methods are honoured.

// appendJSON appends the event's JSON encoding to buf. On error (a value
// JSON cannot hold, such as NaN or a channel, in user data) it returns nil
// and the error, as json.Marshal would.
func (e *Event) appendJSON(buf []byte) ([]byte, error) {
	var err error
	buf = append(buf, `{"event_id":`...)
	buf = appendJSONString(buf, string(e.EventID))
	buf = appendStringMember(buf, "platform", e.Platform)
	buf = appendStringMember(buf, "level", string(e.Level))
	buf = appendStringMember(buf, "logger", e.Logger)
	buf = appendStringMember(buf, "transaction", e.Transaction)
	buf = appendStringMember(buf, "server_name", e.ServerName)
	buf = appendStringMember(buf, "release", e.Release)
	buf = appendStringMember(buf, "dist", e.Dist)
	buf = appendStringMember(buf, "environment", e.Environment)
	if e.Message != nil {
		buf = appendKey(buf, "logentry")
		if buf, err = e.Message.appendJSON(buf); err != nil {
			return nil, err
		}
	}
	if e.Exception != nil {
		// a nil Values is written [] (the schema wants an array)
		buf = append(buf, `,"exception":{"values":[`...)
		for i := range e.Exception.Values {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = e.Exception.Values[i].appendJSON(buf); err != nil {
				return nil, err
			}
		}
		buf = append(buf, "]}"...)
	}
	if e.Threads != nil {
		buf = append(buf, `,"threads":{"values":[`...)
		for i := range e.Threads.Values {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = e.Threads.Values[i].appendJSON(buf)
		}
		buf = append(buf, "]}"...)
	}
	if e.User != nil {
		buf = appendKey(buf, "user")
		if buf, err = e.User.appendJSON(buf); err != nil {
			return nil, err
		}
	}
	if e.Request != nil {
		buf = appendKey(buf, "request")
		if buf, err = e.Request.appendJSON(buf); err != nil {
			return nil, err
		}
	}
	if len(e.Contexts) > 0 {
		buf = appendKey(buf, "contexts")
		var scratch [16]member[map[string]any]
		buf = append(buf, '{')
		for i, kv := range sortedMembers(e.Contexts, scratch[:0]) {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, kv.k)
			buf = append(buf, ':')
			if buf, err = appendAnyMap(buf, kv.v, 1); err != nil {
				return nil, err
			}
		}
		buf = append(buf, '}')
	}
	if len(e.Tags) > 0 {
		buf = appendKey(buf, "tags")
		buf = appendStringMap(buf, e.Tags)
	}
	if len(e.Extra) > 0 {
		buf = appendKey(buf, "extra")
		if buf, err = appendAnyMap(buf, e.Extra, 0); err != nil {
			return nil, err
		}
	}
	if len(e.Fingerprint) > 0 {
		buf = appendKey(buf, "fingerprint")
		buf = appendStrings(buf, e.Fingerprint)
	}
	if len(e.Modules) > 0 {
		buf = appendKey(buf, "modules")
		buf = appendStringMap(buf, e.Modules)
	}
	if e.SDK != nil {
		buf = appendKey(buf, "sdk")
		buf = e.SDK.appendJSON(buf)
	}
	buf = append(buf, `,"timestamp":"`...)
	buf = appendTime(buf, e.Timestamp)
	buf = append(buf, '"')
	if e.Breadcrumbs != nil {
		// a nil Values is written [] (the schema wants an array)
		buf = append(buf, `,"breadcrumbs":{"values":[`...)
		for i := range e.Breadcrumbs.Values {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = e.Breadcrumbs.Values[i].appendJSON(buf); err != nil {
				return nil, err
			}
		}
		buf = append(buf, "]}"...)
	}
	return append(buf, '}'), nil
}

// sizeHint guesses the length of the event's encoding from the lengths of
// the strings that make up most of it (breadcrumbs, frames, messages), so
// that MarshalJSON allocates its buffer once in the common case without
// taking much more than it needs.
func (e *Event) sizeHint() int {
	n := 512 + len(e.ServerName) + len(e.Release) + len(e.Environment) + len(e.Transaction) +
		48*len(e.Modules) + 32*len(e.Tags) + 96*len(e.Contexts) + 64*len(e.Extra)
	if e.Message != nil {
		n += 32 + len(e.Message.Message) + len(e.Message.Formatted) + 16*len(e.Message.Params)
	}
	if e.Exception != nil {
		for i := range e.Exception.Values {
			x := &e.Exception.Values[i]
			n += 128 + len(x.Type) + len(x.Value) + len(x.Module) + stackHint(x.Stacktrace)
		}
	}
	if e.Threads != nil {
		for i := range e.Threads.Values {
			n += 64 + stackHint(e.Threads.Values[i].Stacktrace)
		}
	}
	if e.Breadcrumbs != nil {
		for i := range e.Breadcrumbs.Values {
			b := &e.Breadcrumbs.Values[i]
			n += 56 + len(b.Type) + len(b.Category) + len(b.Message) + 64*len(b.Data)
		}
	}
	if e.User != nil {
		n += 128
	}
	if e.Request != nil {
		n += 128 + len(e.Request.URL) + 64*len(e.Request.Headers)
	}
	return n + n/16 // escaping
}

// stackHint guesses the length of a stack's encoding.
func stackHint(st *Stacktrace) int {
	if st == nil {
		return 0
	}
	n := 16
	for i := range st.Frames {
		f := &st.Frames[i]
		n += 64 + len(f.Function) + len(f.Module) + len(f.Filename) + len(f.AbsPath)
		if f.ContextLine != "" || f.PreContext != nil || f.PostContext != nil {
			n += 48 + len(f.ContextLine)
			for _, l := range f.PreContext {
				n += 3 + len(l)
			}
			for _, l := range f.PostContext {
				n += 3 + len(l)
			}
		}
	}
	return n
}

func (m *LogEntry) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	buf = appendStringMember(buf, "message", m.Message)
	buf = appendStringMember(buf, "formatted", m.Formatted)
	if len(m.Params) > 0 {
		buf = appendKey(buf, "params")
		var err error
		if buf, err = appendAnySlice(buf, m.Params, 0); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

func (x *Exception) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	buf = appendStringMember(buf, "type", x.Type)
	buf = appendStringMember(buf, "value", x.Value)
	buf = appendStringMember(buf, "module", x.Module)
	if x.ThreadID != nil {
		buf = appendKey(buf, "thread_id")
		buf = strconv.AppendUint(buf, *x.ThreadID, 10)
	}
	if x.Stacktrace != nil {
		buf = appendKey(buf, "stacktrace")
		buf = x.Stacktrace.appendJSON(buf)
	}
	if m := x.Mechanism; m != nil {
		buf = appendKey(buf, "mechanism")
		buf = append(buf, `{"type":`...)
		buf = appendJSONString(buf, m.Type)
		buf = appendStringMember(buf, "description", m.Description)
		buf = appendStringMember(buf, "source", m.Source)
		if m.Handled != nil {
			buf = append(buf, `,"handled":`...)
			buf = strconv.AppendBool(buf, *m.Handled)
		}
		if m.Synthetic {
			buf = append(buf, `,"synthetic":true`...)
		}
		if m.IsExceptionGroup {
			buf = append(buf, `,"is_exception_group":true`...)
		}
		buf = append(buf, `,"exception_id":`...)
		buf = strconv.AppendInt(buf, int64(m.ExceptionID), 10)
		if m.ParentID != nil {
			buf = append(buf, `,"parent_id":`...)
			buf = strconv.AppendInt(buf, int64(*m.ParentID), 10)
		}
		if len(m.Data) > 0 {
			buf = append(buf, `,"data":`...)
			var err error
			if buf, err = appendAnyMap(buf, m.Data, 0); err != nil {
				return nil, err
			}
		}
		buf = append(buf, '}')
	}
	return append(buf, '}'), nil
}

func (t *Thread) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"id":`...)
	buf = strconv.AppendUint(buf, t.ID, 10)
	buf = appendStringMember(buf, "name", t.Name)
	buf = appendStringMember(buf, "state", t.State)
	if t.Crashed {
		buf = append(buf, `,"crashed":true`...)
	}
	if t.Current {
		buf = append(buf, `,"current":true`...)
	}
	if t.Main {
		buf = append(buf, `,"main":true`...)
	}
	if t.Stacktrace != nil {
		buf = append(buf, `,"stacktrace":`...)
		buf = t.Stacktrace.appendJSON(buf)
	}
	return append(buf, '}')
}

func (u *User) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	buf = appendStringMember(buf, "id", u.ID)
	buf = appendStringMember(buf, "username", u.Username)
	buf = appendStringMember(buf, "email", u.Email)
	buf = appendStringMember(buf, "ip_address", u.IPAddress)
	buf = appendStringMember(buf, "name", u.Name)
	buf = appendStringMember(buf, "segment", u.Segment)
	if len(u.Data) > 0 {
		buf = appendKey(buf, "data")
		var err error
		if buf, err = appendAnyMap(buf, u.Data, 0); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

func (r *Request) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	buf = appendStringMember(buf, "method", r.Method)
	buf = appendStringMember(buf, "url", r.URL)
	buf = appendStringMember(buf, "query_string", r.QueryString)
	buf = appendStringMember(buf, "fragment", r.Fragment)
	if len(r.Cookies) > 0 {
		buf = appendKey(buf, "cookies")
		buf = appendStringMap(buf, r.Cookies)
	}
	if len(r.Headers) > 0 {
		buf = appendKey(buf, "headers")
		buf = appendStringMap(buf, r.Headers)
	}
	if len(r.Env) > 0 {
		buf = appendKey(buf, "env")
		buf = appendStringMap(buf, r.Env)
	}
	if r.Data != nil {
		buf = appendKey(buf, "data")
		var err error
		if buf, err = appendValue(buf, r.Data, 0); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

func (s *SDKInfo) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"name":`...)
	buf = appendJSONString(buf, s.Name)
	buf = append(buf, `,"version":`...)
	buf = appendJSONString(buf, s.Version)
	if len(s.Integrations) > 0 {
		buf = append(buf, `,"integrations":`...)
		buf = appendStrings(buf, s.Integrations)
	}
	if len(s.Packages) > 0 {
		buf = append(buf, `,"packages":[`...)
		for i, p := range s.Packages {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"name":`...)
			buf = appendJSONString(buf, p.Name)
			buf = append(buf, `,"version":`...)
			buf = appendJSONString(buf, p.Version)
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	return append(buf, '}')
}
