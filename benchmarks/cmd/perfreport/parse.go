package main

import (
	"bufio"
	"fmt"
	"io"
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
		case "sentry-manual":
			sdk = manualRow
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
