package httpreq

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequest(t *testing.T) {
	r := httptest.NewRequest("POST", "https://shop.example/orders/42?token=t&x=1", nil)
	r.TLS = &tls.ConnectionState{}
	r.RemoteAddr = "10.0.0.7:5555"
	r.Header.Set("Cookie", "session=abc")
	r.Header.Add("Accept", "a")
	r.Header.Add("Accept", "b")

	req := Request(r, false, nil)
	assert.Equal(t, "POST", req.Method)
	assert.Equal(t, "https://shop.example/orders/42", req.URL)
	assert.Equal(t, "token=t&x=1", req.QueryString)
	assert.Equal(t, "a, b", req.Headers["Accept"])
	assert.NotContains(t, req.Headers, "Cookie")
	assert.Nil(t, req.Cookies)
	assert.Nil(t, req.Env)
	assert.Nil(t, req.Data)

	req = Request(r, true, nil)
	assert.Equal(t, map[string]string{"session": "abc"}, req.Cookies)
	assert.Equal(t, map[string]string{"REMOTE_ADDR": "10.0.0.7"}, req.Env)
}

func TestBodyKeepsItsStart(t *testing.T) {
	b := NewBody(io.NopCloser(strings.NewReader("0123456789")), 4)
	all, err := io.ReadAll(b)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(all), "the handler reads the whole body")
	assert.Equal(t, "0123…[truncated]", b.String())
	r := httptest.NewRequest("GET", "/", nil)
	assert.Equal(t, "0123…[truncated]", Request(r, false, b).Data)

	short := NewBody(io.NopCloser(strings.NewReader("ok")), 4)
	_, _ = io.ReadAll(short)
	assert.Equal(t, "ok", short.String())
	require.NoError(t, short.Close())
}

func TestHeader(t *testing.T) {
	h := http.Header{"Sentry-Trace": {"a", "b"}}
	assert.Equal(t, "a", Header(h, "Sentry-Trace"))
	assert.Equal(t, "", Header(h, "Traceparent"))
}

func TestNamesAreKeptUpToTheBound(t *testing.T) {
	var ns Names
	a := ns.Transaction("GET", "/orders/:id")
	assert.Equal(t, "GET /orders/:id", a)
	assert.Zero(t, testing.AllocsPerRun(100, func() { ns.Transaction("GET", "/orders/:id") }), "a kept name costs no allocation")
	for i := range MaxNames + 10 {
		assert.Equal(t, fmt.Sprintf("M%d /x", i), ns.Transaction(fmt.Sprintf("M%d", i), "/x"))
	}
	assert.Equal(t, MaxNames, ns.n, "no more than MaxNames are kept")
}
