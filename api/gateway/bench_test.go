package gateway_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/gateway"
)

// BenchmarkGateway_PF5 measures the gateway's own overhead per request: request
// id, metrics, JWT verification (EdDSA), role check, rate limit and in-process
// routing to a service that does nothing.
func BenchmarkGateway_PF5(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	targets := map[string]http.Handler{}
	for _, d := range []string{gateway.DomainAuth, gateway.DomainFlight, gateway.DomainBooking, gateway.DomainCustomer, gateway.DomainPayment} {
		targets[d] = noop
	}
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience})
	h, err := gateway.New(gateway.Config{Verifier: v, Targets: targets, Limits: gateway.DefaultLimits(1e9)})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	tok, _ := authn.Sign(priv, kid, authn.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{audience},
		Subject: "u", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}, SessionID: "s", Roles: []string{"customer"}})

	cases := []struct {
		name, method, path, token string
	}{
		{"public search, no token", "GET", "/api/v1/flights/search?origin=JFK&destination=LHR", ""},
		{"authenticated booking read", "GET", "/api/v1/bookings/b1", tok},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(tc.method, tc.path, nil)
				if tc.token != "" {
					req.Header.Set("Authorization", "Bearer "+tc.token)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
				_, _ = io.Copy(io.Discard, rec.Body)
			}
		})
	}
}
