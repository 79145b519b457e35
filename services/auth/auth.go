// Package auth owns SkyFly identities: customers signed in through an OpenID
// Connect provider (keyed by issuer and subject, never by email), staff
// accounts with argon2id passwords and TOTP second factors, sessions with
// rotating refresh-token families, throttling of failed attempts, access-token
// issuing and the audit trail of security events. It is plain Go: the HTTP
// API lives in api/authapi, stores in authgorm.
package auth

import (
	"context"
	"errors"
	"time"
)

// StaffIssuer is the issuer recorded for staff accounts, whose subject is
// their normalised email address.
const StaffIssuer = "skyfly-staff"

// Session kinds, recorded as the authentication method of a session.
const (
	MethodOIDC         = "oidc"
	MethodPasswordTOTP = "pwd+otp"
)

// User is a person who can sign in. Customers come from an OIDC provider and
// are identified by (Issuer, Subject); staff carry StaffIssuer.
type User struct {
	ID        string
	Issuer    string
	Subject   string
	Email     string
	Name      string
	Roles     []string
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsStaff reports whether u is a staff account.
func (u User) IsStaff() bool { return u.Issuer == StaffIssuer }

// Session is one sign-in of a user. Its refresh tokens form one family:
// revoking the session revokes every token of it.
type Session struct {
	ID           string
	UserID       string
	Method       string
	CreatedAt    time.Time
	ExpiresAt    time.Time // absolute lifetime, refresh cannot extend it
	RevokedAt    *time.Time
	RevokeReason string
}

// Active reports whether the session is neither revoked nor expired at now.
func (s Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// RefreshToken is one member of a session's refresh family, stored by the
// SHA-256 of the opaque token.
type RefreshToken struct {
	Hash      string
	SessionID string
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt *time.Time // set when it was exchanged for its successor
	RevokedAt *time.Time // set when its session was revoked
}

// TOTPSecret is a user's TOTP secret, encrypted with AES-256-GCM under the
// secrets key KeyID.
type TOTPSecret struct {
	UserID     string
	Ciphertext []byte
	KeyID      string
	CreatedAt  time.Time
}

// OIDCState is the server-side half of an authorization-code flow in
// progress: the state (stored hashed), nonce and PKCE verifier.
type OIDCState struct {
	StateHash    string
	Nonce        string
	CodeVerifier string
	RedirectURI  string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// Kinds of staff login flows.
const (
	FlowLogin     = "login"
	FlowMFA       = "mfa"
	FlowChallenge = "challenge"
)

// LoginFlow is one step of a staff login (login id, MFA token or challenge),
// stored by the hash of the id handed to the client.
type LoginFlow struct {
	IDHash     string
	Kind       string
	Email      string
	UserID     string // empty when the email names no account
	CreatedAt  time.Time
	ExpiresAt  time.Time
	ConsumedAt *time.Time
}

// Throttle counts recent failures under one key (account, IP or both).
type Throttle struct {
	Key           string
	Failures      int
	LastFailureAt time.Time
}

// SecurityEvent is one entry of the append-only audit trail.
type SecurityEvent struct {
	ID         string
	OccurredAt time.Time
	Kind       string
	UserID     string
	SessionID  string
	IP         string
	Detail     string
}

// Kinds of security events.
const (
	EventLogin            = "login"
	EventLoginFailed      = "login_failed"
	EventPasswordFailed   = "password_failed"
	EventOTPFailed        = "otp_failed"
	EventThrottled        = "throttled"
	EventRefreshReuse     = "refresh_token_reuse"
	EventSessionRevoked   = "session_revoked"
	EventLogout           = "logout"
	EventStaffCreated     = "staff_created"
	EventUserDisabled     = "user_disabled"
	EventUserCreated      = "user_created"
	EventPasswordChanged  = "password_changed"
	EventSessionsRevoked  = "sessions_revoked"
	EventUserIdentityLink = "identity_login"
)

// Revocation tells token verifiers that a session ended before its access
// tokens expire; they may forget it after ExpiresAt.
type Revocation struct {
	SessionID string
	RevokedAt time.Time
	ExpiresAt time.Time
}

// Errors of the auth domain. Store implementations return ErrNotFound and
// ErrConflict; the service returns the others.
var (
	ErrNotFound            = errors.New("auth: not found")
	ErrConflict            = errors.New("auth: already exists")
	ErrInvalidCredentials  = errors.New("auth: invalid credentials")
	ErrInvalidLoginFlow    = errors.New("auth: login flow unknown, used or expired")
	ErrInvalidCode         = errors.New("auth: invalid one-time code")
	ErrCodeReused          = errors.New("auth: one-time code already used")
	ErrThrottled           = errors.New("auth: too many failed attempts")
	ErrInvalidRefreshToken = errors.New("auth: invalid refresh token")
	ErrRefreshTokenReused  = errors.New("auth: refresh token reused; session revoked")
	ErrSessionEnded        = errors.New("auth: session revoked or expired")
	ErrUserDisabled        = errors.New("auth: user disabled")
	ErrInvalidState        = errors.New("auth: unknown, used or expired OIDC state")
	ErrIdentityRejected    = errors.New("auth: identity provider response rejected")
	// ErrProviderUnavailable: the identity provider throttled or failed the
	// back-channel call; the login may be retried (not a rejection).
	ErrProviderUnavailable = errors.New("auth: identity provider unavailable")
	ErrInvalidRedirect     = errors.New("auth: redirect URI not allowed")
	ErrLoginHintRefused    = errors.New("auth: login_hint is only accepted in development mode")
	ErrUnsupportedMethod   = errors.New("auth: unsupported MFA method")
	ErrWeakPassword        = errors.New("auth: password does not meet the rules")
	ErrInvalidRole         = errors.New("auth: invalid role")
)

// Store persists the auth domain. Methods return ErrNotFound for missing
// rows and ErrConflict for uniqueness violations.
type Store interface {
	GovernanceStore

	// CreateUser inserts u; ErrConflict when (Issuer, Subject) exists.
	CreateUser(ctx context.Context, u User) error
	// UpdateUser saves email, name, roles and disabled of u.
	UpdateUser(ctx context.Context, u User) error
	// UserByID returns a user or ErrNotFound.
	UserByID(ctx context.Context, id string) (User, error)
	// UserByIdentity returns the user of (issuer, subject) or ErrNotFound.
	UserByIdentity(ctx context.Context, issuer, subject string) (User, error)

	// SetPassword stores (replaces) the argon2id hash of a user's password.
	SetPassword(ctx context.Context, userID, hash string, at time.Time) error
	// PasswordHash returns the stored hash or ErrNotFound.
	PasswordHash(ctx context.Context, userID string) (string, error)
	// SetTOTP stores (replaces) the encrypted TOTP secret of a user.
	SetTOTP(ctx context.Context, s TOTPSecret) error
	// TOTP returns the encrypted TOTP secret or ErrNotFound.
	TOTP(ctx context.Context, userID string) (TOTPSecret, error)
	// UseTOTPStep records that the code of a time step was used; it returns
	// ErrConflict when that step, or a later one, was used before (M2).
	UseTOTPStep(ctx context.Context, userID string, step int64, at time.Time) error

	// CreateSession inserts a session and the first token of its family.
	CreateSession(ctx context.Context, s Session, first RefreshToken) error
	// Session returns a session or ErrNotFound.
	Session(ctx context.Context, id string) (Session, error)
	// RevokeSession revokes a session and its refresh family; revoked is
	// false when it was already revoked.
	RevokeSession(ctx context.Context, id, reason string, at time.Time) (revoked bool, err error)
	// RevokeUserSessions revokes every live session of a user and returns
	// the ids it revoked now.
	RevokeUserSessions(ctx context.Context, userID, reason string, at time.Time) ([]string, error)
	// RevokedSince lists sessions revoked at or after since.
	RevokedSince(ctx context.Context, since time.Time) ([]Session, error)

	// RefreshToken returns a token by hash or ErrNotFound.
	RefreshToken(ctx context.Context, hash string) (RefreshToken, error)
	// RotateRefreshToken marks old as rotated and inserts next, atomically;
	// ErrConflict when old was already rotated or revoked (reuse).
	RotateRefreshToken(ctx context.Context, oldHash string, next RefreshToken, at time.Time) error

	// PutOIDCState stores a flow's state.
	PutOIDCState(ctx context.Context, s OIDCState) error
	// TakeOIDCState deletes and returns a live state (single use);
	// ErrNotFound when unknown, taken or expired at now.
	TakeOIDCState(ctx context.Context, stateHash string, now time.Time) (OIDCState, error)

	// PutLoginFlow stores a staff login step.
	PutLoginFlow(ctx context.Context, f LoginFlow) error
	// LoginFlow returns an unconsumed, unexpired flow of the kind, or
	// ErrNotFound.
	LoginFlow(ctx context.Context, idHash, kind string, now time.Time) (LoginFlow, error)
	// ConsumeLoginFlow marks a flow used; ErrNotFound when it already was
	// (so of two concurrent requests one wins).
	ConsumeLoginFlow(ctx context.Context, idHash string, at time.Time) error

	// Throttles returns the counters of keys (missing keys are absent).
	Throttles(ctx context.Context, keys []string) ([]Throttle, error)
	// RecordFailure adds a failure to key, restarting the count when the
	// last failure is older than window, and returns the new counter.
	RecordFailure(ctx context.Context, key string, at time.Time, window time.Duration) (Throttle, error)
	// ForgiveFailure takes one failure back from key (never below zero).
	ForgiveFailure(ctx context.Context, key string) error
	// ResetThrottle forgets the failures of key.
	ResetThrottle(ctx context.Context, key string) error

	// AppendEvent adds to the audit trail.
	AppendEvent(ctx context.Context, e SecurityEvent) error
	// Events returns a user's events, newest first.
	Events(ctx context.Context, userID string, limit int) ([]SecurityEvent, error)

	// Purge deletes expired OIDC states, login flows and refresh tokens of
	// sessions that ended before cutoff.
	Purge(ctx context.Context, now, cutoff time.Time) error
}
