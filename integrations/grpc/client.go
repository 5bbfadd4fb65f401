package ravengrpc

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// UnaryClientInterceptor returns an interceptor that records a breadcrumb
// for each unary call on the scope of the call's context, passes on the
// trace of the server call it is made from, and reports failures only
// with WithReportClientErrors.
func UnaryClientInterceptor(opts ...Option) grpc.UnaryClientInterceptor {
	o := newOptions(opts)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		start := time.Now()
		err := invoker(propagate(ctx), method, req, reply, cc, callOpts...)
		o.finished(ctx, method, start, err)
		return err
	}
}

// StreamClientInterceptor returns an interceptor that records a breadcrumb
// for each streaming call when it ends, on the scope of the call's
// context, passes on the trace of the server call it is made from, and
// reports failures only with WithReportClientErrors.
func StreamClientInterceptor(opts ...Option) grpc.StreamClientInterceptor {
	o := newOptions(opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
		streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		start := time.Now()
		cs, err := streamer(propagate(ctx), desc, cc, method, callOpts...)
		if err != nil {
			o.finished(ctx, method, start, err)
			return nil, err
		}
		return &clientStream{ClientStream: cs, o: o, ctx: ctx, method: method, start: start,
			serverStreams: desc.ServerStreams}, nil
	}
}

// clientStream records the call when the stream's final status arrives.
type clientStream struct {
	grpc.ClientStream
	o             *options
	ctx           context.Context
	method        string
	start         time.Time
	serverStreams bool
	done          atomic.Bool
}

// RecvMsg receives a message and records the call when it has ended: at
// io.EOF or an error, or after the one reply of a call whose server does
// not stream.
func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	switch {
	case errors.Is(err, io.EOF):
		s.finish(nil)
	case err != nil:
		s.finish(err)
	case !s.serverStreams:
		s.finish(nil)
	}
	return err
}

func (s *clientStream) finish(err error) {
	if s.done.CompareAndSwap(false, true) {
		s.o.finished(s.ctx, s.method, s.start, err)
	}
}

// finished records a call's breadcrumb and reports its failure when asked.
func (o *options) finished(ctx context.Context, method string, start time.Time, err error) {
	code := codeOf(err)
	name := code.String()
	scope := o.scopeFor(raven.ScopeFromContext(ctx))
	scope.AddBreadcrumb(raven.Breadcrumb{Type: "default", Category: "grpc", Message: method, Level: levelOf(code),
		Data: map[string]any{"method": method, "code": name,
			"duration_ms": float64(time.Since(start).Microseconds()) / 1000}})
	if err == nil || !o.clientReport.has(code) {
		return
	}
	// a child scope, so that the caller's scope gets no tag from this call
	client := scope.Client()
	ectx := client.WithScope(raven.ContextWithScope(ctx, scope))
	es := raven.ScopeFromContext(ectx)
	es.SetTag("grpc.code", name)
	es.SetContext("grpc", map[string]any{"method": method})
	client.CaptureExceptionContext(ectx, err)
}

// propagate adds the trace of the server call ctx comes from to the
// outgoing metadata, unless the caller set trace metadata itself.
func propagate(ctx context.Context) context.Context {
	tc, _ := ctx.Value(traceKey{}).(*raven.TraceContext)
	if tc == nil {
		return ctx
	}
	if len(metadata.ValueFromOutgoingContext(ctx, sentryTraceKey)) > 0 ||
		len(metadata.ValueFromOutgoingContext(ctx, traceparentKey)) > 0 {
		return ctx
	}
	st, flags := tc.TraceID+"-"+tc.SpanID, "00"
	if tc.Sampled != nil {
		if *tc.Sampled {
			st, flags = st+"-1", "01"
		} else {
			st += "-0"
		}
	}
	return metadata.AppendToOutgoingContext(ctx, sentryTraceKey, st,
		traceparentKey, "00-"+tc.TraceID+"-"+tc.SpanID+"-"+flags)
}
