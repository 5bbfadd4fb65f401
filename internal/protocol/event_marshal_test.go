package protocol_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventMarshalBreadcrumbs checks that breadcrumbs, which Event.MarshalJSON
// appends by hand, decode to the same values as through encoding/json.
func TestEventMarshalBreadcrumbs(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	crumbs := []protocol.Breadcrumb{
		{Timestamp: ts, Type: "http", Category: "request", Message: "GET /a?b=<c>&d", Level: protocol.LevelInfo,
			Data: map[string]any{"status": 200, "url": "/a"}},
		{Timestamp: ts, Message: "bad utf-8: \xff\xfe, quote \" backslash \\ newline \n tab \t nul \x00 line sep \u2028"},
		{Timestamp: ts, Message: "ünïcødé ✓"},
	}
	cases := []struct {
		name string
		list *protocol.BreadcrumbList
		want string // the "breadcrumbs" member as encoding/json writes it, or "" when absent
	}{
		{"none", nil, ""},
		{"nil values", &protocol.BreadcrumbList{}, `{"values":[]}`}, // an array, as the schema wants
		{"empty values", &protocol.BreadcrumbList{Values: []protocol.Breadcrumb{}}, `{"values":[]}`},
		{"three", &protocol.BreadcrumbList{Values: crumbs}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := &protocol.Event{EventID: protocol.NewEventID(), Timestamp: ts, Platform: "go", Level: protocol.LevelError,
				Tags: map[string]string{"k": "v"}, Breadcrumbs: tc.list}
			b, err := ev.MarshalJSON()
			require.NoError(t, err)
			require.True(t, json.Valid(b), "%s", b)
			schematest.Check(t, b)

			var got map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(b, &got))
			assert.Contains(t, got, "timestamp")
			assert.JSONEq(t, `{"k":"v"}`, string(got["tags"]))
			if tc.list == nil {
				assert.NotContains(t, got, "breadcrumbs")
				return
			}
			want := tc.want
			if want == "" {
				ref, err := json.Marshal(tc.list) // through encoding/json and Breadcrumb.MarshalJSON
				require.NoError(t, err)
				want = string(ref)
			}
			assert.JSONEq(t, want, string(got["breadcrumbs"]))
		})
	}
}

func TestEventMarshalBreadcrumbDataError(t *testing.T) {
	ev := &protocol.Event{Breadcrumbs: &protocol.BreadcrumbList{Values: []protocol.Breadcrumb{{Data: map[string]any{"ch": make(chan int)}}}}}
	_, err := ev.MarshalJSON()
	require.Error(t, err, "a value JSON cannot hold is an error, so the sender can sanitize and retry")
}
