package ravenhttpclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ravenkit/raven"
	ravenhttpclient "github.com/ravenkit/raven/integrations/httpclient"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBreadcrumbPerRequest(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	c, err := raven.New()
	require.NoError(t, err)
	ctx := c.WithScope(context.Background())
	hc := &http.Client{Transport: ravenhttpclient.New(nil)}
	defer hc.CloseIdleConnections()
	for _, p := range []string{"/ok?page=1&access_token=hunter2", "/missing"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api.URL+p, nil)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/refused", nil)
	_, err = hc.Do(req)
	require.Error(t, err)

	crumbs := raven.ScopeFromContext(ctx).Breadcrumbs()
	require.Len(t, crumbs, 3)
	assert.Equal(t, "http", crumbs[0].Type)
	assert.Equal(t, 200, crumbs[0].Data["status_code"])
	assert.Equal(t, api.URL+"/ok?page=1&access_token=%5BFiltered%5D", crumbs[0].Data["url"])
	assert.NotContains(t, crumbs[0].Data["url"], "hunter2")
	assert.Equal(t, raven.LevelWarning, crumbs[1].Level)
	assert.Equal(t, raven.LevelError, crumbs[2].Level)
	assert.Contains(t, crumbs[2].Data["error"], "refused")
	assert.Empty(t, c.Scope().Breadcrumbs(), "the request's scope, not the root")
}
