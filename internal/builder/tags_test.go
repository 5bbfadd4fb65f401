package builder

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
)

func TestSanitizeTags(t *testing.T) {
	var logs bytes.Buffer
	b := &Builder{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	long := strings.Repeat("k", 300)
	ev := &protocol.Event{Tags: map[string]string{
		"ok.key:1-x_y": "fine value",
		"user name":    "two\nlines\r\tand a tab",
		"bad\xffutf8":  "bad\xffvalue",
		"ünïcode":      strings.Repeat("é", 250),
		long:           "v",
		"":             "empty key",
		"taken_key":    "kept",
		"taken key":    "loses to the valid key",
	}}
	b.sanitizeTags(ev)
	assert.Equal(t, "fine value", ev.Tags["ok.key:1-x_y"])
	assert.Equal(t, "two lines  and a tab", ev.Tags["user_name"])
	assert.Equal(t, "bad\uFFFDvalue", ev.Tags["bad_utf8"])
	v := ev.Tags["_n_code"]
	assert.Equal(t, 200, utf8.RuneCountInString(v))
	assert.True(t, strings.HasSuffix(v, "…"))
	assert.Equal(t, "v", ev.Tags[strings.Repeat("k", 199)+"_"])
	assert.Equal(t, "empty key", ev.Tags["_"])
	assert.Equal(t, "kept", ev.Tags["taken_key"])
	for k, v := range ev.Tags {
		assert.LessOrEqual(t, len(k), 200)
		for i := 0; i < len(k); i++ {
			assert.True(t, tagKeyByte(k[i]), "key %q", k)
		}
		assert.True(t, utf8.ValidString(v))
		assert.LessOrEqual(t, utf8.RuneCountInString(v), 200)
		assert.NotContains(t, v, "\n")
	}
	assert.Len(t, ev.Tags, 7, "nothing dropped but the collision")

	// each fixed key is logged once
	n := strings.Count(logs.String(), "sent fixed")
	b.sanitizeTags(&protocol.Event{Tags: map[string]string{"user name": "again"}})
	assert.Equal(t, n, strings.Count(logs.String(), "sent fixed"))
	assert.Equal(t, 5, n)
}

func BenchmarkSanitizeValidTags(b *testing.B) {
	bl := &Builder{}
	ev := &protocol.Event{Tags: map[string]string{"route": "GET /orders/{id}", "region": "eu-west-1", "release": "shop@1.4.2"}}
	b.ReportAllocs()
	for b.Loop() {
		bl.sanitizeTags(ev)
	}
}
