package authact

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/skyfly/skyfly/services/auth"
)

// ApplicationError types of the privacy activities (non-retryable).
const (
	ErrTypeUserNotFound     = "AuthUserNotFound"
	ErrTypeStaffNotErasable = "AuthStaffNotErasable"
)

// UserInput names the data subject of an export or erasure step. It holds
// ids only and stays on the shared key, so the erasure can still run after
// the customer's own key is shredded.
type UserInput struct {
	UserID string `json:"userId"`
}

// ExportAuthResult is the auth section of an export.
type ExportAuthResult struct {
	UserID string          `json:"userId"`
	Data   auth.UserExport `json:"data"`
}

// DataSubject is the customer whose data key encrypts this payload.
func (r ExportAuthResult) DataSubject() string { return r.UserID }

// ErasureState says whether a user can be erased.
type ErasureState struct {
	Erased bool `json:"erased"`
}

// EraseAuthResult reports the auth step of an erasure.
type EraseAuthResult struct {
	// Erased is false when the user had been erased before (no-op).
	Erased bool `json:"erased"`
}

// Privacy are the auth domain's export and erasure activities.
type Privacy struct {
	p     *auth.Privacy
	store auth.Store
}

// NewPrivacy returns the privacy activities over the auth domain.
func NewPrivacy(p *auth.Privacy, store auth.Store) *Privacy { return &Privacy{p: p, store: store} }

// ExportAuthData collects the user's identity, sessions and security events.
func (a *Privacy) ExportAuthData(ctx context.Context, in UserInput) (ExportAuthResult, error) {
	if in.UserID == "" {
		return ExportAuthResult{}, temporal.NewNonRetryableApplicationError("userId is required", ErrTypeInvalidInput, nil)
	}
	d, err := a.p.Export(ctx, in.UserID)
	if err != nil {
		return ExportAuthResult{}, privacyError(err)
	}
	return ExportAuthResult{UserID: in.UserID, Data: d}, nil
}

// AuthErasureState tells the erasure workflow whether the user exists, is
// a customer and was erased before.
func (a *Privacy) AuthErasureState(ctx context.Context, in UserInput) (ErasureState, error) {
	u, err := a.store.UserByID(ctx, in.UserID)
	if err != nil {
		return ErasureState{}, privacyError(err)
	}
	if u.IsStaff() {
		return ErasureState{}, privacyError(auth.ErrStaffNotErasable)
	}
	return ErasureState{Erased: u.Erased()}, nil
}

// EraseAuthData pseudonymizes the identity and revokes every session
// (idempotent: a second run reports Erased false).
func (a *Privacy) EraseAuthData(ctx context.Context, in UserInput) (EraseAuthResult, error) {
	erased, err := a.p.Erase(ctx, in.UserID)
	if err != nil {
		return EraseAuthResult{}, privacyError(err)
	}
	return EraseAuthResult{Erased: erased}, nil
}

func privacyError(err error) error {
	switch {
	case errors.Is(err, auth.ErrNotFound):
		return temporal.NewNonRetryableApplicationError("unknown user", ErrTypeUserNotFound, err)
	case errors.Is(err, auth.ErrStaffNotErasable):
		return temporal.NewNonRetryableApplicationError("staff accounts are not erased by this flow", ErrTypeStaffNotErasable, err)
	}
	return err
}
