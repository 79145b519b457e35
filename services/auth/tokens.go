package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// TokenIssuer mints access tokens for sessions (implemented by
// authapi.Signer, which owns the JWT format and the signing keys).
type TokenIssuer interface {
	// AccessToken mints a token for a user's session at now.
	AccessToken(ctx context.Context, u User, sessionID string, now time.Time) (string, error)
	// TTL is the access-token lifetime.
	TTL() time.Duration
}

// Roles a user can hold (the same strings as api/authn's).
const (
	RoleCustomer   = "customer"
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
	// RoleAuditor reads the staff audit trails and nothing else (a staff
	// account of an internal or external auditor).
	RoleAuditor = "auditor"
)

// StaffRoles returns the roles a staff account may get.
func StaffRoles() []string { return []string{RoleAgent, RoleSupervisor, RoleAdmin, RoleAuditor} }

// Tokens is what a successful sign-in or refresh returns.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	SessionID    string
	User         User
}

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is the SHA-256 (hex) under which opaque tokens are stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
