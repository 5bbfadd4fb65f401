package eventprint

import (
	"bytes"
	"testing"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
)

func TestFprint(t *testing.T) {
	ev := &protocol.Event{EventID: "0123456789abcdef0123456789abcdef", Level: protocol.LevelError, Release: "shop@1.2.3",
		Exception: &protocol.ExceptionList{Values: []protocol.Exception{
			{Type: "*errors.errorString", Value: "disk full", Stacktrace: &protocol.Stacktrace{Frames: []protocol.Frame{
				{Function: "main", Filename: "main.go", Lineno: 10, InApp: true},
				{Function: "Write", Filename: "os/file.go", Lineno: 20},
				{Function: "save", Filename: "store.go", Lineno: 30, InApp: true, ContextLine: "\treturn f.Write(b)"},
			}}},
			{Type: "*fmt.wrapError", Value: "save order: disk full"},
		}},
		Breadcrumbs: &protocol.BreadcrumbList{Values: []protocol.Breadcrumb{{Category: "http", Message: "GET /orders"}}},
		Tags:        map[string]string{"region": "eu", "component": "api"},
		User:        &protocol.User{ID: "42", Email: "a@example.com"},
		Request:     &protocol.Request{Method: "POST", URL: "http://shop/orders"},
		Transaction: "POST /orders",
	}
	var out bytes.Buffer
	Fprint(&out, ev)
	assert.Equal(t, `── event 0123456789abcdef0123456789abcdef  level=error
   release: shop@1.2.3  environment: -
   *fmt.wrapError: save order: disk full
   *errors.errorString: disk full
      at save (store.go:30)
         > return f.Write(b)
      at main (main.go:10)
   breadcrumb [http] GET /orders
   tags: component=api, region=eu
   user: email=a@example.com, id=42
   request: POST http://shop/orders (transaction "POST /orders")

`, out.String())
}

func TestFprintWithoutInAppFrames(t *testing.T) {
	frames := make([]protocol.Frame, 10)
	for i := range frames {
		frames[i] = protocol.Frame{Function: string(rune('a' + i)), Filename: "x.js", Lineno: i}
	}
	ev := &protocol.Event{EventID: "e", Level: protocol.LevelInfo, Message: &protocol.LogEntry{Message: "raw %s"},
		Threads: &protocol.ThreadList{Values: []protocol.Thread{{Current: true, Stacktrace: &protocol.Stacktrace{Frames: frames}}}}}
	var out bytes.Buffer
	Fprint(&out, ev)
	assert.Equal(t, `── event e  level=info
   message: raw %s
      at j (x.js:9)
      at i (x.js:8)
      at h (x.js:7)

`, out.String())
}
