module github.com/ravenkit/raven/examples/logrus

go 1.26.0

require (
	github.com/ravenkit/raven v0.0.0
	github.com/ravenkit/raven/integrations/logrus v0.0.0
	github.com/sirupsen/logrus v1.10.2
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/pkg/errors v0.9.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.13.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace (
	github.com/ravenkit/raven => ../..
	github.com/ravenkit/raven/integrations/logrus => ../../integrations/logrus
)
