// Command shop captures errors from closures of another module (example.com/lib)
// and of the SDK (ravenerrgroup) that the compiler inlined into its own
// functions, and sends them to the DSN in RAVEN_DSN.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"example.com/lib"
	"github.com/ravenkit/raven"
	ravenerrgroup "github.com/ravenkit/raven/integrations/errgroup"
)

func main() {
	c, err := raven.New(raven.WithDSN(os.Getenv("RAVEN_DSN")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	raven.SetDefault(c)
	handler(c)
	if err := c.Close(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func handler(c *raven.Client) {
	lib.Run(func() { c.CaptureException(errors.New("in lib.Run")) })
	w := lib.Wrap(func() error { c.CaptureException(errors.New("in lib.Wrap")); return nil })
	_ = w()
	g, _ := ravenerrgroup.WithContext(context.Background())
	g.Go(func() error {
		var m map[string]int
		m["k"] = 1 // a nil map: the panic is reported by the group
		return nil
	})
	_ = g.Wait()
}
