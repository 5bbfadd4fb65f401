module github.com/ravenkit/raven/benchmarks

go 1.26.0

require (
	github.com/getsentry/raven-go v0.2.0
	github.com/getsentry/sentry-go v0.50.0
	github.com/ravenkit/raven v0.0.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/certifi/gocertifi v0.0.0-20210507211836-431795d63e8d // indirect
	github.com/pkg/errors v0.9.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/ravenkit/raven => ../
