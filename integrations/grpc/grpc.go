// Package ravengrpc reports panics and failed calls of gRPC servers, and
// records the calls a gRPC client makes, with interceptors for
// google.golang.org/grpc.
//
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(ravengrpc.UnaryServerInterceptor()),
//		grpc.ChainStreamInterceptor(ravengrpc.StreamServerInterceptor()),
//	)
//	conn, err := grpc.NewClient(target,
//		grpc.WithChainUnaryInterceptor(ravengrpc.UnaryClientInterceptor()),
//		grpc.WithChainStreamInterceptor(ravengrpc.StreamClientInterceptor()),
//		grpc.WithTransportCredentials(creds))
//
// # Server side
//
// Every call gets its own scope, forked from the client's root scope into
// the call's context (for streams, the context ServerStream.Context
// returns). Inside handlers raven.ScopeFromContext(ctx) is the call's own
// scope: tags, user and breadcrumbs set there reach only events of that
// call, and raven.CaptureExceptionContext(ctx, err) reports with them.
// Concurrent calls never see each other's data.
//
// Every event of a call carries:
//   - the transaction: the full method name, "/package.Service/Method"
//     (never anything taken from the request message);
//   - the trace of the caller, read from the "sentry-trace" or
//     "traceparent" metadata with raven.ContinueTrace;
//   - a context named "grpc" with "method" (the full method name),
//     "metadata" (the incoming metadata, see below) and, only with
//     WithSendDefaultPII, "peer" (the caller's IP address, without port).
//
// The metadata of the "grpc" context keeps every key except binary ones
// (suffix "-bin") and those whose name contains "authorization" or
// "cookie", which are left out whole; at most MaxMetadataKeys keys, in
// key order; several values of one key are joined with ", ", like HTTP
// headers. The client's scrubbing then applies to it as to every context:
// values under sensitive names ("x-api-key", "x-session-id", ...) are
// replaced by raven.Filtered, and secrets in values are masked by pattern.
// The metadata is read only when an event is built, on the transport's
// worker: calls that report nothing pay nothing for it.
//
// What is reported:
//   - a panic in a handler: recovered, reported (mechanism "panic",
//     handled false, with the panicking goroutine's stack) and answered
//     with codes.Internal and the message "internal error", never the
//     panic value; WithRepanic panics again instead, after waiting up to
//     DefaultRepanicFlushTimeout for the event to be delivered;
//   - an error a handler returns, when its code is in the report set
//     (WithReportCodes; by default Unknown, Internal, DataLoss and
//     Unavailable: the server failed, not the caller). The code is read as
//     grpc-go does for the reply: status.FromError, else
//     status.FromContextError, so a plain error is Unknown and a returned
//     context.Canceled is Canceled. The event is the error with its chain,
//     tagged "grpc.code" with the code's name ("Internal"), and grouped by
//     method and code (fingerprint "{{ default }}", method, code), since a
//     status error carries no stack of its own: without it every returned
//     error of every method would land in one issue. A fingerprint the
//     handler set on the call's scope is replaced for that event.
//
// NotFound, InvalidArgument, Canceled, DeadlineExceeded, PermissionDenied
// and the other codes a caller causes are not reported by default.
//
// # Client side
//
// The client interceptors record a breadcrumb for every call (type
// "default", category "grpc", the method as message, data "method",
// "code" and "duration_ms"; level info for OK, warning for the codes a
// caller causes, error for the others) on the scope the call's context
// carries, or the client's root scope when it carries none. A stream's
// breadcrumb is recorded when the stream ends (the server's final status
// is received, or opening it fails); a stream abandoned without reading
// its end records none.
//
// When the call's context comes from UnaryServerInterceptor or
// StreamServerInterceptor and the incoming call belonged to a trace, the
// trace is passed on in "sentry-trace" and "traceparent" metadata, with
// the server call's span as parent; metadata the caller set under those
// keys is kept as it is.
//
// A failed call reports nothing by default: the server side reports its
// own failures. WithReportClientErrors reports the failures with chosen
// codes, from a child of the call's scope, so the caller's scope gets no
// tags from it.
//
// # Order of interceptors
//
// Put the server interceptors first in grpc.ChainUnaryInterceptor and
// grpc.ChainStreamInterceptor, so that the interceptors after them (auth,
// validation, metrics) see the call's scope and their panics are reported
// too; an interceptor that recovers panics itself goes before them, and
// then sees raven's answer (or, with WithRepanic, the panic).
//
// Options apply to the side they concern and are ignored by the other:
// WithReportCodes, WithRepanic and WithSendDefaultPII by the server
// interceptors, WithReportClientErrors by the client ones.
package ravengrpc

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven"
	"google.golang.org/grpc/codes"
)

// DefaultRepanicFlushTimeout bounds how long WithRepanic waits for the
// panic's event before panicking again.
const DefaultRepanicFlushTimeout = 2 * time.Second

// MaxMetadataKeys bounds how many metadata keys the "grpc" context keeps;
// the others (after key order) are left out.
const MaxMetadataKeys = 32

// DefaultReportCodes are the codes whose returned errors the server
// interceptors report unless WithReportCodes says otherwise.
func DefaultReportCodes() []codes.Code {
	return []codes.Code{codes.Unknown, codes.Internal, codes.DataLoss, codes.Unavailable}
}

// Option configures the interceptors.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// codeSet is a set of gRPC codes; codes above 63 (none is defined) are
// never in it.
type codeSet uint64

func setOf(cs []codes.Code) codeSet {
	var s codeSet
	for _, c := range cs {
		if c != codes.OK && c < 64 {
			s |= 1 << c
		}
	}
	return s
}

func (s codeSet) has(c codes.Code) bool { return c < 64 && s&(1<<c) != 0 }

type options struct {
	client       *raven.Client
	repanic      bool
	pii          bool
	report       codeSet // returned errors the server side reports
	clientReport codeSet // failed calls the client side reports
	flushTimeout time.Duration

	methods  sync.Map     // method name → the name boxed, for the "grpc" context
	nmethods atomic.Int64 // names stored in methods, bounded by maxBoxedMethods
}

func newOptions(opts []Option) *options {
	o := &options{report: setOf(DefaultReportCodes()), flushTimeout: DefaultRepanicFlushTimeout}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(o)
		}
	}
	return o
}

// WithClient reports to c instead of the default client
// (raven.CurrentClient() at the time of each call).
func WithClient(c *raven.Client) Option { return optionFunc(func(o *options) { o.client = c }) }

// WithRepanic makes the server interceptors panic again after reporting a
// panic (after waiting up to DefaultRepanicFlushTimeout for its delivery),
// for an outer interceptor that recovers, or a process that must crash.
// grpc-go itself does not recover handler panics: without such an
// interceptor the process exits.
func WithRepanic() Option { return optionFunc(func(o *options) { o.repanic = true }) }

// WithSendDefaultPII records the caller's IP address as "peer" in the
// "grpc" context; it is left out by default.
func WithSendDefaultPII() Option { return optionFunc(func(o *options) { o.pii = true }) }

// WithReportCodes sets the codes whose returned errors the server
// interceptors report, replacing DefaultReportCodes. With no codes no
// returned error is reported (panics still are). codes.OK is ignored.
func WithReportCodes(cs ...codes.Code) Option {
	s := setOf(cs)
	return optionFunc(func(o *options) { o.report = s })
}

// WithReportClientErrors makes the client interceptors report failed
// calls whose code is one of cs; with no codes, those of
// DefaultReportCodes. By default the client side reports nothing, since
// the server reports its own failures. codes.OK is ignored.
func WithReportClientErrors(cs ...codes.Code) Option {
	if len(cs) == 0 {
		cs = DefaultReportCodes()
	}
	s := setOf(cs)
	return optionFunc(func(o *options) { o.clientReport = s })
}

// scopeFor returns the scope of ctx, or the configured client's root scope
// when ctx's belongs to another client.
func (o *options) scopeFor(s *raven.Scope) *raven.Scope {
	if o.client != nil && s.Client() != o.client {
		return o.client.Scope()
	}
	return s
}

// callerCodes are the codes that say the caller, not the server, failed.
var callerCodes = setOf([]codes.Code{codes.Canceled, codes.InvalidArgument, codes.NotFound,
	codes.AlreadyExists, codes.PermissionDenied, codes.FailedPrecondition, codes.Aborted,
	codes.OutOfRange, codes.Unauthenticated, codes.ResourceExhausted})

// levelOf is a breadcrumb's level for a call's code.
func levelOf(c codes.Code) raven.Level {
	switch {
	case c == codes.OK:
		return raven.LevelInfo
	case callerCodes.has(c):
		return raven.LevelWarning
	default:
		return raven.LevelError
	}
}
