package gateway_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/gateway"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

const (
	issuer   = "skyfly-auth"
	audience = "skyfly-api"
	kid      = "jwt-signing/v1"
)

type fixture struct {
	priv    ed25519.PrivateKey
	pub     ed25519.PublicKey
	handler http.Handler
	now     time.Time
	hits    map[string]int
}

// echo stands in for a domain service: it records what reached it.
func newFixture(t *testing.T, limits gateway.Limits, limiter gateway.Limiter) *fixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	f := &fixture{priv: priv, pub: pub, now: time.Now(), hits: map[string]int{}}
	targets := map[string]http.Handler{}
	for _, d := range []string{gateway.DomainAuth, gateway.DomainFlight, gateway.DomainBooking, gateway.DomainCustomer, gateway.DomainPayment} {
		d := d
		targets[d] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.hits[d]++
			w.Header().Set("X-Domain", d)
			w.Header().Set("X-Seen-Request-Id", r.Header.Get("X-Request-Id"))
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, r.URL.Path)
		})
	}
	// Like the gateway of skyfly dev: user tokens, and service tokens on
	// their way to the service they were minted for.
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience}).
		ForService(gateway.DomainAuth, gateway.DomainFlight, gateway.DomainBooking, gateway.DomainCustomer, gateway.DomainPayment)
	h, err := gateway.New(gateway.Config{Verifier: v, Targets: targets, Limits: limits, Limiter: limiter})
	require.NoError(t, err)
	f.handler = h
	return f
}

func (f *fixture) token(t *testing.T, mutate func(*authn.Claims)) string {
	t.Helper()
	c := authn.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Audience: jwt.ClaimStrings{audience}, Subject: "user-1",
			IssuedAt: jwt.NewNumericDate(f.now), NotBefore: jwt.NewNumericDate(f.now),
			ExpiresAt: jwt.NewNumericDate(f.now.Add(15 * time.Minute)),
		},
		SessionID: "sess-1", Roles: []string{authn.RoleCustomer},
	}
	if mutate != nil {
		mutate(&c)
	}
	s, err := authn.Sign(f.priv, kid, c)
	require.NoError(t, err)
	return s
}

func (f *fixture) do(method, path, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = "203.0.113.7:1234"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func problemCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"), "body: %s", rec.Body.String())
	var p struct {
		Code      string `json:"code"`
		Status    int    `json:"status"`
		RequestID string `json:"requestId"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	require.Equal(t, rec.Code, p.Status)
	require.NotEmpty(t, p.RequestID, "problem carries the request id")
	return p.Code
}

func TestGateway_RoutesToDomains(t *testing.T) {
	f := newFixture(t, nil, nil)
	tok := f.token(t, nil)
	cases := []struct{ method, path, token, domain string }{
		{"GET", "/api/v1/flights/search?origin=JFK", "", gateway.DomainFlight},
		{"GET", "/api/v1/flights/F1/availability", "", gateway.DomainFlight},
		{"POST", "/api/v1/bookings/reserve", tok, gateway.DomainBooking},
		{"GET", "/api/v1/users/me", tok, gateway.DomainCustomer},
		{"POST", "/api/v1/auth/corp/login/init", "", gateway.DomainAuth},
		{"POST", "/api/v1/payments/webhooks/provider", "", gateway.DomainPayment},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path+" reaches "+tc.domain, func(t *testing.T) {
			rec := f.do(tc.method, tc.path, tc.token)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Equal(t, tc.domain, rec.Header().Get("X-Domain"))
			u, _ := url.Parse(tc.path)
			require.Equal(t, u.Path, rec.Body.String(), "path is forwarded unchanged")
			require.NotEmpty(t, rec.Header().Get("X-Seen-Request-Id"), "the service sees the request id")
			require.Equal(t, rec.Header().Get("X-Request-Id"), rec.Header().Get("X-Seen-Request-Id"))
		})
	}
}

func TestGateway_ProblemsFor404And405(t *testing.T) {
	f := newFixture(t, nil, nil)
	rec := f.do("GET", "/api/v1/nowhere", "")
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Equal(t, "not_found", problemCode(t, rec))

	rec = f.do("DELETE", "/api/v1/flights/search", "")
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	require.Equal(t, "method_not_allowed", problemCode(t, rec))
}

func TestGateway_RolesPerRoute(t *testing.T) {
	f := newFixture(t, nil, nil)
	customer := f.token(t, nil)
	agent := f.token(t, func(c *authn.Claims) { c.Roles = []string{authn.RoleAgent} })

	rec := f.do("POST", "/api/v1/bookings/reserve", "")
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Equal(t, "unauthorized", problemCode(t, rec))

	rec = f.do("POST", "/api/v1/inventory/hold", customer)
	require.Equal(t, http.StatusForbidden, rec.Code, "customers cannot hold inventory directly")
	require.Equal(t, "forbidden", problemCode(t, rec))

	rec = f.do("POST", "/api/v1/inventory/hold", agent)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, 0, f.hits[gateway.DomainFlight]-1, "exactly the permitted request reached the service")
}

// TestGateway_A2_RejectsBadTokens proves ACCEPTANCE A2 at the gateway.
func TestGateway_A2_RejectsBadTokens(t *testing.T) {
	f := newFixture(t, nil, nil)
	otherPub, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	_ = otherPub
	claims := func() authn.Claims {
		return authn.Claims{
			RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{audience}, Subject: "user-1",
				IssuedAt: jwt.NewNumericDate(f.now), ExpiresAt: jwt.NewNumericDate(f.now.Add(time.Minute))},
			SessionID: "s", Roles: []string{"customer"},
		}
	}
	cases := []struct {
		name  string
		token func() string
	}{
		{"alg none", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims())
			tok.Header["kid"], tok.Header["typ"] = kid, authn.AccessTokenType
			s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			require.NoError(t, err)
			return s
		}},
		{"HS256 signed with the public key", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims())
			tok.Header["kid"], tok.Header["typ"] = kid, authn.AccessTokenType
			s, err := tok.SignedString([]byte(f.pub))
			require.NoError(t, err)
			return s
		}},
		{"unknown kid", func() string {
			s, err := authn.Sign(otherPriv, "jwt-signing/v99", claims())
			require.NoError(t, err)
			return s
		}},
		{"known kid but another key", func() string {
			s, err := authn.Sign(otherPriv, kid, claims())
			require.NoError(t, err)
			return s
		}},
		{"wrong audience", func() string {
			return f.token(t, func(c *authn.Claims) { c.Audience = jwt.ClaimStrings{"other-api"} })
		}},
		{"wrong issuer", func() string { return f.token(t, func(c *authn.Claims) { c.Issuer = "evil" }) }},
		{"expired", func() string {
			return f.token(t, func(c *authn.Claims) { c.ExpiresAt = jwt.NewNumericDate(f.now.Add(-2 * time.Minute)) })
		}},
		{"no expiry", func() string { return f.token(t, func(c *authn.Claims) { c.ExpiresAt = nil }) }},
		{"not yet valid", func() string {
			return f.token(t, func(c *authn.Claims) { c.NotBefore = jwt.NewNumericDate(f.now.Add(10 * time.Minute)) })
		}},
		{"an ID token used as access token", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims())
			tok.Header["kid"], tok.Header["typ"] = kid, "JWT"
			s, err := tok.SignedString(f.priv)
			require.NoError(t, err)
			return s
		}},
		{"an opaque refresh token used as access token", func() string { return "rt_3q2+7w1bYdKx0" }},
		{"garbage", func() string { return "a.b.c" }},
	}
	for _, tc := range cases {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			before := f.hits[gateway.DomainCustomer]
			rec := f.do("GET", "/api/v1/users/me", tc.token())
			require.Equal(t, http.StatusUnauthorized, rec.Code, rec.Body.String())
			require.Equal(t, "unauthorized", problemCode(t, rec))
			require.Equal(t, before, f.hits[gateway.DomainCustomer], "the service was not reached")
		})
	}
	t.Run("accepts a valid token", func(t *testing.T) {
		rec := f.do("GET", "/api/v1/users/me", f.token(t, nil))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	})
}

type revokedSet map[string]bool

func (r revokedSet) Revoked(_ context.Context, sid string) (bool, error) { return r[sid], nil }

// TestVerifier_A4_RevokedSessionRefused checks the revocation hook the gateway
// consults on every request.
func TestVerifier_A4_RevokedSessionRefused(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	revoked := revokedSet{}
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience, Revocations: revoked})
	now := time.Now()
	tok, err := authn.Sign(priv, kid, authn.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{audience},
		Subject: "u", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, SessionID: "s1"})
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	revoked["s1"] = true
	_, err = v.Verify(context.Background(), tok)
	require.ErrorIs(t, err, authn.ErrRevoked)
}

// TestGateway_B2_RateLimits proves ACCEPTANCE B2: 429 with Retry-After, per
// principal and per IP, booking tighter than search.
func TestGateway_B2_RateLimits(t *testing.T) {
	limits := gateway.DefaultLimits(8) // search 8/s burst 16; booking 2/s burst 4
	f := newFixture(t, limits, nil)
	tok := f.token(t, nil)

	allowed := func(method, path, token string, n int) (ok int, last *httptest.ResponseRecorder) {
		for range n {
			last = f.do(method, path, token)
			if last.Code == http.StatusOK {
				ok++
			}
		}
		return ok, last
	}
	searchOK, _ := allowed("GET", "/api/v1/flights/search", "", 30)
	bookingOK, last := allowed("POST", "/api/v1/bookings/reserve", tok, 30)
	require.GreaterOrEqual(t, searchOK, 16, "search allows its burst")
	require.Less(t, searchOK, 30, "search is limited too")
	require.GreaterOrEqual(t, bookingOK, 4)
	require.Less(t, bookingOK, searchOK, "booking is limited more tightly than search")
	require.Equal(t, http.StatusTooManyRequests, last.Code)
	require.Equal(t, "rate_limited", problemCode(t, last))
	ra, err := strconv.Atoi(last.Header().Get("Retry-After"))
	require.NoError(t, err, "Retry-After is whole seconds")
	require.GreaterOrEqual(t, ra, 1)
}

func TestGateway_B2_LimitsArePerPrincipal(t *testing.T) {
	limiter := gateway.NewMemoryLimiter(nil)
	ctx := context.Background()
	l := gateway.Limit{Rate: 1, Burst: 2}
	for range 2 {
		ok, _, err := limiter.Allow(ctx, "booking:sub:alice", l)
		require.NoError(t, err)
		require.True(t, ok)
	}
	ok, retry, _ := limiter.Allow(ctx, "booking:sub:alice", l)
	require.False(t, ok, "alice is out of tokens")
	require.Greater(t, retry, time.Duration(0))
	ok, _, _ = limiter.Allow(ctx, "booking:sub:bob", l)
	require.True(t, ok, "bob is not affected by alice")
}

func TestMemoryLimiter_Refills(t *testing.T) {
	now := time.Unix(1000, 0)
	limiter := gateway.NewMemoryLimiter(func() time.Time { return now })
	l := gateway.Limit{Rate: 2, Burst: 1}
	ok, _, _ := limiter.Allow(context.Background(), "k", l)
	require.True(t, ok)
	ok, retry, _ := limiter.Allow(context.Background(), "k", l)
	require.False(t, ok)
	require.Equal(t, 500*time.Millisecond, retry)
	now = now.Add(500 * time.Millisecond)
	ok, _, _ = limiter.Allow(context.Background(), "k", l)
	require.True(t, ok, "one token refilled after 1/rate")
}

// TestRedisLimiter_B2_SharedAcrossReplicas runs two limiters (two gateway
// replicas) on one Redis: they share the bucket.
func TestRedisLimiter_B2_SharedAcrossReplicas(t *testing.T) {
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	require.NoError(t, err)
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := "skyfly:test:rl:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	a := gateway.NewRedisLimiter(rdb, prefix, nil)
	b := gateway.NewRedisLimiter(rdb, prefix, nil)
	l := gateway.Limit{Rate: 0.5, Burst: 4}
	ctx := context.Background()
	got := 0
	for i := range 10 {
		lim := a
		if i%2 == 1 {
			lim = b
		}
		ok, retry, err := lim.Allow(ctx, "search:ip:198.51.100.1", l)
		require.NoError(t, err)
		if ok {
			got++
		} else {
			require.Greater(t, retry, time.Duration(0))
		}
	}
	require.Equal(t, 4, got, "the two replicas together allowed exactly the burst")
}

func TestGateway_HealthReportsEachDependency(t *testing.T) {
	failing := map[string]gateway.Check{
		"flight-db": func(context.Context) error { return nil },
		"temporal":  func(context.Context) error { return io.ErrUnexpectedEOF },
	}
	h, err := gateway.New(gateway.Config{Targets: allTargets(), Checks: failing,
		Verifier: authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{}})})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/health", nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	var body struct {
		Status string                    `json:"status"`
		Checks map[string]map[string]any `json:"checks"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	require.Equal(t, "degraded", body.Status)
	require.Equal(t, "ok", body.Checks["flight-db"]["status"])
	require.Equal(t, "down", body.Checks["temporal"]["status"])

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/livez", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "skyfly_http_requests_total")
}

func TestProxy_UnreachableServiceIs502Problem(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base, _ := url.Parse(srv.URL)
	srv.Close() // nothing listens there now
	targets := allTargets()
	targets[gateway.DomainFlight] = gateway.NewProxy(base, nil)
	h, err := gateway.New(gateway.Config{Targets: targets, Verifier: authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{}})})
	require.NoError(t, err)
	// A real server: the proxy needs a ResponseWriter that supports CloseNotify.
	gw := httptest.NewServer(h)
	defer gw.Close()
	resp, err := http.Get(gw.URL + "/api/v1/flights/search")
	require.NoError(t, err)
	defer resp.Body.Close()
	rec := httptest.NewRecorder()
	rec.Code = resp.StatusCode
	for k, v := range resp.Header {
		rec.Header()[k] = v
	}
	_, _ = io.Copy(rec.Body, resp.Body)
	require.Equal(t, http.StatusBadGateway, rec.Code, rec.Body.String())
	require.Equal(t, "unavailable", problemCode(t, rec))
}

func TestProxy_ForwardsPathHeadersAndBody(t *testing.T) {
	var gotPath, gotAuth, gotBody, gotRID, gotXFF string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth, gotRID = r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("X-Request-Id")
		gotXFF = r.Header.Get("X-Forwarded-For")
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	p := gateway.NewProxy(base, nil)
	req := httptest.NewRequest("POST", "/api/v1/pricing/quote?x=1", io.NopCloser(stringsReader(`{"fareId":"f"}`)))
	req.Header.Set("Authorization", "Bearer abc")
	req.Header.Set("X-Request-Id", "rid-1")
	req.Header.Set("X-Forwarded-For", "198.51.100.7") // what the gateway's forward established
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, req)
	require.Equal(t, http.StatusCreated, rec.Code)
	require.Equal(t, "/api/v1/pricing/quote?x=1", gotPath)
	require.Equal(t, "Bearer abc", gotAuth)
	require.Equal(t, "rid-1", gotRID)
	require.Equal(t, `{"fareId":"f"}`, gotBody)
	require.Equal(t, "198.51.100.7", gotXFF, "the service sees the client, not the gateway")
}

func allTargets() map[string]http.Handler {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	return map[string]http.Handler{gateway.DomainAuth: ok, gateway.DomainFlight: ok, gateway.DomainBooking: ok, gateway.DomainCustomer: ok, gateway.DomainPayment: ok}
}

// TestVerifier_ServiceTokensSkipTheRevocationList: the revocation poller
// authenticates with a service token, so a stale list must not refuse it;
// user sessions stay refused while the list is unavailable.
func TestVerifier_ServiceTokensSkipTheRevocationList(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience, Revocations: staleList{}}).ForService("auth")
	now := time.Now()
	mint := func(roles ...string) string {
		aud := audience
		if slices.Equal(roles, []string{authn.RoleService}) {
			aud = "auth" // the poller's token is for the auth service
		}
		tok, err := authn.Sign(priv, kid, authn.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{aud},
			Subject: "s", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, SessionID: "sid", Roles: roles})
		require.NoError(t, err)
		return tok
	}
	_, err := v.Verify(context.Background(), mint(authn.RoleService))
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), mint(authn.RoleCustomer))
	require.Error(t, err, "a user token is refused while revocations cannot be checked")
	_, err = v.Verify(context.Background(), mint(authn.RoleService, authn.RoleAdmin))
	require.Error(t, err, "only pure service tokens are exempt")
}

type staleList struct{}

func (staleList) Revoked(context.Context, string) (bool, error) { return false, io.ErrUnexpectedEOF }

// TestVerifier_CachedTokensStillExpire: the verified-token cache never
// outlives a token's exp or anticipates its nbf.
func TestVerifier_CachedTokensStillExpire(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Unix(1_800_000_000, 0)
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience,
		Now: func() time.Time { return now }, Leeway: time.Second})
	tok, err := authn.Sign(priv, kid, authn.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{audience},
		Subject: "u", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, SessionID: "s"})
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), tok)
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), tok)
	require.NoError(t, err, "the second check is served from the cache")
	now = now.Add(2 * time.Minute)
	_, err = v.Verify(context.Background(), tok)
	require.ErrorIs(t, err, authn.ErrInvalidToken, "an expired token is refused even though it was cached")
}

// TestGateway_B2_ForwardedForCannotDodgeTheIPLimit: a client rotating
// X-Forwarded-For values is still limited by its real address.
func TestGateway_B2_ForwardedForCannotDodgeTheIPLimit(t *testing.T) {
	f := newFixture(t, gateway.DefaultLimits(4), nil) // search burst 8
	ok := 0
	for i := range 30 {
		req := httptest.NewRequest("GET", "/api/v1/flights/search", nil)
		req.RemoteAddr = "203.0.113.9:5555"
		req.Header.Set("X-Forwarded-For", "198.51.100."+strconv.Itoa(i))
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			ok++
		}
	}
	require.LessOrEqual(t, ok, 9, "spoofed X-Forwarded-For does not reset the per-IP bucket")
}

// TestGateway_B2_ForgedTokensAreRateLimitedToo: the per-IP limit runs before
// signature verification, so a flood of bad tokens is limited like any other.
func TestGateway_B2_ForgedTokensAreRateLimitedToo(t *testing.T) {
	f := newFixture(t, gateway.DefaultLimits(4), nil) // default class burst 8
	limited := 0
	for range 30 {
		rec := f.do("GET", "/api/v1/users/me", "not.a.token")
		if rec.Code == http.StatusTooManyRequests {
			limited++
		}
	}
	require.Greater(t, limited, 15, "bad tokens count against the IP's bucket")
}

// TestGateway_B2_IPv6ClientsAreLimitedPerSlash64: rotating addresses inside
// one /64 does not give a fresh bucket.
func TestGateway_B2_IPv6ClientsAreLimitedPerSlash64(t *testing.T) {
	f := newFixture(t, gateway.DefaultLimits(4), nil) // search burst 8
	ok := 0
	for i := range 30 {
		req := httptest.NewRequest("GET", "/api/v1/flights/search", nil)
		req.RemoteAddr = fmt.Sprintf("[2001:db8:1:2::%x]:4000", i+1)
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			ok++
		}
	}
	require.LessOrEqual(t, ok, 9)
}

func TestGateway_HealthDoesNotLeakErrorDetails(t *testing.T) {
	h, err := gateway.New(gateway.Config{Targets: allTargets(),
		Checks:   map[string]gateway.Check{"auth-db": func(context.Context) error { return errors.New("dial tcp db.internal:5432: user skyfly_auth") }},
		Verifier: authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{}})})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/health", nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.NotContains(t, rec.Body.String(), "db.internal")
	require.Contains(t, rec.Body.String(), `"down"`)
}
