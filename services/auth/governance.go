package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// Access governance: staff accounts managed by admins through the API
// (create, change role, disable, enable), TOTP recovery codes and MFA resets
// that need a second admin. `skyfly staff` stays for bootstrap (the first
// admin).

// RecoveryCodeCount is how many recovery codes an account gets at once.
const RecoveryCodeCount = 10

// recoveryAlphabet has no 0/o, 1/l/i, so codes read back from paper.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// recoveryCodeLen is the number of random characters of a code (about 49
// bits), shown as two groups of five: "abcde-fghij".
const recoveryCodeLen = 10

// Governance errors, returned by the service (ErrLastAdmin also by
// Store.UpdateStaff).
var (
	// ErrLastAdmin: the change would leave no active admin.
	ErrLastAdmin = errors.New("auth: the change would leave no active admin")
	// ErrSelfLockout: an admin may not disable or demote their own account.
	ErrSelfLockout = errors.New("auth: an admin cannot disable or demote their own account")
	// ErrSelfApproval: an MFA reset needs a second admin, neither the one who
	// requested it nor the account's owner.
	ErrSelfApproval = errors.New("auth: an MFA reset must be approved by a different admin")
	// ErrResetExpired: the MFA reset request expired before its approval.
	ErrResetExpired = errors.New("auth: MFA reset request expired")
	// ErrResetUsed: the MFA reset request was already approved.
	ErrResetUsed = errors.New("auth: MFA reset request already approved")
	// ErrReasonRequired: role changes, disabling and MFA resets need a reason.
	ErrReasonRequired = errors.New("auth: a reason is required")
)

// Kinds of governance security events.
const (
	EventUserEnabled         = "user_enabled"
	EventRoleChanged         = "role_changed"
	EventMFAResetRequested   = "mfa_reset_requested"
	EventMFAReset            = "mfa_reset"
	EventRecoveryCodesIssued = "recovery_codes_issued"
	EventRecoveryCodeUsed    = "recovery_code_used"
	EventStaffCreatedByAdmin = "staff_created_by_admin"
)

// MaxReasonLength bounds the reason of a governance change (bytes).
const MaxReasonLength = 1000

// RecoveryCode is one stored recovery code: the HMAC-SHA256 of the code
// under version KeyVersion of the otp-hash key, never the code.
type RecoveryCode struct {
	UserID     string
	Hash       string
	KeyVersion int
	CreatedAt  time.Time
	UsedAt     *time.Time
}

// MFAReset is a request by one admin to give a staff account a new TOTP
// secret; a different admin approves it before ExpiresAt.
type MFAReset struct {
	ID          string
	UserID      string
	RequestedBy string
	Reason      string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	ApprovedBy  string
	ApprovedAt  *time.Time
}

// GovernanceStore persists staff governance; part of Store.
type GovernanceStore interface {
	// StaffUsers lists the staff accounts, by email.
	StaffUsers(ctx context.Context) ([]User, error)
	// UpdateStaff saves roles and disabled of u like UpdateUser, in one
	// transaction that refuses with ErrLastAdmin when no active staff
	// account would hold the admin role afterwards; ErrNotFound.
	UpdateStaff(ctx context.Context, u User) error

	// ReplaceRecoveryCodes deletes a user's recovery codes and stores codes.
	ReplaceRecoveryCodes(ctx context.Context, userID string, codes []RecoveryCode) error
	// UseRecoveryCode marks a code used; ErrNotFound when the user has no
	// such code, ErrConflict when it was used (of two concurrent uses one
	// wins).
	UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) error
	// RecoveryCodesLeft counts a user's unused codes.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)

	// CreateMFAReset stores a pending request.
	CreateMFAReset(ctx context.Context, r MFAReset) error
	// MFAReset returns a request or ErrNotFound.
	MFAReset(ctx context.Context, id string) (MFAReset, error)
	// CompleteMFAReset approves a pending request and, in the same
	// transaction, replaces the user's TOTP secret (forgetting its used
	// steps) and recovery codes; ErrConflict when it was approved already.
	CompleteMFAReset(ctx context.Context, id, approverID string, at time.Time, secret TOTPSecret, codes []RecoveryCode) error
}

// StaffAccount is a staff user as admins see it.
type StaffAccount struct {
	User              User
	RecoveryCodesLeft int
}

// Change names who makes a governance change and why; the reason also
// reaches the audit log through the request body.
type Change struct {
	ActorID string
	Reason  string
}

// StaffPatch changes a staff account: nil fields stay as they are.
type StaffPatch struct {
	Role     *string
	Disabled *bool
}

// MFAEnrollment is a new second factor to hand to the account's owner once.
type MFAEnrollment struct {
	User          User
	TOTPSecret    string
	TOTPURI       string
	RecoveryCodes []string
}

// ListStaff returns every staff account with its unused recovery codes.
func (s *Service) ListStaff(ctx context.Context) ([]StaffAccount, error) {
	users, err := s.store.StaffUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	out := make([]StaffAccount, len(users))
	for i, u := range users {
		n, err := s.store.RecoveryCodesLeft(ctx, u.ID)
		if err != nil {
			return nil, fmt.Errorf("list staff: recovery codes of %s: %w", u.ID, err)
		}
		out[i] = StaffAccount{User: u, RecoveryCodesLeft: n}
	}
	return out, nil
}

// CreateStaffAccount is CreateStaff by an admin through the API, recorded
// with the actor. Errors: those of CreateStaff.
func (s *Service) CreateStaffAccount(ctx context.Context, ch Change, email, role string) (StaffEnrollment, error) {
	e, err := s.CreateStaff(ctx, email, role, "")
	if err != nil {
		return StaffEnrollment{}, err
	}
	s.event(ctx, SecurityEvent{Kind: EventStaffCreatedByAdmin, UserID: e.User.ID, Detail: detail(ch, role)})
	return e, nil
}

// UpdateStaffAccount changes the role of a staff account or disables or
// enables it. A disabled account's sessions and refresh tokens are revoked at
// once, and so are those of an account whose role changed (its access
// tokens carry the old roles). Errors: ErrNotFound (no such staff account),
// ErrInvalidRole, ErrReasonRequired (role change or disabling without a
// reason), ErrSelfLockout, ErrLastAdmin.
func (s *Service) UpdateStaffAccount(ctx context.Context, ch Change, id string, p StaffPatch) (User, error) {
	u, err := s.staffByID(ctx, id)
	if err != nil {
		return User{}, fmt.Errorf("update staff %s: %w", id, err)
	}
	before := u
	if p.Role != nil {
		if !slices.Contains(StaffRoles(), *p.Role) {
			return User{}, fmt.Errorf("update staff %s: %w: %q (want one of %v)", id, ErrInvalidRole, *p.Role, StaffRoles())
		}
		u.Roles = []string{*p.Role}
	}
	if p.Disabled != nil {
		u.Disabled = *p.Disabled
	}
	roleChanged := !slices.Equal(before.Roles, u.Roles)
	disabling := u.Disabled && !before.Disabled
	if !roleChanged && u.Disabled == before.Disabled {
		return before, nil
	}
	if err := checkReason(ch.Reason, roleChanged || disabling); err != nil {
		return User{}, fmt.Errorf("update staff %s: %w", id, err)
	}
	if ch.ActorID == id && (disabling || (slices.Contains(before.Roles, RoleAdmin) && !slices.Contains(u.Roles, RoleAdmin))) {
		return User{}, fmt.Errorf("update staff %s: %w", id, ErrSelfLockout)
	}
	u.UpdatedAt = s.now()
	if err := s.store.UpdateStaff(ctx, u); err != nil {
		return User{}, fmt.Errorf("update staff %s: %w", id, err)
	}
	switch {
	case disabling:
		s.event(ctx, SecurityEvent{Kind: EventUserDisabled, UserID: id, Detail: detail(ch, "")})
	case before.Disabled && !u.Disabled:
		s.event(ctx, SecurityEvent{Kind: EventUserEnabled, UserID: id, Detail: detail(ch, "")})
	}
	if roleChanged {
		s.event(ctx, SecurityEvent{Kind: EventRoleChanged, UserID: id, Detail: detail(ch, strings.Join(before.Roles, ",")+" -> "+strings.Join(u.Roles, ","))})
	}
	if disabling || roleChanged {
		if _, err := s.RevokeUserSessions(ctx, id, "governance: "+ch.Reason); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// RequestMFAReset opens a request to give a staff account a new TOTP
// secret; a different admin must approve it within Config.MFAResetTTL.
// Errors: ErrNotFound, ErrReasonRequired.
func (s *Service) RequestMFAReset(ctx context.Context, ch Change, userID string) (MFAReset, error) {
	if err := checkReason(ch.Reason, true); err != nil {
		return MFAReset{}, fmt.Errorf("request mfa reset of %s: %w", userID, err)
	}
	if _, err := s.staffByID(ctx, userID); err != nil {
		return MFAReset{}, fmt.Errorf("request mfa reset of %s: %w", userID, err)
	}
	now := s.now()
	r := MFAReset{ID: uuid.NewString(), UserID: userID, RequestedBy: ch.ActorID, Reason: strings.TrimSpace(ch.Reason), CreatedAt: now, ExpiresAt: now.Add(s.cfg.MFAResetTTL)}
	if err := s.store.CreateMFAReset(ctx, r); err != nil {
		return MFAReset{}, fmt.Errorf("request mfa reset of %s: %w", userID, err)
	}
	s.event(ctx, SecurityEvent{Kind: EventMFAResetRequested, UserID: userID, Detail: detail(ch, "request "+r.ID)})
	return r, nil
}

// ApproveMFAReset approves a pending request as a second admin: the account
// gets a new TOTP secret and new recovery codes (returned once) and its
// sessions are revoked. Errors: ErrNotFound, ErrSelfApproval (the approver
// requested it or owns the account), ErrResetExpired, ErrResetUsed.
func (s *Service) ApproveMFAReset(ctx context.Context, approverID, requestID string) (MFAEnrollment, error) {
	r, err := s.store.MFAReset(ctx, requestID)
	if err != nil {
		return MFAEnrollment{}, fmt.Errorf("approve mfa reset %s: %w", requestID, err)
	}
	now := s.now()
	switch {
	case approverID == r.RequestedBy || approverID == r.UserID:
		return MFAEnrollment{}, fmt.Errorf("approve mfa reset %s: %w", requestID, ErrSelfApproval)
	case r.ApprovedAt != nil:
		return MFAEnrollment{}, fmt.Errorf("approve mfa reset %s: %w", requestID, ErrResetUsed)
	case !now.Before(r.ExpiresAt):
		return MFAEnrollment{}, fmt.Errorf("approve mfa reset %s: %w", requestID, ErrResetExpired)
	}
	u, err := s.staffByID(ctx, r.UserID)
	if err != nil {
		return MFAEnrollment{}, fmt.Errorf("approve mfa reset %s: %w", requestID, err)
	}
	key, err := NewTOTPKey(u.Email)
	if err != nil {
		return MFAEnrollment{}, err
	}
	sealed, keyID, err := s.box.Seal(ctx, u.ID, key.Secret())
	if err != nil {
		return MFAEnrollment{}, err
	}
	plain, rows, err := s.newRecoveryCodes(ctx, u.ID)
	if err != nil {
		return MFAEnrollment{}, err
	}
	err = s.store.CompleteMFAReset(ctx, r.ID, approverID, now, TOTPSecret{UserID: u.ID, Ciphertext: sealed, KeyID: keyID, CreatedAt: now}, rows)
	if errors.Is(err, ErrConflict) {
		return MFAEnrollment{}, fmt.Errorf("approve mfa reset %s: %w", requestID, ErrResetUsed)
	}
	if err != nil {
		return MFAEnrollment{}, fmt.Errorf("approve mfa reset %s: %w", requestID, err)
	}
	s.event(ctx, SecurityEvent{Kind: EventMFAReset, UserID: u.ID, Detail: fmt.Sprintf("request %s by %s approved by %s: %s", r.ID, r.RequestedBy, approverID, r.Reason)})
	if _, err := s.RevokeUserSessions(ctx, u.ID, "mfa reset"); err != nil {
		return MFAEnrollment{}, err
	}
	return MFAEnrollment{User: u, TOTPSecret: key.Secret(), TOTPURI: key.URL(), RecoveryCodes: plain}, nil
}

// RegenerateRecoveryCodes replaces the caller's recovery codes with new ones,
// returned once. Errors: ErrNotFound (not a staff account), ErrUserDisabled.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	u, err := s.staffByID(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("regenerate recovery codes of %s: %w", userID, err)
	}
	if u.Disabled {
		return nil, ErrUserDisabled
	}
	plain, rows, err := s.newRecoveryCodes(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, userID, rows); err != nil {
		return nil, fmt.Errorf("regenerate recovery codes of %s: %w", userID, err)
	}
	s.event(ctx, SecurityEvent{Kind: EventRecoveryCodesIssued, UserID: userID, Detail: "regenerated by the owner"})
	return plain, nil
}

// RecoveryCodesLeft counts the caller's unused recovery codes. Errors:
// ErrNotFound (not a staff account).
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	if _, err := s.staffByID(ctx, userID); err != nil {
		return 0, fmt.Errorf("recovery codes of %s: %w", userID, err)
	}
	return s.store.RecoveryCodesLeft(ctx, userID)
}

func (s *Service) staffByID(ctx context.Context, id string) (User, error) {
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	if !u.IsStaff() {
		return User{}, ErrNotFound
	}
	return u, nil
}

// newRecoveryCodes returns RecoveryCodeCount fresh codes and their rows,
// hashed under the current otp-hash key.
func (s *Service) newRecoveryCodes(ctx context.Context, userID string) ([]string, []RecoveryCode, error) {
	key, err := s.keys.Current(ctx, secrets.KeyOTPHash)
	if err != nil {
		return nil, nil, fmt.Errorf("recovery codes: key: %w", err)
	}
	now := s.now()
	plain := make([]string, RecoveryCodeCount)
	rows := make([]RecoveryCode, RecoveryCodeCount)
	for i := range plain {
		raw, err := randomString(recoveryAlphabet, recoveryCodeLen)
		if err != nil {
			return nil, nil, fmt.Errorf("recovery codes: %w", err)
		}
		plain[i] = raw[:5] + "-" + raw[5:]
		rows[i] = RecoveryCode{UserID: userID, Hash: recoveryHash(key.Material, userID, raw), KeyVersion: key.Version, CreatedAt: now}
	}
	return plain, rows, nil
}

// useRecoveryCode spends one of a user's recovery codes. ok is false when
// code is none of them; ErrCodeReused when it was used before.
func (s *Service) useRecoveryCode(ctx context.Context, userID, code string) (bool, error) {
	raw, valid := normalizeRecoveryCode(code)
	if !valid || userID == "" {
		return false, nil
	}
	keys, err := s.keys.Versions(ctx, secrets.KeyOTPHash)
	if err != nil {
		return false, fmt.Errorf("recovery code: keys: %w", err)
	}
	for _, k := range keys {
		err := s.store.UseRecoveryCode(ctx, userID, recoveryHash(k.Material, userID, raw), s.now())
		switch {
		case err == nil:
			s.event(ctx, SecurityEvent{Kind: EventRecoveryCodeUsed, UserID: userID})
			return true, nil
		case errors.Is(err, ErrConflict):
			return true, ErrCodeReused
		case !errors.Is(err, ErrNotFound):
			return false, fmt.Errorf("recovery code of %s: %w", userID, err)
		}
	}
	return false, nil
}

// normalizeRecoveryCode lower-cases code and drops dashes and spaces; valid
// is false when the rest cannot be a recovery code.
func normalizeRecoveryCode(code string) (string, bool) {
	raw := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	if len(raw) != recoveryCodeLen {
		return "", false
	}
	for _, r := range raw {
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return "", false
		}
	}
	return raw, true
}

// recoveryHash binds a code to its user, so a hash cannot be moved to
// another account.
func recoveryHash(key []byte, userID, raw string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("recovery-code\x00" + userID + "\x00" + raw))
	return hex.EncodeToString(m.Sum(nil))
}

func checkReason(reason string, required bool) error {
	reason = strings.TrimSpace(reason)
	if required && reason == "" {
		return ErrReasonRequired
	}
	if len(reason) > MaxReasonLength {
		return fmt.Errorf("%w: at most %d bytes", ErrReasonRequired, MaxReasonLength)
	}
	return nil
}

func detail(ch Change, what string) string {
	d := "by " + ch.ActorID
	if what != "" {
		d += ": " + what
	}
	if r := strings.TrimSpace(ch.Reason); r != "" {
		d += ": " + r
	}
	return d
}
