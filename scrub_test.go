package raven_test

import (
	"context"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSensitiveKey(t *testing.T) {
	for _, tc := range []struct {
		key       string
		sensitive bool
	}{
		// header names
		{"Authorization", true}, {"COOKIE", true}, {"Set-Cookie", true}, {"Cookie2", true}, {"X-Session-Cookie", true},
		{"x-api-key", true}, {"X-Forwarded-For", true}, {"X-CSRF-Token", true},
		// long fragments anywhere
		{"access_token", true}, {"DB_PASSWORD", true}, {"sessionid", true}, {"session_id", true}, {"client_secret", true},
		{"my_private_key", true}, {"privatekey", true}, {"apikey", true}, {"creditcard", true},
		// short fragments as words
		{"key", true}, {"access_key", true}, {"AWS_ACCESS_KEY_ID", true}, {"accessKey", true}, {"APIKey", true},
		{"signing.key", true}, {"sid", true}, {"twilio_sid", true}, {"pin", true}, {"pin_code", true}, {"cvc", true},
		{"card", true}, {"card_holder", true}, {"cc_number", true}, {"cc.number", true}, {"ccNumber", true},
		{"ssn", true}, {"mysql_pwd", true}, {"x-auth", true}, {"otp", true}, {"key2", true}, {"backup_key_v2", true},
		// ordinary keys, some containing a short fragment inside a word
		{"Accept", false}, {"Content-Type", false}, {"user_id", false}, {"page", false}, {"X-Request-Id", false},
		{"shipping", false}, {"monkey", false}, {"mapping", false}, {"keyboard", false}, {"spinner", false},
		{"author", false}, {"status_code", false}, {"code", false}, {"order_id", false}, {"discard", false},
		{"cards_shown", false}, {"keys", false}, {"duration_ms", false}, {"passenger", false}, {"sha256", false},
		{"md5", false}, {"x509_subject", false},
	} {
		t.Run(tc.key, func(t *testing.T) { assert.Equal(t, tc.sensitive, raven.SensitiveKey(tc.key)) })
	}
}

func TestScrubURL(t *testing.T) {
	assert.Equal(t, "https://u:%5BFiltered%5D@h/p?page=2&token=%5BFiltered%5D", raven.ScrubURL("https://u:pw@h/p?page=2&token=abc"))
	assert.Equal(t, "https://h/p", raven.ScrubURL("https://h/p"))
	assert.Equal(t, "/p?q=1", raven.ScrubURL("/p?q=1"))
}

// TestNoSecretLeavesTheProcess puts secrets everywhere a user can and
// checks the raw bytes that reach the server.
func TestNoSecretLeavesTheProcess(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithScrubKeys("internal_code"))
	require.NoError(t, err)
	secrets := []string{"s3cr3t-header", "s3cr3t-query", "s3cr3t-cookie", "s3cr3t-form", "s3cr3t-extra", "s3cr3t-crumb", "s3cr3t-nested", "s3cr3t-custom", "s3cr3t-userinfo", "s3cr3t-json", "s3cr3t-ctx"}
	ctx := raven.WithScope(raven.ContextWithScope(context.Background(), c.Scope()))
	s := raven.ScopeFromContext(ctx)
	s.SetRequest(&raven.Request{
		Method:      "POST",
		URL:         "https://user:s3cr3t-userinfo@shop.example/login?next=/home&api_key=s3cr3t-query",
		QueryString: "next=/home&api_key=s3cr3t-query",
		Headers:     map[string]string{"Authorization": "Bearer s3cr3t-header", "Accept": "text/html"},
		Cookies:     map[string]string{"theme": "dark", "sessionid": "s3cr3t-cookie"},
		Data:        map[string]any{"username": "ann", "password": "s3cr3t-form"},
	})
	s.SetExtra("db_password", "s3cr3t-extra")
	s.SetExtra("nested", map[string]any{"list": []any{map[string]any{"refresh_token": "s3cr3t-nested"}}})
	s.SetExtra("internal_code", "s3cr3t-custom")
	s.SetContext("payment", map[string]any{"card_number": "s3cr3t-ctx"})
	s.AddBreadcrumb(raven.Breadcrumb{Category: "http", Data: map[string]any{"url": "https://api.example/x?access_token=s3cr3t-crumb", "status_code": 200}})
	c.CaptureMessageContext(ctx, "login failed")
	s.SetRequest(&raven.Request{Method: "POST", URL: "https://shop.example/api", Data: `{"user":"ann","secret":"s3cr3t-json"}`})
	c.CaptureMessageContext(ctx, "api failed")
	closeClient(t, c)
	bodies := srv.Bodies()
	require.Len(t, bodies, 2)
	for _, b := range bodies {
		for _, secret := range secrets {
			assert.NotContains(t, string(b), secret)
		}
		assert.Contains(t, string(b), raven.Filtered)
	}
	var ev *raven.Event
	for _, e := range srv.Events() {
		if e.Message.Formatted == "login failed" {
			ev = e
		}
	}
	require.NotNil(t, ev)
	assert.Equal(t, "text/html", ev.Request.Headers["Accept"], "harmless headers stay")
	assert.Equal(t, "ann", ev.Request.Data.(map[string]any)["username"])
	assert.Equal(t, map[string]string{"theme": "dark", "sessionid": raven.Filtered}, ev.Request.Cookies)
}
