package authact

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"
)

// ErrTypeInvalidInput is the ApplicationError type of a malformed request
// (non-retryable).
const ErrTypeInvalidInput = "AuthInvalidInput"

// SessionRevoker is what the activities need from the auth service
// (*auth.Service implements it).
type SessionRevoker interface {
	// RevokeUserSessions revokes every live session of a user and returns
	// how many it revoked now.
	RevokeUserSessions(ctx context.Context, userID, reason string) (int, error)
}

// Activities are the auth domain's Temporal activities on task queue "auth".
type Activities struct {
	sessions SessionRevoker
}

// New returns the activities over the auth service.
func New(sessions SessionRevoker) *Activities { return &Activities{sessions: sessions} }

// RevokeUserSessions revokes every session of a user at once (erasure). It
// is idempotent (ACCEPTANCE T4): a repeat finds nothing left to revoke and
// reports Revoked 0.
func (a *Activities) RevokeUserSessions(ctx context.Context, in RevokeUserSessionsInput) (RevokeUserSessionsResult, error) {
	if in.UserID == "" {
		return RevokeUserSessionsResult{}, temporal.NewNonRetryableApplicationError("userId is required", ErrTypeInvalidInput, errors.New("empty user id"))
	}
	reason := in.Reason
	if reason == "" {
		reason = "revoked by workflow"
	}
	n, err := a.sessions.RevokeUserSessions(ctx, in.UserID, reason)
	if err != nil {
		return RevokeUserSessionsResult{}, err // transient: retried by the activity's policy
	}
	return RevokeUserSessionsResult{Revoked: n}, nil
}
