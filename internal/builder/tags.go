package builder

import (
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/ravenkit/raven/internal/protocol"
)

// Relay keeps tag keys of ASCII letters, digits and _.:- of at most 200
// characters, and values of at most 200 characters without line breaks;
// it removes other tags (relay-event-normalization, tags). The SDK fixes
// them instead, so that the tag arrives.
const (
	maxTagChars = 200
	tagCut      = "…"
)

// maxLoggedTags bounds the keys remembered as logged.
const maxLoggedTags = 1024

// sanitizeTags replaces what Relay would refuse in tag keys and values:
// a key's other characters become '_', a value's line breaks and other
// control characters a space, invalid UTF-8 U+FFFD, and both are cut to
// 200 characters (the last one an ellipsis). A fixed key is logged once.
// When two keys become one, the one already valid wins.
func (b *Builder) sanitizeTags(ev *protocol.Event) {
	for k, v := range ev.Tags {
		ck, cv := tagKey(k), tagValue(v)
		if ck == k && cv == v {
			continue
		}
		if ck != k {
			delete(ev.Tags, k)
			if _, taken := ev.Tags[ck]; taken {
				continue
			}
			b.logFixedTag(k, ck)
		}
		ev.Tags[ck] = cv
	}
}

func (b *Builder) logFixedTag(k, ck string) {
	if b.Logger == nil {
		return
	}
	if _, seen := b.fixedTags.Load(k); seen || b.fixedCount.Load() >= maxLoggedTags {
		return
	}
	if _, seen := b.fixedTags.LoadOrStore(k, struct{}{}); !seen {
		b.fixedCount.Add(1)
		b.Logger.Warn("raven: tag key has characters the server refuses; sent fixed", slog.String("key", protocol.Clamp(k, 256)), slog.String("sent_as", ck))
	}
}

func tagKey(k string) string {
	ok := k != "" && len(k) <= maxTagChars
	for i := 0; ok && i < len(k); i++ {
		ok = tagKeyByte(k[i])
	}
	if ok {
		return k
	}
	var sb strings.Builder
	n, total := 0, utf8.RuneCountInString(k)
	for _, r := range k {
		if n == maxTagChars-1 && total > maxTagChars {
			sb.WriteByte('_')
			break
		}
		if r < utf8.RuneSelf && tagKeyByte(byte(r)) {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
		n++
	}
	if sb.Len() == 0 {
		return "_"
	}
	return sb.String()
}

func tagKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-'
}

func tagValue(v string) string {
	ok := utf8.ValidString(v) && utf8.RuneCountInString(v) <= maxTagChars
	for i := 0; ok && i < len(v); i++ {
		ok = v[i] >= 0x20 && v[i] != 0x7f
	}
	if ok {
		return v
	}
	var sb strings.Builder
	n, total := 0, utf8.RuneCountInString(v)
	for _, r := range v {
		if n == maxTagChars-1 && total > maxTagChars {
			sb.WriteString(tagCut)
			break
		}
		switch {
		case r < 0x20 || r == 0x7f:
			sb.WriteByte(' ')
		default:
			sb.WriteRune(r) // invalid bytes come as U+FFFD
		}
		n++
	}
	return sb.String()
}
