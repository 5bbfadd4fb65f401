package benchmarks

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/getsentry/sentry-go"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// For gRPC, zap and fasthttp the module proxy serves no verifiable version
// of sentry-go's integration module (github.com/getsentry/sentry-go/grpc
// and /zap: none at all; /fasthttp: v0.43.0 only, whose checksum the
// checksum database does not serve). Their rows compare raven with
// sentry-go's core used as its documentation tells a program to use it
// where it has no integration: a hub cloned for each request or call and
// carried on its context, captures and breadcrumbs through that hub
// (https://docs.sentry.io/platforms/go/concurrency/,
// https://docs.sentry.io/platforms/go/enriching-events/breadcrumbs/).
// They do the least such a setup does, so they are a lower bound on what
// an official integration would cost: no request data, no tracing.

// sentryUnaryInterceptor is the documented manual setup as a gRPC unary
// server interceptor: a hub per call on the call's context, tagged with
// the method; a panic recovered, reported and answered Internal; returned
// errors with the codes ravengrpc reports by default captured.
func sentryUnaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	hub := sentry.CurrentHub().Clone()
	hub.Scope().SetTag("grpc.method", info.FullMethod)
	ctx = sentry.SetHubOnContext(ctx, hub)
	defer func() {
		if v := recover(); v != nil {
			hub.RecoverWithContext(ctx, v)
			err = status.Error(codes.Internal, "internal error")
		}
	}()
	resp, err = handler(ctx, req)
	if err != nil {
		switch status.Code(err) {
		case codes.Unknown, codes.Internal, codes.DataLoss:
			hub.CaptureException(err)
		}
	}
	return resp, err
}

// sentryFastHTTP is the documented manual setup as a fasthttp middleware:
// a hub per request among the request's user values, a panic recovered,
// reported and answered 500.
func sentryFastHTTP(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		hub := sentry.CurrentHub().Clone()
		ctx.SetUserValue("sentry", hub)
		defer func() {
			if v := recover(); v != nil {
				hub.RecoverWithContext(ctx, v)
				ctx.SetStatusCode(http.StatusInternalServerError)
			}
		}()
		next(ctx)
	}
}

// sentryZapCore is the documented manual setup as a zapcore.Core: entries
// from info up become breadcrumbs on the hub, entries from error up events
// (the first error field as the exception, the fields as a context).
type sentryZapCore struct {
	hub    *sentry.Hub
	fields []zapcore.Field
}

func (c *sentryZapCore) Enabled(l zapcore.Level) bool { return l >= zapcore.InfoLevel }

func (c *sentryZapCore) With(fs []zapcore.Field) zapcore.Core {
	return &sentryZapCore{hub: c.hub, fields: append(slices.Clip(c.fields), fs...)}
}

func (c *sentryZapCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

func (c *sentryZapCore) Sync() error { return nil }

func (c *sentryZapCore) Write(ent zapcore.Entry, fs []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	var err error
	for _, f := range append(slices.Clip(c.fields), fs...) {
		if e, ok := f.Interface.(error); ok && f.Type == zapcore.ErrorType && err == nil {
			err = e
			continue
		}
		f.AddTo(enc)
	}
	if ent.Level < zapcore.ErrorLevel {
		c.hub.AddBreadcrumb(&sentry.Breadcrumb{Type: "default", Category: "log", Message: ent.Message,
			Level: sentry.LevelInfo, Data: enc.Fields, Timestamp: ent.Time}, nil)
		return nil
	}
	c.hub.WithScope(func(s *sentry.Scope) {
		s.SetLevel(sentry.LevelError)
		s.SetContext("log", sentry.Context(enc.Fields))
		if err != nil {
			c.hub.CaptureException(err)
		} else {
			c.hub.CaptureMessage(ent.Message)
		}
	})
	return nil
}

// initSentry makes sentry-go's default hub report to an in-memory
// transport until the benchmark ends, and returns the transport.
func initSentry(b *testing.B) *sentryMem {
	tr := &sentryMem{}
	if err := sentry.Init(sentry.ClientOptions{Dsn: memDSN, Transport: tr, Release: "bench"}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sentry.Init(sentry.ClientOptions{}) }) // back to a disabled hub
	return tr
}
