package ravengrpc

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strings"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/httpmw"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Metadata keys of a distributed trace.
const (
	sentryTraceKey = "sentry-trace"
	traceparentKey = "traceparent"
)

// errInternal is what the caller of a handler that panicked gets.
var errInternal = status.Error(codes.Internal, "internal error")

// UnaryServerInterceptor returns an interceptor that gives each unary call
// its own scope on the handler's context, reports panics (answered with
// codes.Internal) and the returned errors whose code is in the report set.
// See the package documentation for what events carry.
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	o := newOptions(opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		ctx, scope := o.begin(ctx, info.FullMethod)
		defer func() {
			if v := recover(); v != nil {
				resp, err = nil, o.recovered(ctx, scope, v)
			}
		}()
		resp, err = handler(ctx, req)
		if err != nil {
			o.failed(ctx, scope, info.FullMethod, err)
		}
		return resp, err
	}
}

// StreamServerInterceptor returns an interceptor that gives each streaming
// call its own scope on the context the handler's ServerStream.Context
// returns, reports panics (answered with codes.Internal) and the returned
// errors whose code is in the report set. See the package documentation
// for what events carry.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	o := newOptions(opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		ctx, scope := o.begin(ss.Context(), info.FullMethod)
		defer func() {
			if v := recover(); v != nil {
				err = o.recovered(ctx, scope, v)
			}
		}()
		err = handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
		if err != nil {
			o.failed(ctx, scope, info.FullMethod, err)
		}
		return err
	}
}

// serverStream is a ServerStream whose context carries the call's scope.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context returns the stream's context with the call's scope.
func (s *serverStream) Context() context.Context { return s.ctx }

// traceKey carries the trace a server call continues, for the client
// interceptors to pass on (a Scope does not expose its trace).
type traceKey struct{}

// begin forks the call's scope into ctx and sets what every event of the
// call carries.
func (o *options) begin(ctx context.Context, method string) (context.Context, *raven.Scope) {
	in := ctx
	if o.client != nil {
		ctx = o.client.WithScope(ctx)
	} else {
		ctx = raven.WithScope(ctx)
	}
	scope := raven.ScopeFromContext(ctx)
	scope.SetTransaction(method)
	if tc := raven.ContinueTrace(incoming(in, sentryTraceKey), incoming(in, traceparentKey)); tc != nil {
		scope.SetTrace(tc)
		ctx = context.WithValue(ctx, traceKey{}, tc)
	}
	// the "grpc" context is built only when an event is captured
	scope.SetRequestSource(&call{ctx: in, method: o.boxed(method), pii: o.pii})
	return ctx, scope
}

// recovered reports a panic and returns what the caller gets, or panics
// again with WithRepanic.
func (o *options) recovered(ctx context.Context, scope *raven.Scope, v any) error {
	scope.SetTag("grpc.code", codes.Internal.String())
	client := scope.Client()
	client.CapturePanic(ctx, v)
	if o.repanic {
		httpmw.Flush(client, o.flushTimeout)
		panic(v)
	}
	return errInternal
}

// failed reports err when its code is in the report set.
func (o *options) failed(ctx context.Context, scope *raven.Scope, method string, err error) {
	code := codeOf(err)
	if !o.report.has(code) {
		return
	}
	name := code.String()
	scope.SetTag("grpc.code", name)
	scope.SetFingerprint([]string{"{{ default }}", method, name})
	scope.Client().CaptureExceptionContext(ctx, err)
}

// codeOf is the code the caller sees for err, as grpc-go computes it for
// a handler's error: a status error's (wrapped or not), else a context
// error's, else Unknown.
func codeOf(err error) codes.Code {
	c := status.Code(err)
	if c == codes.Unknown {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return codes.DeadlineExceeded
		case errors.Is(err, context.Canceled):
			return codes.Canceled
		}
	}
	return c
}

// incoming returns the first value of an incoming metadata key.
func incoming(ctx context.Context, key string) string {
	if v := metadata.ValueFromIncomingContext(ctx, key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// call is the incoming call's context, read only when an event is built:
// the "grpc" context holds it as values that marshal themselves
// (raven walks json.Marshaler values when it builds an event, on the
// transport's worker), so calls that report nothing never copy their
// metadata.
type call struct {
	ctx    context.Context
	method any // the method name, boxed once per method (see boxed)
	pii    bool
}

// SentryRequest: a gRPC call has no HTTP request.
func (c *call) SentryRequest() *raven.Request { return nil }

// SentryContext is the "grpc" context of an event captured during the
// call: the method, the kept metadata and, with WithSendDefaultPII, the
// caller's address (the values render when the event is encoded).
func (c *call) SentryContext() (string, map[string]any) {
	m := map[string]any{"method": c.method, "metadata": (*metadataValue)(c)}
	if c.pii {
		m["peer"] = (*peerValue)(c)
	}
	return "grpc", m
}

// maxBoxedMethods bounds the method names an interceptor keeps boxed.
const maxBoxedMethods = 1024

// boxed returns method as an any, boxed once per method name (a server
// has a fixed set) instead of once per call; past maxBoxedMethods names
// it boxes per call.
func (o *options) boxed(method string) any {
	if v, ok := o.methods.Load(method); ok {
		return v
	}
	var v any = method
	if o.nmethods.Add(1) <= maxBoxedMethods {
		o.methods.Store(method, v)
	}
	return v
}

// metadataValue marshals as the call's incoming metadata.
type metadataValue call

// MarshalJSON writes the kept metadata as an object of strings.
func (v *metadataValue) MarshalJSON() ([]byte, error) {
	md, _ := metadata.FromIncomingContext(v.ctx)
	keys := make([]string, 0, len(md))
	for k := range md {
		if keepMetadata(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) > MaxMetadataKeys {
		keys = keys[:MaxMetadataKeys]
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = strings.Join(md[k], ", ")
	}
	return json.Marshal(out)
}

// keepMetadata tells whether a (lowercase) metadata key goes into events.
func keepMetadata(k string) bool {
	return !strings.HasSuffix(k, "-bin") && !strings.Contains(k, "authorization") && !strings.Contains(k, "cookie")
}

// peerValue marshals as the caller's IP address (or the whole address when
// it has no port), or null when the call has no peer.
type peerValue call

// MarshalJSON writes the caller's address.
func (v *peerValue) MarshalJSON() ([]byte, error) {
	p, ok := peer.FromContext(v.ctx)
	if !ok || p.Addr == nil {
		return []byte("null"), nil
	}
	addr := p.Addr.String()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	return json.Marshal(addr)
}
