package customer

import (
	"context"
	"time"
)

// Status is a notification's delivery status.
type Status string

// Delivery statuses.
const (
	StatusQueued     Status = "queued"     // recorded, not yet handed to the channel
	StatusSending    Status = "sending"    // claimed by a sender until its lease ends
	StatusSent       Status = "sent"       // accepted by the channel provider
	StatusFailed     Status = "failed"     // the provider refused or was unreachable; retried
	StatusSuppressed Status = "suppressed" // not sent on purpose (opt-out)
)

// Final reports whether a notification in status s is never sent again.
func (s Status) Final() bool { return s == StatusSent || s == StatusSuppressed }

// Notification is the record of one message to one recipient.
type Notification struct {
	// ID is NotificationID(DedupeKey) when the sender gave a dedupe key,
	// so finding the record of a key is a primary-key lookup.
	ID string `json:"id"`
	// DedupeKey makes sending idempotent: one notification per key. It is the
	// ID when the caller gives none.
	DedupeKey  string   `json:"dedupeKey"`
	UserID     string   `json:"userId"`
	Channel    Channel  `json:"channel"`
	Recipient  string   `json:"recipient"`
	TemplateID string   `json:"templateId"`
	Category   Category `json:"category"`
	Language   string   `json:"language"`
	// Data is the template data with sensitive values redacted.
	Data              map[string]string `json:"data"`
	Subject           string            `json:"subject"`
	Status            Status            `json:"status"`
	Reason            string            `json:"reason"` // why suppressed or failed
	ProviderMessageID string            `json:"providerMessageId"`
	Attempts          int               `json:"attempts"`
	LeaseUntil        time.Time         `json:"-"`
	CreatedAt         time.Time         `json:"createdAt"`
	UpdatedAt         time.Time         `json:"updatedAt"`
	SentAt            time.Time         `json:"sentAt"`
}

// Verification is a pending mobile phone verification. The code itself is
// never stored, only its HMAC.
type Verification struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userId"`
	Phone      string    `json:"phone"`
	CodeHash   []byte    `json:"-"`
	KeyVersion int       `json:"-"`
	Attempts   int       `json:"attempts"`
	Consumed   bool      `json:"consumed"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
}

// NotificationFilter selects notification records.
type NotificationFilter struct {
	UserID    string
	Recipient string
	Limit     int // default 50
}

// Store is the persistence the customer domain needs. Implementations:
// customermongo. Every method wraps its errors with the operation and key.
type Store interface {
	// Profile returns the profile of userID, or ErrNotFound.
	Profile(ctx context.Context, userID string) (Profile, error)
	// CreateProfile inserts p, or returns ErrAlreadyExists.
	CreateProfile(ctx context.Context, p Profile) error
	// UpdateProfile replaces the profile when its stored version is
	// prevVersion (p.Version is the new one), else returns ErrConflict;
	// ErrNotFound when there is no profile.
	UpdateProfile(ctx context.Context, p Profile, prevVersion int64) error

	// PutVerification replaces the pending verification of v.UserID.
	PutVerification(ctx context.Context, v Verification) error
	// Verification returns the pending verification of userID, or ErrNotFound.
	Verification(ctx context.Context, userID string) (Verification, error)
	// AddVerificationAttempt atomically counts one attempt on verification
	// id of userID when fewer than max were made and it is unused, and
	// returns it. Otherwise it returns ErrVerificationAttempts,
	// ErrVerificationUsed or ErrNotFound (replaced by a newer code).
	AddVerificationAttempt(ctx context.Context, userID, id string, max int) (Verification, error)
	// ConsumeVerification atomically marks verification id used, or returns
	// ErrVerificationUsed when it already was (one-time use), ErrNotFound
	// when it was replaced.
	ConsumeVerification(ctx context.Context, userID, id string) error

	// InsertNotification records n, or returns ErrDuplicate when a record
	// with n.ID or n.DedupeKey exists.
	InsertNotification(ctx context.Context, n Notification) error
	// Notification returns the record with id, or ErrNotFound.
	Notification(ctx context.Context, id string) (Notification, error)
	// ClaimNotification atomically moves notification id to StatusSending
	// with a lease until leaseUntil and one more attempt, when it is queued,
	// failed, or sending with a lease that ended before now. claimed is false
	// (and the current record returned) otherwise.
	ClaimNotification(ctx context.Context, id string, now, leaseUntil time.Time) (n Notification, claimed bool, err error)
	// FinishNotification records the outcome of a delivery attempt.
	FinishNotification(ctx context.Context, id string, status Status, providerMessageID, reason string, at time.Time) error
	// ListNotifications returns matching records, newest first.
	ListNotifications(ctx context.Context, f NotificationFilter) ([]Notification, error)

	// EventApplied reports whether consumer recorded applying eventID.
	EventApplied(ctx context.Context, consumer, eventID string) (bool, error)
	// RecordEventApplied records that consumer applied eventID (after its
	// effect is stored); recording it twice is not an error.
	RecordEventApplied(ctx context.Context, consumer, eventID string, at time.Time) error
	// PutBookingRef records which PNR and customer a booking id is; a
	// repeat of the same booking replaces it.
	PutBookingRef(ctx context.Context, r BookingRef) error
	// BookingRef returns a booking's reference or ErrNotFound.
	BookingRef(ctx context.Context, bookingID string) (BookingRef, error)

	// LimiterState returns the state of rate-limit key: a theoretical
	// arrival time in Unix nanoseconds and its version (0 when there is none).
	LimiterState(ctx context.Context, key string) (tat, version int64, err error)
	// SwapLimiterState writes next as version prevVersion+1 of key and
	// reports whether it did; false means another writer won that version.
	// expireAt lets the store forget idle keys.
	SwapLimiterState(ctx context.Context, key string, prevVersion, next int64, expireAt time.Time) (bool, error)
}
