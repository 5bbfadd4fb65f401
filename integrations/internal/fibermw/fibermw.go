// Package fibermw is the middleware ravenfiber (Fiber v2) and ravenfiber3
// (Fiber v3) share. The two Fiber versions differ in how a handler's
// context is typed and what its methods are called, not in what the
// middleware does with it: a Framework holds those differences.
//
// It sits above package raven (integrations import it, raven does not), so
// it uses raven's API; under integrations/, its frames count as the SDK's
// in stack traces, as the integrations' own do.
package fibermw

import (
	"context"
	"errors"
	"sync"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/httpmw"
)

// Ctx is what the middleware calls on a Fiber context directly: Fiber v2's
// *fiber.Ctx and Fiber v3's fiber.Ctx have these methods alike.
type Ctx interface {
	Method(override ...string) string
	Next() error
	Locals(key any, value ...any) any
}

// Source is a pointer to a request's source of event data (S is
// ravenfasthttp.Source): it reads the live request until End.
type Source[S any] interface {
	*S
	raven.RequestSource
	End()
}

// Framework is what differs between Fiber versions, for context type C
// and request source S.
type Framework[C Ctx, S any, PS Source[S]] struct {
	// Context returns the context handlers take, which the request's
	// scope is forked from.
	Context func(C) context.Context
	// SetContext hands the handlers ctx, which carries the request's scope.
	SetContext func(c C, ctx context.Context)
	// Route returns the route being served: its identity (a pointer), its
	// method ("USE" for a middleware's own) and its path template.
	Route func(C) (id any, method, path string)
	// Begin starts src reading the request of c, continues its incoming
	// trace on scope, makes src the scope's request source and stores
	// scope where fasthttp handlers find it.
	Begin func(c C, src PS, scope *raven.Scope, pii bool, bodyMax int)
	// LocalsKey is the c.Locals key the request's scope is stored under.
	LocalsKey string
	// Failed is the error a recovered panic is answered with.
	Failed error
}

// Options is what the middleware is configured with: the options every
// net/http based middleware has, and which returned errors to report.
type Options struct {
	httpmw.Config
	// Report decides which errors the handlers return are reported.
	Report func(error) bool
}

// NewOptions returns Options with the defaults, reporting the errors
// report accepts, changed by opts.
func NewOptions(report func(error) bool, opts []Option) *Options {
	o := &Options{Config: httpmw.New(), Report: report}
	for _, opt := range opts {
		opt.apply(o)
	}
	return o
}

// Option changes Options; ravenfiber and ravenfiber3 export it as their
// own Option.
type Option interface{ apply(*Options) }

type optionFunc func(*Options)

func (f optionFunc) apply(o *Options) { f(o) }

// WithClient sets Client.
func WithClient(c *raven.Client) Option { return optionFunc(func(o *Options) { o.Client = c }) }

// WithRepanic sets Repanic.
func WithRepanic() Option { return optionFunc(func(o *Options) { o.Repanic = true }) }

// WithSendDefaultPII sets PII.
func WithSendDefaultPII() Option { return optionFunc(func(o *Options) { o.PII = true }) }

// WithRequestBody sets BodyMax (see httpmw.Config.SetBodyMax).
func WithRequestBody(max int) Option { return optionFunc(func(o *Options) { o.SetBodyMax(max) }) }

// WithErrorFilter sets Report (nil reports no returned error).
func WithErrorFilter(report func(err error) bool) Option {
	return optionFunc(func(o *Options) {
		if report == nil {
			report = func(error) bool { return false }
		}
		o.Report = report
	})
}

// ReportCode reports err unless its chain holds an E (Fiber's
// *fiber.Error) whose code is below 500: client errors are answers, not
// failures.
func ReportCode[E error](err error, code func(E) int) bool {
	var e E
	if errors.As(err, &e) {
		return code(e) >= 500
	}
	return true
}

// state is what the middleware keeps per request.
type state[C Ctx, S any, PS Source[S]] struct {
	src   S
	f     *Framework[C, S, PS]
	scope *raven.Scope
	sctx  context.Context // carries scope

	mu    sync.Mutex
	live  bool // c is being served; false once the middleware returned
	c     C
	named any
}

// reqContext is the context handlers get: the scope's context, which
// names the transaction whenever the scope is looked up through it.
type reqContext[C Ctx, S any, PS Source[S]] struct {
	context.Context
	st *state[C, S, PS]
}

// Value returns the parent's value, naming the transaction first when the
// value is the request's scope.
func (rc *reqContext[C, S, PS]) Value(key any) any {
	v := rc.Context.Value(key)
	if s, ok := v.(*raven.Scope); ok && s == rc.st.scope {
		rc.st.name()
	}
	return v
}

// name sets the transaction from the route being served, while the
// request is.
func (st *state[C, S, PS]) name() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.live {
		return
	}
	id, method, path := st.f.Route(st.c)
	if id == st.named || method == "USE" {
		return
	}
	st.named = id
	st.scope.SetTransaction(st.c.Method() + " " + path)
}

func (st *state[C, S, PS]) end() {
	PS(&st.src).End()
	st.mu.Lock()
	st.live = false
	var zero C
	st.c = zero
	st.mu.Unlock()
}

// Serve runs the handlers after the middleware for c with a scope of its
// own, reports what o says to report and answers a panic with Failed (or
// panics again, with o.Repanic).
func (f *Framework[C, S, PS]) Serve(o *Options, c C) (err error) {
	client := o.Client
	if client == nil {
		client = raven.CurrentClient()
	}
	st := &state[C, S, PS]{f: f, c: c, live: true}
	st.sctx = client.WithScope(f.Context(c))
	st.scope = raven.ScopeFromContext(st.sctx)
	f.Begin(c, &st.src, st.scope, o.PII, o.BodyMax)
	f.SetContext(c, &reqContext[C, S, PS]{Context: st.sctx, st: st})
	defer f.finish(o, st, client, &err)
	err = c.Next()
	if err != nil && o.Report(err) {
		st.name()
		client.CaptureExceptionContext(st.sctx, err)
	}
	return err
}

func (f *Framework[C, S, PS]) finish(o *Options, st *state[C, S, PS], client *raven.Client, errp *error) {
	defer st.end()
	v := recover()
	if v == nil {
		return
	}
	st.name()
	client.CapturePanic(st.sctx, v)
	if o.Repanic {
		st.end()
		httpmw.Flush(client, o.FlushTimeout)
		panic(v)
	}
	*errp = f.Failed
}

// Scope returns the request's scope (naming its transaction from the route
// being served), or the default client's root scope when the middleware
// did not run for c.
func (f *Framework[C, S, PS]) Scope(c C) *raven.Scope {
	if rc, ok := f.Context(c).(*reqContext[C, S, PS]); ok {
		rc.st.name()
		return rc.st.scope
	}
	if s, ok := c.Locals(f.LocalsKey).(*raven.Scope); ok && s != nil {
		return s
	}
	return raven.CurrentClient().Scope()
}
