package raven_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// budgetCase is one oversized event of TestTrimBudget: offend makes the
// next capture oversized, path is where the offender lands in the event.
type budgetCase struct {
	name    string
	offend  func(c *raven.Client)
	capture func(c *raven.Client, offending bool)
	path    []string
}

// chunks2MiB is 2 MiB of text in 8 KiB strings, the longest a user value
// keeps.
func chunks2MiB() []string {
	out := make([]string, 256)
	for i := range out {
		out[i] = fmt.Sprintf("%03d ", i) + strings.Repeat("r", 8188)
	}
	return out
}

var errCheckout = errors.New("checkout failed")

// recurseAndCapture captures errCheckout depth calls deep.
func recurseAndCapture(c *raven.Client, depth int) {
	if depth > 0 {
		recurseAndCapture(c, depth-1)
		return
	}
	c.CaptureException(errCheckout)
}

func captureError(c *raven.Client, _ bool) { c.CaptureException(errCheckout) }

func budgetCases() []budgetCase {
	return []budgetCase{
		{"2 MiB extra", func(c *raven.Client) { c.Scope().SetExtra("payload", chunks2MiB()) }, captureError, []string{"extra", "payload"}},
		{"2 MiB context", func(c *raven.Client) { c.Scope().SetContext("payload", map[string]any{"rows": chunks2MiB()}) }, captureError, []string{"contexts", "payload"}},
		{"2 MiB message", func(*raven.Client) {}, func(c *raven.Client, offending bool) {
			msg := "short message"
			if offending {
				msg = strings.Repeat("m", 2<<20)
			}
			c.CaptureEvent(context.Background(), &raven.Event{Message: &raven.LogEntry{Formatted: msg}})
		}, []string{"logentry"}},
		// a real stack: 10,000 calls of a recursive function
		{"10,000 frames", func(*raven.Client) {}, func(c *raven.Client, offending bool) {
			depth := 3
			if offending {
				depth = 10_000
			}
			recurseAndCapture(c, depth)
		}, []string{"exception", "values"}},
	}
}

// TestTrimBudget sends events of 2 MiB and more through a real client: each
// arrives within MaxEventBytes, valid, having lost only what made it large.
// With RAVEN_EVENTS_OUT set it writes its table to trim.md there
// (scripts/events.sh).
func TestTrimBudget(t *testing.T) {
	var rows []string
	for _, tc := range budgetCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv := raventest.NewServer(t)
			c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithRelease("shop@1.2.3"), raven.WithMaxFrames(20_000))
			require.NoError(t, err)
			s := c.Scope()
			for i := range 20 {
				s.AddBreadcrumb(raven.Breadcrumb{Category: "step", Message: fmt.Sprintf("step %d", i), Data: map[string]any{"i": i}})
			}
			s.SetTag("region", "eu")
			s.SetUser(&raven.User{ID: "42", Email: "a@example.com"})
			s.SetExtra("order_id", "A-1")
			s.SetContext("order", map[string]any{"id": "A-1", "total": 42})

			for _, offending := range []bool{false, true} {
				if offending {
					tc.offend(c)
				}
				tc.capture(c, offending)
			}
			closeClient(t, c)
			raws := srv.RawEvents()
			require.Len(t, raws, 2, "delivered, not rejected: %v", c.Stats().Dropped)
			for _, raw := range raws {
				schematest.Check(t, raw)
			}
			raw := raws[1]
			assert.LessOrEqual(t, len(raw), raven.MaxEventBytes)
			assert.Greater(t, len(raw), raven.MaxEventBytes*9/10, "no more is cut than needed")

			base, got := decodeJSON(t, raws[0]), decodeJSON(t, raws[1])
			cut := describeCut(t, tc, base, got)
			for _, ev := range []map[string]any{base, got} {
				delete(ev, "event_id")
				delete(ev, "timestamp")
				removePath(ev, tc.path)
			}
			assert.Equal(t, base, got, "only the offender changed")
			assert.NotEmpty(t, got["modules"])
			assert.Len(t, got["breadcrumbs"].(map[string]any)["values"], 20)
			rows = append(rows, fmt.Sprintf("| %s | %s | %s |", tc.name, count(len(raw)), cut))
		})
	}
	writeEventsSection(t, "trim.md", "## Size budget\n\n"+
		"Each event is captured through a real client with 20 breadcrumbs, a tag, a user, an extra, a context, "+
		"the modules and the default contexts, then made oversized in one place (`go test -run TestTrimBudget .`). "+
		"Every other field arrives as it does in the same event without the offender.\n\n"+
		"| case | encoded size | what was cut |\n|---|---:|---|\n"+strings.Join(rows, "\n")+"\n")
}

// describeCut checks how the offender was cut and says it in words.
func describeCut(t *testing.T, tc budgetCase, base, got map[string]any) string {
	t.Helper()
	if tc.path[0] == "exception" {
		exc := func(ev map[string]any) map[string]any {
			return ev["exception"].(map[string]any)["values"].([]any)[0].(map[string]any)
		}
		frames := func(ev map[string]any) []any {
			return exc(ev)["stacktrace"].(map[string]any)["frames"].([]any)
		}
		b, g := frames(base), frames(got)
		delete(exc(base), "stacktrace")
		delete(exc(got), "stacktrace")
		assert.Equal(t, exc(base), exc(got), "the exception stays but for its stack")
		require.Greater(t, len(g), 1000)
		require.Less(t, len(g), 10_000)
		last := g[len(g)-1].(map[string]any)
		assert.Equal(t, b[len(b)-1], last, "the innermost frame stays, context lines and all")
		assert.NotEmpty(t, last["context_line"])
		assert.Equal(t, b[0], g[0], "the outermost frame stays")
		return fmt.Sprintf("the middle frames of the stack: %s of the 10,000+ kept, with their context lines", count(len(g)))
	}
	markers := map[string]int{}
	total := collectMarkers(got, "", markers)
	require.NotEmpty(t, markers, "the offender carries markers")
	var where []string
	for p := range markers {
		assert.True(t, strings.HasPrefix(p, strings.Join(tc.path, ".")), "cut outside the offender: %s", p)
		where = append(where, p)
	}
	sort.Strings(where)
	what := fmt.Sprintf("%s bytes from the end of `%s`", count(total), strings.Join(tc.path, "."))
	if len(where) > 1 {
		what = fmt.Sprintf("%s bytes from the ends of the %d strings of `%s`, about %s each", count(total), len(where), strings.Join(tc.path, "."), count(total/len(where)))
	}
	if n := strings.Count(fmt.Sprint(got), "[size limit]"); n > 0 {
		what += fmt.Sprintf(" (the walk over user values had already kept the first 1 MiB of the value: %d strings, the other %d became `[size limit]`)", len(where), n)
	}
	return what
}

var cutRE = regexp.MustCompile(`\[([0-9,]+) bytes cut\]$`)

// collectMarkers finds the strings of v that end with a cut marker, by
// path, and returns the bytes they say were cut.
func collectMarkers(v any, path string, out map[string]int) int {
	total := 0
	switch x := v.(type) {
	case string:
		if m := cutRE.FindStringSubmatch(x); m != nil {
			n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
			out[path] = n
			total = n
		}
	case map[string]any:
		for k, e := range x {
			total += collectMarkers(e, strings.TrimPrefix(path+"."+k, "."), out)
		}
	case []any:
		for i, e := range x {
			total += collectMarkers(e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
	return total
}

func decodeJSON(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// removePath deletes the member at path.
func removePath(m map[string]any, path []string) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, path[len(path)-1])
}

// count writes n with thousands separators.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// writeEventsSection writes a section of docs/EVENTS.md into
// $RAVEN_EVENTS_OUT/name when the variable is set (scripts/events.sh).
func writeEventsSection(t *testing.T, name, section string) {
	t.Helper()
	dir := os.Getenv("RAVEN_EVENTS_OUT")
	if dir == "" || t.Failed() {
		return
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(section), 0o644))
}
