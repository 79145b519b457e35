package payment

import (
	"context"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// Provider is a payment provider adapter. Every call carries an idempotency
// key: the provider performs the operation once per key and answers a
// repeated call with the first result; the same key with other parameters
// is ErrIdempotencyConflict. Transient failures wrap ErrProviderUnavailable.
type Provider interface {
	// Authorize reserves Amount on the card behind Token.
	Authorize(ctx context.Context, req AuthorizeRequest) (AuthorizeResponse, error)
	// Capture takes Amount of an authorization.
	Capture(ctx context.Context, req CaptureRequest) error
	// Void cancels an authorization before capture.
	Void(ctx context.Context, req VoidRequest) error
	// Refund returns Amount of captured money.
	Refund(ctx context.Context, req RefundRequest) error
}

// AuthorizeRequest asks a provider to authorize a charge.
type AuthorizeRequest struct {
	IdempotencyKey string
	PaymentID      string
	Amount         money.Money
	Token          string
	ReturnURL      string
}

// AuthOutcome is a provider's answer to an authorization.
type AuthOutcome string

// Authorization outcomes.
const (
	AuthAuthorized     AuthOutcome = "authorized"
	AuthRequiresAction AuthOutcome = "requires_action" // NextActionURL is set
	AuthPending        AuthOutcome = "pending"         // a webhook will tell
	AuthDeclined       AuthOutcome = "declined"        // DeclineCode is set
)

// AuthorizeResponse is a provider's answer to Authorize.
type AuthorizeResponse struct {
	Ref           string
	Outcome       AuthOutcome
	Brand         string
	Last4         string
	NextActionURL string
	DeclineCode   string
}

// CaptureRequest captures Amount of the authorization Ref.
type CaptureRequest struct {
	IdempotencyKey string
	Ref            string
	Amount         money.Money
}

// VoidRequest voids the authorization Ref.
type VoidRequest struct {
	IdempotencyKey string
	Ref            string
}

// RefundRequest refunds Amount of the captured authorization Ref.
type RefundRequest struct {
	IdempotencyKey string
	Ref            string
	Amount         money.Money
}
