package inttest

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SyncBuffer is a buffer that loggers on many goroutines may write to.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Sync does nothing: everything is written already.
func (b *SyncBuffer) Sync() error { return nil }

// String returns what was written.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// DisabledClient returns a client without a DSN, which records breadcrumbs
// and sends nothing, closed when the test ends, and a context carrying a
// scope of its own: what allocation tests of the logging path use.
func DisabledClient(t testing.TB) (*raven.Client, context.Context) {
	t.Helper()
	c, err := raven.New()
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c, c.WithScope(context.Background())
}

// SplitEvents returns, of the two events evs must be, the one with an
// exception and the one without.
func SplitEvents(t testing.TB, evs []*raven.Event) (withErr, plain *raven.Event) {
	t.Helper()
	require.Len(t, evs, 2)
	for _, ev := range evs {
		if ev.Exception != nil {
			withErr = ev
		} else {
			plain = ev
		}
	}
	require.NotNil(t, withErr)
	require.NotNil(t, plain)
	return withErr, plain
}

// CheckChargeChain checks that ev, an error-level event, reports the
// chain errors.Wrap(fmt.Errorf("card: %w", <os.Stat error>), "charge")
// built in test, with the stack pkg/errors recorded there.
func CheckChargeChain(t testing.TB, ev *raven.Event, test string) {
	t.Helper()
	var types []string
	for _, e := range ev.Exception.Values {
		types = append(types, e.Type)
	}
	assert.Equal(t, []string{"syscall.Errno", "*fs.PathError", "*fs.PathError", "*fs.PathError"}, types)
	outer := ev.Exception.Values[len(ev.Exception.Values)-1]
	require.NotNil(t, outer.Stacktrace, "pkg/errors' stack")
	assert.Equal(t, test, outer.Stacktrace.Frames[len(outer.Stacktrace.Frames)-1].Function)
	assert.Equal(t, raven.LevelError, ev.Level)
}

// Steps is how many breadcrumbs each worker of Workers logs.
const Steps = 3

// Workers runs work(ctx, i) for i from 0 to n-1 at once, each ctx
// carrying a scope of c's own with the tag owner=i. Each worker is to log
// Steps records "step <i>" below the event level and one error
// "worker <i> failed", with the field worker=i.
func Workers(c *raven.Client, n int, work func(ctx context.Context, i int)) {
	Concurrently(n, func(i int) {
		ctx := c.WithScope(context.Background())
		raven.ScopeFromContext(ctx).SetTag("owner", strconv.Itoa(i))
		work(ctx, i)
	})
}

// CheckWorkers checks that evs are the n events of Workers, each with its
// own worker's tag, error and breadcrumbs only, that nothing reached the
// root scope of c, and each event against the schema; each checks more of
// every event.
func CheckWorkers(t testing.TB, c *raven.Client, evs []*raven.Event, n int, each func(ev *raven.Event)) {
	t.Helper()
	require.Len(t, evs, n)
	for _, ev := range evs {
		owner := ev.Tags["owner"]
		assert.Equal(t, owner, ev.Tags["worker"])
		assert.Equal(t, "worker "+owner+" failed", ev.Exception.Values[0].Value)
		require.NotNil(t, ev.Breadcrumbs)
		require.Len(t, ev.Breadcrumbs.Values, Steps)
		for _, b := range ev.Breadcrumbs.Values {
			assert.Equal(t, "step "+owner, b.Message)
		}
		if each != nil {
			each(ev)
		}
	}
	assert.Empty(t, c.Scope().Breadcrumbs())
}

// CheckChargeCrumbs checks the breadcrumbs of the error event of a
// logger's TestBreadcrumbsAndEvents: an info "cache miss" with item
// "user:7", then a warning (the debug record left none).
func CheckChargeCrumbs(t testing.TB, crumbs []raven.Breadcrumb) {
	t.Helper()
	require.Len(t, crumbs, 2, "info and warn records, not debug")
	assert.Equal(t, "cache miss", crumbs[0].Message)
	assert.Equal(t, "log", crumbs[0].Category)
	assert.Equal(t, raven.LevelInfo, crumbs[0].Level)
	assert.Equal(t, "user:7", crumbs[0].Data["item"])
	assert.Equal(t, raven.LevelWarning, crumbs[1].Level)
}

// CheckPlainAndScopes checks the end of a logger's
// TestBreadcrumbsAndEvents: the event of the record "no error value"
// with the field count=3, every event against the schema, the breadcrumbs
// on ctx's scope rather than the root scope of c, and the tag tagKey of an
// event not left on ctx's scope.
func CheckPlainAndScopes(t testing.TB, srv *raventest.Server, c *raven.Client, ctx context.Context, plain *raven.Event, tagKey string) {
	t.Helper()
	assert.Equal(t, "no error value", plain.Message.Formatted)
	assert.Equal(t, raven.LevelError, plain.Level)
	assert.Equal(t, float64(3), plain.Extra["count"])
	CheckSchema(t, srv)
	assert.Empty(t, c.Scope().Breadcrumbs(), "breadcrumbs went to the context's scope")
	_, has := raven.ScopeFromContext(ctx).Tags()[tagKey]
	assert.False(t, has, "event fields do not stick to the context's scope")
}

// CheckWarnAfterDebug closes c and checks the one event srv received: a
// warning whose one breadcrumb is at debug level, as a logger configured
// with the event level warn and the breadcrumb level debug reports a
// debug then a warn record.
func CheckWarnAfterDebug(t testing.TB, srv *raventest.Server, c *raven.Client) {
	t.Helper()
	Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, raven.LevelWarning, evs[0].Level)
	require.Len(t, evs[0].Breadcrumbs.Values, 1)
	assert.Equal(t, raven.LevelDebug, evs[0].Breadcrumbs.Values[0].Level)
	CheckSchema(t, srv)
}
