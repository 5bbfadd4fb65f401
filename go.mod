module github.com/ravenkit/raven

go 1.26.0

require (
	github.com/pkg/errors v0.9.1
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
)

require (
	github.com/stretchr/testify v1.12.1 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)
