package authapi

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/services/auth"
)

// Signer implements auth.TokenIssuer: it mints access tokens with the current version of the Ed25519 key
// secrets.KeyJWTSigning and publishes every live version (rotation overlap).
type Signer struct {
	keys     secrets.Provider
	issuer   string
	audience string
	ttl      time.Duration
}

// NewSigner returns a signer for tokens with the given issuer, audience and
// lifetime.
func NewSigner(keys secrets.Provider, issuer, audience string, ttl time.Duration) *Signer {
	return &Signer{keys: keys, issuer: issuer, audience: audience, ttl: ttl}
}

// TTL is the access-token lifetime.
func (s *Signer) TTL() time.Duration { return s.ttl }

// AccessToken mints a token for a user's session.
func (s *Signer) AccessToken(ctx context.Context, u auth.User, sessionID string, now time.Time) (string, error) {
	return s.mint(ctx, u, sessionID, s.audience, s.ttl, now)
}

// mint signs a token for u's session, good at audience for ttl.
func (s *Signer) mint(ctx context.Context, u auth.User, sessionID, audience string, ttl time.Duration, now time.Time) (string, error) {
	k, err := s.keys.Current(ctx, secrets.KeyJWTSigning)
	if err != nil {
		return "", fmt.Errorf("access token: signing key: %w", err)
	}
	priv := ed25519.NewKeyFromSeed(k.Material)
	return authn.Sign(priv, k.ID(), authn.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Subject:   u.ID,
			Audience:  jwt.ClaimStrings{audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ID:        uuid.NewString(),
		},
		SessionID: sessionID,
		Roles:     u.Roles,
		Email:     u.Email,
	})
}

// JWKS returns every live public signing key.
func (s *Signer) JWKS(ctx context.Context) (authn.JWKS, error) {
	// Current creates version 1 on first use, so the set is never empty.
	if _, err := s.keys.Current(ctx, secrets.KeyJWTSigning); err != nil {
		return authn.JWKS{}, fmt.Errorf("jwks: %w", err)
	}
	vs, err := s.keys.Versions(ctx, secrets.KeyJWTSigning)
	if err != nil {
		return authn.JWKS{}, fmt.Errorf("jwks: %w", err)
	}
	set := authn.JWKS{Keys: make([]authn.JWK, 0, len(vs))}
	for _, k := range vs {
		set.Keys = append(set.Keys, authn.NewJWK(k.ID(), ed25519.NewKeyFromSeed(k.Material).Public().(ed25519.PublicKey)))
	}
	return set, nil
}

// PublicKey implements authn.KeySource over the live key versions, so the
// auth service verifies its own tokens without a network round trip.
func (s *Signer) PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	name, v, ok := strings.Cut(kid, "/v")
	version, err := strconv.Atoi(v)
	if !ok || name != secrets.KeyJWTSigning || err != nil {
		return nil, fmt.Errorf("%w: kid %q", authn.ErrUnknownKey, kid)
	}
	k, err := s.keys.Version(ctx, name, version)
	if err != nil {
		return nil, fmt.Errorf("%w: kid %q: %w", authn.ErrUnknownKey, kid, err)
	}
	return ed25519.NewKeyFromSeed(k.Material).Public().(ed25519.PublicKey), nil
}

var _ auth.TokenIssuer = (*Signer)(nil)
