package gateway_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/gateway"
	"github.com/skyfly/skyfly/internal/platform/mtls"
)

// BenchmarkGateway_PF5_Upstream measures an authenticated booking read
// through the gateway to a service in another process, as the split
// deployment runs it: the gateway's checks, then its reverse proxy over a
// kept-alive connection to an upstream that answers 200 at once. "direct"
// is a client calling the same upstream without the gateway, so the
// gateway's overhead is what "gateway" (a client → the gateway over HTTP →
// the upstream) costs beyond "direct" and one more loopback hop; "mtls" is the upstream requiring
// the gateway's certificate (TLS 1.3, ECDSA P-256 from the development CA).
func BenchmarkGateway_PF5_Upstream(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience})
	now := time.Now()
	tok, _ := authn.Sign(priv, kid, authn.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{audience},
		Subject: "u", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}, SessionID: "s", Roles: []string{"customer"}})

	dir := b.TempDir()
	if _, err := mtls.Init(dir, now, "gateway", "booking"); err != nil {
		b.Fatal(err)
	}
	gwID, err := mtls.Load(dir, "gateway", nil)
	if err != nil {
		b.Fatal(err)
	}
	bkID, err := mtls.Load(dir, "booking", nil)
	if err != nil {
		b.Fatal(err)
	}
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	plain := httptest.NewServer(noop)
	b.Cleanup(plain.Close)
	secure := httptest.NewUnstartedServer(noop)
	secure.TLS = bkID.ServerConfig("gateway")
	secure.StartTLS()
	b.Cleanup(secure.Close)

	for _, up := range []struct {
		name      string
		url       string
		transport *http.Transport
	}{
		{"http", plain.URL, &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}},
		{"mtls", secure.URL, gwID.Transport()},
	} {
		u, err := url.Parse(up.url)
		if err != nil {
			b.Fatal(err)
		}
		targets := map[string]http.Handler{}
		for _, d := range []string{gateway.DomainAuth, gateway.DomainFlight, gateway.DomainBooking, gateway.DomainCustomer, gateway.DomainPayment} {
			targets[d] = gateway.NewProxyVia(u, nil, up.transport)
		}
		h, err := gateway.New(gateway.Config{Verifier: v, Targets: targets, Limits: gateway.DefaultLimits(1e9)})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(up.name+"/direct", func(b *testing.B) {
			readLoop(b, &http.Client{Transport: up.transport}, up.url, tok)
		})
		gw := httptest.NewServer(h)
		b.Cleanup(gw.Close)
		b.Run(up.name+"/gateway", func(b *testing.B) {
			readLoop(b, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}}, gw.URL, tok)
		})
	}
}

// readLoop reads booking b1 at base with tok, once per benchmark iteration,
// and fails on anything but 200.
func readLoop(b *testing.B, c *http.Client, base, tok string) {
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/bookings/b1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	}
}
