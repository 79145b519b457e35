// Package paymentact adapts the payment domain to Temporal activities on task
// queue "payment". This file is the contract the booking sagas code against;
// activities.go implements it. Every input carries an idempotency key derived
// from the booking id and the saga step.
package paymentact

import "github.com/skyfly/skyfly/internal/platform/money"

// Error types of non-retryable business refusals.
const (
	ErrTypePaymentDeclined   = "PaymentDeclined"
	ErrTypeInvalidTransition = "PaymentInvalidTransition"
	ErrTypePaymentNotFound   = "PaymentNotFound"
	// ErrTypeIntentRefused: CreateAndAuthorizePayment's creation half was
	// refused (bad input, unknown provider, key conflict): no intent exists.
	ErrTypeIntentRefused = "PaymentIntentRefused"
)

// SignalPaymentEvent is the signal the payment service sends to
// booking/{bookingId} when a provider webhook moves an intent.
const SignalPaymentEvent = "payment-event"

// PaymentEvent is the payload of SignalPaymentEvent.
type PaymentEvent struct {
	EventID   string `json:"eventId"`
	PaymentID string `json:"paymentId"`
	BookingID string `json:"bookingId"`
	Type      string `json:"type"`   // e.g. payment.authorized, payment.failed
	Status    string `json:"status"` // the intent's status after the event
}

// NextAction asks the customer to act (3-D Secure).
type NextAction struct {
	Type string `json:"type"` // redirect
	URL  string `json:"url"`
}

// CreatePaymentIntentInput creates an intent for a booking charge.
type CreatePaymentIntentInput struct {
	IdempotencyKey string      `json:"idempotencyKey"`
	BookingID      string      `json:"bookingId"`
	CustomerID     string      `json:"customerId"`
	Amount         money.Money `json:"amount"`
	Provider       string      `json:"provider"`
}

// PaymentResult is the state of an intent after an activity.
type PaymentResult struct {
	PaymentID   string      `json:"paymentId"`
	Status      string      `json:"status"`
	Amount      money.Money `json:"amount"`
	Captured    money.Money `json:"captured"`
	Refunded    money.Money `json:"refunded"`
	Brand       string      `json:"brand,omitempty"`
	Last4       string      `json:"last4,omitempty"`
	NextAction  *NextAction `json:"nextAction,omitempty"`
	DeclineCode string      `json:"declineCode,omitempty"`
}

// AuthorizePaymentInput authorizes an intent with a provider token.
type AuthorizePaymentInput struct {
	IdempotencyKey string `json:"idempotencyKey"`
	PaymentID      string `json:"paymentId"`
	Token          string `json:"token"`
	ReturnURL      string `json:"returnUrl,omitempty"`
}

// CreateAndAuthorizePaymentInput creates an intent and authorizes it in one
// activity (Stripe-style create-and-confirm). Intent.IdempotencyKey is the
// key CreatePaymentIntent alone would use, so an undo that lost the answer
// finds the intent with it; AuthorizeKey keys the authorization.
type CreateAndAuthorizePaymentInput struct {
	Intent       CreatePaymentIntentInput `json:"intent"`
	AuthorizeKey string                   `json:"authorizeKey"`
	Token        string                   `json:"token"`
	ReturnURL    string                   `json:"returnUrl,omitempty"`
}

// GetPaymentInput reads an intent.
type GetPaymentInput struct {
	PaymentID string `json:"paymentId"`
}

// CapturePaymentInput captures an authorized intent (all when Amount is nil).
type CapturePaymentInput struct {
	IdempotencyKey string       `json:"idempotencyKey"`
	PaymentID      string       `json:"paymentId"`
	Amount         *money.Money `json:"amount,omitempty"`
}

// VoidPaymentInput cancels an intent before capture. Voiding an intent that
// is already canceled, failed or was never authorized is a no-op.
type VoidPaymentInput struct {
	IdempotencyKey string `json:"idempotencyKey"`
	PaymentID      string `json:"paymentId"`
	Reason         string `json:"reason"`
}

// RefundPaymentInput refunds captured money (all that is left when Amount is nil).
type RefundPaymentInput struct {
	IdempotencyKey string       `json:"idempotencyKey"`
	PaymentID      string       `json:"paymentId"`
	Amount         *money.Money `json:"amount,omitempty"`
	Reason         string       `json:"reason"`
}
