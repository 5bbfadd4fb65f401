// Command perfreport turns the output of the benchmarks (go test -bench)
// and of the burst program (-json) into docs/PERFORMANCE.md: one table per
// scenario with ratios to sentry-go, the targets and whether they were
// met, the machine, the commands, and a hand-written reading.
//
//	go run ./cmd/perfreport -bench bench.txt -burst burst.json \
//	    -reading READING.md -cmd "bash benchmarks/run.sh" -o ../docs/PERFORMANCE.md
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sample is one benchmark result line.
type Sample struct {
	Name    string             // full name without the -GOMAXPROCS suffix
	Metrics map[string]float64 // unit -> value
}

// Bench holds parsed benchmark output.
type Bench struct {
	Header  map[string]string // goos, goarch, pkg, cpu
	Samples []Sample
}

// ParseBench reads `go test -bench` output; unknown lines are skipped.
func ParseBench(r io.Reader) (*Bench, error) {
	b := &Bench{Header: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, "Benchmark") && !strings.Contains(k, " ") {
			b.Header[k] = strings.TrimSpace(v)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		s := Sample{Name: strings.TrimPrefix(name, "Benchmark"), Metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("perfreport: %q: %w", line, err)
			}
			s.Metrics[f[i+1]] = v
		}
		b.Samples = append(b.Samples, s)
	}
	return b, sc.Err()
}

// Median returns the median of every metric of every benchmark name,
// keyed by scenario then SDK, and how many samples each had.
func (b *Bench) Median() map[string]map[string]map[string]float64 {
	vals := map[string]map[string][]float64{}
	for _, s := range b.Samples {
		if vals[s.Name] == nil {
			vals[s.Name] = map[string][]float64{}
		}
		for u, v := range s.Metrics {
			vals[s.Name][u] = append(vals[s.Name][u], v)
		}
	}
	out := map[string]map[string]map[string]float64{}
	for name, m := range vals {
		scen, sdk := name, ""
		if i := strings.LastIndex(name, "/"); i >= 0 {
			scen, sdk = name[:i], name[i+1:]
		}
		switch sdk { // the logger benchmarks' names for the usual rows
		case "bare":
			sdk = "baseline"
		case "sentry":
			sdk = "sentry-go"
		}
		if out[scen] == nil {
			out[scen] = map[string]map[string]float64{}
		}
		med := map[string]float64{}
		for u, vs := range m {
			sort.Float64s(vs)
			n := len(vs)
			if n%2 == 1 {
				med[u] = vs[n/2]
			} else {
				med[u] = (vs[n/2-1] + vs[n/2]) / 2
			}
			med["samples"] = float64(n)
		}
		out[scen][sdk] = med
	}
	return out
}

// BurstFile is what cmd/burst -json writes.
type BurstFile struct {
	Config struct {
		N       int           `json:"N"`
		Latency time.Duration `json:"Latency"`
		Timeout time.Duration `json:"Timeout"`
	} `json:"config"`
	Results []struct {
		SDK            string        `json:"sdk"`
		Captured       int64         `json:"captured"`
		Delivered      int64         `json:"delivered"`
		Reported       int64         `json:"dropped_reported"`
		CountedLocally int64         `json:"counted_locally"`
		ClientReports  int64         `json:"client_reports"`
		Silent         int64         `json:"dropped_silently"`
		CaptureTime    time.Duration `json:"capture_ns"`
		FlushTime      time.Duration `json:"flush_ns"`
		FlushCompleted bool          `json:"flush_completed"`
		Note           string        `json:"note"`
	} `json:"results"`
}

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
			"verifiable checksum, so there is no sentry-go row.", nil, true},
	{"GRPCUnary", "6e. gRPC unary call over loopback TCP",
		"A unary health check through a real connection: no interceptor, raven's server interceptor, and raven's " +
			"server and client interceptors (raven-both). sentry-go has no gRPC module.", nil, true},
	{"GRPCUnaryInterceptor", "6f. gRPC server interceptor called directly",
		"The interceptor around a handler that returns at once, without the network: its own cost.", nil, true},
	{"Logrus/below", "7a. logrus, record below the breadcrumb level", "A debug record: the hook is not called.", nil, true},
	{"Logrus/breadcrumb", "7b. logrus, record that becomes a breadcrumb",
		"An info record with two fields. sentry-go's logrus hook (v0.49.0) sends Sentry Logs instead: different work.", nil, true},
	{"Logrus/event", "7c. logrus, record that becomes an event", "An error record with an error field.", nil, true},
	{"Zap/below", "7d. zap, record below the breadcrumb level", "sentry-go has no zap module.", nil, true},
	{"Zap/breadcrumb", "7e. zap, record that becomes a breadcrumb", "An info entry with two fields.", nil, true},
	{"Zap/event", "7f. zap, record that becomes an event", "An error entry with zap.Error.", nil, true},
	{"Zerolog/below", "7g. zerolog, record below the breadcrumb level",
		"A debug record; sentry-go's zerolog writer (v0.48.0) reads every record.", nil, true},
	{"Zerolog/breadcrumb", "7h. zerolog, record that becomes a breadcrumb", "An info record with two fields.", nil, true},
	{"Zerolog/event", "7i. zerolog, record that becomes an event", "An error record with an error.", nil, true},
}

var sdkOrder = []string{"baseline", "raven", "raven-both", "raven-nogzip", "raven-outbox", "sentry-go", "raven-go", "nethttp-x1", "nethttp-x4", "nethttp-x16"}

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return fmtThousands(int64(v + 0.5))
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func fmtThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ratio(a, b float64) string {
	if b == 0 {
		if a == 0 {
			return "—"
		}
		return "∞"
	}
	r := a / b
	switch {
	case a == 0:
		return "0"
	case r < 0:
		return "—" // an overhead within noise of the baseline
	}
	if r >= 10 {
		return fmt.Sprintf("%.0fx", r)
	}
	if r >= 0.1 {
		return fmt.Sprintf("%.2fx", r)
	}
	return fmt.Sprintf("1/%.0f", 1/r)
}

// Report holds everything the markdown is made from.
type Report struct {
	Bench    *Bench
	Med      map[string]map[string]map[string]float64
	Burst    *BurstFile
	BurstTxt string
	FloodTxt string // cmd/flood's table (optional)
	Reading  string
	Commands []string
	Date     time.Time
	Commit   string
	GoVer    string
	CPUModel string
	Cores    int
	RawBench string
	// SDK holds the benchmarks of the SDK's own packages (optional):
	// BenchmarkCaptureException of the root package and BenchmarkMiddleware
	// of integrations/http.
	SDK    map[string]map[string]map[string]float64
	RawSDK string
}

func (r *Report) get(scen, sdk, unit string) (float64, bool) {
	m, ok := r.Med[scen][sdk]
	if !ok {
		return 0, false
	}
	v, ok := m[unit]
	return v, ok
}

type target struct {
	what, measured string
	met            bool
	known          bool
}

func (r *Report) targets() []target {
	var ts []target
	add := func(what string, known, met bool, measured string) {
		if !known {
			measured = "no results"
		}
		ts = append(ts, target{what: what, measured: measured, met: met, known: known})
	}
	rn, ok1 := r.get("CaptureException", "raven", "ns/op")
	sn, ok2 := r.get("CaptureException", "sentry-go", "ns/op")
	add("Scenario 1: raven ≤ 1/5 of sentry-go's ns/op", ok1 && ok2, rn*5 <= sn, fmt.Sprintf("%s vs %s ns/op (%s)", num(rn), num(sn), ratio(rn, sn)))
	ra, ok1 := r.get("CaptureException", "raven", "allocs/op")
	sa, ok2 := r.get("CaptureException", "sentry-go", "allocs/op")
	add("Scenario 1: raven ≤ 1/4 of sentry-go's allocs/op", ok1 && ok2, ra*4 <= sa, fmt.Sprintf("%s vs %s allocs/op (%s)", num(ra), num(sa), ratio(ra, sa)))
	re, reOK := r.get("DeliverHTTP", "raven", "events/s")
	se, ok2 := r.get("DeliverHTTP", "sentry-go", "events/s")
	add("Scenario 2: raven ≥ 2x sentry-go's delivered events/s", reOK && ok2, re >= 2*se, fmt.Sprintf("%s vs %s events/s (%s)", num(re), num(se), ratio(re, se)))
	if ng, ok := r.get("DeliverHTTP", "raven-nogzip", "events/s"); ok {
		add("Scenario 2, for reference: raven with WithGzip(false) ≥ 2x", ok && se > 0, ng >= 2*se,
			fmt.Sprintf("%s vs %s events/s (%s)", num(ng), num(se), ratio(ng, se)))
	}
	rl, ok1 := r.get("DeliverHTTPLatency", "raven", "events/s")
	sl, ok2 := r.get("DeliverHTTPLatency", "sentry-go", "events/s")
	add("Scenario 2 with a 1 ms round trip (2c): raven ≥ 2x sentry-go's delivered events/s", ok1 && ok2, rl >= 2*sl,
		fmt.Sprintf("%s vs %s events/s (%s)", num(rl), num(sl), ratio(rl, sl)))
	measured := fmt.Sprintf("%s events/s", num(re))
	best, bestN := 0.0, 0
	for _, n := range []int{1, 4, 16} {
		if h, ok := r.get("DeliverHTTP", fmt.Sprintf("nethttp-x%d", n), "events/s"); ok && h > best {
			best, bestN = h, n
		}
	}
	if bestN > 0 {
		measured += fmt.Sprintf("; HTTP alone, no SDK, at best (%d goroutines): %s events/s", bestN, num(best))
	}
	add("Delivery: ≥ 20,000 events/s from capture to delivered, loopback, gzip (2b)", reOK, re >= 20000, measured)
	if r.Burst != nil {
		for _, b := range r.Burst.Results {
			if b.SDK == "raven" {
				add(fmt.Sprintf("Burst: raven delivers all %d", b.Captured), true, b.Delivered == b.Captured,
					fmt.Sprintf("%d of %d delivered", b.Delivered, b.Captured))
			}
		}
	} else {
		add("Burst: raven delivers all", false, false, "no burst results")
	}
	for _, scen := range []string{"Middleware", "MiddlewarePanic"} {
		base, okb := r.get(scen, "baseline", "ns/op")
		rm, ok1 := r.get(scen, "raven", "ns/op")
		sm, ok2 := r.get(scen, "sentry-go", "ns/op")
		ro, so := rm-base, sm-base
		add(fmt.Sprintf("Scenario 4 (%s): raven's overhead ≤ 1/3 of sentry-go's", scen), okb && ok1 && ok2, ro*3 <= so,
			fmt.Sprintf("%s vs %s ns of overhead (%s)", num(ro), num(so), ratio(ro, so)))
	}
	for _, scen := range []string{"Gin", "Echo", "Fiber", "Logrus/breadcrumb", "Logrus/event", "Zerolog/breadcrumb", "Zerolog/event"} {
		base, okb := r.get(scen, "baseline", "ns/op")
		rm, ok1 := r.get(scen, "raven", "ns/op")
		sm, ok2 := r.get(scen, "sentry-go", "ns/op")
		if !ok1 {
			continue
		}
		ro, so := rm-base, sm-base
		add(fmt.Sprintf("Integration %s: raven's added cost ≤ 1/5 of the official integration's", scen), okb && ok1 && ok2,
			ro*5 <= so, fmt.Sprintf("%s vs %s ns added (%s)", num(ro), num(so), ratio(ro, so)))
	}
	rg, ok := r.get("Disabled", "raven", "goroutines")
	add("Scenario 5: raven starts 0 goroutines", ok, rg == 0, fmt.Sprintf("%s goroutines", num(rg)))
	if r.SDK != nil {
		// the caller's cost alone: the sub-benchmark whose sender is held
		var c map[string]float64
		ok := false
		for _, name := range []string{"caller_side,_sender_blocked", "caller_side", ""} {
			if c, ok = r.SDK["CaptureException"][name]; ok {
				break
			}
		}
		add("SDK: root BenchmarkCaptureException ≤ 3 µs and ≤ 10 allocs on the caller's goroutine", ok,
			c["ns/op"] <= 3000 && c["allocs/op"] <= 10, fmt.Sprintf("%s ns/op, %s allocs/op", num(c["ns/op"]), num(c["allocs/op"])))
		bare, ok1 := r.SDK["Middleware"]["baseline"]
		mw, ok2 := r.SDK["Middleware"]["ravenhttp"]
		o, oa := mw["ns/op"]-bare["ns/op"], mw["allocs/op"]-bare["allocs/op"]
		add("SDK: ravenhttp adds ≤ 1 µs and ≤ 3 allocs to a request (integrations/http BenchmarkMiddleware)", ok1 && ok2,
			o <= 1000 && oa <= 3, fmt.Sprintf("%s ns and %s allocs added", num(o), num(oa)))
	}
	return ts
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var w strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&w, format, a...) }
	p("# Performance: raven, sentry-go and raven-go side by side\n\n")
	p("Generated by `benchmarks/run.sh` (cmd/perfreport) on %s", r.Date.UTC().Format("2006-01-02 15:04 MST"))
	if r.Commit != "" {
		p(" at commit `%s`", r.Commit)
	}
	p(". Do not edit by hand: edit `benchmarks/READING.md` or the benchmarks and run the script again.\n\n")
	p("SDKs: raven (this repository), github.com/getsentry/sentry-go %s, github.com/getsentry/raven-go %s. ", r.modVersion("sentry-go"), r.modVersion("raven-go"))
	p("Figures are medians of %s runs; ratios are raven ÷ sentry-go (lower is better, except events/s).\n\n", r.samplesText())

	p("## Machine\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s |\n", orDash(r.CPUModel))
	if c := r.Bench.Header["cpu"]; c != "" && c != r.CPUModel {
		p("| CPU (as Go reports it) | %s |\n", c)
	}
	p("| Cores | %d |\n", r.Cores)
	p("| Go | %s |\n", r.GoVer)
	p("| OS/arch | %s/%s |\n\n", orDash(r.Bench.Header["goos"]), orDash(r.Bench.Header["goarch"]))

	p("## Commands\n\n```sh\n%s\n```\n\n", strings.Join(r.Commands, "\n"))

	p("## Targets\n\n| Target | Measured | |\n|---|---|---|\n")
	for _, t := range r.targets() {
		status := "met"
		switch {
		case !t.known:
			status = "not measured"
		case !t.met:
			status = "**missed**"
		}
		p("| %s | %s | %s |\n", t.what, t.measured, status)
	}
	p("\n")

	p("## Results\n\n")
	for _, sc := range scenarios {
		rows := r.Med[sc.name]
		if len(rows) == 0 {
			continue
		}
		p("### %s\n\n%s\n\n", sc.title, sc.what)
		cols := []string{"SDK", "ns/op", "B/op", "allocs/op"}
		cols = append(cols, sc.extra...)
		if sc.baseline {
			cols = append(cols, "overhead ns", "overhead vs sentry-go")
		} else {
			cols = append(cols, "ns/op vs sentry-go", "allocs vs sentry-go")
		}
		p("| %s |\n|%s\n", strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
		sentry := rows["sentry-go"]
		base := rows["baseline"]
		for _, sdk := range sdkOrder {
			m, ok := rows[sdk]
			if !ok {
				continue
			}
			cells := []string{sdk, num(m["ns/op"]), num(m["B/op"]), num(m["allocs/op"])}
			for _, u := range sc.extra {
				if v, ok := m[u]; ok {
					cells = append(cells, num(v))
				} else {
					cells = append(cells, "—")
				}
			}
			switch {
			case sc.baseline && sdk == "baseline":
				cells = append(cells, "—", "—")
			case sc.baseline:
				o := m["ns/op"] - base["ns/op"]
				so := sentry["ns/op"] - base["ns/op"]
				cells = append(cells, num(o), ratio(o, so))
			case sentry != nil:
				cells = append(cells, ratio(m["ns/op"], sentry["ns/op"]), ratio(m["allocs/op"], sentry["allocs/op"]))
			default:
				cells = append(cells, "—", "—")
			}
			p("| %s |\n", strings.Join(cells, " | "))
		}
		p("\n")
	}

	if r.Burst != nil {
		p("## Burst\n\n")
		p("%d captures as fast as possible, then a flush bounded by %s, against a loopback server answering after %s. "+
			"Delivered is counted by the server; dropped-reported is the larger of the SDK's own drop counters "+
			"(raven `Client.Stats`, a raven-go `DropHandler`) and the discarded events announced to the server in "+
			"client reports; dropped-silently is the rest.\n\n",
			r.Burst.Config.N, r.Burst.Config.Timeout, r.Burst.Config.Latency)
		p("| SDK | captured | delivered | dropped-reported | (SDK counters / client reports) | dropped-silently | capture time | flush time |\n")
		p("|---|---|---|---|---|---|---|---|\n")
		for _, b := range r.Burst.Results {
			flush := b.FlushTime.Round(time.Millisecond).String()
			if !b.FlushCompleted {
				flush += " (timed out)"
			}
			p("| %s | %d | %d | %d | %d / %d | %d | %s | %s |\n", b.SDK, b.Captured, b.Delivered, b.Reported,
				b.CountedLocally, b.ClientReports, b.Silent, b.CaptureTime.Round(time.Microsecond), flush)
		}
		for _, b := range r.Burst.Results {
			if b.Note != "" {
				p("\n%s: %s\n", b.SDK, b.Note)
			}
		}
		p("\n")
	}

	if r.FloodTxt != "" {
		p("## Flood\n\n")
		p("cmd/flood: goroutines capture the same error nonstop on this machine's cores against a loopback " +
			"server, while a quiet call site reports another error every 50 ms. The paced rate is what the SDK " +
			"delivers when captures are held back so its queue never overflows; the share is what it still " +
			"delivers during the flood. Everything beyond is dropped and counted.\n\n")
		p("```\n%s\n```\n\n", strings.TrimSpace(r.FloodTxt))
	}
	if r.SDK != nil {
		p("## The SDK's own benchmarks\n\n")
		p("`BenchmarkCaptureException` of the root package captures the scenario 1 error with a transport that " +
			"discards: the caller's cost while the sender runs on the other core (caller_side) or is held " +
			"(caller_side,_sender_blocked), all the work for one event (end_to_end), and a client without a DSN " +
			"(disabled). `BenchmarkMiddleware` of integrations/http is ravenhttp.Handler against the bare handler.\n\n")
		p("| Benchmark | ns/op | B/op | allocs/op |\n|---|---|---|---|\n")
		var names []string
		for scen, rows := range r.SDK {
			for sdk := range rows {
				names = append(names, scen+"/"+sdk)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			scen, sdk, _ := strings.Cut(n, "/")
			m := r.SDK[scen][sdk]
			p("| %s | %s | %s | %s |\n", strings.TrimSuffix(n, "/"), num(m["ns/op"]), num(m["B/op"]), num(m["allocs/op"]))
		}
		p("\n")
	}
	if r.Reading != "" {
		p("%s\n\n", strings.TrimSpace(r.Reading))
	}
	p("## Raw output\n\n<details><summary>go test -bench</summary>\n\n```\n%s\n```\n\n</details>\n", strings.TrimSpace(r.RawBench))
	if r.RawSDK != "" {
		p("\n<details><summary>go test -bench, the SDK's own packages</summary>\n\n```\n%s\n```\n\n</details>\n", strings.TrimSpace(r.RawSDK))
	}
	if r.BurstTxt != "" {
		p("\n<details><summary>burst</summary>\n\n```\n%s\n```\n\n</details>\n", strings.TrimSpace(r.BurstTxt))
	}
	return w.String()
}

func (r *Report) samplesText() string {
	lo, hi := 0, 0
	for _, rows := range r.Med {
		for _, m := range rows {
			n := int(m["samples"])
			if lo == 0 || n < lo {
				lo = n
			}
			hi = max(hi, n)
		}
	}
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

func (r *Report) modVersion(name string) string {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		return "(see benchmarks/go.mod)"
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		for i, x := range f {
			if strings.HasSuffix(x, "/"+name) && i+1 < len(f) && strings.HasPrefix(f[i+1], "v") {
				return f[i+1]
			}
		}
	}
	return "(see benchmarks/go.mod)"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// cpuModel reads the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func main() {
	benchPath := flag.String("bench", "", "go test -bench output")
	burstPath := flag.String("burst", "", "cmd/burst -json output (optional)")
	burstTxt := flag.String("burst-text", "", "cmd/burst table output (optional)")
	floodTxt := flag.String("flood-text", "", "cmd/flood table output (optional)")
	readingPath := flag.String("reading", "", "markdown appended as the reading of the results (optional)")
	sdkPath := flag.String("sdk-bench", "", "go test -bench output of the SDK's own packages (optional)")
	var cmds multiFlag
	flag.Var(&cmds, "cmd", "command that produced the results (repeatable)")
	commit := flag.String("commit", "", "commit the results were produced at")
	goVer := flag.String("go", runtime.Version(), "Go version")
	out := flag.String("o", "", "output file (default stdout)")
	flag.Parse()
	if err := run(*benchPath, *burstPath, *burstTxt, *floodTxt, *readingPath, *sdkPath, cmds, *commit, *goVer, *out); err != nil {
		fmt.Fprintln(os.Stderr, "perfreport:", err)
		os.Exit(1)
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, "\n") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func run(benchPath, burstPath, burstTxt, floodTxt, readingPath, sdkPath string, cmds []string, commit, goVer, out string) error {
	if benchPath == "" {
		return fmt.Errorf("-bench is required")
	}
	raw, err := os.ReadFile(benchPath)
	if err != nil {
		return err
	}
	bench, err := ParseBench(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	if len(bench.Samples) == 0 {
		return fmt.Errorf("%s: no benchmark results", benchPath)
	}
	rep := &Report{Bench: bench, Med: bench.Median(), Commands: cmds, Date: time.Now(), Commit: commit,
		GoVer: goVer, CPUModel: cpuModel(), Cores: runtime.NumCPU(), RawBench: string(raw)}
	if burstPath != "" {
		b, err := os.ReadFile(burstPath)
		if err != nil {
			return err
		}
		rep.Burst = new(BurstFile)
		if err := json.Unmarshal(b, rep.Burst); err != nil {
			return fmt.Errorf("%s: %w", burstPath, err)
		}
	}
	if burstTxt != "" {
		b, err := os.ReadFile(burstTxt)
		if err != nil {
			return err
		}
		rep.BurstTxt = string(b)
	}
	if floodTxt != "" {
		b, err := os.ReadFile(floodTxt)
		if err != nil {
			return err
		}
		rep.FloodTxt = string(b)
	}
	if sdkPath != "" {
		b, err := os.ReadFile(sdkPath)
		if err != nil {
			return err
		}
		sdk, err := ParseBench(strings.NewReader(string(b)))
		if err != nil {
			return fmt.Errorf("%s: %w", sdkPath, err)
		}
		rep.SDK, rep.RawSDK = sdk.Median(), string(b)
	}
	if readingPath != "" {
		b, err := os.ReadFile(readingPath)
		if err != nil {
			return err
		}
		rep.Reading = string(b)
	}
	md := rep.Markdown()
	if out == "" {
		_, err = os.Stdout.WriteString(md)
		return err
	}
	return os.WriteFile(out, []byte(md), 0o644)
}
