package authn_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/skyfly/skyfly/api/authn"
)

// FuzzVerify: any bearer string is refused with ErrInvalidToken or
// accepted as exactly the principal the key signed, never a panic, never
// another subject, role or session (a forged, re-encoded or alg-swapped
// token never passes).
func FuzzVerify(f *testing.F) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{"k1": pub}, Issuer: "https://auth.test", Audience: "skyfly"})
	now := time.Now()
	good, err := authn.Sign(priv, "k1", authn.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "https://auth.test", Audience: jwt.ClaimStrings{"skyfly"},
		Subject: "cust-1", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}, SessionID: "s-1", Roles: []string{"customer"}})
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"k1"}`))
	admin := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://auth.test","aud":"skyfly","sub":"cust-1","sid":"s-1","roles":["admin"],"exp":9999999999}`))
	f.Add(good)
	f.Add(none + "." + parts[1] + ".")
	f.Add(parts[0] + "." + admin + "." + parts[2])
	f.Add("")
	f.Add("...")
	f.Add(strings.Repeat("a", 5000))
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := v.Verify(context.Background(), raw)
		if err != nil {
			if !errors.Is(err, authn.ErrInvalidToken) {
				t.Fatalf("untyped refusal: %v", err)
			}
			return
		}
		if p.UserID != "cust-1" || p.SessionID != "s-1" || len(p.Roles) != 1 || p.Roles[0] != "customer" {
			t.Fatalf("accepted a principal the key never signed: %+v", p)
		}
	})
}
