package ravenzap_test

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
	ravenzap "github.com/ravenkit/raven/integrations/zap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newLogger writes JSON lines to w at every level and reports through a
// raven core.
func newLogger(w zapcore.WriteSyncer, opts ...ravenzap.Option) *zap.Logger {
	jsonCore := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), w, zapcore.DebugLevel)
	return zap.New(zapcore.NewTee(jsonCore, ravenzap.NewCore(opts...)))
}

type address struct{ street, city string }

func (a address) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("street", a.street)
	enc.AddString("city", a.city)
	return nil
}

func TestBreadcrumbsAndEvents(t *testing.T) {
	srv, c := inttest.NewClient(t)
	var buf inttest.SyncBuffer
	logger := newLogger(&buf, ravenzap.WithClient(c), ravenzap.WithTagKeys("req.method"))
	ctx := c.WithScope(context.Background())

	logger.Debug("too quiet for a breadcrumb", ravenzap.Context(ctx))
	logger.Info("cache miss", ravenzap.Context(ctx), zap.String("item", "user:7"), zap.Object("ship_to", address{"Main St", "Springfield"}))
	l := logger.With(ravenzap.Context(ctx), zap.String("service", "billing"), zap.Namespace("req"))
	l.Warn("slow upstream", zap.String("method", "POST"), zap.Int("ms", 1200), zap.Duration("took", 1200*time.Millisecond))
	_, statErr := os.Stat("/nope/config.yaml")
	l.Error("charge failed", zap.Error(errors.Wrap(fmt.Errorf("card: %w", statErr), "charge")), zap.String("method", "POST"),
		zap.Float64("amount", 12.5), zap.String("password", "hunter2"), zap.NamedError("cause", errors.New("second error")))
	logger.Error("no error value", ravenzap.Context(ctx), zap.Int("count", 3))

	inttest.Close(t, c)
	assert.Contains(t, buf.String(), "charge failed", "entries are still written")
	assert.NotContains(t, buf.String(), "context", "other cores skip the Context field")
	withErr, plain := inttest.SplitEvents(t, srv.Events())
	inttest.CheckChargeChain(t, withErr, "TestBreadcrumbsAndEvents")
	assert.Equal(t, "POST", withErr.Tags["req.method"])
	assert.Equal(t, "billing", withErr.Extra["service"])
	assert.Equal(t, 12.5, withErr.Extra["req.amount"])
	assert.Equal(t, raven.Filtered, withErr.Extra["req.password"], "fields are scrubbed")
	assert.Equal(t, "second error", withErr.Extra["req.cause"], "only one error is the exception")
	assert.NotContains(t, withErr.Extra, "req.error")
	assert.Equal(t, "charge failed", withErr.Extra["log.message"])
	crumbs := withErr.Breadcrumbs.Values
	inttest.CheckChargeCrumbs(t, crumbs)
	assert.Equal(t, map[string]any{"street": "Main St", "city": "Springfield"}, crumbs[0].Data["ship_to"])
	assert.Equal(t, float64(1200), crumbs[1].Data["req.ms"])
	assert.Equal(t, "1.2s", crumbs[1].Data["req.took"])
	assert.Equal(t, "billing", crumbs[1].Data["service"])
	inttest.CheckPlainAndScopes(t, srv, c, ctx, plain, "req.method")
}

func TestNamedErrorIsTheExceptionWithoutZapError(t *testing.T) {
	srv, c := inttest.NewClient(t)
	logger := newLogger(zapcore.AddSync(&bytes.Buffer{}), ravenzap.WithClient(c))
	logger.Error("failed", zap.String("k", "v"), zap.NamedError("cause", errors.New("the cause")))
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, "the cause", evs[0].Exception.Values[0].Value)
	assert.NotContains(t, evs[0].Extra, "cause")
	inttest.CheckSchema(t, srv)
}

func TestNoContextUsesRootScope(t *testing.T) {
	srv, c := inttest.NewClient(t)
	logger := newLogger(zapcore.AddSync(&bytes.Buffer{}), ravenzap.WithClient(c))
	logger.Info("started")
	other, err := raven.New()
	require.NoError(t, err)
	defer func() { _ = other.Close(context.Background()) }()
	logger.Warn("from elsewhere", ravenzap.Context(other.WithScope(context.Background())))
	require.Len(t, c.Scope().Breadcrumbs(), 2, "a scope of another client is not used")
	logger.Error("failed")
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, "failed", evs[0].Message.Formatted)
	assert.Equal(t, "started", evs[0].Breadcrumbs.Values[0].Message)
	inttest.CheckSchema(t, srv)
}

func TestLevels(t *testing.T) {
	cases := []struct {
		name    string
		opts    []ravenzap.Option
		enabled []zapcore.Level
	}{
		{"defaults", nil, []zapcore.Level{zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel, zapcore.DPanicLevel, zapcore.PanicLevel, zapcore.FatalLevel}},
		{"debug breadcrumbs", []ravenzap.Option{ravenzap.WithBreadcrumbLevel(zapcore.DebugLevel)},
			[]zapcore.Level{zapcore.DebugLevel, zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel, zapcore.DPanicLevel, zapcore.PanicLevel, zapcore.FatalLevel}},
		{"no breadcrumbs", []ravenzap.Option{ravenzap.WithBreadcrumbLevel(zapcore.FatalLevel)},
			[]zapcore.Level{zapcore.ErrorLevel, zapcore.DPanicLevel, zapcore.PanicLevel, zapcore.FatalLevel}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			core := ravenzap.NewCore(tc.opts...)
			var got []zapcore.Level
			for l := zapcore.DebugLevel; l <= zapcore.FatalLevel; l++ {
				if core.Enabled(l) {
					got = append(got, l)
				}
				ce := core.Check(zapcore.Entry{Level: l}, nil)
				assert.Equal(t, core.Enabled(l), ce != nil, "Check adds the core only when enabled")
			}
			assert.Equal(t, tc.enabled, got)
			assert.Equal(t, tc.enabled[0], zapcore.LevelOf(core))
		})
	}
}

func TestEventLevelAndBreadcrumbLevel(t *testing.T) {
	srv, c := inttest.NewClient(t)
	logger := newLogger(zapcore.AddSync(&bytes.Buffer{}), ravenzap.WithClient(c), ravenzap.WithEventLevel(zapcore.WarnLevel),
		ravenzap.WithBreadcrumbLevel(zapcore.DebugLevel))
	logger.Debug("a breadcrumb")
	logger.Warn("an event")
	inttest.CheckWarnAfterDebug(t, srv, c)
}

func TestDPanicFlushesAndSyncFlushes(t *testing.T) {
	srv, c := inttest.NewClient(t)
	defer inttest.Close(t, c)
	logger := newLogger(zapcore.AddSync(&bytes.Buffer{}), ravenzap.WithClient(c))
	logger.DPanic("invariant broken", zap.Error(errors.New("negative stock"))) // production: no panic
	evs := srv.Events()
	require.Len(t, evs, 1, "delivered before DPanic returns")
	assert.Equal(t, raven.LevelFatal, evs[0].Level)
	logger.Error("later")
	require.NoError(t, logger.Sync())
	assert.Len(t, srv.Events(), 2, "delivered before Sync returns")
	inttest.CheckSchema(t, srv)
}

// TestConcurrentScopes logs from many goroutines at once, each with its own
// scope: no event sees another goroutine's breadcrumbs or tags.
func TestConcurrentScopes(t *testing.T) {
	srv, c := inttest.NewClient(t)
	var buf inttest.SyncBuffer
	logger := newLogger(&buf, ravenzap.WithClient(c), ravenzap.WithTagKeys("worker"))
	const n = 64
	inttest.Workers(c, n, func(ctx context.Context, i int) {
		log := logger.With(ravenzap.Context(ctx), zap.String("worker", strconv.Itoa(i)))
		for j := range inttest.Steps {
			log.Info("step "+strconv.Itoa(i), zap.Int("step", j))
		}
		log.Error("failed", zap.Error(fmt.Errorf("worker %d failed", i)))
	})
	inttest.Close(t, c)
	inttest.CheckWorkers(t, c, srv.Events(), n, nil)
	inttest.CheckSchema(t, srv)
}
