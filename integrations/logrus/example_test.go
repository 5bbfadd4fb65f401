package ravenlogrus_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ravenkit/raven"
	ravenlogrus "github.com/ravenkit/raven/integrations/logrus"
	"github.com/ravenkit/raven/raventest"
	"github.com/sirupsen/logrus"
)

// An info entry becomes a breadcrumb on the scope of the entry's context,
// an error entry an event whose exception is the entry's error.
func ExampleNewHook() {
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

	logger := logrus.New()
	logger.SetOutput(io.Discard)
	logger.AddHook(ravenlogrus.NewHook(ravenlogrus.WithClient(client), ravenlogrus.WithTagKeys("order")))

	ctx := client.WithScope(context.Background()) // a request's scope, say
	log := logger.WithContext(ctx).WithField("order", "A-17")
	log.Info("payment started")
	log.WithError(errors.New("card declined")).Error("payment failed")

	_ = client.Close(context.Background())
	ev := srv.Events()[0]
	fmt.Println(ev.Exception.Values[0].Value, "|", ev.Extra["log.message"], "| order", ev.Tags["order"])
	fmt.Println("breadcrumb:", ev.Breadcrumbs.Values[0].Message)
	// Output:
	// card declined | payment failed | order A-17
	// breadcrumb: payment started
}
