package raven_test

import (
	"context"
	"errors"
	"testing"
	"time"

	pkgerrors "github.com/pkg/errors"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// selfJoin is a multi-error that contains itself.
type selfJoin struct{ errs []error }

func (j *selfJoin) Error() string   { return "self join" }
func (j *selfJoin) Unwrap() []error { return j.errs }

func TestCaptureSharedErrorGraphs(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)

	var dag error = errors.New("leaf")
	for range 64 {
		dag = errors.Join(dag, dag) // 2^64 paths, 65 nodes
	}
	loop := &selfJoin{}
	loop.errs = []error{loop, pkgerrors.New("inside the loop"), loop}

	done := make(chan struct{})
	go func() {
		defer close(done)
		c.CaptureException(dag)
		c.CaptureException(loop)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("CaptureException did not return: the graph is walked per path")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))

	raw := srv.RawEvents()
	require.Len(t, raw, 2)
	for _, p := range raw {
		schematest.Check(t, p)
	}
	evs := srv.Events()
	if evs[0].Exception.Values[0].Type != "errors.Join" {
		evs[0], evs[1] = evs[1], evs[0]
	}
	excs := evs[0].Exception.Values
	require.Len(t, excs, raven.DefaultMaxErrorDepth)
	for _, e := range excs {
		assert.Equal(t, "errors.Join", e.Type)
		assert.LessOrEqual(t, len(e.Value), 8192+len("…"), "a join's message is bounded")
	}

	excs = evs[1].Exception.Values
	var types []string
	for _, e := range excs {
		types = append(types, e.Type)
	}
	assert.ElementsMatch(t, []string{"*raven_test.selfJoin", "error"}, types)
	for _, e := range excs {
		if e.Type == "error" {
			require.NotNil(t, e.Stacktrace, "the error's own stack is used")
		}
	}
}
