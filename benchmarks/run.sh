#!/usr/bin/env bash
# Regenerates docs/PERFORMANCE.md: runs every benchmark of this module and
# the burst program, then renders the report with cmd/perfreport.
# Takes about 12 minutes on 2 cores. COUNT=n changes how many times each
# benchmark runs (default 5; the report shows medians).
set -euo pipefail
cd "$(dirname "$0")"
COUNT=${COUNT:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Each group gets the benchtime that suits it: the caller-side benchmarks
# drain their queue with the timer stopped, so a fixed number of
# iterations bounds their wall time; the HTTP ones are slow per event.
groups=(
	"^Benchmark(CaptureException|CaptureExceptionEndToEnd|Recover|MiddlewarePanic)\$ 20000x"
	"^Benchmark(CaptureHTTP|DeliverHTTP|DeliverHTTPLatency)\$ 2000x"
	"^Benchmark(Middleware|Disabled)\$ 1s"
	"^Benchmark(Gin|Echo|Fiber|FastHTTP|GRPCUnaryInterceptor|Logrus|Zap|Zerolog)\$ 20000x"
	"^BenchmarkGRPCUnary\$ 2000x"
)
cmds=()
for g in "${groups[@]}"; do
	read -r pattern benchtime <<<"$g"
	cmd="go test -run='^\$' -bench='$pattern' -benchmem -count=$COUNT -benchtime=$benchtime ."
	cmds+=("-cmd" "(cd benchmarks && $cmd)")
	echo "+ $cmd" >&2
	go test -run='^$' -bench="$pattern" -benchmem -count="$COUNT" -benchtime="$benchtime" . | tee -a "$tmp/bench.txt"
done

# The SDK's own benchmarks, in their packages: capture cost (root) and
# middleware overhead (integrations/http).
sdkcmds=(
	"go test -run='^\$' -bench='^BenchmarkCaptureException\$' -benchmem -count=$COUNT -benchtime=50000x ."
	"go test -run='^\$' -bench='^BenchmarkMiddleware\$' -benchmem -count=$COUNT -benchtime=300000x ./integrations/http"
)
for cmd in "${sdkcmds[@]}"; do
	echo "+ (cd .. && $cmd)" >&2
	(cd .. && eval "$cmd") | tee -a "$tmp/sdk.txt"
	cmds+=("-cmd" "$cmd")
done

burst="go run ./cmd/burst -n 3000 -latency 20ms -timeout 60s"
echo "+ $burst" >&2
$burst -json "$tmp/burst.json" | tee "$tmp/burst.txt"
cmds+=("-cmd" "(cd benchmarks && $burst)")

flood="go run ./cmd/flood -duration 3s -goroutines 4"
echo "+ $flood" >&2
$flood | tee "$tmp/flood.txt"
cmds+=("-cmd" "(cd benchmarks && $flood)")

commit=$(git rev-parse --short HEAD 2>/dev/null || true)
go run ./cmd/perfreport -bench "$tmp/bench.txt" -burst "$tmp/burst.json" -burst-text "$tmp/burst.txt" -flood-text "$tmp/flood.txt" \
	-sdk-bench "$tmp/sdk.txt" -reading READING.md -commit "$commit" -go "$(go env GOVERSION)" \
	-cmd "bash benchmarks/run.sh   # runs the commands below" "${cmds[@]}" -o ../docs/PERFORMANCE.md
echo "wrote docs/PERFORMANCE.md" >&2
