package raven_test

import (
	"context"
	"fmt"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
)

func ExampleWithScrubPatterns() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr),
		// the group is what is replaced: "ticket " stays
		raven.WithScrubPatterns(`ticket (T-\d{6})`))

	client.CaptureMessage("refund for ticket T-123456 sent with Bearer abc.def.ghi")
	_ = client.Close(context.Background())

	fmt.Println(tr.Events()[0].Message.Formatted)
	// Output:
	// refund for ticket [Filtered] sent with Bearer [Filtered]
}

func ExampleWithDefaultScrubPatterns() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr),
		// no built-in free-text patterns; names such as "password" are
		// still scrubbed
		raven.WithDefaultScrubPatterns(false))

	client.Scope().SetExtra("password", "hunter2")
	client.CaptureMessage("retrying with Bearer abc.def.ghi")
	_ = client.Close(context.Background())

	ev := tr.Events()[0]
	fmt.Println(ev.Message.Formatted)
	fmt.Println(ev.Extra["password"])
	// Output:
	// retrying with Bearer abc.def.ghi
	// [Filtered]
}
