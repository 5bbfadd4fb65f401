package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/ravenkit/raven/benchmarks
cpu: Some CPU @ 2.0GHz
BenchmarkCaptureException/raven-2         	   20000	      1000 ns/op	     50000 cpu-ns/op	      37 B/op	       1 allocs/op
BenchmarkCaptureException/raven-2         	   20000	      1200 ns/op	     50000 cpu-ns/op	      37 B/op	       1 allocs/op
BenchmarkCaptureException/raven-2         	   20000	      9000 ns/op	     50000 cpu-ns/op	      37 B/op	       1 allocs/op
BenchmarkCaptureException/sentry-go-2     	   20000	     20000 ns/op	     36000 cpu-ns/op	   11480 B/op	      50 allocs/op
BenchmarkDeliverHTTP/raven-2              	    2000	    100000 ns/op	      9000 events/s	   44655 B/op	     217 allocs/op
BenchmarkDeliverHTTP/raven-nogzip-2           	    2000	    100000 ns/op	     11000 events/s	   44655 B/op	     217 allocs/op
BenchmarkDeliverHTTP/sentry-go-2          	    2000	    200000 ns/op	      5000 events/s	   59622 B/op	     319 allocs/op
BenchmarkDeliverHTTP/nethttp-x4-2          	    2000	     50000 ns/op	     16000 events/s	   24622 B/op	     109 allocs/op
BenchmarkDeliverHTTPLatency/raven-2       	    2000	    400000 ns/op	      2500 events/s	   44655 B/op	     217 allocs/op
BenchmarkDeliverHTTPLatency/sentry-go-2   	    2000	   1600000 ns/op	       625 events/s	   59622 B/op	     319 allocs/op
BenchmarkMiddleware/baseline-2            	 1000000	       100 ns/op	       0 B/op	       0 allocs/op
BenchmarkMiddleware/raven-2               	 1000000	       400 ns/op	      48 B/op	       2 allocs/op
BenchmarkMiddleware/sentry-go-2           	 1000000	      1000 ns/op	    4000 B/op	      30 allocs/op
BenchmarkDisabled/raven                   	 1000000	         2 ns/op	         0 goroutines	       0 B/op	       0 allocs/op
--- FAIL: BenchmarkSomething
    some log line: with colon
PASS
ok  	github.com/ravenkit/raven/benchmarks	12.3s
`

func TestParseBench(t *testing.T) {
	b, err := ParseBench(strings.NewReader(sample))
	require.NoError(t, err)
	assert.Equal(t, "linux", b.Header["goos"])
	assert.Equal(t, "Some CPU @ 2.0GHz", b.Header["cpu"])
	require.Len(t, b.Samples, 14)
	assert.Equal(t, "CaptureException/raven", b.Samples[0].Name)
	assert.Equal(t, "Disabled/raven", b.Samples[13].Name, "a name without -GOMAXPROCS suffix is kept whole")

	med := b.Median()
	cases := []struct {
		scen, sdk, unit string
		want            float64
	}{
		{"CaptureException", "raven", "ns/op", 1200}, // median of 1000, 1200, 9000
		{"CaptureException", "raven", "samples", 3},
		{"CaptureException", "sentry-go", "allocs/op", 50},
		{"DeliverHTTP", "raven", "events/s", 9000},
		{"Disabled", "raven", "goroutines", 0},
		{"DeliverHTTP", "nethttp-x4", "events/s", 16000},
	}
	for _, tc := range cases {
		t.Run(tc.scen+"/"+tc.sdk+"/"+tc.unit, func(t *testing.T) {
			assert.Equal(t, tc.want, med[tc.scen][tc.sdk][tc.unit])
		})
	}
}

func TestRatio(t *testing.T) {
	cases := []struct {
		a, b float64
		want string
	}{
		{1, 2, "0.50x"}, {1, 50, "1/50"}, {30, 2, "15x"}, {0, 5, "0"}, {0, 0, "—"}, {3, 0, "∞"}, {-3, 10, "—"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, ratio(tc.a, tc.b), "%v/%v", tc.a, tc.b)
	}
}

func TestParseBenchRejectsBadNumbers(t *testing.T) {
	_, err := ParseBench(strings.NewReader("BenchmarkX-2 10 abc ns/op\n"))
	require.Error(t, err)
}

func TestMarkdown(t *testing.T) {
	b, err := ParseBench(strings.NewReader(sample))
	require.NoError(t, err)
	r := &Report{Bench: b, Med: b.Median(), Commands: []string{"bash benchmarks/run.sh"}, Date: time.Unix(0, 0),
		GoVer: "go1.26", CPUModel: "Test CPU", Cores: 2, RawBench: sample, Reading: "## Reading\n\nWhy."}
	md := r.Markdown()
	for _, want := range []string{
		"| CPU | Test CPU |",
		"| Cores | 2 |",
		"bash benchmarks/run.sh",
		// 1200 vs 20000 ns/op: met; 1 vs 50 allocs: met
		"| Scenario 1: raven ≤ 1/5 of sentry-go's ns/op | 1,200 vs 20,000 ns/op (1/17) | met |",
		"| Scenario 1: raven ≤ 1/4 of sentry-go's allocs/op | 1.00 vs 50.0 allocs/op (1/50) | met |",
		// 9000 vs 5000 events/s: 1.8x, missed
		"| Scenario 2: raven ≥ 2x sentry-go's delivered events/s | 9,000 vs 5,000 events/s (1.80x) | **missed** |",
		// overhead 300 vs 900 ns: exactly 1/3, met
		"| Scenario 4 (Middleware): raven's overhead ≤ 1/3 of sentry-go's | 300 vs 900 ns of overhead (0.33x) | met |",
		"| Scenario 5: raven starts 0 goroutines | 0 goroutines | met |",
		"| Scenario 2, for reference: raven with WithGzip(false) ≥ 2x | 11,000 vs 5,000 events/s (2.20x) | met |",
		"| Burst: raven delivers all | no results | not measured |",
		// 2500 vs 625 events/s: 4x, met
		"| Scenario 2 with a 1 ms round trip (2c): raven ≥ 2x sentry-go's delivered events/s | 2,500 vs 625 events/s (4.00x) | met |",
		"| Delivery: ≥ 20,000 events/s from capture to delivered, loopback, gzip (2b) | 9,000 events/s; HTTP alone, no SDK, at best (4 goroutines): 16,000 events/s | **missed** |",
		"| nethttp-x4 | 50,000 | 24,622 | 109 | 16,000 | — | — | 0.25x | 0.34x |",
		"| Scenario 4 (MiddlewarePanic): raven's overhead ≤ 1/3 of sentry-go's | no results | not measured |",
		"| raven | 1,200 | 37.0 | 1.00 | 1/17 | 1/50 |",
		"| baseline | 100 | 0 | 0 | — | — |",
		"| raven | 400 | 48.0 | 2.00 | 300 | 0.33x |",
		"## Reading\n\nWhy.",
	} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "### 3.", "scenarios without results are left out")
}

func FuzzParseBench(f *testing.F) {
	f.Add(sample)
	f.Add("BenchmarkX-2 10 5 ns/op\n")
	f.Add("BenchmarkX-2 10 5\n")
	f.Add("cpu: x\nBenchmark- 1 1 a 2 b\n")
	f.Fuzz(func(t *testing.T, in string) {
		b, err := ParseBench(strings.NewReader(in))
		if err != nil {
			return
		}
		med := b.Median()
		for _, rows := range med {
			for _, m := range rows {
				assert.GreaterOrEqual(t, m["samples"], 1.0)
			}
		}
		r := &Report{Bench: b, Med: med, Date: time.Unix(0, 0)}
		_ = r.Markdown()
	})
}

func TestMarkdownSDKBenchmarks(t *testing.T) {
	const sdkOut = `pkg: github.com/ravenkit/raven
BenchmarkCaptureException/caller_side-2   	   50000	      1100 ns/op	     364 B/op	       1 allocs/op
BenchmarkCaptureException/caller_side,_sender_blocked-2   	   50000	       900 ns/op	      36 B/op	       1 allocs/op
BenchmarkCaptureException/end_to_end-2   	   50000	      6000 ns/op	    5000 B/op	      15 allocs/op
pkg: github.com/ravenkit/raven/integrations/http
BenchmarkMiddleware/bare-2      	  300000	         3 ns/op	       0 B/op	       0 allocs/op
BenchmarkMiddleware/ravenhttp-2 	  300000	      1203 ns/op	     592 B/op	       3 allocs/op
`
	b, err := ParseBench(strings.NewReader(sample))
	require.NoError(t, err)
	sdk, err := ParseBench(strings.NewReader(sdkOut))
	require.NoError(t, err)
	r := &Report{Bench: b, Med: b.Median(), Date: time.Unix(0, 0), SDK: sdk.Median(), RawSDK: sdkOut}
	md := r.Markdown()
	for _, want := range []string{
		"| SDK: root BenchmarkCaptureException ≤ 3 µs and ≤ 10 allocs on the caller's goroutine | 900 ns/op, 1.00 allocs/op | met |",
		// 1200 ns added: over 1 µs
		"| SDK: ravenhttp adds ≤ 1 µs and ≤ 3 allocs to a request (integrations/http BenchmarkMiddleware) | 1,200 ns and 3.00 allocs added | **missed** |",
		"| CaptureException/caller_side,_sender_blocked | 900 | 36.0 | 1.00 |",
		"| CaptureException/end_to_end | 6,000 | 5,000 | 15.0 |",
		"| Middleware/ravenhttp | 1,203 | 592 | 3.00 |",
		"go test -bench, the SDK's own packages",
	} {
		assert.Contains(t, md, want)
	}
}

func TestMarkdownManualSetup(t *testing.T) {
	const in = `BenchmarkFastHTTP/baseline-2 100 10 ns/op 0 B/op 0 allocs/op
BenchmarkFastHTTP/raven-2 100 210 ns/op 64 B/op 1 allocs/op
BenchmarkFastHTTP/sentry-go-manual-2 100 1010 ns/op 768 B/op 11 allocs/op
BenchmarkZap/event/bare-2 100 100 ns/op 0 B/op 0 allocs/op
BenchmarkZap/event/raven-2 100 600 ns/op 0 B/op 0 allocs/op
BenchmarkZap/event/sentry-manual-2 100 2100 ns/op 0 B/op 0 allocs/op
`
	b, err := ParseBench(strings.NewReader(in))
	require.NoError(t, err)
	md := (&Report{Bench: b, Med: b.Median(), Date: time.Unix(0, 0), RawBench: in}).Markdown()
	for _, want := range []string{
		"| sentry-go (documented manual setup) | 1,010 | 768 | 11.0 | 1,000 | 1.00x |",
		"| raven | 210 | 64.0 | 1.00 | 200 | 0.20x |",
		"| Integration FastHTTP: raven's added cost ≤ 1/5 of sentry-go's documented manual setup's | 200 vs 1,000 ns added (0.20x) | met |",
		"| Integration Zap/event: raven's added cost ≤ 1/5 of sentry-go's documented manual setup's | 500 vs 2,000 ns added (0.25x) | **missed** |",
	} {
		assert.Contains(t, md, want)
	}
}
