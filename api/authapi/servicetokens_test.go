package authapi_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/mtls"
)

// serviceTokens is a token client of the process client, authenticated by
// its client secret, against e's token endpoint.
func (e *env) serviceTokens(client string) *authapi.ServiceTokenClient {
	return authapi.NewServiceTokenClient(authapi.ServiceTokenClientConfig{
		URL: e.srv.URL + authapi.ServiceTokenPath, Client: client,
		Secret: func(ctx context.Context) (string, error) { return authapi.ClientSecret(ctx, e.keys, client) },
	})
}

// askToken posts a client-credentials request as client with secret.
func (e *env) askToken(client, secret string, form url.Values) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+authapi.ServiceTokenPath, strings.NewReader(form.Encode()))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if client != "" {
		req.SetBasicAuth(client, secret)
	}
	resp, err := e.browser.Do(req)
	require.NoError(e.t, err)
	return resp.StatusCode, decode[map[string]any](e.t, resp)
}

// TestServiceToken_ClientCredentials (issue #14): only the auth service
// mints service tokens; a process authenticates as itself and gets tokens
// for the audiences its work needs, with the service role and nothing else.
func TestServiceToken_ClientCredentials(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	ctx := context.Background()
	secret := func(client string) string {
		s, err := authapi.ClientSecret(ctx, e.keys, client)
		require.NoError(t, err)
		return s
	}
	cc := func(aud string, extra ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "audience": {aud}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	tests := []struct {
		name           string
		client, secret string
		form           url.Values
		status         int
		code           string
	}{
		{"the gateway gets a token for the auth service", "gateway", secret("gateway"), cc("auth"), 200, ""},
		{"booking gets a token for the flight service", "booking", secret("booking"), cc("flight"), 200, ""},
		{"flight may not get a token for booking", "flight", secret("flight"), cc("booking"), 400, authapi.CodeInvalidTarget},
		{"flight may not get a token for the user audience", "flight", secret("flight"), cc(audience), 400, authapi.CodeInvalidTarget},
		{"flight cannot authenticate with booking's secret", "flight", secret("booking"), cc("auth"), 401, authapi.CodeInvalidClient},
		{"flight cannot pose as booking with its own secret", "booking", secret("flight"), cc("flight"), 401, authapi.CodeInvalidClient},
		{"an unknown client is refused", "mallory", secret("mallory"), cc("auth"), 401, authapi.CodeInvalidClient},
		{"no credentials are refused", "", "", cc("auth"), 401, authapi.CodeInvalidClient},
		{"another grant type is refused", "gateway", secret("gateway"), cc("auth", "grant_type", "password"), 400, authapi.CodeUnsupportedGrantType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, body := e.askToken(tt.client, tt.secret, tt.form)
			require.Equal(t, tt.status, got, "body %v", body)
			if tt.code != "" {
				require.Equal(t, tt.code, body["code"], "body %v", body)
				require.Nil(t, body["access_token"])
				return
			}
			require.Equal(t, "Bearer", body["token_type"])
			require.EqualValues(t, authapi.ServiceTokenTTL/time.Second, body["expires_in"])
		})
	}

	t.Run("the token names the client and only the service role, whatever the request asks", func(t *testing.T) {
		got, body := e.askToken("flight", secret("flight"), cc("auth", "scope", "admin", "roles", "admin", "sub", "service:booking"))
		require.Equal(t, 200, got, "body %v", body)
		p, err := e.verifier.Verify(ctx, body["access_token"].(string))
		require.NoError(t, err)
		require.Equal(t, "service:flight", p.UserID)
		require.Equal(t, []string{authn.RoleService}, p.Roles)
		require.Equal(t, []string{"auth"}, p.Audience)
	})

	// At the auth service's edge, as client's token for aud.
	edge := []struct {
		name, client, aud, path string
		want                    int
	}{
		{"flight's token cannot act as staff at the auth service's edge", "flight", "auth", authapi.StaffAccountsPath, http.StatusForbidden},
		{"booking's token for flight is refused at the auth service's edge", "booking", "flight", authapi.Prefix + "/internal/revocations?since=0", http.StatusUnauthorized},
		{"the gateway's token for auth reads the revocation list", "gateway", "auth", authapi.Prefix + "/internal/revocations?since=0", http.StatusOK},
	}
	for _, tt := range edge {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := e.serviceTokens(tt.client).Token(ctx, tt.aud)
			require.NoError(t, err)
			req, err := http.NewRequest(http.MethodGet, e.srv.URL+tt.path, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := e.browser.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tt.want, resp.StatusCode)
		})
	}

	t.Run("a service token expires after its lifetime", func(t *testing.T) {
		tok, err := e.serviceTokens("gateway").Token(ctx, "auth")
		require.NoError(t, err)
		later := authn.NewVerifier(authn.VerifierConfig{Keys: e.signer, Issuer: issuer, Audience: audience,
			Now: func() time.Time { return time.Now().Add(authapi.ServiceTokenTTL + time.Minute) }}).ForService("auth")
		_, err = later.Verify(ctx, tok)
		require.ErrorIs(t, err, authn.ErrInvalidToken)
	})
}

// TestServiceTokenClient_CachesAndRenewsBeforeExpiry: one request per
// audience while the token is fresh, a new one when a fifth of its
// lifetime is left, so a caller never holds an expired token.
func TestServiceTokenClient_CachesAndRenewsBeforeExpiry(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	var asked atomic.Int32
	target, err := url.Parse(e.srv.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)
	now := time.Now()
	clock := func() time.Time { return now }
	c := authapi.NewServiceTokenClient(authapi.ServiceTokenClientConfig{
		URL: counting.URL + authapi.ServiceTokenPath, Client: "booking", Now: clock,
		Secret: func(ctx context.Context) (string, error) { return authapi.ClientSecret(ctx, e.keys, "booking") },
	})
	ctx := context.Background()
	first, err := c.Token(ctx, "flight")
	require.NoError(t, err)
	again, err := c.Token(ctx, "flight")
	require.NoError(t, err)
	require.Equal(t, first, again, "cached while fresh")
	require.EqualValues(t, 1, asked.Load())

	_, err = c.Token(ctx, "payment")
	require.NoError(t, err)
	require.EqualValues(t, 2, asked.Load(), "one token per audience")

	now = now.Add(authapi.ServiceTokenTTL - authapi.ServiceTokenTTL/5 - time.Second)
	_, err = c.Token(ctx, "flight")
	require.NoError(t, err)
	require.EqualValues(t, 2, asked.Load(), "still fresh just before the renewal point")
	now = now.Add(2 * time.Second)
	renewed, err := c.Token(ctx, "flight")
	require.NoError(t, err)
	require.EqualValues(t, 3, asked.Load(), "renewed with a fifth of the lifetime left")
	require.NotEqual(t, first, renewed)

	_, err = authapi.NewServiceTokenClient(authapi.ServiceTokenClientConfig{URL: counting.URL + authapi.ServiceTokenPath, Client: "booking",
		Secret: func(context.Context) (string, error) { return "not-the-secret", nil }}).Token(ctx, "flight")
	require.ErrorContains(t, err, authapi.CodeInvalidClient, "a wrong secret is an error, not a token")
}

// TestServiceToken_MTLSCertificateIsTheClient: in the split deployment the
// caller's verified certificate is its identity; a Basic credential naming
// another service does not override it.
func TestServiceToken_MTLSCertificateIsTheClient(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	dir := filepath.Join(t.TempDir(), "tls")
	_, err := mtls.Init(dir, time.Now(), "auth", "flight")
	require.NoError(t, err)
	authID, err := mtls.Load(dir, "auth", nil)
	require.NoError(t, err)
	flightID, err := mtls.Load(dir, "flight", nil)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(e.srv.Config.Handler)
	srv.TLS = authID.ServerConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: flightID.Transport(), Timeout: 5 * time.Second}
	ctx := context.Background()

	tok, err := authapi.NewServiceTokenClient(authapi.ServiceTokenClientConfig{URL: srv.URL + authapi.ServiceTokenPath, Client: "flight", HTTPClient: hc}).Token(ctx, "auth")
	require.NoError(t, err, "the certificate alone authenticates")
	p, err := e.verifier.Verify(ctx, tok)
	require.NoError(t, err)
	require.Equal(t, "service:flight", p.UserID)

	_, err = authapi.NewServiceTokenClient(authapi.ServiceTokenClientConfig{URL: srv.URL + authapi.ServiceTokenPath, Client: "booking", HTTPClient: hc,
		Secret: func(c context.Context) (string, error) { return authapi.ClientSecret(c, e.keys, "booking") }}).Token(ctx, "flight")
	require.ErrorContains(t, err, authapi.CodeInvalidClient, "flight's certificate with booking's secret is refused")

	_, err = (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}).Post( //nolint:gosec // the outsider
		srv.URL+authapi.ServiceTokenPath, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials&audience=auth"))
	require.Error(t, err, "no certificate, no connection")
}
