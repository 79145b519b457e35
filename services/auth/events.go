package auth

import (
	"regexp"
	"strings"
)

// Event types the auth domain publishes on skyfly.auth.v1
// (api/events/auth.v1.md documents them). They carry ids and codes only:
// no email, name, address or token.
const (
	DomainEventSessionStarted = "auth.session.started" // a user logged in
	DomainEventSessionRevoked = "auth.session.revoked" // logout, refresh-token reuse, disabling, erasure
)

// AggregateUser is the aggregate of auth events: the Kafka key is the user
// id, so one user's sessions keep their order.
const AggregateUser = "user"

// SessionEventData is the data of the session events.
type SessionEventData struct {
	SessionID string `json:"sessionId"`
	UserID    string `json:"userId"`
	Method    string `json:"method,omitempty"`
	// Reason is the revocation's reason as a code (logout,
	// refresh_token_reuse, user_disabled, ...); free text, which may name a
	// person, is left out.
	Reason string `json:"reason,omitempty"`
}

var reasonCode = regexp.MustCompile(`^[a-z][a-z _]{0,39}$`)

// ReasonCode reduces a revocation reason to a code: the part before any
// colon (what follows is an operator's free text), when it is a few
// lower-case words, with underscores for spaces ("refresh token reuse" is
// refresh_token_reuse); anything else is "other".
func ReasonCode(reason string) string {
	head, _, _ := strings.Cut(reason, ":")
	head = strings.TrimSpace(head)
	switch {
	case head == "":
		return ""
	case reasonCode.MatchString(head):
		return strings.ReplaceAll(head, " ", "_")
	}
	return "other"
}

// SessionEventID is the id of a session's event: a session starts once and
// is revoked at most once.
func SessionEventID(sessionID, typ string) string {
	if typ == DomainEventSessionStarted {
		return sessionID + "/started"
	}
	return sessionID + "/revoked"
}
