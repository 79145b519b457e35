package authn_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
)

// TestVerifier_ServiceTokensAreScopedToTheirAudience (issue #14): the auth
// service mints each service token for one target service; that service's
// edge admits it, every other edge and the user audience refuse it.
func TestVerifier_ServiceTokensAreScopedToTheirAudience(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	const iss, users = "https://auth.test", "skyfly"
	now := time.Now()
	mint := func(sub string, aud []string, roles ...string) string {
		tok, err := authn.Sign(priv, "k1", authn.Claims{
			RegisteredClaims: jwt.RegisteredClaims{Issuer: iss, Subject: sub, Audience: aud,
				IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute))},
			SessionID: sub, Roles: roles,
		})
		require.NoError(t, err)
		return tok
	}
	base := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{"k1": pub}, Issuer: iss, Audience: users})
	booking, flight := base.ForService("booking"), base.ForService("flight")
	gateway := base.ForService("auth", "flight", "booking", "customer", "payment")

	flightForBooking := mint("service:flight", []string{"booking"}, authn.RoleService)
	flightForAuth := mint("service:flight", []string{"auth"}, authn.RoleService)
	bookingForFlight := mint("service:booking", []string{"flight"}, authn.RoleService)
	flightForUsers := mint("service:flight", []string{users}, authn.RoleService)
	customer := mint("cust-1", []string{users}, authn.RoleCustomer)
	staffForFlight := mint("agent-1", []string{"flight"}, authn.RoleAgent)

	tests := []struct {
		name  string
		edge  *authn.Verifier
		token string
		ok    bool
	}{
		{"booking's token for flight passes flight's edge", flight, bookingForFlight, true},
		{"flight's own token for auth does not pass booking's edge", booking, flightForAuth, false},
		{"a token for flight does not pass booking's edge", booking, bookingForFlight, false},
		{"a service token for booking passes booking's edge", booking, flightForBooking, true},
		{"a service token minted for the user audience passes no service edge", flight, flightForUsers, false},
		{"a service token minted for the user audience does not pass the gateway", gateway, flightForUsers, false},
		{"a service token passes the gateway on its way to its service", gateway, bookingForFlight, true},
		{"the user-only verifier refuses every service token", base, bookingForFlight, false},
		{"a customer's token passes a service edge", booking, customer, true},
		{"a staff token minted for a service audience passes nowhere", flight, staffForFlight, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the second answer comes from the verified-token cache,
			// which must not skip the audience.
			for range 2 {
				p, err := tt.edge.Verify(context.Background(), tt.token)
				if tt.ok {
					require.NoError(t, err)
					continue
				}
				require.Error(t, err, "got principal %+v, want a refusal", p)
				require.True(t, errors.Is(err, authn.ErrInvalidToken) && errors.Is(err, authn.ErrWrongAudience), "got %v", err)
			}
		})
	}
	t.Run("a refused token stays refused after another edge admitted it", func(t *testing.T) {
		_, err := flight.Verify(context.Background(), bookingForFlight)
		require.NoError(t, err)
		_, err = booking.Verify(context.Background(), bookingForFlight)
		require.ErrorIs(t, err, authn.ErrWrongAudience)
	})
}
