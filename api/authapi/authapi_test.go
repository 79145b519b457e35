package authapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/observability"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/auth/authgorm"
	"github.com/skyfly/skyfly/services/auth/devoidc"
	"github.com/skyfly/skyfly/services/auth/oidcrp"
)

const (
	issuer       = "skyfly-auth"
	audience     = "skyfly-api"
	clientID     = "skyfly-web"
	clientSecret = "dev-client-secret"
)

// env is the auth service over real HTTP with the development OpenID
// provider mounted in it, as in `skyfly dev`.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	svc      *auth.Service
	signer   *authapi.Signer
	keys     secrets.Provider
	verifier *authn.Verifier // the auth service's own edge
	store    *authgorm.Store
	callback string
	oidcIss  string
	browser  *http.Client
}

type envOptions struct {
	dev      bool
	notifier auth.RevocationNotifier
	// idp replaces the relying party on the dev provider (hostile IdPs).
	idp func(callback string) auth.IdentityProvider
	// refusals logs and counts refused logins (nil: neither).
	refusals *observability.LoginRefusals
	// now is the service's clock (nil: time.Now); mfaResetTTL its
	// Config.MFAResetTTL (0: the default).
	now         func() time.Time
	mfaResetTTL time.Duration
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	var handler atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*handler.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)

	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, authgorm.Migrate(ctx, db))
	keys, err := secrets.NewKeyring(filepath.Join(t.TempDir(), "keyring.json"), time.Now)
	require.NoError(t, err)
	store := authgorm.New(db)

	callback := srv.URL + authapi.Prefix + "/public/google/callback"
	oidcIss := srv.URL + authapi.DevOIDCPrefix
	var dev http.Handler
	if o.dev {
		p, err := devoidc.New(devoidc.Config{Issuer: oidcIss, ClientID: clientID, ClientSecret: clientSecret, RedirectURIs: []string{callback}})
		require.NoError(t, err)
		dev = p
	}
	var idp auth.IdentityProvider
	if o.idp != nil {
		idp = o.idp(callback)
	} else {
		rp, err := oidcrp.New(oidcrp.Config{Issuer: oidcIss, ClientID: clientID, ClientSecret: clientSecret})
		require.NoError(t, err)
		idp = rp
	}
	signer := authapi.NewSigner(keys, issuer, audience, 15*time.Minute)
	svc, err := auth.NewService(auth.Deps{Store: store, Keys: keys, Tokens: signer, IDP: idp, Notifier: o.notifier, Now: o.now},
		auth.Config{Dev: o.dev, RedirectURIs: []string{callback}, MFAResetTTL: o.mfaResetTTL,
			Argon2: &auth.Argon2Params{Memory: 8 * 1024, Time: 1, Threads: 1}})
	require.NoError(t, err)
	verifier := authn.NewVerifier(authn.VerifierConfig{Keys: signer, Issuer: issuer, Audience: audience, Revocations: svc}).ForService("auth")
	h, err := authapi.New(nil, svc, signer, verifier, authapi.Config{DevOIDC: dev, Refusals: o.refusals, ServiceClients: authapi.ServiceClients{Keys: keys}})
	require.NoError(t, err)
	var hh http.Handler = h
	handler.Store(&hh)

	browser := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &env{t: t, srv: srv, svc: svc, signer: signer, keys: keys, verifier: verifier, store: store, callback: callback, oidcIss: oidcIss, browser: browser}
}

// get performs a GET without following redirects.
func (e *env) get(rawURL string) *http.Response {
	e.t.Helper()
	resp, err := e.browser.Get(rawURL)
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// authorize runs the browser part of a login: start, then every redirect
// through the provider until it lands on the callback. It returns the code
// and state the provider sends back.
func (e *env) authorize(loginHint string) (code, state string) {
	e.t.Helper()
	q := url.Values{}
	if loginHint != "" {
		q.Set("login_hint", loginHint)
	}
	resp := e.get(e.srv.URL + authapi.Prefix + "/public/google/start?" + q.Encode())
	require.Equal(e.t, http.StatusFound, resp.StatusCode, "start: %s", body(resp))
	loc := resp.Header.Get("Location")
	for range 10 {
		if strings.HasPrefix(loc, e.callback) {
			u, err := url.Parse(loc)
			require.NoError(e.t, err)
			return u.Query().Get("code"), u.Query().Get("state")
		}
		resp = e.get(loc)
		require.Equal(e.t, http.StatusFound, resp.StatusCode, "GET %s: %s", loc, body(resp))
		next, err := resp.Location()
		require.NoError(e.t, err)
		loc = next.String()
	}
	e.t.Fatalf("no redirect to the callback")
	return "", ""
}

func (e *env) callbackWith(code, state string) *http.Response {
	e.t.Helper()
	q := url.Values{}
	if code != "" {
		q.Set("code", code)
	}
	if state != "" {
		q.Set("state", state)
	}
	return e.get(e.callback + "?" + q.Encode())
}

type tokenBody struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
	User         struct {
		ID    string   `json:"id"`
		Email string   `json:"email"`
		Roles []string `json:"roles"`
	} `json:"user"`
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return v
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func problemCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	return decode[struct {
		Code string `json:"code"`
	}](t, resp).Code
}

func (e *env) post(path, bearer string, payload any) *http.Response {
	e.t.Helper()
	return e.do(http.MethodPost, path, bearer, payload)
}

func TestCustomerLogin_A1_DevProviderHappyPath(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	code, state := e.authorize("alice@example.com")
	resp := e.callbackWith(code, state)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	tok := decode[tokenBody](t, resp)
	require.Equal(t, "Bearer", tok.TokenType)
	require.Equal(t, 900, tok.ExpiresIn)
	require.Equal(t, "alice@example.com", tok.User.Email)
	require.Equal(t, []string{authn.RoleCustomer}, tok.User.Roles)
	require.NotEmpty(t, tok.RefreshToken)

	u, err := e.store.UserByIdentity(context.Background(), e.oidcIss, devoidc.SubjectFor("alice@example.com"))
	require.NoError(t, err, "the user is keyed by (issuer, subject)")
	require.Equal(t, tok.User.ID, u.ID)

	code, state = e.authorize("Alice@Example.com")
	again := decode[tokenBody](t, e.callbackWith(code, state))
	require.Equal(t, tok.User.ID, again.User.ID, "the same subject signs in as the same user")
}

func TestCustomerLogin_A1_DevProviderLoginForm(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	resp := e.get(e.srv.URL + authapi.Prefix + "/public/google/start")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	resp = e.get(resp.Header.Get("Location"))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loginURL := resp.Header.Get("Location")
	resp = e.get(loginURL)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body(resp), `name="email"`, "without login_hint the provider shows a form")
	u, err := url.Parse(loginURL)
	require.NoError(t, err)
	form := url.Values{"authRequestID": {u.Query().Get("authRequestID")}, "email": {"bob@example.com"}}
	post, err := e.browser.PostForm(e.oidcIss+"/login", form)
	require.NoError(t, err)
	defer post.Body.Close()
	require.Equal(t, http.StatusFound, post.StatusCode)
	resp = e.get(post.Header.Get("Location"))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cb, err := resp.Location()
	require.NoError(t, err)
	tok := decode[tokenBody](t, e.callbackWith(cb.Query().Get("code"), cb.Query().Get("state")))
	require.Equal(t, "bob@example.com", tok.User.Email)
}

func TestCustomerLogin_A1_RejectsStateAndCodeAbuse(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})

	t.Run("missing state", func(t *testing.T) {
		code, _ := e.authorize("a@example.com")
		resp := e.callbackWith(code, "")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, authapi.CodeInvalidState, problemCode(t, resp))
	})
	t.Run("wrong state", func(t *testing.T) {
		code, _ := e.authorize("a@example.com")
		resp := e.callbackWith(code, "forged-state")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, authapi.CodeInvalidState, problemCode(t, resp))
	})
	t.Run("wrong PKCE verifier: a code redeemed under another flow's state", func(t *testing.T) {
		codeA, _ := e.authorize("a@example.com")
		_, stateB := e.authorize("a@example.com")
		resp := e.callbackWith(codeA, stateB)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Equal(t, authapi.CodeIdentityRejected, problemCode(t, resp))
	})
	t.Run("reused code and state", func(t *testing.T) {
		code, state := e.authorize("a@example.com")
		require.Equal(t, http.StatusOK, e.callbackWith(code, state).StatusCode)
		resp := e.callbackWith(code, state)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "the state is single use")
		require.Equal(t, authapi.CodeInvalidState, problemCode(t, resp))
	})
	t.Run("reused code under a fresh state", func(t *testing.T) {
		code, state := e.authorize("a@example.com")
		require.Equal(t, http.StatusOK, e.callbackWith(code, state).StatusCode)
		_, fresh := e.authorize("a@example.com")
		resp := e.callbackWith(code, fresh)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the provider redeems a code once")
		require.Equal(t, authapi.CodeIdentityRejected, problemCode(t, resp))
	})
	t.Run("provider error", func(t *testing.T) {
		resp := e.get(e.callback + "?error=access_denied&state=x")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})
	t.Run("redirect URI not allowed", func(t *testing.T) {
		resp := e.get(e.srv.URL + authapi.Prefix + "/public/google/start?redirectUri=" + url.QueryEscape("https://evil.example/cb"))
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, "invalid_request", problemCode(t, resp))
	})
}

func TestCustomerLogin_A1_LoginHintRefusedOutsideDev(t *testing.T) {
	e := newEnv(t, envOptions{dev: false})
	resp := e.get(e.srv.URL + authapi.Prefix + "/public/google/start?login_hint=a@example.com")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, authapi.CodeLoginHintRefused, problemCode(t, resp))
	resp = e.get(e.oidcIss + "/.well-known/openid-configuration")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "no dev provider outside development mode")
}

// hostileIdP is a real OpenID provider over HTTP whose ID tokens carry the
// defect a test chooses, signed with its published key.
type hostileIdP struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	issuer string // issuer in discovery
	mu     sync.Mutex
	nonce  string
	claims func(c map[string]any) // mutates the ID token claims
}

func newHostileIdP(t *testing.T, discoveryIssuer string) *hostileIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	h := &hostileIdP{key: key}
	mux := http.NewServeMux()
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	h.issuer = discoveryIssuer
	if h.issuer == "" {
		h.issuer = h.srv.URL
	}
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": h.issuer, "authorization_endpoint": h.srv.URL + "/authorize", "token_endpoint": h.srv.URL + "/token",
			"jwks_uri": h.srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		h.mu.Lock()
		h.nonce = q.Get("nonce")
		h.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code=c1&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, _ *http.Request) {
		now := time.Now()
		h.mu.Lock()
		c := map[string]any{"iss": h.issuer, "sub": "hostile-sub", "aud": clientID, "exp": now.Add(5 * time.Minute).Unix(),
			"iat": now.Unix(), "nonce": h.nonce, "email": "mallory@example.com", "email_verified": true}
		if h.claims != nil {
			h.claims(c)
		}
		h.mu.Unlock()
		payload, _ := json.Marshal(c)
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		jws, err := signer.Sign(payload)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		idToken, _ := jws.CompactSerialize()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "opaque", "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
	})
	return h
}

func (h *hostileIdP) set(f func(c map[string]any)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.claims = f
}

func TestCustomerLogin_A1_RejectsBadIDTokens(t *testing.T) {
	idp := newHostileIdP(t, "")
	e := newEnv(t, envOptions{dev: true, idp: func(string) auth.IdentityProvider {
		rp, err := oidcrp.New(oidcrp.Config{Issuer: idp.srv.URL, ClientID: clientID, ClientSecret: clientSecret})
		require.NoError(t, err)
		return rp
	}})
	cases := []struct {
		name   string
		claims func(c map[string]any)
	}{
		{"nonce mismatch", func(c map[string]any) { c["nonce"] = "another-flows-nonce" }},
		{"missing nonce", func(c map[string]any) { delete(c, "nonce") }},
		{"wrong audience", func(c map[string]any) { c["aud"] = "someone-else" }},
		{"wrong issuer", func(c map[string]any) { c["iss"] = "https://evil.example" }},
		{"expired ID token", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			idp.set(tc.claims)
			code, state := e.authorize("")
			resp := e.callbackWith(code, state)
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			require.Equal(t, authapi.CodeIdentityRejected, problemCode(t, resp))
		})
	}
	t.Run("a good token from the same provider passes", func(t *testing.T) {
		idp.set(nil)
		code, state := e.authorize("")
		resp := e.callbackWith(code, state)
		require.Equal(t, http.StatusOK, resp.StatusCode)
	})
}

func TestCustomerLogin_A1_GoogleIssuerSpellings(t *testing.T) {
	idp := newHostileIdP(t, oidcrp.GoogleIssuer)
	e := newEnv(t, envOptions{idp: func(string) auth.IdentityProvider {
		rp, err := oidcrp.New(oidcrp.Config{Issuer: oidcrp.GoogleIssuer, DiscoveryURL: idp.srv.URL, ClientID: clientID, ClientSecret: clientSecret})
		require.NoError(t, err)
		return rp
	}})
	var ids []string
	for _, iss := range []string{"https://accounts.google.com", "accounts.google.com"} {
		idp.set(func(c map[string]any) { c["iss"] = iss })
		code, state := e.authorize("")
		resp := e.callbackWith(code, state)
		raw := body(resp)
		require.Equal(t, http.StatusOK, resp.StatusCode, "issuer %q: %s", iss, raw)
		var tok tokenBody
		require.NoError(t, json.Unmarshal([]byte(raw), &tok))
		ids = append(ids, tok.User.ID)
	}
	require.Equal(t, ids[0], ids[1], "both spellings are one issuer")
	_, err := e.store.UserByIdentity(context.Background(), oidcrp.GoogleIssuer, "hostile-sub")
	require.NoError(t, err)

	idp.set(func(c map[string]any) { c["iss"] = "https://accounts.google.com.evil.example" })
	code, state := e.authorize("")
	require.Equal(t, http.StatusUnauthorized, e.callbackWith(code, state).StatusCode, "other spellings are refused")
}

// customer signs a customer in through the dev provider.
func (e *env) customer(email string) tokenBody {
	e.t.Helper()
	code, state := e.authorize(email)
	resp := e.callbackWith(code, state)
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	return decode[tokenBody](e.t, resp)
}

func TestRefresh_A3_OverHTTP(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	rt1 := e.customer("a@example.com")
	resp := e.post(authapi.Prefix+"/token/refresh", "", map[string]string{"refreshToken": rt1.RefreshToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rt2 := decode[tokenBody](t, resp)
	require.Equal(t, rt1.User.ID, rt2.User.ID)
	resp = e.post(authapi.Prefix+"/token/refresh", "", map[string]string{"refreshToken": rt2.RefreshToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rt3 := decode[tokenBody](t, resp)

	resp = e.post(authapi.Prefix+"/token/refresh", "", map[string]string{"refreshToken": rt1.RefreshToken})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "RT1 again")
	require.Equal(t, authapi.CodeInvalidRefreshToken, problemCode(t, resp))
	resp = e.post(authapi.Prefix+"/token/refresh", "", map[string]string{"refreshToken": rt3.RefreshToken})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the whole family is revoked")
	resp = e.post(authapi.Prefix+"/logout", rt3.AccessToken, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "and the session's access tokens")

	resp = e.post(authapi.Prefix+"/token/refresh", "", map[string]string{})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// gatewayVerifier verifies like the gateway: keys from the JWKS endpoint
// and the given revocation check.
func (e *env) gatewayVerifier(rev authn.Revocations) *authn.Verifier {
	return authn.NewVerifier(authn.VerifierConfig{
		Keys:   authn.NewRemoteJWKS(e.srv.URL+authapi.Prefix+"/.well-known/jwks.json", nil),
		Issuer: issuer, Audience: audience, Revocations: rev,
	})
}

func TestLogout_A4_GatewayPollingStopsTokenWithinSeconds(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	checker, err := authapi.NewRevocationChecker(authapi.RevocationCheckerConfig{
		URL:      e.srv.URL + authapi.Prefix + "/internal/revocations",
		Token:    e.serviceTokens("gateway").Source("auth"),
		Interval: 100 * time.Millisecond,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- checker.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	gw := e.gatewayVerifier(checker)

	tok := e.customer("a@example.com")
	require.Eventually(t, func() bool { _, err := gw.Verify(ctx, tok.AccessToken); return err == nil }, 5*time.Second, 50*time.Millisecond,
		"the gateway accepts the token once the list is fresh")

	resp := e.post(authapi.Prefix+"/logout", tok.AccessToken, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	start := time.Now()
	require.Eventually(t, func() bool {
		_, err := gw.Verify(ctx, tok.AccessToken)
		return err != nil && strings.Contains(err.Error(), authn.ErrRevoked.Error())
	}, 5*time.Second, 20*time.Millisecond, "the gateway refuses the token within seconds")
	t.Logf("A4 polling: revoked at the gateway %s after logout", time.Since(start).Round(time.Millisecond))

	resp = e.post(authapi.Prefix+"/logout", tok.AccessToken, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the auth service refuses it at once")
	resp = e.post(authapi.Prefix+"/token/refresh", "", map[string]string{"refreshToken": tok.RefreshToken})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the refresh family is revoked")
}

func TestLogout_A4_GatewayRedisStopsTokenAtOnce(t *testing.T) {
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	require.NoError(t, err)
	authRedis, gwRedis := redis.NewClient(opts), redis.NewClient(opts)
	t.Cleanup(func() { _ = authRedis.Close(); _ = gwRedis.Close() })
	e := newEnv(t, envOptions{dev: true, notifier: authapi.NewRedisRevocations(authRedis)})
	checker, err := authapi.NewRevocationChecker(authapi.RevocationCheckerConfig{Redis: gwRedis})
	require.NoError(t, err)
	gw := e.gatewayVerifier(checker)
	ctx := context.Background()

	tok := e.customer("a@example.com")
	_, err = gw.Verify(ctx, tok.AccessToken)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, e.post(authapi.Prefix+"/logout", tok.AccessToken, nil).StatusCode)
	_, err = gw.Verify(ctx, tok.AccessToken)
	require.ErrorIs(t, err, authn.ErrRevoked, "revoked at the gateway as soon as logout answered")

	p, err := e.signer.PublicKey(ctx, mustKid(t, tok.AccessToken))
	require.NoError(t, err)
	require.NotNil(t, p)
	ttl, err := gwRedis.TTL(ctx, authapi.RedisKeyPrefix+sessionID(t, tok.AccessToken)).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, 14*time.Minute, "kept for the access-token lifetime")
}

func TestRevocations_A4_EndpointNeedsServiceRole(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	path := e.srv.URL + authapi.Prefix + "/internal/revocations?since=0"
	resp := e.get(path)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	tok := e.customer("a@example.com")
	req, err := http.NewRequest(http.MethodGet, path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = e.browser.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "customers cannot read the list")

	svcTok, err := e.serviceTokens("gateway").Token(context.Background(), "auth")
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, e.post(authapi.Prefix+"/logout", tok.AccessToken, nil).StatusCode)
	req.Header.Set("Authorization", "Bearer "+svcTok)
	resp2, err := e.browser.Do(req)
	require.NoError(t, err)
	defer resp2.Body.Close()
	require.Equal(t, http.StatusOK, resp2.StatusCode)
	list := decode[authapi.RevocationsResponse](t, resp2)
	require.Len(t, list.Revocations, 1)
	require.Equal(t, sessionID(t, tok.AccessToken), list.Revocations[0].SessionID)
	require.Greater(t, list.Revocations[0].ExpiresAt, list.Now)
}

func TestStaffLogin_OverHTTP(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	ctx := context.Background()
	enr, err := e.svc.CreateStaff(ctx, "agent@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)

	init := func(email string) string {
		resp := e.post(authapi.Prefix+"/corp/login/init", "", map[string]string{"email": email})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b := decode[struct {
			LoginID string   `json:"loginId"`
			Methods []string `json:"methods"`
		}](t, resp)
		require.Equal(t, []string{"password"}, b.Methods, "the same answer for any email")
		require.NotEmpty(t, b.LoginID)
		return b.LoginID
	}
	resp := e.post(authapi.Prefix+"/corp/login/verify", "", map[string]string{"loginId": init("nobody@skyfly.dev"), "password": "whatever123"})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, authapi.CodeInvalidCredentials, problemCode(t, resp), "unknown account")
	resp = e.post(authapi.Prefix+"/corp/login/verify", "", map[string]string{"loginId": init(enr.User.Email), "password": "whatever123"})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, authapi.CodeInvalidCredentials, problemCode(t, resp), "known account, wrong password: the same answer")

	resp = e.post(authapi.Prefix+"/corp/login/verify", "", map[string]string{"loginId": init(enr.User.Email), "password": enr.Password})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	v := decode[struct {
		MFARequired bool     `json:"mfaRequired"`
		MFAToken    string   `json:"mfaToken"`
		Methods     []string `json:"methods"`
	}](t, resp)
	require.True(t, v.MFARequired)
	require.Equal(t, []string{"totp"}, v.Methods)
	resp = e.post(authapi.Prefix+"/corp/mfa/challenge", "", map[string]string{"mfaToken": v.MFAToken, "method": "totp"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ch := decode[struct {
		ChallengeID string    `json:"challengeId"`
		ExpiresAt   time.Time `json:"expiresAt"`
	}](t, resp)
	require.True(t, ch.ExpiresAt.After(time.Now()))
	code, err := auth.TOTPCode(enr.TOTPSecret, time.Now())
	require.NoError(t, err)
	resp = e.post(authapi.Prefix+"/corp/mfa/verify", "", map[string]string{"challengeId": ch.ChallengeID, "code": code})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tok := decode[tokenBody](t, resp)
	require.Equal(t, []string{authn.RoleAgent}, tok.User.Roles)
	p, err := e.gatewayVerifier(nil).Verify(ctx, tok.AccessToken)
	require.NoError(t, err, "the JWKS endpoint publishes the signing key")
	require.True(t, p.IsStaff())
}

func TestStaffLogin_M3_ThrottledOverHTTPWithRetryAfter(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	enr, err := e.svc.CreateStaff(context.Background(), "agent@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	var last *http.Response
	for range 5 {
		resp := e.post(authapi.Prefix+"/corp/login/init", "", map[string]string{"email": enr.User.Email})
		id := decode[struct {
			LoginID string `json:"loginId"`
		}](t, resp).LoginID
		last = e.post(authapi.Prefix+"/corp/login/verify", "", map[string]string{"loginId": id, "password": "not the password"})
	}
	require.Equal(t, http.StatusTooManyRequests, last.StatusCode)
	require.NotEmpty(t, last.Header.Get("Retry-After"))
	require.Equal(t, "rate_limited", problemCode(t, last))
}

func TestJWKS_PublishesEdDSAKeys(t *testing.T) {
	e := newEnv(t, envOptions{})
	resp := e.get(e.srv.URL + authapi.Prefix + "/.well-known/jwks.json")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	set := decode[authn.JWKS](t, resp)
	require.Len(t, set.Keys, 1)
	require.Equal(t, authn.JWK{Kty: "OKP", Crv: "Ed25519", X: set.Keys[0].X, Kid: "jwt-signing/v1", Alg: "EdDSA", Use: "sig"}, set.Keys[0])
}

func mustKid(t *testing.T, token string) string {
	t.Helper()
	return jwtHeader(t, token)["kid"].(string)
}

func sessionID(t *testing.T, token string) string {
	t.Helper()
	return jwtPayload(t, token)["sid"].(string)
}

func jwtHeader(t *testing.T, token string) map[string]any {
	return jwtPart(t, token, 0)
}

func jwtPayload(t *testing.T, token string) map[string]any {
	return jwtPart(t, token, 1)
}

func jwtPart(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64URL(parts[i])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func TestClientIP_OnlyTrustedProxiesMaySetForwardedFor(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	enr, err := e.svc.CreateStaff(context.Background(), "agent@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	fail := func(forwardedFor string) {
		resp := e.post(authapi.Prefix+"/corp/login/init", "", map[string]string{"email": enr.User.Email})
		id := decode[struct {
			LoginID string `json:"loginId"`
		}](t, resp).LoginID
		b, _ := json.Marshal(map[string]string{"loginId": id, "password": "not the password"})
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+authapi.Prefix+"/corp/login/verify", strings.NewReader(string(b)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", forwardedFor)
		r, err := e.browser.Do(req)
		require.NoError(t, err)
		r.Body.Close()
	}
	fail("198.51.100.1")
	fail("198.51.100.2")
	events, err := e.svc.Events(context.Background(), enr.User.ID, 10)
	require.NoError(t, err)
	var ips []string
	for _, ev := range events {
		if ev.Kind == auth.EventPasswordFailed {
			ips = append(ips, ev.IP)
		}
	}
	require.ElementsMatch(t, []string{"198.51.100.1", "198.51.100.2"}, ips, "the gateway on loopback is trusted to name the client")
}
