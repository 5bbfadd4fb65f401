/*
Package raven reports errors and panics of Go programs to Sentry-compatible
servers: Sentry (SaaS or self-hosted), Relay, GlitchTip, Bugsink and
Spotlight.

A captured event carries the error's whole chain, a stack trace for every
link that recorded one, breadcrumbs, tags, the user and the request. The
calling goroutine only records the stack, snapshots the scope and hands the
event to a bounded queue; background senders build, encode, compress and
deliver it. Every event that is not delivered is counted with a reason.

# Setting up

Call Init once, early in main. The DSN comes from WithDSN or SENTRY_DSN;
with neither, the client is disabled and captures cost almost nothing.

	if err := raven.Init(raven.WithRelease("shop@1.4.2")); err != nil {
		log.Fatal(err)
	}
	defer raven.Close(context.Background())

Several clients can live side by side: New returns one, and its methods
mirror the package-level functions, which use the default client.

# Capturing errors

CaptureException reports an error; CaptureExceptionContext does the same
with the scope carried by a context. Each link of a chain built with
fmt.Errorf("%w"), errors.Join or github.com/pkg/errors becomes an
exception, innermost first, linked to its parent. A link's stack comes from
the error itself (a StackTrace method, as in pkg/errors, or
Callers() []uintptr); when no link has one, the capture site's stack is
used.

	if err := charge(ctx, order); err != nil {
		raven.CaptureExceptionContext(ctx, fmt.Errorf("checkout %d: %w", order.ID, err))
	}

CaptureMessage reports a message, CaptureEvent a hand-built Event.

# Panics

Recover, RecoverContext and RecoverRepanic are deferred directly:

	defer raven.RecoverContext(ctx)

A panic is reported with level fatal, mechanism "panic" and handled false,
with the stack of the goroutine where it happened; a panic value that is an
error keeps its chain. RecoverRepanic waits for delivery and panics again.
Go runs a goroutine with its own scope and reports its panic. Unrecovered
panics and runtime fatal errors, which kill the process before any
in-process reporter can act, are reported by WithCrashReporting.

# Scopes

A Scope holds tags, extra data, contexts, the user, the request, a
fingerprint, a level, a transaction name and a ring of breadcrumbs. Scopes
travel on context.Context: WithScope forks a child that never leaks into its
parent or siblings, and ScopeFromContext returns the scope a context
carries. Fork one per request or job:

	ctx = raven.WithScope(ctx)
	raven.ScopeFromContext(ctx).SetUser(&raven.User{ID: id})
	raven.AddBreadcrumb(ctx, raven.Breadcrumb{Category: "db", Message: "SELECT"})

The integrations under integrations/ do this for net/http servers and
clients, log/slog and errgroup.

# Values and secrets

Extra, contexts, user data, request data, breadcrumb data and message
parameters may hold any value. On the way out they are made plain JSON data,
bounded by MaxValueDepth, MaxValueBreadth and MaxValueNodes: cycles and what
goes past the bounds become short placeholders ("[cycle]", "[depth limit]"),
and a MarshalJSON method that panics costs only its own value. Values under
sensitive names (password, token, api_key, session_id, card, ...) in any of
these, in tags, headers, cookies, query strings and bodies are replaced by
Filtered, and secrets recognisable by their shape (bearer tokens, JWTs, AWS
key ids, passwords in URLs, private keys) are replaced wherever they appear
in free text. WithScrubKeys and WithScrubPatterns add names and patterns;
WithDefaultScrubPatterns(false) turns the built-in patterns off.

# Flushing before exit

Flush waits until every event captured before the call is delivered or
dropped, or until its context ends (it then returns ctx.Err()). Close
flushes, stops every goroutine the client started and turns later captures
into no-ops. Both are safe to call twice and concurrently.

# Dropped events, transports, tests

Client.Stats counts every event captured, delivered, dropped (by reason)
or stored; WithOnDrop is told of each drop, and the counts reach the
server as client reports. WithOutbox writes every event to disk before
sending it, so that what is not delivered survives a crash or a restart.
A Transport (HTTPTransport by default) returns a *DropError to say why
envelopes were discarded. Package raventest runs a Sentry-compatible
receiver on 127.0.0.1 with fault knobs, for tests.
*/
package raven
