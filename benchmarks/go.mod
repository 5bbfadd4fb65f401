module github.com/ravenkit/raven/benchmarks

go 1.26.0

require (
	github.com/gofiber/fiber/v2 v2.52.15
	github.com/ravenkit/raven v0.0.0
	github.com/valyala/fasthttp v1.78.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.22 // indirect
	github.com/mattn/go-runewidth v0.0.16 // indirect
	github.com/molecule-man/go-brrr v1.3.1 // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/time v0.16.0 // indirect
)

require (
	github.com/certifi/gocertifi v0.0.0-20210507211836-431795d63e8d // indirect
	github.com/getsentry/raven-go v0.2.0
	github.com/getsentry/sentry-go v0.50.0
	github.com/getsentry/sentry-go/fiber v0.49.0
	github.com/pkg/errors v0.9.1 // indirect
	github.com/ravenkit/raven/integrations/fasthttp v0.0.0
	github.com/ravenkit/raven/integrations/fiber v0.0.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

replace github.com/ravenkit/raven => ../

replace github.com/ravenkit/raven/integrations/fasthttp => ../integrations/fasthttp

replace github.com/ravenkit/raven/integrations/fiber => ../integrations/fiber
