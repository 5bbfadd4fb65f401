package raven

import (
	"strings"

	"github.com/ravenkit/raven/internal/scrub"
)

// Filtered replaces every scrubbed value.
const Filtered = scrub.Filtered

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
	s, err := scrub.New(c.scrubKeys, !c.noDefaultScrubPatterns, c.scrubPatternSrc)
	if err != nil {
		return err
	}
	c.scrub = s
	return nil
}

// SensitiveKey reports whether values under key are scrubbed by the
// built-in key names.
func SensitiveKey(key string) bool { return scrub.Scrubber{}.Sensitive(key) }

// ScrubURL returns u with the password of its user info and the values of
// sensitive query parameters replaced by Filtered. Unparseable input is
// returned with its query cut off.
func ScrubURL(u string) string { return scrub.Scrubber{}.URL(u) }
