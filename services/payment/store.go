package payment

import (
	"context"
	"time"
)

// Operation states.
const (
	OpInFlight = "in_flight"
	OpDone     = "done"
)

// Operation records one idempotent payment operation by its key
// (ACCEPTANCE P1, P2).
type Operation struct {
	Key         string
	Kind        string
	PaymentID   string
	RequestHash string
	State       string
	// DeclineCode is set when the operation ended in a decline, which a
	// replay reports again.
	DeclineCode string
	LeaseUntil  time.Time
	CreatedAt   time.Time
}

// WebhookEvent is a verified provider event, stored once by ID (ACCEPTANCE W3).
type WebhookEvent struct {
	ID         string
	Type       string
	PaymentID  string
	Payload    string
	ReceivedAt time.Time
	// Outcome says what the event did: applied, stale, unknown_payment.
	Outcome string
}

// PendingSignal is a payment event still to be delivered to a booking
// workflow (ACCEPTANCE W5). It is stored with the event, so a failed signal
// is retried until delivered or given up.
type PendingSignal struct {
	EventID       string
	BookingID     string
	PaymentID     string
	Type          string
	Status        Status
	Attempts      int
	NextAttemptAt time.Time
	DeliveredAt   *time.Time
	GaveUp        bool
	LastError     string
}

// Store persists intents, operations, webhook events, pending signals and
// the audit log. Methods return ErrNotFound and ErrVersionConflict as
// documented; other errors are infrastructure failures.
type Store interface {
	AuditReader

	// Tx runs fn in one transaction; the Store passed to fn uses it.
	// Transactions lost to serialization failures are retried whole.
	Tx(ctx context.Context, fn func(tx Store) error) error

	// CreateIntent inserts a new intent; actor (as in the audit log) is
	// who created it, for its event.
	CreateIntent(ctx context.Context, in Intent, actor string) error
	// GetIntent returns an intent or ErrNotFound.
	GetIntent(ctx context.Context, id string) (Intent, error)
	// UpdateIntent writes in when the stored version still equals
	// in.Version, storing in.Version+1; otherwise ErrVersionConflict.
	// actor (as in the audit log: "workflow:<id>", "user:<id>",
	// "provider:<name>", "system") is who made the change, for its event.
	UpdateIntent(ctx context.Context, in Intent, actor string) error

	// BeginOperation inserts op unless its key exists; then it returns the
	// existing operation and false.
	BeginOperation(ctx context.Context, op Operation) (Operation, bool, error)
	// TakeOverOperation moves an in-flight operation's lease from
	// oldLease to newLease and reports whether this caller won it.
	TakeOverOperation(ctx context.Context, key string, oldLease, newLease time.Time) (bool, error)
	// FinishOperation marks an operation done with its payment and decline code.
	FinishOperation(ctx context.Context, key, paymentID, declineCode string) error
	// AbandonOperation deletes an in-flight operation so that it can be retried.
	AbandonOperation(ctx context.Context, key string) error

	// InsertEvent stores ev and reports false when its ID was stored before.
	InsertEvent(ctx context.Context, ev WebhookEvent) (bool, error)
	// InsertSignal stores a signal to deliver.
	InsertSignal(ctx context.Context, sig PendingSignal) error
	// DueSignals returns undelivered signals due at now, oldest first.
	DueSignals(ctx context.Context, now time.Time, limit int) ([]PendingSignal, error)
	// ClaimSignal moves a signal's next attempt from prev to until and
	// reports whether this caller claimed it.
	ClaimSignal(ctx context.Context, eventID string, prev, until time.Time) (bool, error)
	// UpdateSignal writes a signal's delivery state.
	UpdateSignal(ctx context.Context, sig PendingSignal) error

	// AppendAudit appends e at the end of the chain (setting Seq, PrevHash
	// and Hash) and returns it. Call it inside Tx.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
}
