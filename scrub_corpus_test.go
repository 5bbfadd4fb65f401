package raven_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	ravenhttpclient "github.com/ravenkit/raven/integrations/httpclient"
	ravenslog "github.com/ravenkit/raven/integrations/slog"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretEntry is one line of testdata/secrets/secrets.txt.
type secretEntry struct {
	kind   string // "key" or "text"
	name   string // the key, or the text's template
	secret string
}

// text is the free text holding the secret.
func (e secretEntry) text() string { return strings.ReplaceAll(e.name, "{}", e.secret) }

type secretCorpus struct {
	keys, texts []secretEntry
	all         []secretEntry
}

func readTSV(t *testing.T, name string, fields int) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "secrets", name))
	require.NoError(t, err)
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		require.Len(t, parts, fields, "line %q", line)
		for i := range parts {
			parts[i] = strings.ReplaceAll(parts[i], `\n`, "\n")
		}
		out = append(out, parts)
	}
	require.NoError(t, sc.Err())
	return out
}

func loadSecrets(t *testing.T) secretCorpus {
	t.Helper()
	var c secretCorpus
	for _, p := range readTSV(t, "secrets.txt", 3) {
		e := secretEntry{kind: p[0], name: p[1], secret: p[2]}
		switch e.kind {
		case "key":
			c.keys = append(c.keys, e)
		case "text":
			require.Contains(t, e.name, "{}")
			c.texts = append(c.texts, e)
		default:
			t.Fatalf("unknown kind %q", e.kind)
		}
		c.all = append(c.all, e)
	}
	require.GreaterOrEqual(t, len(c.all), 60)
	return c
}

// keyed returns every key secret as a map from its key.
func (c secretCorpus) keyed() map[string]any {
	m := make(map[string]any, len(c.keys))
	for _, e := range c.keys {
		m[e.name] = e.secret
	}
	return m
}

// keyedStruct returns every key secret as a field of a struct, named by
// its json tag.
func (c secretCorpus) keyedStruct() any {
	fields := make([]reflect.StructField, len(c.keys))
	for i, e := range c.keys {
		fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: reflect.TypeFor[string](),
			Tag: reflect.StructTag(fmt.Sprintf(`json:"%s"`, e.name))}
	}
	v := reflect.New(reflect.StructOf(fields)).Elem()
	for i, e := range c.keys {
		v.Field(i).SetString(e.secret)
	}
	return v.Interface()
}

// query returns every key secret as a query string.
func (c secretCorpus) query() string {
	q := url.Values{}
	for _, e := range c.keys {
		q.Set(e.name, e.secret)
	}
	return q.Encode()
}

// leaks lists the secrets found in any of blobs, in any of the forms a
// secret takes when written (as is, JSON-escaped, query- or path-escaped).
func (c secretCorpus) leaks(blobs map[string][]byte) []string {
	var out []string
	for _, e := range c.all {
		js, _ := json.Marshal(e.secret)
		forms := []string{e.secret, string(js[1 : len(js)-1]), url.QueryEscape(e.secret), url.PathEscape(e.secret)}
		var places []string
		for where, b := range blobs {
			for _, f := range forms {
				if bytes.Contains(b, []byte(f)) {
					places = append(places, where)
					break
				}
			}
		}
		if len(places) > 0 {
			sort.Strings(places)
			out = append(out, fmt.Sprintf("%s %q (%s) in %d places, %s first", e.kind, e.name, e.secret, len(places), places[0]))
		}
	}
	return out
}

func assertNoLeaks(t *testing.T, c secretCorpus, blobs map[string][]byte) {
	t.Helper()
	require.NotEmpty(t, blobs, "something was sent or stored")
	leaks := c.leaks(blobs)
	assert.Empty(t, leaks, "%d of %d secrets left the process", len(leaks), len(c.all))
}

// serverBlobs returns what srv received, each event checked against the
// schema.
func serverBlobs(t *testing.T, srv *raventest.Server) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for i, b := range srv.Bodies() {
		out[fmt.Sprintf("request %d", i)] = b
	}
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
	return out
}

// captureEverywhere puts every secret of the corpus in every place a
// program can hand the SDK a value, and captures.
func captureEverywhere(c *raven.Client, corpus secretCorpus) {
	s := c.Scope()
	keyed := corpus.keyed()
	for k, v := range keyed {
		s.SetExtra(k, v)
		s.SetTag(k, v.(string))
	}
	s.SetExtra("as_struct", corpus.keyedStruct())
	s.SetExtra("nested", map[string]any{"list": []any{keyed}})
	s.SetContext("account", keyed)
	s.SetUser(&raven.User{ID: "u-1", Data: keyed})
	s.AddBreadcrumb(raven.Breadcrumb{Category: "test", Data: keyed})
	q := corpus.query()
	headers := map[string]string{}
	for _, e := range corpus.keys {
		headers[e.name] = e.secret
	}
	notes := map[string]any{}
	for i, e := range corpus.texts {
		note := fmt.Sprintf("note_%d", i)
		notes[note] = e.text()
		s.SetExtra(note, e.text())
		if !strings.Contains(e.text(), "\n") {
			s.SetTag(note, e.text())
			headers["X-"+note] = e.text()
		}
		s.AddBreadcrumb(raven.Breadcrumb{Message: e.text(), Data: map[string]any{"note": e.text()}})
	}
	s.SetContext("notes", notes)
	s.SetRequest(&raven.Request{Method: "POST", URL: "https://shop.example/login?" + q, QueryString: q,
		Headers: headers, Cookies: corpus.keyedStrings(), Data: keyed})
	c.CaptureMessage("everything set")

	body, _ := json.Marshal(keyed)
	s.SetRequest(&raven.Request{Method: "POST", URL: "https://shop.example/api", Data: string(body)})
	c.CaptureMessage("json body")
	s.SetRequest(&raven.Request{Method: "POST", URL: "https://shop.example/form", Data: q})
	c.CaptureMessage("form body")
	bodyNotes, _ := json.Marshal(notes)
	s.SetRequest(&raven.Request{Method: "POST", URL: "https://shop.example/notes", Data: string(bodyNotes)})
	c.CaptureMessage("notes body")

	for _, e := range corpus.texts {
		c.CaptureMessage(e.text())
		c.CaptureException(fmt.Errorf("wrapped: %w", errors.New(e.text())))
		c.CaptureEvent(context.Background(), &raven.Event{Message: &raven.LogEntry{Message: "failed: %s", Params: []any{e.text()}}})
	}
}

// keyedStrings returns every key secret as a map of strings.
func (c secretCorpus) keyedStrings() map[string]string {
	m := make(map[string]string, len(c.keys))
	for _, e := range c.keys {
		m[e.name] = e.secret
	}
	return m
}

func closeWithin(t *testing.T, c *raven.Client, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_ = c.Close(ctx)
}

// TestSecretCorpusNeverLeaves runs the corpus of testdata/secrets through
// every path that carries user data to the server or the disk, with
// default options, and looks for each secret in the raw bytes.
func TestSecretCorpusNeverLeaves(t *testing.T) {
	corpus := loadSecrets(t)

	t.Run("captures", func(t *testing.T) {
		srv := raventest.NewServer(t)
		c, err := raven.New(raven.WithDSN(srv.DSN()))
		require.NoError(t, err)
		captureEverywhere(c, corpus)
		closeWithin(t, c, time.Minute) // returns once delivered; the race detector makes scrubbing slow
		require.Equal(t, uint64(4+3*len(corpus.texts)), c.Stats().Delivered, "%+v", c.Stats())
		assertNoLeaks(t, corpus, serverBlobs(t, srv))
	})

	t.Run("outbox files", func(t *testing.T) {
		dir := t.TempDir()
		c, err := raven.New(raven.WithDSN(refusingDSN(t)),
			raven.WithOutbox(dir, raven.WithOutboxBackoff(time.Hour, time.Hour)),
			raven.WithHTTPTransportOptions(raven.WithRetries(1, time.Second)))
		require.NoError(t, err)
		captureEverywhere(c, corpus)
		closeWithin(t, c, 2*time.Second)
		blobs := map[string][]byte{}
		require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				b, rerr := os.ReadFile(p)
				require.NoError(t, rerr)
				blobs[p] = b
			}
			return err
		}))
		assert.NotEmpty(t, blobs, "the events were stored")
		assertNoLeaks(t, corpus, blobs)
	})

	t.Run("net/http middleware", func(t *testing.T) {
		srv := raventest.NewServer(t)
		c, err := raven.New(raven.WithDSN(srv.DSN()))
		require.NoError(t, err)
		web := httptest.NewServer(ravenhttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			panic("handler failed: " + r.Header.Get("X-Note"))
		}), ravenhttp.WithClient(c), ravenhttp.WithRequestBody(1<<20), ravenhttp.WithSendDefaultPII()))
		defer web.Close()
		do := func(method, path, contentType string, body string, hdr map[string]string) {
			req, err := http.NewRequest(method, web.URL+path, strings.NewReader(body))
			require.NoError(t, err)
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			for _, e := range corpus.keys {
				req.AddCookie(&http.Cookie{Name: e.name, Value: e.secret})
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		}
		do("GET", "/keys?"+corpus.query(), "", "", corpus.keyedStrings())
		do("POST", "/form", "application/x-www-form-urlencoded", corpus.query(), nil)
		body, _ := json.Marshal(corpus.keyed())
		do("POST", "/json", "application/json", string(body), nil)
		requests := 3
		for _, e := range corpus.texts {
			note, _ := json.Marshal(map[string]string{"note": e.text()})
			hdr := map[string]string{}
			if !strings.Contains(e.text(), "\n") {
				hdr["X-Note"] = e.text()
			}
			do("POST", "/text", "application/json", string(note), hdr)
			requests++
		}
		closeWithin(t, c, time.Minute) // returns once delivered; the race detector makes scrubbing slow
		require.Equal(t, uint64(requests), c.Stats().Delivered)
		assertNoLeaks(t, corpus, serverBlobs(t, srv))
	})

	t.Run("http.Client breadcrumbs", func(t *testing.T) {
		srv := raventest.NewServer(t)
		c, err := raven.New(raven.WithDSN(srv.DSN()))
		require.NoError(t, err)
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		defer target.Close()
		hc := &http.Client{Transport: ravenhttpclient.New(nil)}
		ctx := c.WithScope(context.Background())
		get := func(u string) {
			req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
			require.NoError(t, err)
			resp, err := hc.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
		}
		get(target.URL + "/all?" + corpus.query())
		for _, e := range corpus.keys {
			get(target.URL + "/one?page=1&" + url.QueryEscape(e.name) + "=" + url.QueryEscape(e.secret))
		}
		host := strings.TrimPrefix(target.URL, "http://")
		for _, e := range corpus.texts[:8] {
			get("http://deploy:" + url.PathEscape(e.secret) + "@" + host + "/userinfo")
		}
		c.CaptureMessageContext(ctx, "after the calls")
		closeWithin(t, c, time.Minute) // returns once delivered; the race detector makes scrubbing slow
		evs := srv.Events()
		require.Len(t, evs, 1)
		require.NotNil(t, evs[0].Breadcrumbs)
		assert.Len(t, evs[0].Breadcrumbs.Values, 1+len(corpus.keys)+8, "every call was recorded")
		assertNoLeaks(t, corpus, serverBlobs(t, srv))
	})

	t.Run("slog", func(t *testing.T) {
		srv := raventest.NewServer(t)
		c, err := raven.New(raven.WithDSN(srv.DSN()))
		require.NoError(t, err)
		var tagKeys []string
		var attrs []any
		for _, e := range corpus.keys {
			tagKeys = append(tagKeys, "tagged."+e.name)
			attrs = append(attrs, e.name, e.secret)
		}
		logger := slog.New(ravenslog.NewHandler(slog.NewTextHandler(io.Discard, nil), ravenslog.WithClient(c)))
		tagged := slog.New(ravenslog.NewHandler(slog.NewTextHandler(io.Discard, nil), ravenslog.WithClient(c),
			ravenslog.WithTagKeys(tagKeys...))).WithGroup("tagged")
		ctx := c.WithScope(context.Background())
		logger.InfoContext(ctx, "step", attrs...)
		for _, e := range corpus.texts {
			logger.InfoContext(ctx, e.text())
		}
		logger.ErrorContext(ctx, "failed", attrs...)
		tagged.ErrorContext(ctx, "failed with tags", attrs...)
		for _, e := range corpus.texts {
			logger.ErrorContext(ctx, e.text())
			logger.ErrorContext(ctx, e.text(), "err", errors.New(e.text()))
		}
		closeWithin(t, c, time.Minute) // returns once delivered; the race detector makes scrubbing slow
		require.Equal(t, uint64(2+2*len(corpus.texts)), c.Stats().Delivered)
		assertNoLeaks(t, corpus, serverBlobs(t, srv))
	})

	t.Run("crash report", func(t *testing.T) {
		if testing.Short() {
			t.Skip("builds and runs a program")
		}
		bin := buildProg(t, t.TempDir(), "internal/testprog/secretcrash")
		srv := raventest.NewServer(t)
		abs, err := filepath.Abs(filepath.Join("testdata", "secrets", "secrets.txt"))
		require.NoError(t, err)
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "SENTRY_DSN="+srv.DSN(), "RAVEN_TEST_SECRETS="+abs, "GOTRACEBACK=")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err = cmd.Run()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "the program crashed; stderr: %s", stderr.String())
		assert.Equal(t, 2, ee.ExitCode())
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		evs, err := srv.WaitForEvents(ctx, 1)
		require.NoError(t, err, "the monitor reported the crash")
		ev := evs[0]
		assert.Equal(t, raven.LevelFatal, ev.Level)
		assert.Equal(t, "secretcrash", ev.Tags["app"])
		require.NotNil(t, ev.Exception)
		assert.Contains(t, ev.Exception.Values[len(ev.Exception.Values)-1].Value, "crashed with")
		assertNoLeaks(t, corpus, serverBlobs(t, srv))
	})
}

// refusingDSN is a DSN whose server refuses connections.
func refusingDSN(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://public@" + addr + "/42"
}

// TestOrdinaryCorpusSurvives sends the ordinary values of testdata/secrets
// under their keys and inside messages: none may be scrubbed.
func TestOrdinaryCorpusSurvives(t *testing.T) {
	rows := readTSV(t, "ordinary.txt", 2)
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	s := c.Scope()
	data := map[string]any{}
	for _, r := range rows {
		s.SetExtra(r[0], r[1])
		s.SetTag(r[0], r[1])
		data[r[0]] = r[1]
	}
	s.AddBreadcrumb(raven.Breadcrumb{Category: "test", Data: data})
	s.SetRequest(&raven.Request{Method: "GET", URL: "https://shop.example/orders/42?page=2&sort=desc", QueryString: "page=2&sort=desc"})
	for _, r := range rows {
		c.CaptureMessage("saw " + r[1] + " as " + r[0])
	}
	c.CaptureException(errors.New("with a stack"))
	closeWithin(t, c, time.Minute) // returns once delivered; the race detector makes scrubbing slow
	evs := srv.Events()
	require.Len(t, evs, len(rows)+1)
	messages := map[string]bool{}
	var withStack *raven.Event
	for _, ev := range evs {
		if ev.Message != nil {
			messages[ev.Message.Formatted] = true
		} else {
			withStack = ev
		}
	}
	require.NotNil(t, withStack)
	frames := withStack.Exception.Values[0].Stacktrace.Frames
	top := frames[len(frames)-1]
	assert.Equal(t, "TestOrdinaryCorpusSurvives", top.Function, "frames are not scrubbed")
	assert.Equal(t, "scrub_corpus_test.go", filepath.Base(top.Filename))
	ev := evs[0]
	for _, r := range rows {
		assert.Equal(t, r[1], ev.Extra[r[0]], "extra %s", r[0])
		assert.Equal(t, r[1], ev.Tags[r[0]], "tag %s", r[0])
		assert.Equal(t, r[1], ev.Breadcrumbs.Values[0].Data[r[0]], "breadcrumb data %s", r[0])
		assert.True(t, messages["saw "+r[1]+" as "+r[0]], "message with %s", r[0])
	}
	assert.Equal(t, "https://shop.example/orders/42?page=2&sort=desc", ev.Request.URL)
	assert.Equal(t, "page=2&sort=desc", ev.Request.QueryString)
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
}
