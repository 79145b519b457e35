package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Staff login methods.
const (
	MethodPassword = "password"
	MethodTOTP     = "totp"
)

// NormalizeEmail lower-cases and trims an email address.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// StaffEnrollment is a new staff account with the secrets to hand over once.
type StaffEnrollment struct {
	User          User
	Password      string
	TOTPSecret    string
	TOTPURI       string
	RecoveryCodes []string
}

// CreateStaff creates a staff account with a role, an argon2id password (a
// generated one when password is empty), a fresh TOTP secret and
// RecoveryCodeCount recovery codes. Errors:
// ErrInvalidRole, ErrWeakPassword (as *PasswordError), ErrConflict.
func (s *Service) CreateStaff(ctx context.Context, email, role, password string) (StaffEnrollment, error) {
	email = NormalizeEmail(email)
	if _, err := mail.ParseAddress(email); err != nil || email == "" {
		return StaffEnrollment{}, fmt.Errorf("create staff: invalid email %q", email)
	}
	if !slices.Contains(StaffRoles(), role) {
		return StaffEnrollment{}, fmt.Errorf("create staff %s: %w: %q (want one of %v)", email, ErrInvalidRole, role, StaffRoles())
	}
	switch _, err := s.StaffUser(ctx, email); {
	case err == nil:
		return StaffEnrollment{}, fmt.Errorf("create staff %s: %w", email, ErrConflict)
	case !errors.Is(err, ErrNotFound):
		return StaffEnrollment{}, fmt.Errorf("create staff %s: %w", email, err)
	}
	if password == "" {
		p, err := GeneratePassword()
		if err != nil {
			return StaffEnrollment{}, err
		}
		password = p
	}
	if err := s.passwords.Check(password); err != nil {
		return StaffEnrollment{}, fmt.Errorf("create staff %s: %w", email, err)
	}
	hash, err := HashPassword(password, *s.cfg.Argon2)
	if err != nil {
		return StaffEnrollment{}, err
	}
	key, err := NewTOTPKey(email)
	if err != nil {
		return StaffEnrollment{}, err
	}
	now := s.now()
	u := User{ID: uuid.NewString(), Issuer: StaffIssuer, Subject: email, Email: email, Roles: []string{role}, CreatedAt: now, UpdatedAt: now}
	sealed, keyID, err := s.box.Seal(ctx, u.ID, key.Secret())
	if err != nil {
		return StaffEnrollment{}, err
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return StaffEnrollment{}, fmt.Errorf("create staff %s: %w", email, err)
	}
	if err := s.store.SetPassword(ctx, u.ID, hash, now); err != nil {
		return StaffEnrollment{}, fmt.Errorf("create staff %s: password: %w", email, err)
	}
	if err := s.store.SetTOTP(ctx, TOTPSecret{UserID: u.ID, Ciphertext: sealed, KeyID: keyID, CreatedAt: now}); err != nil {
		return StaffEnrollment{}, fmt.Errorf("create staff %s: totp: %w", email, err)
	}
	codes, rows, err := s.newRecoveryCodes(ctx, u.ID)
	if err != nil {
		return StaffEnrollment{}, err
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, u.ID, rows); err != nil {
		return StaffEnrollment{}, fmt.Errorf("create staff %s: recovery codes: %w", email, err)
	}
	s.event(ctx, SecurityEvent{Kind: EventStaffCreated, UserID: u.ID, Detail: role})
	return StaffEnrollment{User: u, Password: password, TOTPSecret: key.Secret(), TOTPURI: key.URL(), RecoveryCodes: codes}, nil
}

// StaffUser returns the staff account of an email or ErrNotFound.
func (s *Service) StaffUser(ctx context.Context, email string) (User, error) {
	return s.store.UserByIdentity(ctx, StaffIssuer, NormalizeEmail(email))
}

// StaffTOTPCode returns the current TOTP code of a staff account; `skyfly
// staff totp` uses it in development so demo logins need no phone.
func (s *Service) StaffTOTPCode(ctx context.Context, email string) (string, error) {
	u, err := s.StaffUser(ctx, email)
	if err != nil {
		return "", fmt.Errorf("totp code for %s: %w", email, err)
	}
	secret, err := s.totpSecret(ctx, u.ID)
	if err != nil {
		return "", err
	}
	return TOTPCode(secret, s.now())
}

// GeneratePassword returns a random 20-character password.
func GeneratePassword() (string, error) {
	p, err := randomString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 20)
	if err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return p, nil
}

// randomString returns n characters drawn uniformly from alphabet (ASCII).
func randomString(alphabet string, n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("random string: %w", err)
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b), nil
}

// StartStaffLogin begins a staff login for email. The answer is the same
// whether or not the account exists.
func (s *Service) StartStaffLogin(ctx context.Context, email string) (loginID string, err error) {
	email = NormalizeEmail(email)
	var userID string
	u, err := s.StaffUser(ctx, email)
	switch {
	case err == nil && !u.Disabled:
		userID = u.ID
	case err != nil && !errors.Is(err, ErrNotFound):
		return "", fmt.Errorf("start staff login: %w", err)
	}
	return s.newFlow(ctx, FlowLogin, email, userID)
}

func (s *Service) newFlow(ctx context.Context, kind, email, userID string) (string, error) {
	id, err := randomToken(32)
	if err != nil {
		return "", err
	}
	now := s.now()
	if err := s.store.PutLoginFlow(ctx, LoginFlow{IDHash: HashToken(id), Kind: kind, Email: email, UserID: userID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.FlowTTL)}); err != nil {
		return "", fmt.Errorf("store %s flow: %w", kind, err)
	}
	return id, nil
}

// VerifyStaffPassword checks the password of a login and returns the MFA
// token for the next step. Failures are throttled per account, IP and pair
// (ACCEPTANCE M3); unknown accounts cost the same hash and get the same
// answer. Errors: ErrInvalidLoginFlow, ErrInvalidCredentials,
// *ThrottledError.
func (s *Service) VerifyStaffPassword(ctx context.Context, loginID, password, ip string) (mfaToken string, err error) {
	now := s.now()
	flow, err := s.store.LoginFlow(ctx, HashToken(loginID), FlowLogin, now)
	if errors.Is(err, ErrNotFound) {
		return "", ErrInvalidLoginFlow
	}
	if err != nil {
		return "", fmt.Errorf("verify password: %w", err)
	}
	keys := newThrottleKeys("pw", flow.Email, ip)
	if err := s.throttle.begin(ctx, keys, now); err != nil {
		s.event(ctx, SecurityEvent{Kind: EventThrottled, UserID: flow.UserID, IP: ip, Detail: "password"})
		return "", err
	}
	hash := s.dummyHash
	if flow.UserID != "" {
		h, err := s.store.PasswordHash(ctx, flow.UserID)
		switch {
		case err == nil:
			hash = h
		case !errors.Is(err, ErrNotFound):
			return "", fmt.Errorf("verify password: %w", err)
		}
	}
	ok, err := VerifyPassword(password, hash)
	if err != nil {
		return "", err
	}
	if !ok || flow.UserID == "" || hash == s.dummyHash {
		s.event(ctx, SecurityEvent{Kind: EventPasswordFailed, UserID: flow.UserID, IP: ip})
		return "", ErrInvalidCredentials
	}
	if err := s.store.ConsumeLoginFlow(ctx, flow.IDHash, now); err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", ErrInvalidLoginFlow
		}
		return "", fmt.Errorf("verify password: %w", err)
	}
	if err := s.throttle.succeed(ctx, keys); err != nil {
		return "", err
	}
	return s.newFlow(ctx, FlowMFA, flow.Email, flow.UserID)
}

// StartMFAChallenge turns an MFA token into a challenge for method (only
// "totp"). Errors: ErrUnsupportedMethod, ErrInvalidLoginFlow.
func (s *Service) StartMFAChallenge(ctx context.Context, mfaToken, method string) (challengeID string, expiresAt time.Time, err error) {
	if method != MethodTOTP {
		return "", time.Time{}, ErrUnsupportedMethod
	}
	now := s.now()
	flow, err := s.store.LoginFlow(ctx, HashToken(mfaToken), FlowMFA, now)
	if errors.Is(err, ErrNotFound) {
		return "", time.Time{}, ErrInvalidLoginFlow
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("mfa challenge: %w", err)
	}
	if err := s.store.ConsumeLoginFlow(ctx, flow.IDHash, now); err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", time.Time{}, ErrInvalidLoginFlow
		}
		return "", time.Time{}, fmt.Errorf("mfa challenge: %w", err)
	}
	id, err := s.newFlow(ctx, FlowChallenge, flow.Email, flow.UserID)
	if err != nil {
		return "", time.Time{}, err
	}
	return id, now.Add(s.cfg.FlowTTL), nil
}

// VerifyMFA checks a TOTP code, or one of the account's recovery codes
// (each usable once), against a challenge and starts a staff session. Only the current and previous 30 s steps match (M1); a step is
// usable once, also under concurrent requests (M2); failures are throttled
// (M3). Errors: ErrInvalidLoginFlow, ErrInvalidCode, ErrCodeReused,
// *ThrottledError, ErrUserDisabled.
func (s *Service) VerifyMFA(ctx context.Context, challengeID, code, ip string) (Tokens, error) {
	now := s.now()
	flow, err := s.store.LoginFlow(ctx, HashToken(challengeID), FlowChallenge, now)
	if errors.Is(err, ErrNotFound) {
		return Tokens{}, ErrInvalidLoginFlow
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("verify mfa: %w", err)
	}
	keys := newThrottleKeys("otp", flow.Email, ip)
	if err := s.throttle.begin(ctx, keys, now); err != nil {
		s.event(ctx, SecurityEvent{Kind: EventThrottled, UserID: flow.UserID, IP: ip, Detail: "otp"})
		return Tokens{}, err
	}
	ok, err := s.secondFactor(ctx, flow.UserID, code, now)
	if err != nil && !errors.Is(err, ErrCodeReused) {
		return Tokens{}, fmt.Errorf("verify mfa: %w", err)
	}
	if !ok || err != nil {
		s.event(ctx, SecurityEvent{Kind: EventOTPFailed, UserID: flow.UserID, IP: ip})
		if ok {
			return Tokens{}, ErrCodeReused
		}
		return Tokens{}, ErrInvalidCode
	}
	if err := s.store.ConsumeLoginFlow(ctx, flow.IDHash, now); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Tokens{}, ErrInvalidLoginFlow
		}
		return Tokens{}, fmt.Errorf("verify mfa: %w", err)
	}
	if err := s.throttle.succeed(ctx, keys); err != nil {
		return Tokens{}, err
	}
	u, err := s.store.UserByID(ctx, flow.UserID)
	if err != nil {
		return Tokens{}, fmt.Errorf("verify mfa: user %s: %w", flow.UserID, err)
	}
	if u.Disabled {
		return Tokens{}, ErrUserDisabled
	}
	return s.startSession(ctx, u, MethodPasswordTOTP, s.cfg.StaffSessionTTL, ip)
}

// secondFactor checks code as a TOTP code or, when it has a recovery code's
// shape, as one of the user's recovery codes; each is spent on success. ok
// is false when it matches nothing; ErrCodeReused when it matched a used
// step or code.
func (s *Service) secondFactor(ctx context.Context, userID, code string, now time.Time) (bool, error) {
	if _, isRecovery := normalizeRecoveryCode(code); isRecovery {
		return s.useRecoveryCode(ctx, userID, code)
	}
	secret, err := s.totpSecret(ctx, userID)
	if err != nil {
		return false, err
	}
	step, ok, err := MatchTOTP(secret, code, now)
	if err != nil || !ok {
		return false, err
	}
	err = s.store.UseTOTPStep(ctx, userID, step, now)
	if errors.Is(err, ErrConflict) {
		return true, ErrCodeReused
	}
	return err == nil, err
}

func (s *Service) totpSecret(ctx context.Context, userID string) (string, error) {
	sec, err := s.store.TOTP(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("totp secret of user %s: %w", userID, err)
	}
	return s.box.Open(ctx, userID, sec.Ciphertext, sec.KeyID)
}
