package paymentact

import (
	"context"
	"errors"
)

// errNotBuilt is returned until the payment service is wired in.
var errNotBuilt = errors.New("paymentact: not implemented yet")

// Activities are the payment domain's Temporal activities on task queue
// "payment".
type Activities struct{}

// CreatePaymentIntent creates (or returns, on the same key) the intent for a
// booking charge.
func (a *Activities) CreatePaymentIntent(ctx context.Context, in CreatePaymentIntentInput) (PaymentResult, error) {
	return PaymentResult{}, errNotBuilt
}

// AuthorizePayment authorizes an intent with a provider token.
func (a *Activities) AuthorizePayment(ctx context.Context, in AuthorizePaymentInput) (PaymentResult, error) {
	return PaymentResult{}, errNotBuilt
}

// GetPayment reads an intent.
func (a *Activities) GetPayment(ctx context.Context, in GetPaymentInput) (PaymentResult, error) {
	return PaymentResult{}, errNotBuilt
}

// CapturePayment captures an authorized intent.
func (a *Activities) CapturePayment(ctx context.Context, in CapturePaymentInput) (PaymentResult, error) {
	return PaymentResult{}, errNotBuilt
}

// VoidPayment cancels an intent before capture.
func (a *Activities) VoidPayment(ctx context.Context, in VoidPaymentInput) (PaymentResult, error) {
	return PaymentResult{}, errNotBuilt
}

// RefundPayment refunds captured money.
func (a *Activities) RefundPayment(ctx context.Context, in RefundPaymentInput) (PaymentResult, error) {
	return PaymentResult{}, errNotBuilt
}
