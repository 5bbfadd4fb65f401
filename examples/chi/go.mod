module github.com/ravenkit/raven/examples/chi

go 1.26.0

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/ravenkit/raven v0.0.0
	github.com/ravenkit/raven/integrations/chi v0.0.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/pkg/errors v0.9.1 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace (
	github.com/ravenkit/raven => ../..
	github.com/ravenkit/raven/integrations/chi => ../../integrations/chi
)
