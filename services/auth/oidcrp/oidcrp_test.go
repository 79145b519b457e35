package oidcrp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/auth/devoidc"
	"github.com/skyfly/skyfly/services/auth/oidcrp"
)

// The relying party discovers lazily and retries, so in `skyfly dev` it may
// be built before the provider it uses is listening.
func TestRelyingParty_DiscoveryRetriesUntilTheProviderIsUp(t *testing.T) {
	var up atomic.Bool
	mux := http.NewServeMux()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	issuer := srv.URL + "/oidc"
	p, err := devoidc.New(devoidc.Config{Issuer: issuer, ClientID: "web", ClientSecret: "s", RedirectURIs: []string{srv.URL + "/cb"}})
	require.NoError(t, err)
	mux.Handle("/oidc/", http.StripPrefix("/oidc", p))

	rp, err := oidcrp.New(oidcrp.Config{Issuer: issuer, ClientID: "web", ClientSecret: "s"})
	require.NoError(t, err)
	req := auth.AuthCodeRequest{State: "st", Nonce: "no", CodeVerifier: "verifier-verifier-verifier-verifier-verifier-0123", RedirectURI: srv.URL + "/cb", LoginHint: "a@example.com"}
	_, err = rp.AuthCodeURL(context.Background(), req)
	require.Error(t, err, "the provider is not up yet")

	up.Store(true)
	raw, err := rp.AuthCodeURL(context.Background(), req)
	require.NoError(t, err)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, issuer+"/authorize", u.Scheme+"://"+u.Host+u.Path)
	require.Equal(t, "st", q.Get("state"))
	require.Equal(t, "no", q.Get("nonce"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.NotEmpty(t, q.Get("code_challenge"))
	require.NotEqual(t, req.CodeVerifier, q.Get("code_challenge"), "only the challenge leaves, never the verifier")
	require.Equal(t, "a@example.com", q.Get("login_hint"))
	require.Equal(t, "openid email profile", q.Get("scope"))
}

func TestRelyingParty_NeedsIssuerAndClient(t *testing.T) {
	_, err := oidcrp.New(oidcrp.Config{ClientID: "web"})
	require.Error(t, err)
	_, err = oidcrp.New(oidcrp.Config{Issuer: "https://accounts.google.com"})
	require.Error(t, err)
}
