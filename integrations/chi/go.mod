module github.com/ravenkit/raven/integrations/chi

go 1.26.0

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/ravenkit/raven v0.0.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/pkg/errors v0.9.1 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.14.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/ravenkit/raven => ../..
