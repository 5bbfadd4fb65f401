// Command perfreport turns the output of the benchmarks (go test -bench)
// and of the burst program (-json) into docs/PERFORMANCE.md: one table per
// scenario with ratios to sentry-go, the targets and whether they were
// met, the machine, the commands, and a hand-written reading.
//
//	go run ./cmd/perfreport -bench bench.txt -burst burst.json \
//	    -reading READING.md -cmd "bash benchmarks/run.sh" -o ../docs/PERFORMANCE.md
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

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
