package ravenzerolog_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/inttest"
	ravenzerolog "github.com/ravenkit/raven/integrations/zerolog"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newLogger(out *inttest.SyncBuffer, opts ...ravenzerolog.Option) zerolog.Logger {
	w := ravenzerolog.NewWriter(out, opts...)
	return zerolog.New(w).Hook(w).Level(zerolog.TraceLevel)
}

func TestBreadcrumbsAndEvents(t *testing.T) {
	srv, c := inttest.NewClient(t)
	var buf inttest.SyncBuffer
	logger := newLogger(&buf, ravenzerolog.WithClient(c), ravenzerolog.WithTagKeys("method")).
		With().Timestamp().Str("service", "billing").Logger()
	ctx := c.WithScope(context.Background())

	logger.Debug().Ctx(ctx).Msg("too quiet for a breadcrumb")
	logger.Info().Ctx(ctx).Str("item", "user:7").Dict("ship_to", zerolog.Dict().Str("city", "Springfield")).Msg("cache miss")
	logger.Warn().Ctx(ctx).Int("ms", 1200).Dur("took", 1200*time.Millisecond).Msg("slow upstream")
	_, statErr := os.Stat("/nope/config.yaml")
	logger.Error().Ctx(ctx).EmbedObject(ravenzerolog.Err(errors.Wrap(fmt.Errorf("card: %w", statErr), "charge"))).
		Str("method", "POST").Float64("amount", 12.5).Str("password", "hunter2").Msg("charge failed")
	logger.Error().Ctx(ctx).Int("count", 3).Msg("no error value")

	inttest.Close(t, c)
	out := buf.String()
	assert.Contains(t, out, `"error":"charge: card: stat /nope/config.yaml: no such file or directory"`, "Err writes what Event.Err writes")
	assert.NotContains(t, out, "_raven", "the hook's field is removed from the line")
	for line := range strings.Lines(out) {
		assert.True(t, strings.HasPrefix(line, `{"level":"`) && strings.HasSuffix(line, "}\n"), line)
	}
	withErr, plain := inttest.SplitEvents(t, srv.Events())
	inttest.CheckChargeChain(t, withErr, "TestBreadcrumbsAndEvents")
	assert.Equal(t, "POST", withErr.Tags["method"])
	assert.Equal(t, "billing", withErr.Extra["service"])
	assert.Equal(t, 12.5, withErr.Extra["amount"])
	assert.Equal(t, raven.Filtered, withErr.Extra["password"], "fields are scrubbed")
	assert.NotContains(t, withErr.Extra, "error", "the error is the exception")
	assert.NotContains(t, withErr.Extra, "time")
	assert.NotContains(t, withErr.Extra, "level")
	assert.Equal(t, "charge failed", withErr.Extra["log.message"])
	crumbs := withErr.Breadcrumbs.Values
	inttest.CheckChargeCrumbs(t, crumbs)
	assert.Equal(t, map[string]any{"city": "Springfield"}, crumbs[0].Data["ship_to"])
	assert.Equal(t, float64(1200), crumbs[1].Data["ms"])
	inttest.CheckPlainAndScopes(t, srv, c, ctx, plain, "method")
}

// TestErrFieldText: Event.Err gives the Writer the error's text only.
func TestErrFieldText(t *testing.T) {
	srv, c := inttest.NewClient(t)
	var buf inttest.SyncBuffer
	logger := newLogger(&buf, ravenzerolog.WithClient(c))
	logger.Error().Err(errors.New("card declined")).Msg("payment failed")
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	exc := evs[0].Exception.Values
	require.Len(t, exc, 1)
	assert.Equal(t, "card declined", exc[0].Value)
	assert.Equal(t, "*ravenzerolog.loggedError", exc[0].Type)
	require.NotNil(t, exc[0].Stacktrace, "the logging call's stack")
	frames := exc[0].Stacktrace.Frames
	var fns []string
	for _, f := range frames {
		fns = append(fns, f.Function)
	}
	assert.Contains(t, fns, "TestErrFieldText")
	assert.Equal(t, "payment failed", evs[0].Extra["log.message"])
	inttest.CheckSchema(t, srv)
}

// TestSameOutput: the lines a logger writes are the same with raven's
// Writer and hook as without.
func TestSameOutput(t *testing.T) {
	c, err := raven.New() // disabled: nothing is sent
	require.NoError(t, err)
	defer func() { _ = c.Close(context.Background()) }()
	ctx := c.WithScope(context.Background())
	var plain, withRaven inttest.SyncBuffer
	loggers := []zerolog.Logger{zerolog.New(&plain), newLogger(&withRaven, ravenzerolog.WithClient(c))}
	for _, l := range loggers {
		l = l.With().Str("svc", "a").Logger()
		l.Debug().Ctx(ctx).Msg("debug")
		l.Info().Ctx(ctx).Str("k", "v").Msg("info")
		l.Info().Ctx(ctx).Msg("")
		l.Warn().Ctx(ctx).Str(`"_raven":1`, `"_raven":2,`).Msg(`"_raven":3}`)
		l.Error().Ctx(ctx).EmbedObject(ravenzerolog.Err(errors.New("e"))).Send()
		l.Log().Ctx(ctx).Msg("no level")
		l.Error().Str("no", "context").Msg("root")
	}
	assert.Equal(t, plain.String(), withRaven.String())
	require.Len(t, raven.ScopeFromContext(ctx).Breadcrumbs(), 3, "info, info and warn")
}

func TestWithoutHookUsesRootScope(t *testing.T) {
	srv, c := inttest.NewClient(t)
	var buf inttest.SyncBuffer
	logger := zerolog.New(ravenzerolog.NewWriter(&buf, ravenzerolog.WithClient(c))) // no hook
	ctx := c.WithScope(context.Background())
	logger.Info().Ctx(ctx).Msg("started")
	assert.Empty(t, raven.ScopeFromContext(ctx).Breadcrumbs())
	require.Len(t, c.Scope().Breadcrumbs(), 1)
	logger.Error().Msg("failed")
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, "failed", evs[0].Message.Formatted)
	assert.Equal(t, "started", evs[0].Breadcrumbs.Values[0].Message)
	inttest.CheckSchema(t, srv)
}

// TestContextLogger: a logger stored with its context, as a request
// middleware does, records on that context's scope through zerolog.Ctx.
func TestContextLogger(t *testing.T) {
	srv, c := inttest.NewClient(t)
	var buf inttest.SyncBuffer
	base := newLogger(&buf, ravenzerolog.WithClient(c))
	ctx := c.WithScope(context.Background())
	ctx = base.With().Ctx(ctx).Str("request_id", "r1").Logger().WithContext(ctx)

	zerolog.Ctx(ctx).Info().Msg("in handler")
	zerolog.Ctx(ctx).Error().Msg("handler failed")
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, "r1", evs[0].Extra["request_id"])
	require.NotNil(t, evs[0].Breadcrumbs)
	assert.Equal(t, "in handler", evs[0].Breadcrumbs.Values[0].Message)
	assert.Empty(t, c.Scope().Breadcrumbs())
	inttest.CheckSchema(t, srv)
}

func TestLevels(t *testing.T) {
	srv, c := inttest.NewClient(t)
	var buf inttest.SyncBuffer
	logger := newLogger(&buf, ravenzerolog.WithClient(c), ravenzerolog.WithEventLevel(zerolog.WarnLevel),
		ravenzerolog.WithBreadcrumbLevel(zerolog.DebugLevel))
	logger.Trace().Msg("not even a breadcrumb")
	logger.Debug().Msg("a breadcrumb")
	logger.Log().Msg("no level: not reported")
	logger.Warn().Msg("an event")
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, raven.LevelWarning, evs[0].Level)
	require.Len(t, evs[0].Breadcrumbs.Values, 1)
	assert.Equal(t, raven.LevelDebug, evs[0].Breadcrumbs.Values[0].Level)
	assert.Equal(t, 4, strings.Count(buf.String(), "\n"), "every record is written")
	inttest.CheckSchema(t, srv)
}

func TestFatalFlushesAndCloses(t *testing.T) {
	srv, c := inttest.NewClient(t)
	defer inttest.Close(t, c)
	out := &closeBuffer{}
	w := ravenzerolog.NewWriter(out, ravenzerolog.WithClient(c))
	logger := zerolog.New(w).Hook(w)
	exited := false
	zerolog.FatalExitFunc = func() { exited = true }
	defer func() { zerolog.FatalExitFunc = nil }()
	logger.Fatal().EmbedObject(ravenzerolog.Err(errors.New("disk gone"))).Msg("cannot go on")
	require.True(t, exited)
	assert.True(t, out.closed, "zerolog closes the writer, which closes the one it wraps")
	evs := srv.Events()
	require.Len(t, evs, 1, "delivered before exit")
	assert.Equal(t, raven.LevelFatal, evs[0].Level)
	inttest.CheckSchema(t, srv)
}

// TestConcurrentScopes logs from many goroutines at once, each with its own
// scope: no event sees another goroutine's breadcrumbs or tags.
func TestConcurrentScopes(t *testing.T) {
	srv, c := inttest.NewClient(t)
	var buf inttest.SyncBuffer
	logger := newLogger(&buf, ravenzerolog.WithClient(c), ravenzerolog.WithTagKeys("worker"))
	const n = 64
	inttest.Workers(c, n, func(ctx context.Context, i int) {
		log := logger.With().Ctx(ctx).Str("worker", strconv.Itoa(i)).Logger()
		for j := range inttest.Steps {
			log.Info().Int("step", j).Msg("step " + strconv.Itoa(i))
		}
		log.Error().EmbedObject(ravenzerolog.Err(fmt.Errorf("worker %d failed", i))).Msg("failed")
	})
	inttest.Close(t, c)
	assert.NotContains(t, buf.String(), "_raven")
	inttest.CheckWorkers(t, c, srv.Events(), n, func(ev *raven.Event) {
		assert.Equal(t, "error", ev.Exception.Values[0].Type, "the error value, not its text")
	})
	inttest.CheckSchema(t, srv)
}

type closeBuffer struct {
	inttest.SyncBuffer
	closed bool
}

func (b *closeBuffer) Close() error {
	b.closed = true
	return nil
}
