package ravenslog_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/ravenkit/raven"
	ravenslog "github.com/ravenkit/raven/integrations/slog"
	"github.com/ravenkit/raven/raventest"
)

// ExampleNewHandler wraps a text handler: records still reach it unchanged,
// info records become breadcrumbs on the scope of the record's context, and
// error records become events, an "err" attribute giving the exception.
func ExampleNewHandler() {
	tr := raventest.NewTransport()
	client, err := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))
	if err != nil {
		log.Fatal(err)
	}
	text := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // keep the output below stable
			}
			return a
		},
	})
	logger := slog.New(ravenslog.NewHandler(text, ravenslog.WithTagKeys("order")))

	ctx := client.WithScope(context.Background()) // one scope per request or job
	logger.InfoContext(ctx, "reserving stock", "order", 42)
	logger.ErrorContext(ctx, "charge failed", "order", 42, "err", fmt.Errorf("charge: %w", errors.New("card declined")))
	_ = client.Close(context.Background())

	ev := tr.Events()[0]
	fmt.Println("event:", ev.Level, ev.Tags["order"], ev.Exception.Values[len(ev.Exception.Values)-1].Value)
	fmt.Println("breadcrumb:", ev.Breadcrumbs.Values[0].Message)
	// Output:
	// level=INFO msg="reserving stock" order=42
	// level=ERROR msg="charge failed" order=42 err="charge: card declined"
	// event: error 42 charge: card declined
	// breadcrumb: reserving stock
}
