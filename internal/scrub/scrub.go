// Package scrub replaces secrets in events before they leave the process:
// values under sensitive key names (headers, cookies, query parameters,
// tags, extra, contexts, user and breadcrumb data) and secrets found in
// free text by their shape.
package scrub

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/uservalue"
)

// Filtered replaces every scrubbed value.
const Filtered = "[Filtered]"

// filteredQuery is Filtered as it is written in a query string.
var filteredQuery = url.QueryEscape(Filtered)

// The SDK spec (https://develop.sentry.dev/sdk/foundations/client/data-collection/,
// "Default Denylist") asks for header, cookie and query values under a
// denylist of names, matched partially and ignoring case, to be replaced
// by "[Filtered]". This SDK goes further, as it promises that no secret
// leaves by default: the same names apply to user-set data too (extra,
// contexts, user data, tags, breadcrumb data), and secrets are looked for
// in free text by pattern.
//
// Key names whose values are never sent. A key is sensitive when
//
//   - it is one of deniedKeys (header names), ignoring case, or
//   - it contains one of deniedSubstrings (long, distinctive fragments:
//     "password", "token", "secret", ...), ignoring case, or
//   - one of its words is one of deniedWords (short fragments such as
//     "key", "pin" or "sid", which would match far too much as
//     substrings: "monkey", "shipping", "inside"). Words are split on
//     anything but letters and digits and at camelCase boundaries:
//     "x-api-key", "accessKey", "AWS_ACCESS_KEY_ID" and "cc.number"
//     have a sensitive word; "monkey" and "mapping" do not.
var (
	deniedKeys = []string{"x-forwarded-for", "x-real-ip", "forwarded"}

	deniedSubstrings = []string{"password", "passwd", "passphrase", "passcode", "secret", "token", "session",
		"apikey", "api_key", "api-key", "accesskey", "privatekey", "private_key", "private-key", "authorization",
		"authenticat", "oauth", "credential", "csrf", "xsrf", "cookie", "jwt", "bearer", "signature",
		"creditcard", "credit_card", "cardnumber", "card_number", "ccnumber", "cc_number", "cvv", "cvc"}

	deniedWords = map[string]bool{"key": true, "sid": true, "pin": true, "cvc": true, "cvv": true,
		"cc": true, "card": true, "ssn": true, "pwd": true, "pass": true, "auth": true, "otp": true, "pan": true,
		"iban": true, "sig": true, "dsn": true, "mnemonic": true}

	// queryOnlyNames are sensitive as query parameters only: an OAuth
	// authorization code travels as ?code=, while "code" elsewhere
	// (status_code, error codes) is ordinary.
	queryOnlyNames = map[string]bool{"code": true}
)

// Scrubber replaces sensitive values in events: values under sensitive key
// names, and secrets found in free text by pattern.
type Scrubber struct {
	extra    []string
	patterns []textPattern
	seen     *textCache // results of text for short strings; nil: none
}

// Sensitive reports whether values under key must not be sent.
func (s Scrubber) Sensitive(key string) bool {
	k := strings.ToLower(key)
	if slices.Contains(deniedKeys, k) {
		return true
	}
	for _, f := range deniedSubstrings {
		if strings.Contains(k, f) {
			return true
		}
	}
	for _, f := range s.extra {
		if strings.Contains(k, f) {
			return true
		}
	}
	return hasDeniedWord(key)
}

// sensitiveParam reports whether a query parameter's value must not be
// sent.
func (s Scrubber) sensitiveParam(name string) bool {
	return s.Sensitive(name) || queryOnlyNames[strings.ToLower(name)]
}

// hasDeniedWord splits key into words (runs of letters and digits, cut
// at lower-to-upper case changes, before the last capital of a run of
// capitals followed by a lower-case letter, and between a letter and a
// digit: "APIKey" is "api", "key"; "key2" is "key", "2") and reports
// whether one is a denied word.
func hasDeniedWord(key string) bool {
	var buf [16]byte
	start := -1
	rs := []rune(key)
	check := func(end int) bool {
		if start < 0 || end-start > len(buf) {
			return false
		}
		w := buf[:0]
		for _, r := range rs[start:end] {
			if r >= utf8.RuneSelf {
				return false
			}
			w = append(w, byte(unicode.ToLower(r)))
		}
		return deniedWords[string(w)]
	}
	for i, r := range rs {
		alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
		if !alnum {
			if check(i) {
				return true
			}
			start = -1
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := rs[i-1]
		boundary := unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) ||
			unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1]) ||
			unicode.IsDigit(r) && unicode.IsLetter(prev)
		if boundary {
			if check(i) {
				return true
			}
			start = i
		}
	}
	return check(len(rs))
}

// URL returns raw with the password of its user info and the values of
// sensitive query parameters replaced by Filtered.
func (s Scrubber) URL(raw string) string {
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
func (s Scrubber) query(q string) string {
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
		if hasValue && s.sensitiveParam(name) {
			parts[i] = k + "=" + filteredQuery
			changed = true
		}
	}
	if !changed {
		return q
	}
	return strings.Join(parts, "&")
}

// str scrubs a string found in data: a URL by its structure, then every
// string by pattern.
func (s Scrubber) str(v string) string {
	if looksLikeURL(v) {
		v = s.URL(v)
	}
	return s.text(v)
}

// looksLikeURL reports whether v is a URL or a path with a query, as
// opposed to prose that happens to contain "?" or "@".
func looksLikeURL(v string) bool {
	if v == "" || strings.ContainsAny(v, " \t\r\n") {
		return false
	}
	return strings.Contains(v, "://") || v[0] == '/'
}

// maxScrubDepth bounds the Scrubber's walk; values reach it plain and
// bounded by uservalue.MaxDepth (a request body decoded from JSON too, see
// body), so the bound only guards against misuse.
const maxScrubDepth = uservalue.MaxDepth + 4

// value scrubs plain data: maps by key, slices element-wise, strings by
// URL structure and pattern. Maps and slices are copied, never modified.
func (s Scrubber) value(v any, depth int) any {
	switch x := v.(type) {
	case string:
		return s.str(x)
	case map[string]any:
		return s.mapAny(x, depth)
	case []any:
		if depth >= maxScrubDepth {
			return uservalue.PlaceholderDepth
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = s.value(e, depth+1)
		}
		return out
	case map[string]string:
		return s.stringMap(x)
	}
	return v
}

func (s Scrubber) mapAny(m map[string]any, depth int) map[string]any {
	if m == nil {
		return nil
	}
	if depth >= maxScrubDepth {
		return map[string]any{uservalue.PlaceholderTruncated: uservalue.PlaceholderDepth}
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if s.Sensitive(k) {
			out[k] = Filtered
		} else {
			out[k] = s.value(v, depth+1)
		}
	}
	return out
}

// stringMap scrubs a map of strings (headers, environment, tags) by key
// and by pattern.
func (s Scrubber) stringMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s.Sensitive(k) {
			v = Filtered
		} else {
			v = s.str(v)
		}
		out[k] = v
	}
	return out
}

// Event scrubs every user-supplied part of ev, replacing what it scrubs
// (maps and lists may be shared with scopes and are never modified).
func (s Scrubber) Event(ev *protocol.Event) {
	ev.Transaction = s.text(ev.Transaction)
	if ev.Message != nil {
		m := *ev.Message
		m.Message, m.Formatted = s.text(m.Message), s.text(m.Formatted)
		if m.Params != nil {
			m.Params, _ = s.value(m.Params, 0).([]any)
		}
		ev.Message = &m
	}
	if ev.Exception != nil {
		excs := append([]protocol.Exception(nil), ev.Exception.Values...)
		for i := range excs {
			excs[i].Value = s.text(excs[i].Value)
			if mech := excs[i].Mechanism; mech != nil && mech.Data != nil {
				cp := *mech
				cp.Data = s.mapAny(mech.Data, 0)
				excs[i].Mechanism = &cp
			}
		}
		ev.Exception = &protocol.ExceptionList{Values: excs}
	}
	if len(ev.Tags) > 0 {
		ev.Tags = s.stringMap(ev.Tags)
	}
	if len(ev.Extra) > 0 {
		ev.Extra = s.mapAny(ev.Extra, 0)
	}
	if len(ev.Contexts) > 0 {
		ctxs := make(map[string]map[string]any, len(ev.Contexts))
		for name, c := range ev.Contexts {
			if name == "trace" || name == "os" || name == "runtime" || name == "device" {
				// the SDK's own, not scrubbed; copied all the same, as a
				// hook that changes the event must not change the maps
				// other events share
				ctxs[name] = maps.Clone(c)
				continue
			}
			ctxs[name] = s.mapAny(c, 0)
		}
		ev.Contexts = ctxs
	}
	if ev.User != nil && len(ev.User.Data) > 0 {
		u := *ev.User
		u.Data = s.mapAny(u.Data, 0)
		ev.User = &u
	}
	if ev.Request != nil {
		ev.Request = s.request(ev.Request)
	}
	if ev.Breadcrumbs != nil {
		crumbs := make([]protocol.Breadcrumb, len(ev.Breadcrumbs.Values))
		for i, b := range ev.Breadcrumbs.Values {
			b.Message = s.str(b.Message)
			if b.Data != nil {
				b.Data = s.mapAny(b.Data, 0)
			}
			crumbs[i] = b
		}
		ev.Breadcrumbs = &protocol.BreadcrumbList{Values: crumbs}
	}
}

// request scrubs a request's URL, query, headers, cookies and data.
func (s Scrubber) request(r *protocol.Request) *protocol.Request {
	cp := *r
	cp.URL = s.text(s.URL(r.URL))
	cp.QueryString = s.text(s.query(r.QueryString))
	cp.Fragment = s.text(r.Fragment)
	cp.Headers = s.stringMap(r.Headers)
	cp.Cookies = s.stringMap(r.Cookies)
	cp.Env = s.stringMap(r.Env)
	switch d := r.Data.(type) {
	case nil:
	case string:
		cp.Data = s.body(d)
	default:
		cp.Data = s.value(d, 0)
	}
	return &cp
}

// body scrubs a raw request body: a JSON object or array by key, a form
// body by field, and any body by pattern.
func (s Scrubber) body(b string) string {
	t := strings.TrimSpace(b)
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil && !dec.More() {
			// decoded JSON is plain but may nest deeper than the Scrubber
			// walks: make it plain and bounded first
			nv := s.value(uservalue.NewWalker(false).Value(v, 0), 0)
			if out, err := json.Marshal(nv); err == nil {
				return string(out)
			}
		}
		return s.text(b)
	}
	if strings.Contains(t, "=") && !strings.ContainsAny(t, " \n") {
		return s.text(s.query(t))
	}
	return s.text(b)
}

// New returns a Scrubber that also scrubs values under keys containing one
// of extraKeys (lower case), applies the built-in free-text patterns when
// defaults is true, and the regular expressions exprs (RE2 syntax).
func New(extraKeys []string, defaults bool, exprs []string) (Scrubber, error) {
	s := Scrubber{extra: extraKeys, seen: new(textCache)}
	if defaults {
		s.patterns = append(s.patterns, defaultPatterns...)
	}
	for _, src := range exprs {
		re, err := regexp.Compile(src)
		if err != nil {
			return Scrubber{}, fmt.Errorf("raven: scrub pattern %q: %w", src, err)
		}
		s.patterns = append(s.patterns, textPattern{re: re})
	}
	return s, nil
}
