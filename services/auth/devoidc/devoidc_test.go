package devoidc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/auth/devoidc"
)

const prefix = "/api/v1/auth/dev-oidc"

func newProvider(t *testing.T) (issuer, redirect string, client *http.Client) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer, redirect = srv.URL+prefix, srv.URL+"/cb"
	p, err := devoidc.New(devoidc.Config{Issuer: issuer, ClientID: "web", ClientSecret: "s3cret", RedirectURIs: []string{redirect}})
	require.NoError(t, err)
	mux.Handle(prefix+"/", http.StripPrefix(prefix, p))
	return issuer, redirect, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestDevOIDC_DiscoveryLivesUnderTheIssuerPath(t *testing.T) {
	issuer, _, client := newProvider(t)
	resp, err := client.Get(issuer + "/.well-known/openid-configuration")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var doc struct {
		Issuer                string   `json:"issuer"`
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		TokenEndpoint         string   `json:"token_endpoint"`
		JWKSURI               string   `json:"jwks_uri"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	require.Equal(t, issuer, doc.Issuer)
	for _, u := range []string{doc.AuthorizationEndpoint, doc.TokenEndpoint, doc.JWKSURI} {
		require.True(t, strings.HasPrefix(u, issuer+"/"), "got endpoint %s, want it under the issuer", u)
	}
	require.Contains(t, doc.CodeChallengeMethods, "S256")
}

func TestDevOIDC_RedirectClientSecretAndSingleUseCodes(t *testing.T) {
	issuer, redirect, client := newProvider(t)
	q := url.Values{"client_id": {"web"}, "response_type": {"code"}, "scope": {"openid email"}, "redirect_uri": {"https://evil.example/cb"},
		"state": {"s"}, "nonce": {"n"}, "login_hint": {"a@example.com"}}
	resp, err := client.Get(issuer + "/authorize?" + q.Encode())
	require.NoError(t, err)
	resp.Body.Close()
	require.False(t, strings.HasPrefix(resp.Header.Get("Location"), "https://evil.example"), "never redirects to an unregistered URI")

	// A real code: login_hint signs the user in without a form.
	q.Set("redirect_uri", redirect)
	loc := issuer + "/authorize?" + q.Encode()
	for !strings.HasPrefix(loc, redirect) {
		resp, err := client.Get(loc)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusFound, resp.StatusCode, "GET %s", loc)
		next, err := resp.Location()
		require.NoError(t, err)
		loc = next.String()
	}
	cb, err := url.Parse(loc)
	require.NoError(t, err)
	require.Equal(t, "s", cb.Query().Get("state"))
	code := cb.Query().Get("code")

	exchange := func(secret string) (int, map[string]any) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
		req, err := http.NewRequest(http.MethodPost, issuer+"/oauth/token", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("web", secret)
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}
	status, body := exchange("wrong")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "invalid_client", body["error"], "wrong client secret")
	status, body = exchange("s3cret")
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.NotEmpty(t, body["id_token"])
	status, body = exchange("s3cret")
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "invalid_grant", body["error"], "a code is redeemed once")
}

func TestDevOIDC_SubjectIsStablePerEmail(t *testing.T) {
	require.Equal(t, devoidc.SubjectFor("A@Example.com "), devoidc.SubjectFor("a@example.com"))
	require.NotEqual(t, devoidc.SubjectFor("a@example.com"), devoidc.SubjectFor("b@example.com"))
}
