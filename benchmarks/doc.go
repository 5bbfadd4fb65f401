// Package benchmarks compares raven with the official Sentry SDK for Go
// (github.com/getsentry/sentry-go) and its predecessor
// (github.com/getsentry/raven-go) on the same scenarios in one run.
//
// Every benchmark has one sub-benchmark per SDK ("raven", "sentry-go",
// "raven-go"); run them with
//
//	go test -run='^$' -bench=. -benchmem
//
// and regenerate docs/PERFORMANCE.md with benchmarks/run.sh. The burst
// program in cmd/burst measures delivery under a flood, and cmd/perfreport
// turns the outputs into the report.
package benchmarks
