package raven_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	pkgerrors "github.com/pkg/errors"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// recorder is a Transport keeping every envelope in memory; block, when
// set, holds Send until closed.
type recorder struct {
	mu      sync.Mutex
	envs    []*raven.Envelope
	block   chan struct{}
	sendErr error
}

func (r *recorder) Send(ctx context.Context, envs []*raven.Envelope) error {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sendErr != nil {
		return r.sendErr
	}
	r.envs = append(r.envs, envs...)
	return nil
}
func (r *recorder) Flush(ctx context.Context) error { return nil }
func (r *recorder) Close(ctx context.Context) error { return nil }

// events decodes and schema-checks every event received.
func (r *recorder) events(t *testing.T) []map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, e := range r.envs {
		for _, it := range e.Items {
			if it.Type != raven.ItemEvent {
				continue
			}
			schematest.Check(t, it.Payload)
			var m map[string]any
			require.NoError(t, json.Unmarshal(it.Payload, &m))
			out = append(out, m)
		}
	}
	return out
}

func newClient(t *testing.T, opts ...raven.Option) (*raven.Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	c, err := raven.New(append([]raven.Option{raven.WithDSN("https://pub@o1.example.com/7"), raven.WithTransport(rec)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c, rec
}

func flush(t *testing.T, c *raven.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Flush(ctx))
}

// path walks a decoded JSON value: path(m, "exception", "values", 0, "type").
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k < 0 {
				k += len(s)
			}
			if k < 0 || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func TestNewOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []raven.Option
		want string
	}{
		{"invalid dsn", []raven.Option{raven.WithDSN("not a dsn")}, "invalid DSN"},
		{"dsn without key", []raven.Option{raven.WithDSN("https://o1.example.com/7")}, "public key"},
		{"dsn without project", []raven.Option{raven.WithDSN("https://k@o1.example.com/")}, "project id"},
		{"invalid regexp", []raven.Option{raven.WithIgnoreErrors("(")}, "IgnoreErrors"},
		{"sample rate above 1", []raven.Option{raven.WithSampleRate(1.5)}, "sample rate"},
		{"negative queue", []raven.Option{raven.WithQueue(-1, 10)}, "positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := raven.New(tt.opts...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestEnvironmentVariables(t *testing.T) {
	t.Setenv(raven.EnvDSN, "https://envkey@o1.example.com/99")
	t.Setenv(raven.EnvRelease, "env-release")
	t.Setenv(raven.EnvEnvironment, "env-env")
	rec := &recorder{}
	c, err := raven.New(raven.WithTransport(rec), raven.WithEnvironment("explicit"))
	require.NoError(t, err)
	assert.Equal(t, "envkey", c.DSN().PublicKey)
	c.CaptureMessage("hi")
	flush(t, c)
	require.NoError(t, c.Close(context.Background()))
	ev := rec.events(t)
	require.Len(t, ev, 1)
	assert.Equal(t, "env-release", ev[0]["release"])
	assert.Equal(t, "explicit", ev[0]["environment"], "explicit options win")

	t.Setenv(raven.EnvDSN, "")
	d, err := raven.New(raven.WithDSN("https://k@o1.example.com/1"))
	require.NoError(t, err)
	assert.True(t, d.Enabled())
	require.NoError(t, d.Close(context.Background()))
}

func TestDisabledClientStartsNothing(t *testing.T) {
	t.Setenv(raven.EnvDSN, "")
	// Goroutines left by earlier tests may end meanwhile: compare sets, not counts.
	before := goleak.IgnoreCurrent()
	c, err := raven.New()
	require.NoError(t, err)
	assert.False(t, c.Enabled())
	for i := 0; i < 100; i++ {
		assert.Empty(t, c.CaptureException(errors.New("x")))
		c.CaptureMessage("m")
	}
	func() {
		defer c.Recover()
		panic("ignored")
	}()
	assert.NoError(t, goleak.Find(before), "no goroutine started")
	require.NoError(t, c.Flush(context.Background()))
	require.NoError(t, c.Close(context.Background()))
	if !raceEnabled {
		allocs := testing.AllocsPerRun(100, func() { c.CaptureException(errSentinel) })
		assert.Zero(t, allocs)
	}
}

var errSentinel = errors.New("sentinel")

func TestEnabledClientStartsGoroutinesLazily(t *testing.T) {
	// Goroutines left by earlier tests may end meanwhile: compare sets, not counts.
	before := goleak.IgnoreCurrent()
	c, _ := newClient(t)
	assert.NoError(t, goleak.Find(before), "no goroutine before the first event")
	assert.Zero(t, c.Stats().Senders)
	c.CaptureMessage("first")
	flush(t, c)
	assert.Positive(t, c.Stats().Senders)
	require.NoError(t, c.Close(context.Background()))
	assert.Zero(t, c.Stats().Senders)
	assert.NoError(t, goleak.Find(before), "Close stops every goroutine")
}

func TestCaptureExceptionEvent(t *testing.T) {
	c, rec := newClient(t, raven.WithRelease("1.2.3"), raven.WithTags(map[string]string{"global": "g"}))
	ctx := raven.WithScope(raven.ContextWithScope(context.Background(), c.Scope()))
	s := raven.ScopeFromContext(ctx)
	s.SetTag("local", "l")
	s.SetUser(&raven.User{ID: "42", Email: "a@b.c"})
	s.SetExtra("n", 7)
	s.SetContext("order", map[string]any{"id": 5})
	s.SetFingerprint([]string{"{{ default }}", "x"})
	s.SetTransaction("GET /orders")
	s.SetRequest(&raven.Request{Method: "GET", URL: "http://x/orders"})
	s.SetTrace(&raven.TraceContext{TraceID: strings.Repeat("a", 32), SpanID: strings.Repeat("b", 16)})
	for i := 0; i < 3; i++ {
		s.AddBreadcrumb(raven.Breadcrumb{Category: "test", Message: fmt.Sprint("crumb ", i), Data: map[string]any{"i": i}})
	}
	id := c.CaptureExceptionContext(ctx, fmt.Errorf("handler: %w", pkgerrors.Wrap(errors.New("db down"), "query")))
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), string(id))
	flush(t, c)
	evs := rec.events(t)
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, string(id), ev["event_id"])
	assert.Equal(t, "go", ev["platform"])
	assert.Equal(t, "error", ev["level"])
	assert.Equal(t, "1.2.3", ev["release"])
	assert.Equal(t, map[string]any{"global": "g", "local": "l"}, ev["tags"])
	assert.Equal(t, "42", path(ev, "user", "id"))
	assert.Equal(t, float64(7), path(ev, "extra", "n"))
	assert.Equal(t, float64(5), path(ev, "contexts", "order", "id"))
	assert.Equal(t, "go", path(ev, "contexts", "runtime", "name"))
	assert.NotEmpty(t, path(ev, "contexts", "os", "name"))
	assert.Equal(t, strings.Repeat("a", 32), path(ev, "contexts", "trace", "trace_id"))
	assert.Equal(t, "GET /orders", ev["transaction"])
	assert.Equal(t, "GET", path(ev, "request", "method"))
	assert.Len(t, path(ev, "breadcrumbs", "values"), 3)
	assert.Equal(t, raven.SDKName, path(ev, "sdk", "name"))

	excs := path(ev, "exception", "values").([]any)
	require.Len(t, excs, 3)
	// innermost first
	assert.Equal(t, "error", path(excs, 0, "type")) // errors.New: an opaque leaf
	assert.Equal(t, "db down", path(excs, 0, "value"))
	assert.Equal(t, "error", path(excs, 1, "type")) // wrappers are named after what they wrap
	assert.Equal(t, "error", path(excs, 2, "type"))
	assert.Equal(t, float64(0), path(excs, 2, "mechanism", "exception_id"))
	assert.Equal(t, true, path(excs, 2, "mechanism", "handled"))
	assert.Equal(t, float64(0), path(excs, 1, "mechanism", "parent_id"))
	assert.Equal(t, float64(1), path(excs, 0, "mechanism", "parent_id"))
	// the pkg/errors stack is on the link that carried it; no capture-site stack elsewhere
	assert.Nil(t, path(excs, 2, "stacktrace"))
	frames := path(excs, 1, "stacktrace", "frames").([]any)
	top := frames[len(frames)-1]
	assert.Equal(t, "TestCaptureExceptionEvent", path(top, "function"))
	assert.Equal(t, true, path(top, "in_app"))
	assert.Contains(t, path(top, "context_line"), "pkgerrors.Wrap")
}

func TestCaptureSiteStackWhenChainHasNone(t *testing.T) {
	c, rec := newClient(t)
	c.CaptureException(fmt.Errorf("a: %w", errors.New("b")))
	flush(t, c)
	ev := rec.events(t)[0]
	excs := path(ev, "exception", "values").([]any)
	require.Len(t, excs, 2)
	assert.Nil(t, path(excs, 0, "stacktrace"))
	frames := path(excs, 1, "stacktrace", "frames").([]any)
	assert.Equal(t, "TestCaptureSiteStackWhenChainHasNone", path(frames[len(frames)-1], "function"))
	for _, f := range frames {
		assert.NotEqual(t, "github.com/ravenkit/raven", path(f, "module"), "SDK frames are dropped")
	}
}

func TestCaptureJoinedErrors(t *testing.T) {
	c, rec := newClient(t)
	c.CaptureException(errors.Join(errors.New("first"), errors.New("second")))
	flush(t, c)
	excs := path(rec.events(t)[0], "exception", "values").([]any)
	require.Len(t, excs, 3)
	group := excs[2]
	assert.Equal(t, true, path(group, "mechanism", "is_exception_group"))
	assert.Equal(t, float64(0), path(excs, 0, "mechanism", "parent_id"))
	assert.Equal(t, float64(0), path(excs, 1, "mechanism", "parent_id"))
}

func TestCaptureMessageWithStack(t *testing.T) {
	c, rec := newClient(t, raven.WithAttachStacktrace(true))
	c.CaptureMessage("hello \xff world")
	flush(t, c)
	ev := rec.events(t)[0]
	assert.Equal(t, "info", ev["level"])
	assert.Equal(t, "hello \uFFFD world", path(ev, "logentry", "formatted"))
	frames := path(ev, "threads", "values", 0, "stacktrace", "frames").([]any)
	assert.Equal(t, "TestCaptureMessageWithStack", path(frames[len(frames)-1], "function"))
}

func TestCaptureHugeMessage(t *testing.T) {
	c, rec := newClient(t)
	c.CaptureException(errors.New(strings.Repeat("x", 5<<20)))
	flush(t, c)
	ev := rec.events(t)[0]
	assert.Less(t, len(path(ev, "exception", "values", 0, "value").(string)), 10000)
}

func TestCaptureEvent(t *testing.T) {
	c, rec := newClient(t)
	c.CaptureEvent(context.Background(), &raven.Event{Level: raven.LevelWarning, Message: &raven.LogEntry{Message: "custom %s", Params: []any{"p"}}, Tags: map[string]string{"own": "1"}})
	flush(t, c)
	ev := rec.events(t)[0]
	assert.Equal(t, "warning", ev["level"])
	assert.Equal(t, "custom %s", path(ev, "logentry", "message"))
	assert.Equal(t, "1", path(ev, "tags", "own"))
}

func TestNilAndTypedNilErrors(t *testing.T) {
	c, rec := newClient(t)
	assert.Empty(t, c.CaptureException(nil))
	assert.Empty(t, raven.CaptureException(nil))
	var typed *typedNilErr
	assert.NotEmpty(t, c.CaptureException(typed))
	flush(t, c)
	ev := rec.events(t)
	require.Len(t, ev, 1)
	assert.Contains(t, path(ev[0], "exception", "values", 0, "value"), "panicked")
}

type typedNilErr struct{ s string }

func (e *typedNilErr) Error() string { return e.s }

func TestSampleRateZeroSendsNothing(t *testing.T) {
	var drops []raven.Drop
	var mu sync.Mutex
	c, rec := newClient(t, raven.WithSampleRate(0), raven.WithOnDrop(func(d raven.Drop) {
		mu.Lock()
		drops = append(drops, d)
		mu.Unlock()
	}))
	for i := 0; i < 10; i++ {
		assert.Empty(t, c.CaptureException(errors.New("x")), "no id for an event that will not be sent")
	}
	flush(t, c)
	assert.Empty(t, rec.events(t))
	st := c.Stats()
	assert.Equal(t, uint64(10), st.Captured)
	assert.Equal(t, uint64(10), st.Dropped[raven.DropSampleRate])
	mu.Lock()
	assert.Len(t, drops, 10)
	mu.Unlock()
}

func TestHooksDropAndCount(t *testing.T) {
	c, rec := newClient(t,
		raven.WithIgnoreErrors("^ignored"),
		raven.WithEventProcessor(func(e *raven.Event) *raven.Event {
			if e.Message != nil && e.Message.Formatted == "processor-drop" {
				return nil
			}
			return e
		}),
		raven.WithBeforeSend(func(e *raven.Event, _ *raven.EventHint) *raven.Event {
			if e.Message != nil {
				switch e.Message.Formatted {
				case "drop":
					return nil
				case "panic":
					panic("before send exploded")
				}
			}
			e.Tags = map[string]string{"seen": "yes"}
			return e
		}),
		raven.WithOnDrop(func(raven.Drop) { panic("on drop exploded too") }),
	)
	c.CaptureMessage("keep")
	c.CaptureMessage("drop")
	c.CaptureMessage("panic")
	c.CaptureMessage("processor-drop")
	c.CaptureException(errors.New("ignored error"))
	flush(t, c)
	evs := rec.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "yes", path(evs[0], "tags", "seen"))
	st := c.Stats()
	assert.Equal(t, uint64(2), st.Dropped[raven.DropBeforeSend])
	assert.Equal(t, uint64(2), st.Dropped[raven.DropEventProcessor])
	assert.Equal(t, uint64(1), st.Delivered)
	assert.Equal(t, st.Captured, st.Delivered+st.DroppedTotal())
}

func TestTransportErrorsCounted(t *testing.T) {
	c, rec := newClient(t)
	rec.sendErr = errors.New("boom")
	c.CaptureMessage("x")
	flush(t, c)
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropSendError])
	rec.mu.Lock()
	rec.sendErr = &raven.DropError{Reason: raven.DropRateLimit, Reported: true}
	rec.mu.Unlock()
	c.CaptureMessage("y")
	flush(t, c)
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropRateLimit])
}

func TestClientReportsCarriedOnNextEnvelope(t *testing.T) {
	c, rec := newClient(t, raven.WithBeforeSend(func(e *raven.Event, _ *raven.EventHint) *raven.Event {
		if e.Message.Formatted == "drop" {
			return nil
		}
		return e
	}))
	c.CaptureMessage("drop")
	c.CaptureMessage("drop")
	flush(t, c)
	c.CaptureMessage("keep")
	flush(t, c)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var reports []map[string]any
	for _, e := range rec.envs {
		for _, it := range e.Items {
			if it.Type == raven.ItemClientReport {
				var m map[string]any
				require.NoError(t, json.Unmarshal(it.Payload, &m))
				reports = append(reports, m)
			}
		}
	}
	require.Len(t, reports, 1)
	assert.Equal(t, "before_send", path(reports[0], "discarded_events", 0, "reason"))
	assert.Equal(t, float64(2), path(reports[0], "discarded_events", 0, "quantity"))
}

type selfRef struct{ Next *selfRef }

type explodingJSON struct{}

func (explodingJSON) MarshalJSON() ([]byte, error) { panic("marshal exploded") }

func TestUnencodableValuesAreStringified(t *testing.T) {
	c, rec := newClient(t)
	s := c.Scope()
	loop := &selfRef{}
	loop.Next = loop
	s.SetExtra("chan", make(chan int))
	s.SetExtra("func", func() {})
	s.SetExtra("cycle", loop)
	s.SetExtra("exploding", explodingJSON{})
	s.SetExtra("fine", 1)
	s.AddBreadcrumb(raven.Breadcrumb{Message: "b", Data: map[string]any{"nan": func() {}}})
	s.SetContext("ctx", map[string]any{"c": make(chan bool)})
	c.CaptureMessage("still delivered")
	flush(t, c)
	evs := rec.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, float64(1), path(evs[0], "extra", "fine"))
	assert.IsType(t, "", path(evs[0], "extra", "chan"))
	assert.Equal(t, "[cycle]", path(evs[0], "extra", "cycle", "Next"), "the struct is kept up to where it loops")
	assert.Contains(t, path(evs[0], "extra", "exploding"), "marshal exploded")
	assert.IsType(t, "", path(evs[0], "breadcrumbs", "values", 0, "data", "nan"))
	assert.Equal(t, uint64(1), c.Stats().Delivered)
}

type panickyTransport struct{ discard }

func (panickyTransport) Send(context.Context, []*raven.Envelope) error { panic("transport exploded") }

func TestPanickingTransportIsContained(t *testing.T) {
	c, err := raven.New(raven.WithDSN("https://k@o.example.com/1"), raven.WithTransport(panickyTransport{}))
	require.NoError(t, err)
	c.CaptureMessage("x")
	require.NoError(t, c.Close(context.Background()))
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropSendError])
}

func TestNormalizesLevelAndTags(t *testing.T) {
	c, rec := newClient(t)
	long := strings.Repeat("k", 500)
	c.CaptureEvent(context.Background(), &raven.Event{Level: "critical", Message: &raven.LogEntry{Formatted: "x"},
		Tags: map[string]string{long: long, "bad": "\xff"}})
	flush(t, c)
	ev := rec.events(t)[0]
	assert.Equal(t, "error", ev["level"])
	tags := ev["tags"].(map[string]any)
	for k, v := range tags { // Relay counts characters
		assert.LessOrEqual(t, utf8.RuneCountInString(k), 200)
		assert.LessOrEqual(t, utf8.RuneCountInString(v.(string)), 200)
	}
	assert.Equal(t, "\uFFFD", tags["bad"])
}
