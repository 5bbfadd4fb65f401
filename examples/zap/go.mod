module github.com/ravenkit/raven/examples/zap

go 1.26.0

require (
	github.com/ravenkit/raven v0.0.0
	github.com/ravenkit/raven/integrations/zap v0.0.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
	go.uber.org/zap v1.28.0
)

require (
	github.com/pkg/errors v0.9.1 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace (
	github.com/ravenkit/raven => ../..
	github.com/ravenkit/raven/integrations/zap => ../../integrations/zap
)
