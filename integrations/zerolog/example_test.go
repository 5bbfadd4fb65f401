package ravenzerolog_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ravenkit/raven"
	ravenzerolog "github.com/ravenkit/raven/integrations/zerolog"
	"github.com/ravenkit/raven/raventest"
	"github.com/rs/zerolog"
)

// The Writer wraps the log's destination and is also the logger's hook. An
// info record becomes a breadcrumb on the scope of the record's context,
// an error record an event whose exception is the error added with Err.
func ExampleNewWriter() {
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

	w := ravenzerolog.NewWriter(os.Stdout, ravenzerolog.WithClient(client), ravenzerolog.WithTagKeys("order"))
	logger := zerolog.New(w).Hook(w)

	ctx := client.WithScope(context.Background()) // a request's scope, say
	log := logger.With().Ctx(ctx).Str("order", "A-17").Logger()
	log.Info().Msg("payment started")
	log.Error().EmbedObject(ravenzerolog.Err(errors.New("card declined"))).Msg("payment failed")

	_ = client.Close(context.Background())
	ev := srv.Events()[0]
	fmt.Println(ev.Exception.Values[0].Value, "|", ev.Extra["log.message"], "| order", ev.Tags["order"])
	fmt.Println("breadcrumb:", ev.Breadcrumbs.Values[0].Message)
	// Output:
	// {"level":"info","order":"A-17","message":"payment started"}
	// {"level":"error","order":"A-17","error":"card declined","message":"payment failed"}
	// card declined | payment failed | order A-17
	// breadcrumb: payment started
}

// Err writes the same field as Event.Err and hands the error value itself
// to the Writer, for the exception's chain and stack.
func ExampleErr() {
	w := ravenzerolog.NewWriter(os.Stdout)
	logger := zerolog.New(w).Hook(w)
	logger.Warn().EmbedObject(ravenzerolog.Err(errors.New("retrying"))).Msg("upstream slow")
	// Output: {"level":"warn","error":"retrying","message":"upstream slow"}
}
