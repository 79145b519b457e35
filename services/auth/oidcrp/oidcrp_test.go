package oidcrp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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

// Issue #17: with the dev provider's in-process client, discovery, the code
// exchange and the JWKS never touch the network (nothing listens on the
// issuer's port here), so they cannot be throttled as if they were a client.
func TestRelyingParty_DevProviderClientNeedsNoNetwork(t *testing.T) {
	issuer, redirect := "http://127.0.0.1:1/api/v1/auth/dev-oidc", "http://127.0.0.1:1/cb"
	p, err := devoidc.New(devoidc.Config{Issuer: issuer, ClientID: "web", ClientSecret: "s", RedirectURIs: []string{redirect}})
	require.NoError(t, err)
	rp, err := oidcrp.New(oidcrp.Config{Issuer: issuer, ClientID: "web", ClientSecret: "s", HTTPClient: p.Client()})
	require.NoError(t, err)
	ctx := context.Background()
	req := auth.AuthCodeRequest{State: "st", Nonce: "no", CodeVerifier: "verifier-verifier-verifier-verifier-verifier-0123", RedirectURI: redirect, LoginHint: "b@example.com"}
	loc, err := rp.AuthCodeURL(ctx, req)
	require.NoError(t, err)

	browser := p.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for i := 0; i < 10 && !strings.HasPrefix(loc, redirect); i++ {
		resp, err := browser.Get(loc)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusFound, resp.StatusCode, "GET %s", loc)
		next, err := resp.Location()
		require.NoError(t, err)
		loc = next.String()
	}
	cb, err := url.Parse(loc)
	require.NoError(t, err)
	id, err := rp.Exchange(ctx, auth.ExchangeRequest{Code: cb.Query().Get("code"), CodeVerifier: req.CodeVerifier, Nonce: req.Nonce, RedirectURI: redirect})
	require.NoError(t, err)
	require.Equal(t, "b@example.com", id.Email)
	require.Equal(t, devoidc.SubjectFor("b@example.com"), id.Subject)

	_, err = p.Client().Get("http://127.0.0.2:1/elsewhere")
	require.Error(t, err, "the in-process client serves the provider only")
}

// Issue #17: a token endpoint that throttles (429) or fails (5xx) did not
// reject the identity; the error says the provider is unavailable.
func TestRelyingParty_AThrottledTokenEndpointIsNotARejection(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusBadGateway} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			mux := http.NewServeMux()
			srv := httptest.NewServer(mux)
			defer srv.Close()
			issuer := srv.URL + "/oidc"
			p, err := devoidc.New(devoidc.Config{Issuer: issuer, ClientID: "web", ClientSecret: "s", RedirectURIs: []string{srv.URL + "/cb"}})
			require.NoError(t, err)
			mux.Handle("/oidc/", http.StripPrefix("/oidc", p))
			mux.HandleFunc("POST /oidc/oauth/token", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "1")
				http.Error(w, `{"error":"slow_down"}`, status)
			})
			rp, err := oidcrp.New(oidcrp.Config{Issuer: issuer, ClientID: "web", ClientSecret: "s"})
			require.NoError(t, err)
			_, err = rp.Exchange(context.Background(), auth.ExchangeRequest{Code: "c", CodeVerifier: "v", Nonce: "n", RedirectURI: srv.URL + "/cb"})
			require.ErrorIs(t, err, auth.ErrProviderUnavailable)
			require.NotErrorIs(t, err, auth.ErrIdentityRejected)
		})
	}
}
