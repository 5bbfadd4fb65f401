package raven_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
)

func TestSmokeEndToEnd(t *testing.T) {
	srv := raventest.NewServer(t)
	dsn := srv.DSN()
	c, err := raven.New(raven.WithDSN(dsn), raven.WithAttachStacktrace(true))
	if err != nil {
		t.Fatal(err)
	}
	ctx := raven.ContextWithScope(context.Background(), c.Scope())
	ctx = raven.WithScope(ctx)
	s := raven.ScopeFromContext(ctx)
	s.SetTag("k", "v")
	s.SetUser(&raven.User{ID: "u1"})
	s.AddBreadcrumb(raven.Breadcrumb{Message: "hello"})
	c.CaptureExceptionContext(ctx, fmt.Errorf("outer: %w", errors.Wrap(errors.New("root"), "mid")))
	c.CaptureMessageContext(ctx, "a message")
	func() {
		defer c.RecoverContext(ctx)
		var m map[string]int
		m["x"] = 1 //lint:ignore SA5000 the panic under test
	}()
	fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Close(fctx); err != nil {
		t.Fatal(err)
	}
	payloads := srv.RawEvents()
	if len(payloads) != 3 {
		t.Fatalf("got %d events, stats %+v", len(payloads), c.Stats())
	}
	for _, p := range payloads {
		schematest.Check(t, p)
		var pretty map[string]any
		_ = json.Unmarshal(p, &pretty)
		delete(pretty, "modules")
		out, _ := json.MarshalIndent(pretty, "", " ")
		t.Logf("%s", out)
	}
}
