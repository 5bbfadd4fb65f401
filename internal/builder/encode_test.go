package builder

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEncodeEventSanitizesValuesJSONCannotHold checks that a value JSON
// cannot hold, put in the event after its values were made plain (by a
// hook), makes Encode make them plain again rather than lose the
// event.
func TestEncodeEventSanitizesValuesJSONCannotHold(t *testing.T) {
	ev := &protocol.Event{EventID: protocol.NewEventID(), Platform: "go", Level: protocol.LevelError,
		Extra:       map[string]any{"nan": math.NaN(), "ok": "v"},
		Breadcrumbs: &protocol.BreadcrumbList{Values: []protocol.Breadcrumb{{Message: "b", Data: map[string]any{"ch": make(chan int)}}}},
	}
	_, err := ev.MarshalJSON()
	require.Error(t, err, "the values cannot be encoded as they are")
	b, err := Encode(ev, protocol.MaxEventBytes)
	require.NoError(t, err)
	var got struct {
		Extra       map[string]any `json:"extra"`
		Breadcrumbs struct {
			Values []struct {
				Data map[string]any `json:"data"`
			} `json:"values"`
		} `json:"breadcrumbs"`
	}
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, map[string]any{"nan": "NaN", "ok": "v"}, got.Extra)
	require.Len(t, got.Breadcrumbs.Values, 1)
	assert.IsType(t, "", got.Breadcrumbs.Values[0].Data["ch"], "the channel became a placeholder string")
	schematest.Check(t, b)
}
