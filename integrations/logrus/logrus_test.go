package ravenlogrus_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/ravenkit/raven"
	ravenlogrus "github.com/ravenkit/raven/integrations/logrus"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newClient(t *testing.T) (*raventest.Server, *raven.Client) {
	t.Helper()
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	return srv, c
}

func closeClient(t *testing.T, c *raven.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
}

func newLogger(buf *bytes.Buffer, opts ...ravenlogrus.Option) *logrus.Logger {
	l := logrus.New()
	l.SetOutput(buf)
	l.SetFormatter(&logrus.JSONFormatter{})
	l.SetLevel(logrus.TraceLevel)
	l.AddHook(ravenlogrus.NewHook(opts...))
	return l
}

func checkSchema(t *testing.T, srv *raventest.Server) {
	t.Helper()
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
}

func TestBreadcrumbsAndEvents(t *testing.T) {
	srv, c := newClient(t)
	var buf bytes.Buffer
	logger := newLogger(&buf, ravenlogrus.WithClient(c), ravenlogrus.WithTagKeys("method"))
	ctx := c.WithScope(context.Background())
	log := logger.WithContext(ctx)

	log.Debug("too quiet for a breadcrumb")
	log.WithField("item", "user:7").Info("cache miss")
	log.WithFields(logrus.Fields{"ms": 1200, "took": 1200 * time.Millisecond}).Warn("slow upstream")
	_, statErr := os.Stat("/nope/config.yaml")
	log.WithError(errors.Wrap(fmt.Errorf("card: %w", statErr), "charge")).
		WithFields(logrus.Fields{"method": "POST", "amount": 12.5, "service": "billing", "password": "hunter2"}).
		Error("charge failed")
	log.WithField("count", 3).Error("no error value")

	closeClient(t, c)
	assert.Contains(t, buf.String(), "charge failed", "entries are still written")
	evs := srv.Events()
	require.Len(t, evs, 2)
	var withErr, plain *raven.Event
	for _, ev := range evs {
		if ev.Exception != nil {
			withErr = ev
		} else {
			plain = ev
		}
	}
	require.NotNil(t, withErr)
	require.NotNil(t, plain)
	var types []string
	for _, e := range withErr.Exception.Values {
		types = append(types, e.Type)
	}
	assert.Equal(t, []string{"syscall.Errno", "*fs.PathError", "*fs.PathError", "*fs.PathError"}, types)
	outer := withErr.Exception.Values[len(withErr.Exception.Values)-1]
	require.NotNil(t, outer.Stacktrace, "pkg/errors' stack")
	assert.Equal(t, "TestBreadcrumbsAndEvents", outer.Stacktrace.Frames[len(outer.Stacktrace.Frames)-1].Function)
	assert.Equal(t, raven.LevelError, withErr.Level)
	assert.Equal(t, "POST", withErr.Tags["method"])
	assert.Equal(t, "billing", withErr.Extra["service"])
	assert.Equal(t, 12.5, withErr.Extra["amount"])
	assert.Equal(t, raven.Filtered, withErr.Extra["password"], "fields are scrubbed")
	assert.NotContains(t, withErr.Extra, "error", "the error is the exception")
	assert.Equal(t, "charge failed", withErr.Extra["log.message"])
	crumbs := withErr.Breadcrumbs.Values
	require.Len(t, crumbs, 2, "info and warn entries, not debug")
	assert.Equal(t, "cache miss", crumbs[0].Message)
	assert.Equal(t, "log", crumbs[0].Category)
	assert.Equal(t, raven.LevelInfo, crumbs[0].Level)
	assert.Equal(t, "user:7", crumbs[0].Data["item"])
	assert.Equal(t, raven.LevelWarning, crumbs[1].Level)
	assert.Equal(t, float64(1200), crumbs[1].Data["ms"])
	assert.Equal(t, "1.2s", crumbs[1].Data["took"])
	assert.Equal(t, "no error value", plain.Message.Formatted)
	assert.Equal(t, raven.LevelError, plain.Level)
	assert.Equal(t, float64(3), plain.Extra["count"])
	require.NotNil(t, plain.Breadcrumbs, "the scope's breadcrumbs, not the first event's fields")
	assert.Len(t, plain.Breadcrumbs.Values, 2)
	checkSchema(t, srv)
	assert.Empty(t, c.Scope().Breadcrumbs(), "breadcrumbs went to the context's scope")
	_, has := raven.ScopeFromContext(ctx).Tags()["method"]
	assert.False(t, has, "event fields do not stick to the context's scope")
}

func TestNoContextUsesRootScope(t *testing.T) {
	srv, c := newClient(t)
	var buf bytes.Buffer
	logger := newLogger(&buf, ravenlogrus.WithClient(c))
	logger.Info("started")
	// a context whose scope belongs to another client is not used
	other, err := raven.New()
	require.NoError(t, err)
	defer func() { _ = other.Close(context.Background()) }()
	logger.WithContext(other.WithScope(context.Background())).Warn("from elsewhere")
	require.Len(t, c.Scope().Breadcrumbs(), 2)
	logger.Error("failed")
	closeClient(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, "failed", evs[0].Message.Formatted)
	require.NotNil(t, evs[0].Breadcrumbs)
	assert.Equal(t, "started", evs[0].Breadcrumbs.Values[0].Message)
	checkSchema(t, srv)
}

func TestLevels(t *testing.T) {
	cases := []struct {
		name string
		opts []ravenlogrus.Option
		want []logrus.Level
	}{
		{"defaults", nil, []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel, logrus.InfoLevel}},
		{"debug breadcrumbs", []ravenlogrus.Option{ravenlogrus.WithBreadcrumbLevel(logrus.DebugLevel)},
			[]logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel, logrus.InfoLevel, logrus.DebugLevel}},
		{"no breadcrumbs", []ravenlogrus.Option{ravenlogrus.WithBreadcrumbLevel(logrus.PanicLevel)},
			[]logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel}},
		{"warn events", []ravenlogrus.Option{ravenlogrus.WithEventLevel(logrus.WarnLevel)},
			[]logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel, logrus.InfoLevel}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ravenlogrus.NewHook(tc.opts...).Levels())
		})
	}
}

func TestEventLevelAndBreadcrumbLevel(t *testing.T) {
	srv, c := newClient(t)
	var buf bytes.Buffer
	logger := newLogger(&buf, ravenlogrus.WithClient(c), ravenlogrus.WithEventLevel(logrus.WarnLevel),
		ravenlogrus.WithBreadcrumbLevel(logrus.DebugLevel))
	logger.Trace("not even a breadcrumb")
	logger.Debug("a breadcrumb")
	logger.Warn("an event")
	closeClient(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, raven.LevelWarning, evs[0].Level)
	require.Len(t, evs[0].Breadcrumbs.Values, 1)
	assert.Equal(t, raven.LevelDebug, evs[0].Breadcrumbs.Values[0].Level)
	checkSchema(t, srv)
}

func TestFatalFlushesBeforeExit(t *testing.T) {
	srv, c := newClient(t)
	defer closeClient(t, c)
	var buf bytes.Buffer
	logger := newLogger(&buf, ravenlogrus.WithClient(c))
	exited := false
	logger.ExitFunc = func(int) {
		exited = true
		assert.Len(t, srv.Events(), 1, "delivered before exit")
	}
	logger.WithError(errors.New("disk gone")).Fatal("cannot go on")
	require.True(t, exited)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, raven.LevelFatal, evs[0].Level)
	checkSchema(t, srv)
}

// TestConcurrentScopes logs from many goroutines at once, each with its own
// scope: no event sees another goroutine's breadcrumbs or tags.
func TestConcurrentScopes(t *testing.T) {
	srv, c := newClient(t)
	var buf syncBuffer
	logger := logrus.New()
	logger.SetOutput(&buf)
	logger.SetFormatter(&logrus.JSONFormatter{})
	logger.AddHook(ravenlogrus.NewHook(ravenlogrus.WithClient(c), ravenlogrus.WithTagKeys("worker")))
	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx := c.WithScope(context.Background())
			raven.ScopeFromContext(ctx).SetTag("owner", strconv.Itoa(i))
			log := logger.WithContext(ctx).WithField("worker", strconv.Itoa(i))
			for j := range 3 {
				log.WithField("step", j).Info("step " + strconv.Itoa(i))
			}
			log.WithError(fmt.Errorf("worker %d failed", i)).Error("failed")
		})
	}
	wg.Wait()
	closeClient(t, c)
	evs := srv.Events()
	require.Len(t, evs, n)
	for _, ev := range evs {
		owner := ev.Tags["owner"]
		assert.Equal(t, owner, ev.Tags["worker"])
		assert.Equal(t, "worker "+owner+" failed", ev.Exception.Values[0].Value)
		require.NotNil(t, ev.Breadcrumbs)
		require.Len(t, ev.Breadcrumbs.Values, 3)
		for _, b := range ev.Breadcrumbs.Values {
			assert.Equal(t, "step "+owner, b.Message)
		}
	}
	checkSchema(t, srv)
	assert.Empty(t, c.Scope().Breadcrumbs())
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
