package gzipfast

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	out, err := io.ReadAll(zr)
	require.NoError(t, err, "the standard library's reader must accept the stream")
	require.NoError(t, zr.Close())
	return out
}

// envelopeSample is an envelope as the transport sends it: an event with a
// chain, frames with context lines, breadcrumbs and contexts.
func envelopeSample(t testing.TB) []byte {
	jsonTS := time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.UTC)
	frames := make([]protocol.Frame, 30)
	for i := range frames {
		frames[i] = protocol.Frame{Function: fmt.Sprintf("handler.func%d", i), Module: "example.com/shop/orders",
			Filename: "orders/handler.go", AbsPath: "/src/shop/orders/handler.go", Lineno: 10 + i, InApp: i > 10,
			PreContext: []string{"\tif err != nil {", "\t\treturn err"}, ContextLine: "\t}", PostContext: []string{"\treturn nil", "}"}}
	}
	ev := &protocol.Event{EventID: "0123456789abcdef0123456789abcdef", Timestamp: jsonTS, Platform: "go", Level: protocol.LevelError,
		SDK: &protocol.SDKInfo{Name: protocol.SDKName, Version: protocol.SDKVersion}, Tags: map[string]string{"route": "/orders/{id}"},
		Contexts: map[string]map[string]any{"os": {"name": "linux"}, "runtime": {"name": "go", "version": "go1.26.0"}},
		Exception: &protocol.ExceptionList{Values: []protocol.Exception{
			{Type: "*errors.errorString", Value: "connection refused", Module: "errors"},
			{Type: "*fmt.wrapError", Value: "load customer: connection refused", Module: "fmt", Stacktrace: &protocol.Stacktrace{Frames: frames}},
		}},
		Breadcrumbs: &protocol.BreadcrumbList{},
	}
	for i := range 20 {
		ev.Breadcrumbs.Values = append(ev.Breadcrumbs.Values, protocol.Breadcrumb{Timestamp: jsonTS, Category: "test", Message: fmt.Sprintf("step %d", i)})
	}
	payload, err := ev.MarshalJSON()
	require.NoError(t, err)
	env := &protocol.Envelope{Header: protocol.EnvelopeHeader{EventID: ev.EventID, SentAt: jsonTS, SDK: ev.SDK},
		Items: []protocol.EnvelopeItem{{Type: protocol.ItemEvent, Payload: payload, Events: 1}}}
	raw, err := env.AppendTo(nil)
	require.NoError(t, err)
	return raw
}

func TestAppendGzipRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	// a 40 KiB block repeated after more than a window of noise: only
	// matches within 32 KiB are allowed
	far := random(40 << 10)
	farInput := append(append(append([]byte(nil), far...), random(33<<10)...), far...)
	cases := map[string][]byte{
		"empty":              nil,
		"one byte":           {'x'},
		"three bytes":        []byte("abc"),
		"four equal":         []byte("aaaa"),
		"run of 258":         bytes.Repeat([]byte{'a'}, 259),
		"run of 1000":        bytes.Repeat([]byte{'z'}, 1000),
		"every length":       []byte(strings.Repeat("0123456789abcdef", 20) + "0123456789abcde" + strings.Repeat("x", 300)),
		"high bytes":         bytes.Repeat([]byte{0xff, 0x90, 0x00, 0x8f}, 500),
		"utf-8":              []byte(strings.Repeat("héllo wörld ✓ ", 300)),
		"random 100k":        random(100 << 10),
		"far repeats":        farInput,
		"envelope":           envelopeSample(t),
		"distance 32768":     append(append(append([]byte("QWERTYUIOP"), random(32768-10)...), "QWERTYUIOP"...), random(10)...),
		"distance 32769":     append(append(append([]byte("QWERTYUIOP"), random(32769-10)...), "QWERTYUIOP"...), random(10)...),
		"json 1 MiB":         []byte(strings.Repeat(`{"key":"value","n":12345,"list":[1,2,3],"nested":{"a":"b"}},`, 1<<20/60)),
		"tail shorter than4": []byte("abcabcabcab"),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out := Append(nil, in)
			assert.Equal(t, len(in), len(gunzip(t, out)))
			assert.True(t, bytes.Equal(in, gunzip(t, out)), "round trip")
			// appending keeps what dst held
			prefixed := Append([]byte("prefix"), in)
			assert.Equal(t, "prefix", string(prefixed[:6]))
			assert.True(t, bytes.Equal(in, gunzip(t, prefixed[6:])))
		})
	}
}

// TestAppendGzipReusesTableSafely compresses many inputs through the same
// pooled table: entries left by an earlier input must never be taken for
// matches in a later one.
func TestAppendGzipReusesTableSafely(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		n := rng.IntN(5000)
		in := make([]byte, n)
		alphabet := 2 + rng.IntN(20) // small alphabets make many candidate matches
		for j := range in {
			in[j] = byte('a' + rng.IntN(alphabet))
		}
		require.True(t, bytes.Equal(in, gunzip(t, Append(nil, in))), "input %d", i)
	}
}

func TestAppendGzipTableWrapsAround(t *testing.T) {
	d := &deflater{cur: 1<<31 - 40000} // the next input would overflow the offsets
	in := []byte(strings.Repeat("wrap around ", 100))
	out := d.deflate(nil, in)
	assert.Less(t, d.cur, uint32(1<<20), "the table was cleared and the offsets restarted")
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(out)))
	require.NoError(t, err)
	assert.Equal(t, in, got)
}

func TestAppendGzipCompressesEnvelopes(t *testing.T) {
	raw := envelopeSample(t)
	out := Append(nil, raw)
	var std bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&std, gzip.BestSpeed)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	t.Logf("envelope %d bytes: Append %d, compress/gzip BestSpeed %d", len(raw), len(out), std.Len())
	assert.Less(t, len(out), len(raw)/2, "an event envelope shrinks by more than half")
	assert.Less(t, len(out), std.Len()*3/2, "within half again of compress/gzip's fastest level")
}

func TestAppendGzipSetsHeaderAndTrailer(t *testing.T) {
	in := []byte("hello, hello, hello")
	out := Append(nil, in)
	zr, err := gzip.NewReader(bytes.NewReader(out))
	require.NoError(t, err)
	assert.Equal(t, time.Time{}, zr.ModTime, "no modification time")
	assert.Equal(t, byte(255), zr.OS)
	got, err := io.ReadAll(zr)
	require.NoError(t, err, "CRC-32 and size trailer are checked by the reader")
	assert.Equal(t, in, got)
	// a corrupted trailer is caught: the stream is what the reader verifies
	out[len(out)-5] ^= 1
	zr, err = gzip.NewReader(bytes.NewReader(out))
	require.NoError(t, err)
	_, err = io.ReadAll(zr)
	assert.Error(t, err)
}

func FuzzAppendGzip(f *testing.F) {
	f.Add([]byte(nil))
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaa"))
	f.Add([]byte(`{"event_id":"x","breadcrumbs":{"values":[{"a":1},{"a":1},{"a":2}]}}`))
	f.Add(bytes.Repeat([]byte{0, 1, 2, 3, 0, 1, 2}, 100))
	f.Fuzz(func(t *testing.T, in []byte) {
		out := Append(nil, in)
		if !bytes.Equal(in, gunzip(t, out)) {
			t.Fatalf("round trip changed %d bytes of input", len(in))
		}
		if len(out) > len(in)*9/8+32 {
			t.Fatalf("%d bytes grew to %d", len(in), len(out))
		}
	})
}

// BenchmarkGzipEnvelope compares Append with compress/gzip at its
// fastest level on an event envelope, compression and decompression.
func BenchmarkGzipEnvelope(b *testing.B) {
	raw := envelopeSample(b)
	b.Run("Append", func(b *testing.B) {
		var out []byte
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			out = Append(out[:0], raw)
		}
		b.ReportMetric(float64(len(out)), "out-bytes")
	})
	b.Run("compress/gzip", func(b *testing.B) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			buf.Reset()
			zw.Reset(&buf)
			_, _ = zw.Write(raw)
			_ = zw.Close()
		}
		b.ReportMetric(float64(buf.Len()), "out-bytes")
	})
	for _, name := range []string{"Append", "compress/gzip"} {
		var z []byte
		if name == "Append" {
			z = Append(nil, raw)
		} else {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			_, _ = zw.Write(raw)
			_ = zw.Close()
			z = buf.Bytes()
		}
		b.Run("decode "+name, func(b *testing.B) {
			zr, _ := gzip.NewReader(bytes.NewReader(z))
			b.ReportAllocs()
			for b.Loop() {
				_ = zr.Reset(bytes.NewReader(z))
				_, _ = io.Copy(io.Discard, zr)
			}
		})
	}
}
