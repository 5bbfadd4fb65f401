module github.com/ravenkit/raven/benchmarks

go 1.26.0

require (
	github.com/getsentry/raven-go v0.2.0
	github.com/getsentry/sentry-go v0.50.0
	github.com/getsentry/sentry-go/logrus v0.49.0
	github.com/getsentry/sentry-go/zerolog v0.48.0
	github.com/ravenkit/raven v0.0.0
	github.com/ravenkit/raven/integrations/logrus v0.0.0
	github.com/ravenkit/raven/integrations/zap v0.0.0
	github.com/ravenkit/raven/integrations/zerolog v0.0.0
	github.com/rs/zerolog v1.35.1
	github.com/sirupsen/logrus v1.10.2
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
	go.uber.org/zap v1.28.0
	google.golang.org/grpc v1.85.0
)

require (
	golang.org/x/net v0.60.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

require (
	github.com/buger/jsonparser v1.1.2 // indirect
	github.com/certifi/gocertifi v0.0.0-20210507211836-431795d63e8d // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.22 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/ravenkit/raven/integrations/grpc v0.0.0
	go.uber.org/multierr v1.10.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/ravenkit/raven => ../

replace github.com/ravenkit/raven/integrations/logrus => ../integrations/logrus

replace github.com/ravenkit/raven/integrations/zap => ../integrations/zap

replace github.com/ravenkit/raven/integrations/zerolog => ../integrations/zerolog

replace github.com/ravenkit/raven/integrations/grpc => ../integrations/grpc
