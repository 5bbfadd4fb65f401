package scrub

import (
	"encoding/base64"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Secrets found in free text by their shape (see WithDefaultScrubPatterns).

// textPattern finds secrets in free text.
type textPattern struct {
	re *regexp.Regexp
	// hint, when set, is a cheap test that s may match at all.
	hint func(s string) bool
	// spans, when set, picks the parts of a match (its submatch indexes m)
	// to replace; otherwise every capturing group, or the whole match
	// when there is none.
	spans func(s string, m []int) [][2]int
	// named marks the name=value pattern: the Scrubber's key names decide.
	named bool
}

// containsAny returns a hint that s holds one of subs.
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

// text replaces the secrets the patterns find in free text. Events repeat
// their strings (breadcrumb and log messages, exception values), so the
// results for short strings are kept: a string seen before costs a map
// lookup instead of a pass of every pattern.
func (s Scrubber) text(t string) string {
	if len(s.patterns) == 0 {
		return t
	}
	if s.seen != nil && len(t) <= maxCachedText {
		if out, ok := s.seen.get(t); ok {
			return out
		}
	}
	in := t
	for i := range s.patterns {
		t = s.apply(&s.patterns[i], t)
	}
	if s.seen != nil && len(in) <= maxCachedText {
		s.seen.put(in, t)
	}
	return t
}

// Bounds of the cache of text results: strings up to maxCachedText bytes,
// at most maxCachedTexts of them (then the cache starts over).
const (
	maxCachedText  = 512
	maxCachedTexts = 4096
)

// textCache maps strings to their scrubbed form. Safe for concurrent use:
// senders share it.
type textCache struct {
	m atomic.Pointer[sync.Map]
	n atomic.Int64
}

func (c *textCache) get(t string) (string, bool) {
	m := c.m.Load()
	if m == nil {
		return "", false
	}
	v, ok := m.Load(t)
	if !ok {
		return "", false
	}
	return v.(string), true
}

func (c *textCache) put(t, out string) {
	m := c.m.Load()
	if m == nil || c.n.Load() >= maxCachedTexts {
		m = new(sync.Map)
		c.m.Store(m)
		c.n.Store(0)
	}
	if _, loaded := m.LoadOrStore(strings.Clone(t), out); !loaded {
		c.n.Add(1)
	}
}

func (s Scrubber) apply(p *textPattern, t string) string {
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
func (s Scrubber) sensitiveName(t string, i, j int) bool {
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
