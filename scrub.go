package raven

import (
	"encoding/json"
	"net/url"
	"strings"
)

// Filtered replaces every scrubbed value.
const Filtered = "[Filtered]"

// Keys whose values are never sent: exact header names, and fragments
// that make any key (header, query parameter, form field, extra key,
// breadcrumb data key) sensitive. Comparison ignores case.
var (
	deniedKeys = []string{"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
		"x-forwarded-for", "x-real-ip", "forwarded"}
	deniedFragments = []string{"token", "secret", "password", "passwd", "pwd", "session", "api_key", "apikey",
		"api-key", "auth", "credential", "csrf", "xsrf", "private_key", "private-key", "privatekey", "jwt",
		"bearer", "signature", "ssn", "credit", "card_number", "cvv"}
)

// WithScrubKeys adds key fragments whose values are replaced by Filtered
// everywhere in events (headers, query strings, form fields, extra,
// contexts, breadcrumb data), on top of the built-in deny-list.
func WithScrubKeys(fragments ...string) Option {
	return optionFunc(func(c *config) {
		for _, f := range fragments {
			if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
				c.scrubKeys = append(c.scrubKeys, f)
			}
		}
	})
}

// scrubber decides which keys are sensitive.
type scrubber struct{ extra []string }

// Sensitive reports whether values under key must not be sent.
func (s scrubber) Sensitive(key string) bool {
	k := strings.ToLower(key)
	for _, d := range deniedKeys {
		if k == d {
			return true
		}
	}
	for _, f := range deniedFragments {
		if strings.Contains(k, f) {
			return true
		}
	}
	for _, f := range s.extra {
		if strings.Contains(k, f) {
			return true
		}
	}
	return false
}

// SensitiveKey reports whether values under key are scrubbed by the
// built-in deny-list.
func SensitiveKey(key string) bool { return scrubber{}.Sensitive(key) }

// ScrubURL returns u with the password of its user info and the values of
// sensitive query parameters replaced by Filtered. Unparseable input is
// returned with its query cut off.
func ScrubURL(u string) string { return scrubber{}.url(u) }

func (s scrubber) url(raw string) string {
	if !strings.ContainsAny(raw, "?@") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexByte(raw, '?'); i >= 0 {
			return raw[:i]
		}
		return raw
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), Filtered)
		}
	}
	u.RawQuery = s.query(u.RawQuery)
	return u.String()
}

// query scrubs an encoded query string, keeping the parameters' order.
func (s scrubber) query(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	changed := false
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && s.Sensitive(name) {
			parts[i] = k + "=" + url.QueryEscape(Filtered)
			changed = true
		}
	}
	if !changed {
		return q
	}
	return strings.Join(parts, "&")
}

// value scrubs v recursively: maps by key, slices element-wise, strings
// that look like URLs by query parameter. It returns v itself when
// nothing changed, so clean data is not copied.
func (s scrubber) value(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		out, changed := s.mapAny(x)
		return out, changed
	case map[string]string:
		var out map[string]string
		for k, val := range x {
			nv := val
			if s.Sensitive(k) {
				nv = Filtered
			} else if u := s.url(val); u != val {
				nv = u
			}
			if nv != val {
				if out == nil {
					out = make(map[string]string, len(x))
					for k2, v2 := range x {
						out[k2] = v2
					}
				}
				out[k] = nv
			}
		}
		if out == nil {
			return v, false
		}
		return out, true
	case map[string][]string:
		out := make(map[string][]string, len(x))
		changed := false
		for k, vals := range x {
			if s.Sensitive(k) {
				out[k] = []string{Filtered}
				changed = true
			} else {
				out[k] = vals
			}
		}
		if !changed {
			return v, false
		}
		return out, true
	case []any:
		var out []any
		for i, e := range x {
			ne, c := s.value(e)
			if c {
				if out == nil {
					out = append([]any(nil), x...)
				}
				out[i] = ne
			}
		}
		if out == nil {
			return v, false
		}
		return out, true
	case string:
		if u := s.url(x); u != x {
			return u, true
		}
	}
	return v, false
}

func (s scrubber) mapAny(m map[string]any) (map[string]any, bool) {
	var out map[string]any
	for k, v := range m {
		nv, changed := any(Filtered), true
		if !s.Sensitive(k) {
			nv, changed = s.value(v)
		}
		if changed {
			if out == nil {
				out = make(map[string]any, len(m))
				for k2, v2 := range m {
					out[k2] = v2
				}
			}
			out[k] = nv
		}
	}
	if out == nil {
		return m, false
	}
	return out, true
}

// event scrubs every user-supplied part of ev in place (copying what it
// changes, since maps may be shared with scopes).
func (s scrubber) event(ev *Event) {
	if len(ev.Extra) > 0 {
		ev.Extra, _ = s.mapAny(ev.Extra)
	}
	for name, c := range ev.Contexts {
		if name == "trace" || name == "os" || name == "runtime" || name == "device" {
			continue
		}
		ev.Contexts[name], _ = s.mapAny(c)
	}
	if ev.User != nil && len(ev.User.Data) > 0 {
		if d, changed := s.mapAny(ev.User.Data); changed {
			u := *ev.User
			u.Data = d
			ev.User = &u
		}
	}
	if ev.Request != nil {
		ev.Request = s.request(ev.Request)
	}
	if ev.Breadcrumbs != nil {
		var crumbs []Breadcrumb
		for i, b := range ev.Breadcrumbs.Values {
			nb := b
			changed := false
			if len(b.Data) > 0 {
				nb.Data, changed = s.mapAny(b.Data)
			}
			if m := s.url(b.Message); m != b.Message && strings.Contains(b.Message, "://") {
				nb.Message, changed = m, true
			}
			if changed {
				if crumbs == nil {
					crumbs = append([]Breadcrumb(nil), ev.Breadcrumbs.Values...)
				}
				crumbs[i] = nb
			}
		}
		if crumbs != nil {
			ev.Breadcrumbs = &BreadcrumbList{Values: crumbs}
		}
	}
}

// request scrubs a request's URL, query, headers, cookies and data.
func (s scrubber) request(r *Request) *Request {
	cp := *r
	cp.URL = s.url(r.URL)
	cp.QueryString = s.query(r.QueryString)
	if len(r.Headers) > 0 {
		h, _ := s.value(r.Headers)
		cp.Headers = h.(map[string]string)
	}
	if len(r.Cookies) > 0 {
		cp.Cookies = s.cookies(r.Cookies)
	}
	if len(r.Env) > 0 {
		e, _ := s.value(r.Env)
		cp.Env = e.(map[string]string)
	}
	switch d := r.Data.(type) {
	case nil:
	case string:
		cp.Data = s.body(d)
	default:
		cp.Data, _ = s.value(d)
	}
	return &cp
}

// cookies scrubs cookies by name.
func (s scrubber) cookies(c map[string]string) map[string]string {
	out := make(map[string]string, len(c))
	for name, v := range c {
		if s.Sensitive(name) {
			v = Filtered
		}
		out[name] = v
	}
	return out
}

// body scrubs a raw request body: a JSON object or array by key, a form
// body by field; other bodies are kept.
func (s scrubber) body(b string) string {
	t := strings.TrimSpace(b)
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		var v any
		if err := json.Unmarshal([]byte(t), &v); err == nil {
			nv, changed := s.value(v)
			if !changed {
				return b
			}
			if out, err := json.Marshal(nv); err == nil {
				return string(out)
			}
		}
		return b
	}
	if strings.Contains(t, "=") && !strings.ContainsAny(t, " \n") {
		return s.query(t)
	}
	return b
}
