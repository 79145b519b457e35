package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErasedSubjectPrefix starts the subject of an erased identity: the row
// stays as a tombstone (so the user id cannot be reused and tokens cannot be
// issued again) but no longer names the person's account at the provider.
const ErasedSubjectPrefix = "erased:"

// EventUserErased is the security event recorded when a user is erased.
const EventUserErased = "user_erased"

// PrivacyStore is what data export and erasure need beyond Store.
type PrivacyStore interface {
	// UserSessions returns every session of a user, newest first.
	UserSessions(ctx context.Context, userID string) ([]Session, error)
	// EraseUser pseudonymizes a user (subject replaced by a tombstone,
	// email and name cleared, disabled), deletes its password and TOTP
	// secret, revokes its sessions and clears the IP addresses of its
	// security events, in one transaction. It reports false when the user
	// was erased before (nothing changes then).
	EraseUser(ctx context.Context, userID string, at time.Time) (bool, error)
}

// UserExport is the auth section of a data export (ACCEPTANCE G1).
type UserExport struct {
	User           ExportedUser    `json:"user"`
	Sessions       []ExportedSess  `json:"sessions"`
	SecurityEvents []ExportedEvent `json:"securityEvents"`
}

// ExportedUser is the identity as stored.
type ExportedUser struct {
	ID        string    `json:"id"`
	Issuer    string    `json:"issuer"`
	Subject   string    `json:"subject"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Roles     []string  `json:"roles"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ExportedSess is one sign-in.
type ExportedSess struct {
	ID           string     `json:"id"`
	Method       string     `json:"method"`
	CreatedAt    time.Time  `json:"createdAt"`
	ExpiresAt    time.Time  `json:"expiresAt"`
	RevokedAt    *time.Time `json:"revokedAt,omitempty"`
	RevokeReason string     `json:"revokeReason,omitempty"`
}

// ExportedEvent is one security event about the user.
type ExportedEvent struct {
	OccurredAt time.Time `json:"occurredAt"`
	Kind       string    `json:"kind"`
	SessionID  string    `json:"sessionId,omitempty"`
	IP         string    `json:"ip,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

// Privacy exports and erases the auth domain's data about one user.
type Privacy struct {
	store   Store
	privacy PrivacyStore
	now     func() time.Time
}

// NewPrivacy returns the export and erasure of the auth domain.
func NewPrivacy(store Store, privacy PrivacyStore, now func() time.Time) *Privacy {
	return &Privacy{store: store, privacy: privacy, now: now}
}

// Export collects every stored category of the user: identity, sessions and
// security events. ErrNotFound for an unknown user.
func (p *Privacy) Export(ctx context.Context, userID string) (UserExport, error) {
	u, err := p.store.UserByID(ctx, userID)
	if err != nil {
		return UserExport{}, fmt.Errorf("export user %s: %w", userID, err)
	}
	sessions, err := p.privacy.UserSessions(ctx, userID)
	if err != nil {
		return UserExport{}, fmt.Errorf("export user %s: %w", userID, err)
	}
	events, err := p.store.Events(ctx, userID, 10000)
	if err != nil {
		return UserExport{}, fmt.Errorf("export user %s: %w", userID, err)
	}
	out := UserExport{
		User:           ExportedUser(u),
		Sessions:       make([]ExportedSess, len(sessions)),
		SecurityEvents: make([]ExportedEvent, len(events)),
	}
	for i, s := range sessions {
		out.Sessions[i] = ExportedSess{ID: s.ID, Method: s.Method, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, RevokedAt: s.RevokedAt, RevokeReason: s.RevokeReason}
	}
	for i, e := range events {
		out.SecurityEvents[i] = ExportedEvent{OccurredAt: e.OccurredAt, Kind: e.Kind, SessionID: e.SessionID, IP: e.IP, Detail: e.Detail}
	}
	return out, nil
}

// Erase pseudonymizes the user everywhere in the auth domain and revokes
// every session at once. Staff accounts are refused (they are not data
// subjects of this flow). A second erasure is a no-op and reports false.
func (p *Privacy) Erase(ctx context.Context, userID string) (bool, error) {
	u, err := p.store.UserByID(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("erase user %s: %w", userID, err)
	}
	if u.IsStaff() {
		return false, fmt.Errorf("erase user %s: %w", userID, ErrStaffNotErasable)
	}
	erased, err := p.privacy.EraseUser(ctx, userID, p.now().UTC())
	if err != nil {
		return false, fmt.Errorf("erase user %s: %w", userID, err)
	}
	return erased, nil
}

// Erased reports whether the user was erased.
func (u User) Erased() bool {
	return len(u.Subject) >= len(ErasedSubjectPrefix) && u.Subject[:len(ErasedSubjectPrefix)] == ErasedSubjectPrefix
}

// ErrStaffNotErasable refuses the customer erasure flow for a staff account.
var ErrStaffNotErasable = errors.New("auth: staff accounts are not erased by the customer flow")

// DomainEventUserErased is published once when a user's data is erased; its
// data is the user id only.
const DomainEventUserErased = "auth.user.erased"

// UserErasedData is the data of auth.user.erased.
type UserErasedData struct {
	UserID string `json:"userId"`
}
