// Package authact adapts the auth domain to Temporal activities on task queue
// "auth" (used by erasure flows).
package authact

// RevokeUserSessionsInput revokes every session of a user.
type RevokeUserSessionsInput struct {
	UserID string `json:"userId"`
	Reason string `json:"reason"`
}

// RevokeUserSessionsResult counts revoked sessions.
type RevokeUserSessionsResult struct {
	Revoked int `json:"revoked"`
}
