package raven

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
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

	deniedWords = map[string]bool{"key": true, "sid": true, "pin": true, "cvc": true, "cvv": true, "cvv2": true,
		"cc": true, "card": true, "ssn": true, "pwd": true, "pass": true, "auth": true, "otp": true, "pan": true,
		"iban": true, "sig": true, "dsn": true, "seed": true, "mnemonic": true}

	// queryOnlyNames are sensitive as query parameters only: an OAuth
	// authorization code travels as ?code=, while "code" elsewhere
	// (status_code, error codes) is ordinary.
	queryOnlyNames = map[string]bool{"code": true}
)

// WithScrubKeys adds key fragments whose values are replaced by Filtered
// everywhere in events (headers, query strings, form fields, tags, extra,
// contexts, user data, breadcrumb data), on top of the built-in key names.
// A fragment matches anywhere in a key, ignoring case.
func WithScrubKeys(fragments ...string) Option {
	return optionFunc(func(c *config) {
		for _, f := range fragments {
			if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
				c.scrubKeys = append(c.scrubKeys, f)
			}
		}
	})
}

// WithScrubPatterns adds regular expressions (RE2 syntax, package regexp)
// whose matches in free text are replaced by Filtered: messages, exception
// values, breadcrumb messages, tag values, request URLs, query strings,
// header values, and every string in extra, contexts, user data, request
// data and breadcrumb data. When an expression has capturing groups, only
// the text of the groups is replaced, so `ticket=(\w+)` keeps "ticket=";
// without groups the whole match is. The patterns apply on top of the
// built-in ones (see WithDefaultScrubPatterns). An invalid expression is an
// error from New.
func WithScrubPatterns(exprs ...string) Option {
	return optionFunc(func(c *config) { c.scrubPatternSrc = append(c.scrubPatternSrc, exprs...) })
}

// WithDefaultScrubPatterns turns the built-in free-text patterns on (the
// default) or off. They find secrets by their shape wherever they appear
// in free text (see WithScrubPatterns for where): bearer and basic
// credentials, JSON Web Tokens, AWS access key ids, passwords in URLs
// (user:password@host, DSN secrets included), private-key blocks, tokens
// of well-known services by their prefix (GitHub, GitLab, Slack, Stripe,
// Google, npm, SendGrid, OpenAI), values after a sensitive name
// ("password=...", `"api_key": "..."`, "token: ...") and OAuth codes in
// query strings. Only the secret part is replaced. Turning them off leaves
// key-name scrubbing (WithScrubKeys and the built-in names) and patterns
// added with WithScrubPatterns in place.
func WithDefaultScrubPatterns(on bool) Option {
	return optionFunc(func(c *config) { c.noDefaultScrubPatterns = !on })
}

// resolveScrub compiles the scrubbing options into c.scrub.
func (c *config) resolveScrub() error {
	s := scrubber{extra: c.scrubKeys}
	if !c.noDefaultScrubPatterns {
		s.patterns = append(s.patterns, defaultPatterns...)
	}
	for _, src := range c.scrubPatternSrc {
		re, err := regexp.Compile(src)
		if err != nil {
			return fmt.Errorf("raven: scrub pattern %q: %w", src, err)
		}
		s.patterns = append(s.patterns, textPattern{re: re})
	}
	c.scrub = s
	return nil
}

// scrubber returns the scrubber the options describe.
func (c *config) scrubber() scrubber { return c.scrub }

// scrubber replaces sensitive values in events: values under sensitive key
// names, and secrets found in free text by pattern.
type scrubber struct {
	extra    []string
	patterns []textPattern
}

// textPattern finds secrets in free text.
type textPattern struct {
	re *regexp.Regexp
	// hint, when set, is a cheap test that s may match at all.
	hint func(s string) bool
	// spans, when set, picks the parts of a match (its submatch indexes m)
	// to replace; otherwise every capturing group, or the whole match
	// when there is none.
	spans func(s string, m []int) [][2]int
	// named marks the name=value pattern: the scrubber's key names decide.
	named bool
}

func containsAny(subs ...string) func(string) bool {
	return func(s string) bool {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
}

// defaultPatterns are the built-in free-text patterns, most specific
// first.
var defaultPatterns = []textPattern{
	{ // private-key blocks (PEM, OpenSSH, PGP); the body up to END or the end of the text
		re:   regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----([\s\S]*?)(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z)`),
		hint: containsAny("PRIVATE KEY"),
	},
	{ // the password of URL user info, DSN secrets included
		re:   regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@]*:([^\s@/?#]+)@`),
		hint: containsAny("://"),
	},
	{ // JSON Web Tokens
		re:   regexp.MustCompile(`(eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*)`),
		hint: containsAny("eyJ"),
	},
	{ // bearer credentials
		re:   regexp.MustCompile(`(?i)\bbearer\s+([A-Za-z0-9\-._~+/]+=*)`),
		hint: containsAny("earer", "EARER"),
	},
	{ // basic credentials: base64 of "user:password"
		re:    regexp.MustCompile(`\bBasic\s+([A-Za-z0-9+/]{6,}={0,2})`),
		hint:  containsAny("Basic"),
		spans: basicSpans,
	},
	{ // AWS access key ids
		re:   regexp.MustCompile(`\b((?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16})\b`),
		hint: containsAny("AKIA", "ASIA", "ABIA", "ACCA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA"),
	},
	{ // tokens of well-known services, by prefix
		re: regexp.MustCompile(`\b((?:gh[pousr]_[A-Za-z0-9]{30,})|(?:github_pat_[A-Za-z0-9_]{22,})|(?:glpat-[A-Za-z0-9_\-]{20,})|` +
			`(?:xox[abposr]-[A-Za-z0-9\-]{10,})|(?:[sr]k_(?:live|test)_[A-Za-z0-9]{16,})|(?:AIza[0-9A-Za-z_\-]{35})|` +
			`(?:npm_[A-Za-z0-9]{36})|(?:SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,})|(?:sk-(?:proj-)?[A-Za-z0-9_\-]{20,}))`),
		hint: containsAny("gh", "github_pat_", "glpat-", "xox", "k_live_", "k_test_", "AIza", "npm_", "SG.", "sk-"),
	},
	{ // a value after a sensitive name: name=value, name: value, "name": "value"
		re:    regexp.MustCompile(`\b([A-Za-z0-9_.\-]+)["']?[ \t]*[=:]`),
		hint:  containsAny("=", ":"),
		named: true,
	},
}

// basicSpans accepts a basic credential only when it decodes to
// "user:password", so "Basic authentication" stays.
func basicSpans(s string, m []int) [][2]int {
	cred := s[m[2]:m[3]]
	b, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(cred, "="))
	}
	if err != nil || !utf8.Valid(b) || !strings.Contains(string(b), ":") {
		return nil
	}
	return [][2]int{{m[2], m[3]}}
}

// Sensitive reports whether values under key must not be sent.
func (s scrubber) Sensitive(key string) bool {
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
func (s scrubber) sensitiveParam(name string) bool {
	return s.Sensitive(name) || queryOnlyNames[strings.ToLower(name)]
}

// hasDeniedWord splits key into words (runs of letters and digits, cut
// at lower-to-upper case changes and before the last capital of a run of
// capitals followed by a lower-case letter: "APIKey" is "api", "key") and
// reports whether one is a denied word.
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
			unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1])
		if boundary {
			if check(i) {
				return true
			}
			start = i
		}
	}
	return check(len(rs))
}

// SensitiveKey reports whether values under key are scrubbed by the
// built-in key names.
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

// text replaces the secrets the patterns find in free text.
func (s scrubber) text(t string) string {
	for i := range s.patterns {
		t = s.apply(&s.patterns[i], t)
	}
	return t
}

func (s scrubber) apply(p *textPattern, t string) string {
	if p.hint != nil && !p.hint(t) {
		return t
	}
	var b strings.Builder
	last := 0
	replace := func(spans [][2]int) {
		for _, sp := range spans {
			if sp[0] < last {
				continue
			}
			b.WriteString(t[last:sp[0]])
			b.WriteString(Filtered)
			last = sp[1]
		}
	}
	if p.named {
		// Names are found in one linear pass; a value is read only for
		// a sensitive name starting past the last value replaced, so
		// every byte is read once ("password=password=..." included).
		for _, m := range p.re.FindAllStringSubmatchIndex(t, -1) {
			if m[2] < last || !s.sensitiveName(t, m[2], m[3]) {
				continue
			}
			if vs, ve := valueAt(t, m[1]); vs < ve {
				replace([][2]int{{vs, ve}})
			}
		}
	} else {
		for _, m := range p.re.FindAllStringSubmatchIndex(t, -1) {
			switch {
			case p.spans != nil:
				replace(p.spans(t, m))
			case len(m) == 2:
				replace([][2]int{{m[0], m[1]}})
			default:
				var spans [][2]int
				for g := 2; g+1 < len(m); g += 2 {
					if m[g] >= 0 && m[g+1] > m[g] {
						spans = append(spans, [2]int{m[g], m[g+1]})
					}
				}
				replace(spans)
			}
		}
	}
	if last == 0 {
		return t
	}
	b.WriteString(t[last:])
	return b.String()
}

// sensitiveName reports whether the name t[i:j] of a name=value pair is
// sensitive; an OAuth code only in a query string, after ? or &.
func (s scrubber) sensitiveName(t string, i, j int) bool {
	name := t[i:j]
	if s.Sensitive(name) {
		return true
	}
	return queryOnlyNames[strings.ToLower(name)] && i > 0 && (t[i-1] == '?' || t[i-1] == '&')
}

// valueAt returns the bounds of the value that starts at i after blanks:
// the inside of a quoted value (up to its closing quote or the end of the
// line), or the run of characters up to a blank or a delimiter. An empty
// result (start == end) means there is nothing to replace: no value, or
// one already filtered.
func valueAt(t string, i int) (int, int) {
	for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		i++
	}
	if i == len(t) {
		return i, i
	}
	start, end := i, i
	if q := t[i]; q == '"' || q == '\'' {
		start = i + 1
		end = start
		for end < len(t) && t[end] != q && t[end] != '\n' {
			end++
		}
	} else {
		for end < len(t) && !strings.ContainsRune(" \t\r\n\"'&,;<>)]}", rune(t[end])) {
			end++
		}
	}
	if strings.HasPrefix(t[start:], Filtered) || strings.HasPrefix(t[start:], filteredQuery) {
		return start, start
	}
	return start, end
}

// str scrubs a string found in data: a URL by its structure, then every
// string by pattern.
func (s scrubber) str(v string) string {
	if looksLikeURL(v) {
		v = s.url(v)
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

// maxScrubDepth bounds the scrubber's walk; values reach it plain and
// bounded by MaxValueDepth (a request body decoded from JSON too, see
// body), so the bound only guards against misuse.
const maxScrubDepth = MaxValueDepth + 4

// value scrubs plain data: maps by key, slices element-wise, strings by
// URL structure and pattern. Maps and slices are copied, never modified.
func (s scrubber) value(v any, depth int) any {
	switch x := v.(type) {
	case string:
		return s.str(x)
	case map[string]any:
		return s.mapAny(x, depth)
	case []any:
		if depth >= maxScrubDepth {
			return placeholderDepth
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

func (s scrubber) mapAny(m map[string]any, depth int) map[string]any {
	if m == nil {
		return nil
	}
	if depth >= maxScrubDepth {
		return map[string]any{placeholderTruncated: placeholderDepth}
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
func (s scrubber) stringMap(m map[string]string) map[string]string {
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

// event scrubs every user-supplied part of ev, replacing what it scrubs
// (maps and lists may be shared with scopes and are never modified).
func (s scrubber) event(ev *Event) {
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
		excs := append([]Exception(nil), ev.Exception.Values...)
		for i := range excs {
			excs[i].Value = s.text(excs[i].Value)
			if mech := excs[i].Mechanism; mech != nil && mech.Data != nil {
				cp := *mech
				cp.Data = s.mapAny(mech.Data, 0)
				excs[i].Mechanism = &cp
			}
		}
		ev.Exception = &ExceptionList{Values: excs}
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
				ctxs[name] = c
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
		crumbs := make([]Breadcrumb, len(ev.Breadcrumbs.Values))
		for i, b := range ev.Breadcrumbs.Values {
			b.Message = s.str(b.Message)
			if b.Data != nil {
				b.Data = s.mapAny(b.Data, 0)
			}
			crumbs[i] = b
		}
		ev.Breadcrumbs = &BreadcrumbList{Values: crumbs}
	}
}

// request scrubs a request's URL, query, headers, cookies and data.
func (s scrubber) request(r *Request) *Request {
	cp := *r
	cp.URL = s.text(s.url(r.URL))
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
func (s scrubber) body(b string) string {
	t := strings.TrimSpace(b)
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil && !dec.More() {
			// decoded JSON is plain but may nest deeper than the scrubber
			// walks: make it plain and bounded first
			nv := s.value(newValueWalker(false).value(v, 0), 0)
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
