package ravenlogrus_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/inttest"
	ravenlogrus "github.com/ravenkit/raven/integrations/logrus"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newLogger(buf *bytes.Buffer, opts ...ravenlogrus.Option) *logrus.Logger {
	l := logrus.New()
	l.SetOutput(buf)
	l.SetFormatter(&logrus.JSONFormatter{})
	l.SetLevel(logrus.TraceLevel)
	l.AddHook(ravenlogrus.NewHook(opts...))
	return l
}

func TestBreadcrumbsAndEvents(t *testing.T) {
	srv, c := inttest.NewClient(t)
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

	inttest.Close(t, c)
	assert.Contains(t, buf.String(), "charge failed", "entries are still written")
	withErr, plain := inttest.SplitEvents(t, srv.Events())
	inttest.CheckChargeChain(t, withErr, "TestBreadcrumbsAndEvents")
	assert.Equal(t, "POST", withErr.Tags["method"])
	assert.Equal(t, "billing", withErr.Extra["service"])
	assert.Equal(t, 12.5, withErr.Extra["amount"])
	assert.Equal(t, raven.Filtered, withErr.Extra["password"], "fields are scrubbed")
	assert.NotContains(t, withErr.Extra, "error", "the error is the exception")
	assert.Equal(t, "charge failed", withErr.Extra["log.message"])
	crumbs := withErr.Breadcrumbs.Values
	inttest.CheckChargeCrumbs(t, crumbs)
	assert.Equal(t, float64(1200), crumbs[1].Data["ms"])
	assert.Equal(t, "1.2s", crumbs[1].Data["took"])
	require.NotNil(t, plain.Breadcrumbs, "the scope's breadcrumbs, not the first event's fields")
	assert.Len(t, plain.Breadcrumbs.Values, 2)
	inttest.CheckPlainAndScopes(t, srv, c, ctx, plain, "method")
}

func TestNoContextUsesRootScope(t *testing.T) {
	srv, c := inttest.NewClient(t)
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
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, "failed", evs[0].Message.Formatted)
	require.NotNil(t, evs[0].Breadcrumbs)
	assert.Equal(t, "started", evs[0].Breadcrumbs.Values[0].Message)
	inttest.CheckSchema(t, srv)
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
	srv, c := inttest.NewClient(t)
	var buf bytes.Buffer
	logger := newLogger(&buf, ravenlogrus.WithClient(c), ravenlogrus.WithEventLevel(logrus.WarnLevel),
		ravenlogrus.WithBreadcrumbLevel(logrus.DebugLevel))
	logger.Trace("not even a breadcrumb")
	logger.Debug("a breadcrumb")
	logger.Warn("an event")
	inttest.CheckWarnAfterDebug(t, srv, c)
}

func TestFatalFlushesBeforeExit(t *testing.T) {
	srv, c := inttest.NewClient(t)
	defer inttest.Close(t, c)
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
	inttest.CheckSchema(t, srv)
}

// TestConcurrentScopes logs from many goroutines at once, each with its own
// scope: no event sees another goroutine's breadcrumbs or tags.
func TestConcurrentScopes(t *testing.T) {
	srv, c := inttest.NewClient(t)
	var buf inttest.SyncBuffer
	logger := logrus.New()
	logger.SetOutput(&buf)
	logger.SetFormatter(&logrus.JSONFormatter{})
	logger.AddHook(ravenlogrus.NewHook(ravenlogrus.WithClient(c), ravenlogrus.WithTagKeys("worker")))
	const n = 64
	inttest.Workers(c, n, func(ctx context.Context, i int) {
		log := logger.WithContext(ctx).WithField("worker", strconv.Itoa(i))
		for j := range inttest.Steps {
			log.WithField("step", j).Info("step " + strconv.Itoa(i))
		}
		log.WithError(fmt.Errorf("worker %d failed", i)).Error("failed")
	})
	inttest.Close(t, c)
	inttest.CheckWorkers(t, c, srv.Events(), n, nil)
	inttest.CheckSchema(t, srv)
}
