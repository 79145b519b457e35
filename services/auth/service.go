package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// Config tunes the service. Zero fields take the defaults noted.
type Config struct {
	// CustomerSessionTTL and StaffSessionTTL are absolute session lifetimes
	// (30 days, 12 hours); refreshing never extends them.
	CustomerSessionTTL, StaffSessionTTL time.Duration
	// FlowTTL bounds each staff login step (5m); OIDCStateTTL an
	// authorization-code flow (10m).
	FlowTTL, OIDCStateTTL time.Duration
	// MFAResetTTL is how long an MFA reset request waits for its second
	// admin (24h).
	MFAResetTTL time.Duration
	// Dev enables login_hint on the customer flow.
	Dev bool
	// RedirectURIs lists the redirect URIs a customer flow may use; the
	// first is the default.
	RedirectURIs []string
	// Throttle defaults to DefaultThrottle; Argon2 to DefaultArgon2.
	Throttle *ThrottlePolicy
	Argon2   *Argon2Params
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.CustomerSessionTTL, 30*24*time.Hour)
	def(&c.StaffSessionTTL, 12*time.Hour)
	def(&c.FlowTTL, 5*time.Minute)
	def(&c.OIDCStateTTL, 10*time.Minute)
	def(&c.MFAResetTTL, 24*time.Hour)
	if c.Throttle == nil {
		p := DefaultThrottle()
		c.Throttle = &p
	}
	if c.Argon2 == nil {
		p := DefaultArgon2()
		c.Argon2 = &p
	}
}

// Deps are the collaborators of a Service. IDP and Notifier may be nil.
type Deps struct {
	Log      *slog.Logger
	Store    Store
	Keys     secrets.Provider
	Tokens   TokenIssuer
	IDP      IdentityProvider
	Notifier RevocationNotifier
	Now      func() time.Time
}

// Service is the auth domain's use cases.
type Service struct {
	log       *slog.Logger
	store     Store
	keys      secrets.Provider
	idp       IdentityProvider
	notifier  RevocationNotifier
	now       func() time.Time
	cfg       Config
	tokens    TokenIssuer
	box       *SecretBox
	passwords *PasswordPolicy
	throttle  throttle
	dummyHash string
}

// NewService returns the service.
func NewService(d Deps, cfg Config) (*Service, error) {
	cfg.defaults()
	if d.Store == nil || d.Keys == nil || d.Tokens == nil {
		return nil, errors.New("auth: store, keys and token issuer are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	dummy, err := HashPassword("skyfly timing equaliser for unknown accounts", *cfg.Argon2)
	if err != nil {
		return nil, err
	}
	return &Service{
		log: d.Log, store: d.Store, keys: d.Keys, idp: d.IDP, notifier: d.Notifier, now: d.Now, cfg: cfg,
		tokens:    d.Tokens,
		box:       NewSecretBox(d.Keys),
		passwords: NewPasswordPolicy(),
		throttle:  throttle{store: d.Store, policy: *cfg.Throttle},
		dummyHash: dummy,
	}, nil
}

// Passwords returns the password policy.
func (s *Service) Passwords() *PasswordPolicy { return s.passwords }

// --- customers (OpenID Connect) ---------------------------------------------

// BeginOIDC stores a new state, nonce and PKCE verifier and returns the
// identity provider's authorization URL. redirectURI must be allowed (empty
// takes the default); loginHint is refused outside development mode.
// Errors: ErrInvalidRedirect, ErrLoginHintRefused.
func (s *Service) BeginOIDC(ctx context.Context, redirectURI, loginHint string) (string, error) {
	if s.idp == nil {
		return "", errors.New("begin oidc: no identity provider configured")
	}
	if loginHint != "" && !s.cfg.Dev {
		return "", ErrLoginHintRefused
	}
	redirect, err := s.redirectURI(redirectURI)
	if err != nil {
		return "", err
	}
	state, err := randomToken(32)
	if err != nil {
		return "", err
	}
	nonce, err := randomToken(32)
	if err != nil {
		return "", err
	}
	verifier := oauth2.GenerateVerifier()
	now := s.now()
	if err := s.store.PutOIDCState(ctx, OIDCState{
		StateHash: HashToken(state), Nonce: nonce, CodeVerifier: verifier, RedirectURI: redirect,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.OIDCStateTTL),
	}); err != nil {
		return "", fmt.Errorf("begin oidc: store state: %w", err)
	}
	return s.idp.AuthCodeURL(ctx, AuthCodeRequest{State: state, Nonce: nonce, CodeVerifier: verifier, RedirectURI: redirect, LoginHint: loginHint})
}

func (s *Service) redirectURI(uri string) (string, error) {
	if len(s.cfg.RedirectURIs) == 0 {
		return "", fmt.Errorf("%w: none configured", ErrInvalidRedirect)
	}
	if uri == "" {
		return s.cfg.RedirectURIs[0], nil
	}
	u, err := url.Parse(uri)
	if err != nil || u.Fragment != "" || !slices.Contains(s.cfg.RedirectURIs, uri) {
		return "", fmt.Errorf("%w: %q", ErrInvalidRedirect, uri)
	}
	return uri, nil
}

// CompleteOIDC finishes an authorization-code flow (ACCEPTANCE A1): the
// state is taken once, the code redeemed with the flow's PKCE verifier, the
// ID token verified against the flow's nonce; the user is found or created
// by (issuer, subject) and a session starts. Errors: ErrInvalidState,
// ErrIdentityRejected, ErrUserDisabled.
func (s *Service) CompleteOIDC(ctx context.Context, code, state, ip string) (Tokens, error) {
	if s.idp == nil {
		return Tokens{}, errors.New("complete oidc: no identity provider configured")
	}
	if state == "" || code == "" {
		return Tokens{}, ErrInvalidState
	}
	st, err := s.store.TakeOIDCState(ctx, HashToken(state), s.now())
	if errors.Is(err, ErrNotFound) {
		return Tokens{}, ErrInvalidState
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("complete oidc: take state: %w", err)
	}
	id, err := s.idp.Exchange(ctx, ExchangeRequest{Code: code, CodeVerifier: st.CodeVerifier, RedirectURI: st.RedirectURI, Nonce: st.Nonce})
	if err != nil {
		s.event(ctx, SecurityEvent{Kind: EventLoginFailed, IP: ip, Detail: "oidc: " + err.Error()})
		return Tokens{}, fmt.Errorf("complete oidc: %w", err)
	}
	if id.Issuer == "" || id.Subject == "" {
		return Tokens{}, fmt.Errorf("complete oidc: %w: no issuer or subject", ErrIdentityRejected)
	}
	u, err := s.customer(ctx, id)
	if err != nil {
		return Tokens{}, err
	}
	if u.Disabled {
		s.event(ctx, SecurityEvent{Kind: EventLoginFailed, UserID: u.ID, IP: ip, Detail: "disabled"})
		return Tokens{}, ErrUserDisabled
	}
	return s.startSession(ctx, u, MethodOIDC, s.cfg.CustomerSessionTTL, ip)
}

// customer returns the user of an identity, creating a customer on first
// sign-in and following email changes at the provider.
//
// Only an address the provider verified is kept: an unverified one could be
// anybody's, and booking mail would go there.
func (s *Service) customer(ctx context.Context, id Identity) (User, error) {
	if !id.EmailVerified {
		id.Email = ""
	}
	u, err := s.store.UserByIdentity(ctx, id.Issuer, id.Subject)
	if err == nil {
		if (id.Email != "" && id.Email != u.Email) || (id.Name != "" && id.Name != u.Name) {
			u.Email, u.Name, u.UpdatedAt = cmpOr(id.Email, u.Email), cmpOr(id.Name, u.Name), s.now()
			if err := s.store.UpdateUser(ctx, u); err != nil {
				return User{}, fmt.Errorf("update customer %s: %w", u.ID, err)
			}
		}
		return u, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("find customer %s/%s: %w", id.Issuer, id.Subject, err)
	}
	now := s.now()
	u = User{ID: uuid.NewString(), Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, Name: id.Name,
		Roles: []string{RoleCustomer}, CreatedAt: now, UpdatedAt: now}
	err = s.store.CreateUser(ctx, u)
	if errors.Is(err, ErrConflict) { // a concurrent first sign-in won
		return s.store.UserByIdentity(ctx, id.Issuer, id.Subject)
	}
	if err != nil {
		return User{}, fmt.Errorf("create customer %s/%s: %w", id.Issuer, id.Subject, err)
	}
	s.event(ctx, SecurityEvent{Kind: EventUserCreated, UserID: u.ID, Detail: "customer via " + id.Issuer})
	return u, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// --- sessions and refresh tokens --------------------------------------------

func (s *Service) startSession(ctx context.Context, u User, method string, ttl time.Duration, ip string) (Tokens, error) {
	now := s.now()
	sess := Session{ID: uuid.NewString(), UserID: u.ID, Method: method, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	rt, err := randomToken(32)
	if err != nil {
		return Tokens{}, err
	}
	if err := s.store.CreateSession(ctx, sess, RefreshToken{Hash: HashToken(rt), SessionID: sess.ID, CreatedAt: now, ExpiresAt: sess.ExpiresAt}); err != nil {
		return Tokens{}, fmt.Errorf("start session for user %s: %w", u.ID, err)
	}
	at, err := s.tokens.AccessToken(ctx, u, sess.ID, now)
	if err != nil {
		return Tokens{}, err
	}
	s.event(ctx, SecurityEvent{Kind: EventLogin, UserID: u.ID, SessionID: sess.ID, IP: ip, Detail: method})
	return Tokens{AccessToken: at, RefreshToken: rt, ExpiresIn: s.tokens.TTL(), SessionID: sess.ID, User: u}, nil
}

// Refresh exchanges a refresh token for a new pair (ACCEPTANCE A3). Every
// token works once: presenting an already rotated one revokes its whole
// family and the session. The session's absolute lifetime is never
// extended. Errors: ErrInvalidRefreshToken, ErrRefreshTokenReused,
// ErrSessionEnded, ErrUserDisabled.
func (s *Service) Refresh(ctx context.Context, refreshToken, ip string) (Tokens, error) {
	if refreshToken == "" {
		return Tokens{}, ErrInvalidRefreshToken
	}
	now := s.now()
	hash := HashToken(refreshToken)
	old, err := s.store.RefreshToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Tokens{}, ErrInvalidRefreshToken
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	sess, err := s.store.Session(ctx, old.SessionID)
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: session %s: %w", old.SessionID, err)
	}
	if !sess.Active(now) || old.RevokedAt != nil || !now.Before(old.ExpiresAt) {
		return Tokens{}, ErrSessionEnded
	}
	if old.RotatedAt != nil {
		return Tokens{}, s.reuse(ctx, sess, ip)
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: user %s: %w", sess.UserID, err)
	}
	if u.Disabled {
		if _, err := s.revoke(ctx, sess.ID, "user disabled"); err != nil {
			return Tokens{}, err
		}
		return Tokens{}, ErrUserDisabled
	}
	next, err := randomToken(32)
	if err != nil {
		return Tokens{}, err
	}
	err = s.store.RotateRefreshToken(ctx, hash, RefreshToken{Hash: HashToken(next), SessionID: sess.ID, CreatedAt: now, ExpiresAt: sess.ExpiresAt}, now)
	if errors.Is(err, ErrConflict) { // rotated concurrently: the same token was used twice
		return Tokens{}, s.reuse(ctx, sess, ip)
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: rotate: %w", err)
	}
	at, err := s.tokens.AccessToken(ctx, u, sess.ID, now)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: at, RefreshToken: next, ExpiresIn: s.tokens.TTL(), SessionID: sess.ID, User: u}, nil
}

func (s *Service) reuse(ctx context.Context, sess Session, ip string) error {
	s.event(ctx, SecurityEvent{Kind: EventRefreshReuse, UserID: sess.UserID, SessionID: sess.ID, IP: ip})
	s.log.WarnContext(ctx, "refresh token reuse: session revoked", "session_id", sess.ID, "user_id", sess.UserID)
	if _, err := s.revoke(ctx, sess.ID, "refresh token reuse"); err != nil {
		return err
	}
	return ErrRefreshTokenReused
}

// Logout revokes the caller's session and refresh family at once
// (ACCEPTANCE A4). Logging out an ended session is not an error.
func (s *Service) Logout(ctx context.Context, sessionID, userID, ip string) error {
	sess, err := s.store.Session(ctx, sessionID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if sess.UserID != userID {
		return fmt.Errorf("logout: session %s: %w", sessionID, ErrNotFound)
	}
	revoked, err := s.revoke(ctx, sessionID, "logout")
	if err != nil {
		return err
	}
	if revoked {
		s.event(ctx, SecurityEvent{Kind: EventLogout, UserID: userID, SessionID: sessionID, IP: ip})
	}
	return nil
}

func (s *Service) revoke(ctx context.Context, sessionID, reason string) (bool, error) {
	revoked, err := s.store.RevokeSession(ctx, sessionID, reason, s.now())
	if err != nil {
		return false, fmt.Errorf("revoke session %s: %w", sessionID, err)
	}
	if revoked {
		s.publish(ctx, []string{sessionID})
		s.event(ctx, SecurityEvent{Kind: EventSessionRevoked, SessionID: sessionID, Detail: reason})
	}
	return revoked, nil
}

func (s *Service) publish(ctx context.Context, ids []string) {
	if s.notifier == nil || len(ids) == 0 {
		return
	}
	// The database is the source of truth and the revocation list is
	// served from it; a failed push only delays Redis-based verifiers.
	if err := s.notifier.SessionsRevoked(ctx, ids, s.tokens.TTL()+time.Minute); err != nil {
		s.log.ErrorContext(ctx, "publish revocations", "err", err, "sessions", len(ids))
	}
}

// RevokeUserSessions revokes every live session of a user (erasure, staff
// disabling) and returns how many it revoked now; repeating it revokes none.
func (s *Service) RevokeUserSessions(ctx context.Context, userID, reason string) (int, error) {
	ids, err := s.store.RevokeUserSessions(ctx, userID, reason, s.now())
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of user %s: %w", userID, err)
	}
	s.publish(ctx, ids)
	if len(ids) > 0 {
		s.event(ctx, SecurityEvent{Kind: EventSessionsRevoked, UserID: userID, Detail: fmt.Sprintf("%d: %s", len(ids), reason)})
	}
	return len(ids), nil
}

// DisableUser disables an account and revokes its sessions at once.
func (s *Service) DisableUser(ctx context.Context, userID, reason string) error {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("disable user %s: %w", userID, err)
	}
	u.Disabled, u.UpdatedAt = true, s.now()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return fmt.Errorf("disable user %s: %w", userID, err)
	}
	s.event(ctx, SecurityEvent{Kind: EventUserDisabled, UserID: userID, Detail: reason})
	_, err = s.RevokeUserSessions(ctx, userID, "disabled: "+reason)
	return err
}

// Revoked implements authn.Revocations from the database.
func (s *Service) Revoked(ctx context.Context, sessionID string) (bool, error) {
	sess, err := s.store.Session(ctx, sessionID)
	if errors.Is(err, ErrNotFound) {
		// Service tokens carry no stored session; any other unknown session
		// is treated as revoked.
		return !strings.HasPrefix(sessionID, "service:"), nil
	}
	if err != nil {
		return false, fmt.Errorf("revocation check %s: %w", sessionID, err)
	}
	return !sess.Active(s.now()), nil
}

// Revocations lists sessions revoked since the given time whose access
// tokens may still be live, and the service's current time. Verifiers may
// forget an entry after its ExpiresAt.
func (s *Service) Revocations(ctx context.Context, since time.Time) ([]Revocation, time.Time, error) {
	now := s.now()
	if floor := now.Add(-s.tokens.TTL() - time.Minute); since.Before(floor) {
		since = floor
	}
	sessions, err := s.store.RevokedSince(ctx, since)
	if err != nil {
		return nil, now, fmt.Errorf("revocations since %s: %w", since, err)
	}
	out := make([]Revocation, 0, len(sessions))
	for _, sess := range sessions {
		out = append(out, Revocation{SessionID: sess.ID, RevokedAt: *sess.RevokedAt, ExpiresAt: sess.RevokedAt.Add(s.tokens.TTL() + time.Minute)})
	}
	return out, now, nil
}

// Events returns a user's security events, newest first.
func (s *Service) Events(ctx context.Context, userID string, limit int) ([]SecurityEvent, error) {
	return s.store.Events(ctx, userID, limit)
}

func (s *Service) event(ctx context.Context, e SecurityEvent) {
	e.ID = uuid.NewString()
	e.OccurredAt = s.now()
	if err := s.store.AppendEvent(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit: append security event", "err", err, "kind", e.Kind, "user_id", e.UserID)
	}
}
