module github.com/ravenkit/raven/integrations/echo5

go 1.26.0

require (
	github.com/labstack/echo/v5 v5.4.4
	github.com/ravenkit/raven v0.0.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/pkg/errors v0.9.1 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.40.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/ravenkit/raven => ../..
