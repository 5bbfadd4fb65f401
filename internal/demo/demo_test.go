package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func noEnv(string) string { return "" }

func TestStartPrefersSentryDSN(t *testing.T) {
	target, err := Start(func(k string) string {
		if k == raven.EnvDSN {
			return "https://key@example.com/1"
		}
		return ""
	})
	require.NoError(t, err)
	defer target.Close()
	assert.Nil(t, target.Receiver)
	assert.Equal(t, "https://key@example.com/1", target.DSN)

	var out bytes.Buffer
	require.NoError(t, target.Finish(context.Background(), &out, func(context.Context) error { return nil }, nil))
	assert.Equal(t, "events sent to SENTRY_DSN\n", out.String())
}

func TestFinishPrintsWhatTheReceiverGot(t *testing.T) {
	target, err := Start(noEnv)
	require.NoError(t, err)
	defer target.Close()
	require.NotNil(t, target.Receiver)
	client, err := raven.New(raven.WithDSN(target.DSN))
	require.NoError(t, err)
	client.CaptureException(fmt.Errorf("order 7: %w", errors.New("out of stock")))
	client.CaptureMessage("done")

	var out bytes.Buffer
	require.NoError(t, target.Finish(context.Background(), &out, client.Close, Value))
	assert.Equal(t, "the receiver got 2 events:\n  done\n  order 7: out of stock\n", out.String(), "sorted, indented")
}

func TestFinishReturnsTheCloseError(t *testing.T) {
	target, err := Start(noEnv)
	require.NoError(t, err)
	defer target.Close()
	errClose := errors.New("close failed")
	var out bytes.Buffer
	err = target.Finish(context.Background(), &out, func(ctx context.Context) error {
		_, ok := ctx.Deadline()
		assert.True(t, ok, "closing is bounded")
		return errClose
	}, Value)
	assert.ErrorIs(t, err, errClose)
	assert.Empty(t, out.String())
}

func TestOrdersPrintsEachAnswer(t *testing.T) {
	var users []string
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		users = append(users, r.Method+" "+r.Header.Get("X-User"))
		if r.URL.Path == "/orders/gone" {
			http.Error(w, "gone", http.StatusConflict)
		}
	}))
	defer web.Close()
	var out bytes.Buffer
	require.NoError(t, Orders(context.Background(), &out, nil, web.URL, "/orders/", "book", "gone"))
	assert.Equal(t, "POST /orders/book -> 200\nPOST /orders/gone -> 409\n", out.String())
	assert.Equal(t, []string{"POST user-book", "POST user-gone"}, users)

	web.Close()
	assert.Error(t, Orders(context.Background(), &out, web.Client(), web.URL, "/orders/", "book"), "no server")
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	assert.Error(t, Orders(ctx, &out, nil, "http://127.0.0.1:1", "/", "x"))
	assert.Error(t, Orders(context.Background(), &out, nil, "::bad", "/", "x"), "a bad URL")
}

func TestServeStopsItsServer(t *testing.T) {
	var out bytes.Buffer
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	require.NoError(t, Serve(context.Background(), &out, h, "/orders/", "pen"))
	assert.Equal(t, "POST /orders/pen -> 202\n", out.String())
}

func TestEventDescriptions(t *testing.T) {
	srv := raventest.NewServer(t)
	client, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	ctx := client.WithScope(context.Background())
	scope := raven.ScopeFromContext(ctx)
	scope.SetUser(&raven.User{ID: "user-gone"})
	scope.SetTag("sku", "gone")
	raven.AddBreadcrumb(ctx, raven.Breadcrumb{Message: "checking stock", Level: raven.LevelInfo})
	client.CaptureExceptionContext(ctx, fmt.Errorf("order gone: %w", errors.New("out of stock")))
	require.NoError(t, client.Close(context.Background()))
	evs := srv.Events()
	require.Len(t, evs, 1)

	typ, value := Outer(evs[0])
	assert.Equal(t, "order gone: out of stock", value)
	assert.NotEmpty(t, typ)
	assert.Equal(t, " | "+typ+": order gone: out of stock | user user-gone, sku gone", OrderEvent(evs[0]))
	assert.Contains(t, LogEvent(evs[0]), `event "order gone: out of stock" (error), tag sku=gone`)
	assert.Contains(t, LogEvent(evs[0]), "\n    breadcrumb info: checking stock")

	typ, value = Outer(&raven.Event{})
	assert.Empty(t, typ)
	assert.Empty(t, value)
}
