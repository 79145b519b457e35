package sandbox

import (
	"context"
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// Charge states inside the sandbox.
const (
	ChargeAuthorized        = "authorized"
	ChargeRequiresAction    = "requires_action"
	ChargeProcessing        = "processing"
	ChargeDeclined          = "declined"
	ChargeCaptured          = "captured"
	ChargePartiallyRefunded = "partially_refunded"
	ChargeRefunded          = "refunded"
	ChargeCanceled          = "canceled"
)

// Charge is the sandbox's record of one authorization.
type Charge struct {
	ID          string
	PaymentID   string
	Token       string
	Amount      money.Money
	Status      string
	Brand       string
	Last4       string
	DeclineCode string
	Captured    int64
	Refunded    int64
	// CompleteAt is when a processing authorization completes.
	CompleteAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Request is one idempotent call to the sandbox: its key, operation,
// fingerprint and the response it got.
type Request struct {
	Key         string
	Op          string
	RequestHash string
	ChargeID    string
	Response    string
	CreatedAt   time.Time
}

// Webhook is a signed event waiting in the sandbox's outbox.
type Webhook struct {
	EventID       string
	Payload       string
	Attempts      int
	NextAttemptAt time.Time
	DeliveredAt   *time.Time
	GaveUp        bool
	LastError     string
}

// Store keeps the sandbox's state in the payment database, so a restart
// loses neither charges nor undelivered webhooks.
type Store interface {
	// SandboxTx runs fn in one transaction.
	SandboxTx(ctx context.Context, fn func(tx Store) error) error
	// GetRequest returns the request stored under (key, op).
	GetRequest(ctx context.Context, key, op string) (Request, bool, error)
	// InsertRequest stores r and reports false when (key, op) exists.
	InsertRequest(ctx context.Context, r Request) (bool, error)
	// CreateCharge inserts a charge.
	CreateCharge(ctx context.Context, c Charge) error
	// GetCharge returns a charge or payment.ErrNotFound.
	GetCharge(ctx context.Context, id string) (Charge, error)
	// LatestChargeForPayment returns the newest charge of a SkyFly payment
	// or payment.ErrNotFound.
	LatestChargeForPayment(ctx context.Context, paymentID string) (Charge, error)
	// UpdateCharge writes c.
	UpdateCharge(ctx context.Context, c Charge) error
	// DueCompletions returns processing charges whose CompleteAt has passed.
	DueCompletions(ctx context.Context, now time.Time, limit int) ([]Charge, error)
	// EnqueueWebhook adds w to the outbox.
	EnqueueWebhook(ctx context.Context, w Webhook) error
	// DueWebhooks returns undelivered webhooks due at now, oldest first.
	DueWebhooks(ctx context.Context, now time.Time, limit int) ([]Webhook, error)
	// UpdateWebhook writes w's delivery state.
	UpdateWebhook(ctx context.Context, w Webhook) error
}
