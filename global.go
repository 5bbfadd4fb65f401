package raven

import "context"

// CaptureException reports err with the default client and its root scope.
// It returns the event id, or "" when nothing will be sent.
func CaptureException(err error) EventID {
	if err == nil {
		return ""
	}
	c := CurrentClient()
	return c.capture(c.root, captureOpts{level: LevelError, err: err, mechanism: "generic", skip: 0})
}

// CaptureExceptionContext reports err with the scope ctx carries (and that
// scope's client).
func CaptureExceptionContext(ctx context.Context, err error) EventID {
	if err == nil {
		return ""
	}
	s := ScopeFromContext(ctx)
	return s.client.capture(s, captureOpts{level: LevelError, err: err, mechanism: "generic", skip: 0})
}

// CaptureMessage reports a message at info level with the default client.
func CaptureMessage(msg string) EventID {
	c := CurrentClient()
	return c.capture(c.root, captureOpts{level: LevelInfo, msg: msg, skip: 0})
}

// CaptureMessageContext reports a message with the scope ctx carries.
func CaptureMessageContext(ctx context.Context, msg string) EventID {
	s := ScopeFromContext(ctx)
	return s.client.capture(s, captureOpts{level: LevelInfo, msg: msg, skip: 0})
}

// CaptureEvent sends a fully built event with the scope ctx carries.
func CaptureEvent(ctx context.Context, e *Event) EventID {
	if e == nil {
		return ""
	}
	s := ScopeFromContext(ctx)
	return s.client.capture(s, captureOpts{level: e.Level, event: e, skip: 0})
}

// CapturePanic reports a recovered panic value with the scope ctx carries.
// Call it from the deferred function that called recover.
func CapturePanic(ctx context.Context, v any) EventID {
	if v == nil {
		return ""
	}
	s := ScopeFromContext(ctx)
	return s.client.capturePanic(ctx, s, v, 1)
}

// Recover recovers a panic and reports it with the default client; the
// goroutine goes on. Use it as `defer raven.Recover()`.
func Recover() {
	if v := recover(); v != nil {
		c := CurrentClient()
		c.capturePanic(context.Background(), c.root, v, 1)
	}
}

// RecoverContext is Recover with the scope ctx carries.
func RecoverContext(ctx context.Context) {
	if v := recover(); v != nil {
		s := ScopeFromContext(ctx)
		s.client.capturePanic(ctx, s, v, 1)
	}
}

// RecoverRepanic reports a panic, waits up to DefaultRepanicFlushTimeout
// for its delivery, then panics again with the same value, so the process
// still crashes as it would have.
func RecoverRepanic(ctx context.Context) {
	if v := recover(); v != nil {
		s := ScopeFromContext(ctx)
		s.client.capturePanic(ctx, s, v, 1)
		fctx, cancel := context.WithTimeout(context.Background(), DefaultRepanicFlushTimeout)
		_ = s.client.Flush(fctx)
		cancel()
		panic(v)
	}
}

// AddBreadcrumb records a breadcrumb on the scope ctx carries.
func AddBreadcrumb(ctx context.Context, b Breadcrumb) { ScopeFromContext(ctx).AddBreadcrumb(b) }

// Flush waits for the default client's events; see Client.Flush.
func Flush(ctx context.Context) error { return CurrentClient().Flush(ctx) }

// Close flushes and stops the default client; see Client.Close.
func Close(ctx context.Context) error { return CurrentClient().Close(ctx) }
