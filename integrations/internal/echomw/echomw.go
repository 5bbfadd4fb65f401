// Package echomw is the middleware ravenecho (echo v4) and ravenecho5
// (echo v5) share. The two echo versions differ in how a handler's context
// is typed (an interface in v4, a struct pointer in v5), in how an error
// tells its status and in how an *echo.HTTPError wraps another error: the
// Options hold those differences.
//
// It sits above package raven (integrations import it, raven does not), so
// it uses raven's API; under integrations/, its frames count as the SDK's
// in stack traces, as the integrations' own do.
package echomw

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/httpmw"
)

// DefaultReportStatus is which returned errors are reported unless an
// option says otherwise: those standing for a 5xx status.
func DefaultReportStatus(status int) bool { return status >= 500 }

// Ctx is what the middleware calls on an echo context: echo v4's
// echo.Context and echo v5's *echo.Context have these methods alike.
type Ctx interface {
	Path() string
	Request() *http.Request
	SetRequest(r *http.Request)
}

// Options is what the middleware is configured with.
type Options struct {
	httpmw.Config
	// Report decides, from the status a returned error stands for,
	// whether it is reported.
	Report func(status int) bool
	// StatusOf is the status a returned error stands for.
	StatusOf func(err error) int
	// Internal returns the error a recovered panic is answered with: a
	// 500 *echo.HTTPError wrapping perr.
	Internal func(perr error) error
}

// Option changes Options; ravenecho and ravenecho5 export it as their own
// Option.
type Option interface{ apply(*Options) }

type optionFunc func(*Options)

func (f optionFunc) apply(o *Options) { f(o) }

// WithClient sets Client.
func WithClient(c *raven.Client) Option { return optionFunc(func(o *Options) { o.Client = c }) }

// WithReportStatus sets Report (nil: DefaultReportStatus).
func WithReportStatus(report func(status int) bool) Option {
	return optionFunc(func(o *Options) {
		if report == nil {
			report = DefaultReportStatus
		}
		o.Report = report
	})
}

// WithRepanic sets Repanic.
func WithRepanic() Option { return optionFunc(func(o *Options) { o.Repanic = true }) }

// WithSendDefaultPII sets PII.
func WithSendDefaultPII() Option { return optionFunc(func(o *Options) { o.PII = true }) }

// WithRequestBody sets BodyMax (see httpmw.Config.SetBodyMax).
func WithRequestBody(max int) Option { return optionFunc(func(o *Options) { o.SetBodyMax(max) }) }

// New returns Options with the defaults and the echo version's StatusOf
// and Internal, changed by opts.
func New(statusOf func(error) int, internal func(error) error, opts []Option) *Options {
	o := &Options{Config: httpmw.New(), Report: DefaultReportStatus, StatusOf: statusOf, Internal: internal}
	for _, opt := range opts {
		opt.apply(o)
	}
	return o
}

// Handle runs next for c with a scope of its own (c's request replaced by
// a copy carrying it), reports a returned error when Report says so, and
// turns a panic into the error Internal gives (or panics again, with
// Repanic).
func Handle[C Ctx](o *Options, c C, next func(C) error) (err error) {
	r, scope := o.Start(c.Request(), c.Path())
	c.SetRequest(r)
	ctx := r.Context()
	defer func() {
		if v := recover(); v != nil {
			err = o.recovered(ctx, scope, v)
		}
	}()
	err = next(c)
	if err != nil && o.Report(o.StatusOf(err)) {
		scope.Client().CaptureExceptionContext(ctx, err)
	}
	return err
}

// recovered reports a panic's value; it runs in the deferred function that
// recovered it, so the panic's stack is still there to record.
func (o *Options) recovered(ctx context.Context, scope *raven.Scope, v any) error {
	o.Panicked(ctx, scope.Client(), v)
	perr, ok := v.(error)
	if ok {
		perr = fmt.Errorf("panic: %w", perr)
	} else {
		perr = fmt.Errorf("panic: %v", v)
	}
	return o.Internal(perr)
}
