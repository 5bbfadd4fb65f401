package ravenerrgroup_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	ravenerrgroup "github.com/ravenkit/raven/integrations/errgroup"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPanicReportedAndReturned(t *testing.T) {
	tr := raventest.NewTransport()
	c, err := raven.New(raven.WithDSN("https://k@example.com/1"), raven.WithTransport(tr))
	require.NoError(t, err)
	parent := c.WithScope(context.Background())
	g, ctx := ravenerrgroup.WithContext(parent)
	raven.ScopeFromContext(ctx).SetTag("job", "import")
	g.Go(func() error { panic("worker exploded") })
	g.Go(func() error {
		<-ctx.Done() // cancelled by the panicking sibling
		return nil
	})
	err = g.Wait()
	var pe *ravenerrgroup.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "worker exploded", pe.Value)
	wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	evs, err := tr.WaitForEvents(wctx, 1)
	require.NoError(t, err)
	assert.Equal(t, pe.EventID, evs[0].EventID)
	assert.Equal(t, "import", evs[0].Tags["job"])
	assert.False(t, *evs[0].Exception.Values[0].Mechanism.Handled)
	_, leaked := raven.ScopeFromContext(parent).Tags()["job"]
	assert.False(t, leaked)
	require.NoError(t, c.Close(wctx))
}

func TestCaptureWait(t *testing.T) {
	tr := raventest.NewTransport()
	c, err := raven.New(raven.WithDSN("https://k@example.com/1"), raven.WithTransport(tr))
	require.NoError(t, err)
	g := ravenerrgroup.New(c.WithScope(context.Background()))
	g.SetLimit(1)
	errBoom := errors.New("boom")
	g.Go(func() error { return errBoom })
	assert.ErrorIs(t, g.CaptureWait(), errBoom)
	ok := ravenerrgroup.New(context.Background())
	ok.Go(func() error { return nil })
	assert.NoError(t, ok.CaptureWait())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	evs, err := tr.WaitForEvents(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, "boom", evs[0].Exception.Values[0].Value)
	require.NoError(t, c.Close(ctx))
	assert.Len(t, tr.Events(), 1)
}
