package main

// scenario describes how a benchmark is shown.
type scenario struct {
	name, title, what string
	extra             []string // extra metric units to show
	baseline          bool     // has a "baseline" row: show overhead over it
}

var scenarios = []scenario{
	{"CaptureException", "1. CaptureException, cost on the caller's goroutine",
		"A two-level `%w` chain, 20 breadcrumbs and one tag on the scope, in-memory transport. " +
			"raven's sender and raven-go's worker are held while the timer runs, so their work is not counted here " +
			"(see 1b); sentry-go does everything on the caller's goroutine.", nil, false},
	{"CaptureExceptionEndToEnd", "1b. CaptureException, end to end",
		"The same, with the wait for delivery inside the timed region (a flush every 64 captures) and every " +
			"in-memory transport producing the bytes its HTTP transport would send. ns/op is wall time with the " +
			"SDK's goroutines running in parallel; cpu-ns/op is the CPU of every goroutine per event.",
		[]string{"cpu-ns/op", "bytes/event"}, false},
	{"CaptureHTTP", "2. Loopback HTTP, cost on the caller's goroutine",
		"Each SDK's default HTTP transport posting to a loopback server in the same process; flushes every 50 " +
			"captures run with the timer stopped. cpu-ns/op includes the server's work (for raven, undoing gzip); " +
			"raven-nogzip is raven's transport with WithGzip(false); raven-outbox is raven with WithOutbox, every " +
			"event written to disk before it is sent.", []string{"cpu-ns/op"}, false},
	{"DeliverHTTP", "2b. Loopback HTTP, delivered events per second",
		"Captures and the flushes that deliver them (50 at a time, below every SDK's queue, so nothing drops) " +
			"are all timed; events/s counts what the server received. The nethttp rows are no SDK at all: one " +
			"(x1), four (x4) or sixteen (x16) goroutines posting raven's envelope, already encoded and not compressed, with a " +
			"bare http.Client to the same server, so they show what this machine's HTTP stack alone can carry.",
		[]string{"events/s", "wire-bytes/event", "cpu-ns/op"}, false},
	{"DeliverHTTPLatency", "2c. HTTP with a 1 ms round trip, delivered events per second",
		"As 2b, against a server that answers 1 ms after each request arrives, as a collector in the same " +
			"region would.", []string{"events/s", "wire-bytes/event", "cpu-ns/op"}, false},
	{"Recover", "3. Recovering a string panic",
		"A deferred recover that reports the panic with a stack, on the caller's goroutine (as in 1).",
		nil, false},
	{"Middleware", "4. net/http middleware, handler that succeeds",
		"One request through each SDK's middleware (ravenhttp.Handler, sentryhttp, raven.RecoveryHandler) into a " +
			"handler that writes 200; `baseline` is the bare handler. Overhead = ns/op − baseline.", nil, true},
	{"MiddlewarePanic", "4b. net/http middleware, handler that panics",
		"The handler panics; the middleware recovers, reports (in-memory transport, caller's goroutine) and " +
			"answers 500. `baseline` is a bare deferred recover writing 500.", nil, true},
	{"Disabled", "5. Disabled client (no DSN)",
		"CaptureException with a client created without a DSN; goroutines is how many goroutines creating the " +
			"client and capturing left running.", []string{"goroutines"}, false},
	{"Gin", "6a. gin middleware, handler that succeeds",
		"A request through gin's ServeHTTP into a handler answering 200 on /orders/:id: raven's ravengin, " +
			"sentry-go's sentrygin (v0.46.2, the newest served), or none (baseline).", nil, true},
	{"Echo", "6b. echo (v4) middleware, handler that succeeds",
		"As 6a with echo v4: ravenecho against sentryecho (v0.42.0).", nil, true},
	{"Fiber", "6c. Fiber (v2) middleware, handler that succeeds",
		"The app's fasthttp handler called on a prepared RequestCtx: ravenfiber against sentryfiber (v0.49.0).", nil, true},
	{"FastHTTP", "6d. fasthttp middleware, handler that succeeds",
		"As 6c with a bare fasthttp handler: ravenfasthttp. sentry-go's fasthttp module is not served with a " +
			"verifiable checksum, so the sentry-go row is its documented manual setup: a hub cloned per request " +
			"among the request's user values, panics recovered and reported (no request data: a lower bound).", nil, true},
	{"GRPCUnary", "6e. gRPC unary call over loopback TCP",
		"A unary health check through a real connection: no interceptor, raven's server interceptor, and raven's " +
			"server and client interceptors (raven-both). sentry-go's gRPC module is not served, so the sentry-go " +
			"row is its documented manual setup as a server interceptor: a hub cloned per call on its context, " +
			"tagged with the method, panics recovered and reported, failed calls captured.", nil, true},
	{"GRPCUnaryInterceptor", "6f. gRPC server interceptor called directly",
		"The interceptor around a handler that returns at once, without the network: its own cost; sentry-go " +
			"as in 6e.", nil, true},
	{"Logrus/below", "7a. logrus, record below the breadcrumb level", "A debug record: the hook is not called.", nil, true},
	{"Logrus/breadcrumb", "7b. logrus, record that becomes a breadcrumb",
		"An info record with two fields. sentry-go's logrus hook (v0.49.0) sends Sentry Logs instead: different work.", nil, true},
	{"Logrus/event", "7c. logrus, record that becomes an event", "An error record with an error field.", nil, true},
	{"Zap/below", "7d. zap, record below the breadcrumb level",
		"sentry-go's zap module is not served, so the sentry-go row is its documented manual setup: a zapcore.Core " +
			"teed beside the JSON core that adds breadcrumbs to a hub and captures events through it.", nil, true},
	{"Zap/breadcrumb", "7e. zap, record that becomes a breadcrumb", "An info entry with two fields.", nil, true},
	{"Zap/event", "7f. zap, record that becomes an event", "An error entry with zap.Error.", nil, true},
	{"Zerolog/below", "7g. zerolog, record below the breadcrumb level",
		"A debug record; sentry-go's zerolog writer (v0.48.0) reads every record.", nil, true},
	{"Zerolog/breadcrumb", "7h. zerolog, record that becomes a breadcrumb", "An info record with two fields.", nil, true},
	{"Zerolog/event", "7i. zerolog, record that becomes an event", "An error record with an error.", nil, true},
}

var sdkOrder = []string{"baseline", "raven", "raven-both", "raven-nogzip", "raven-outbox", "sentry-go", manualRow, "raven-go", "nethttp-x1", "nethttp-x4", "nethttp-x16"}

// manualRow is the row of sentry-go's core set up by hand as its
// documentation tells, for a framework whose sentry-go integration the
// module proxy does not serve; the tables compare with it where there is
// no sentry-go row.
const manualRow = "sentry-go-manual"

// sdkLabels are the names tables show for rows named otherwise in the
// benchmarks.
var sdkLabels = map[string]string{manualRow: "sentry-go (documented manual setup)"}

// reference returns the row ratios are taken against: sentry-go's
// integration, else its documented manual setup.
func reference(rows map[string]map[string]float64) (map[string]float64, string) {
	if m, ok := rows["sentry-go"]; ok {
		return m, "sentry-go"
	}
	if m, ok := rows[manualRow]; ok {
		return m, manualRow
	}
	return nil, ""
}
