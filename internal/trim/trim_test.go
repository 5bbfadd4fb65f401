package trim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bigEvent(crumbs, extraBytes int) *protocol.Event {
	ev := &protocol.Event{EventID: protocol.NewEventID(), Platform: "go", Level: protocol.LevelError,
		Message:     &protocol.LogEntry{Formatted: "boom"},
		Extra:       map[string]any{"small": "kept", "big": strings.Repeat("x", extraBytes)},
		Breadcrumbs: &protocol.BreadcrumbList{}}
	for i := range crumbs {
		ev.Breadcrumbs.Values = append(ev.Breadcrumbs.Values, protocol.Breadcrumb{Message: fmt.Sprintf("crumb %d %s", i, strings.Repeat("b", 100))})
	}
	return ev
}

func encode(t *testing.T, ev *protocol.Event) []byte {
	t.Helper()
	b, err := ev.MarshalJSON()
	require.NoError(t, err)
	return b
}

func TestToFitDropsOldestBreadcrumbsFirst(t *testing.T) {
	ev := bigEvent(100, 0)
	b := encode(t, ev)
	limit := len(b) - 2000 // about twenty breadcrumbs too many
	out, err := ToFit(ev, b, limit)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), limit)
	require.NotEmpty(t, ev.Breadcrumbs.Values)
	assert.Equal(t, "crumb 99 "+strings.Repeat("b", 100), ev.Breadcrumbs.Values[len(ev.Breadcrumbs.Values)-1].Message, "the newest stay")
	assert.NotEqual(t, "crumb 0 "+strings.Repeat("b", 100), ev.Breadcrumbs.Values[0].Message, "the oldest go")
	assert.Equal(t, "kept", ev.Extra["small"], "nothing else was cut")
	assert.True(t, json.Valid(out))
}

func TestToFitCutsAHugeExtra(t *testing.T) {
	ev := bigEvent(5, 200_000)
	b := encode(t, ev)
	out, err := ToFit(ev, b, 64_000)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), 64_000)
	assert.True(t, json.Valid(out))
	assert.Equal(t, "boom", ev.Message.Formatted)
}
