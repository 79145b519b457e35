package auth

import (
	"context"
	"time"
)

// AuthCodeRequest is what an authorization request to the identity provider
// carries; CodeVerifier is turned into the S256 challenge.
type AuthCodeRequest struct {
	State        string
	Nonce        string
	CodeVerifier string
	RedirectURI  string
	LoginHint    string
}

// ExchangeRequest redeems an authorization code.
type ExchangeRequest struct {
	Code         string
	CodeVerifier string
	RedirectURI  string
	Nonce        string
}

// Identity is a verified ID token's subject.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// IdentityProvider is the OpenID Connect relying party the customer login
// uses (implemented by package oidcrp).
type IdentityProvider interface {
	// AuthCodeURL returns the provider's authorization URL for req.
	AuthCodeURL(ctx context.Context, req AuthCodeRequest) (string, error)
	// Exchange redeems the code and verifies the ID token (signature,
	// issuer, audience, expiry, nonce). Refusals wrap ErrIdentityRejected.
	Exchange(ctx context.Context, req ExchangeRequest) (Identity, error)
}

// RevocationNotifier pushes revoked sessions to token verifiers (Redis).
type RevocationNotifier interface {
	// SessionsRevoked publishes the ids for ttl (the access-token lifetime).
	SessionsRevoked(ctx context.Context, sessionIDs []string, ttl time.Duration) error
}
