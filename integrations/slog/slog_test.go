package ravenslog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"testing/slogtest"

	"github.com/pkg/errors"
	"github.com/ravenkit/raven"
	ravenslog "github.com/ravenkit/raven/integrations/slog"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSlogtest checks that wrapping keeps every slog.Handler rule for the
// records the wrapped handler writes.
func TestSlogtest(t *testing.T) {
	tr := raventest.NewTransport()
	c, err := raven.New(raven.WithDSN("https://k@example.com/1"), raven.WithTransport(tr))
	require.NoError(t, err)
	defer func() { _ = c.Close(context.Background()) }()
	var buf bytes.Buffer
	h := ravenslog.NewHandler(slog.NewJSONHandler(&buf, nil), ravenslog.WithClient(c))
	err = slogtest.TestHandler(h, func() []map[string]any {
		var out []map[string]any
		for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			var m map[string]any
			require.NoError(t, json.Unmarshal(line, &m))
			out = append(out, m)
		}
		return out
	})
	require.NoError(t, err)
}

func TestBreadcrumbsAndEvents(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	var buf bytes.Buffer
	logger := slog.New(ravenslog.NewHandler(slog.NewTextHandler(&buf, nil), ravenslog.WithTagKeys("req.method")))
	ctx := c.WithScope(context.Background())

	logger.DebugContext(ctx, "too quiet for a breadcrumb")
	logger.InfoContext(ctx, "cache miss", "item", "user:7")
	l := logger.With("service", "billing").WithGroup("req")
	l.WarnContext(ctx, "slow upstream", "method", "POST", "ms", 1200)
	_, statErr := os.Stat("/nope/config.yaml")
	l.ErrorContext(ctx, "charge failed", "err", errors.Wrap(fmt.Errorf("card: %w", statErr), "charge"), "method", "POST", "amount", 12.5)
	logger.ErrorContext(ctx, "no error value", "count", 3)

	require.NoError(t, c.Close(context.Background()))
	assert.Contains(t, buf.String(), "charge failed", "records still reach the wrapped handler")
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
	// the logged error's whole chain, innermost first
	var types []string
	for _, e := range withErr.Exception.Values {
		types = append(types, e.Type)
	}
	assert.Equal(t, []string{"syscall.Errno", "*fs.PathError", "*fs.PathError", "*fs.PathError"}, types)
	assert.Equal(t, "POST", withErr.Tags["req.method"])
	assert.Equal(t, "billing", withErr.Extra["service"])
	assert.Equal(t, 12.5, withErr.Extra["req.amount"])
	assert.Equal(t, "charge failed", withErr.Extra["log.message"])
	crumbs := withErr.Breadcrumbs.Values
	require.Len(t, crumbs, 2, "info and warn records, not debug")
	assert.Equal(t, "cache miss", crumbs[0].Message)
	assert.Equal(t, "user:7", crumbs[0].Data["item"])
	assert.Equal(t, raven.LevelWarning, crumbs[1].Level)
	assert.Equal(t, float64(1200), crumbs[1].Data["req.ms"])
	assert.Equal(t, "no error value", plain.Message.Formatted)
	assert.Equal(t, raven.LevelError, plain.Level)
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
	assert.Empty(t, c.Scope().Breadcrumbs(), "breadcrumbs went to the context's scope")
	_, has := raven.ScopeFromContext(ctx).Tags()["req.method"]
	assert.False(t, has, "event attributes do not stick to the context's scope")
}
