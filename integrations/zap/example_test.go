package ravenzap_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ravenkit/raven"
	ravenzap "github.com/ravenkit/raven/integrations/zap"
	"github.com/ravenkit/raven/raventest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The raven core sits beside the core that writes the log. An info entry
// becomes a breadcrumb on the scope of the context passed with
// ravenzap.Context, an error entry an event whose exception is the error
// of zap.Error.
func ExampleNewCore() {
	srv, err := raventest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	client, err := raven.New(raven.WithDSN(srv.DSN()))
	if err != nil {
		fmt.Println(err)
		return
	}

	encoder := zap.NewProductionEncoderConfig()
	encoder.TimeKey = "" // a deterministic output for the example
	jsonCore := zapcore.NewCore(zapcore.NewJSONEncoder(encoder), zapcore.Lock(os.Stdout), zapcore.InfoLevel)
	logger := zap.New(zapcore.NewTee(jsonCore, ravenzap.NewCore(ravenzap.WithClient(client), ravenzap.WithTagKeys("order"))))

	ctx := client.WithScope(context.Background()) // a request's scope, say
	log := logger.With(ravenzap.Context(ctx), zap.String("order", "A-17"))
	log.Info("payment started")
	log.Error("payment failed", zap.Error(errors.New("card declined")))

	_ = client.Close(context.Background())
	ev := srv.Events()[0]
	fmt.Println(ev.Exception.Values[0].Value, "|", ev.Extra["log.message"], "| order", ev.Tags["order"])
	fmt.Println("breadcrumb:", ev.Breadcrumbs.Values[0].Message)
	// Output:
	// {"level":"info","msg":"payment started","order":"A-17"}
	// {"level":"error","msg":"payment failed","order":"A-17","error":"card declined"}
	// card declined | payment failed | order A-17
	// breadcrumb: payment started
}

// Context carries a context.Context in a field that only the raven core
// reads.
func ExampleContext() {
	client, _ := raven.New() // no DSN: a disabled client, for the example
	logger := zap.New(ravenzap.NewCore(ravenzap.WithClient(client)))
	ctx := client.WithScope(context.Background())
	logger.Info("cache miss", ravenzap.Context(ctx), zap.String("item", "user:7"))
	fmt.Println(raven.ScopeFromContext(ctx).Breadcrumbs()[0].Message)
	// Output: cache miss
}
