package payment

import (
	"errors"
	"fmt"
)

// Sentinel errors. Boundaries translate them once: api/paymentapi to
// problem+json, activities/paymentact to typed Temporal errors.
var (
	// ErrNotFound: no such payment intent.
	ErrNotFound = errors.New("payment: not found")
	// ErrInvalidTransition: the state machine forbids the operation now.
	ErrInvalidTransition = errors.New("payment: invalid state transition")
	// ErrVersionConflict: a concurrent update won the optimistic lock.
	ErrVersionConflict = errors.New("payment: concurrent update")
	// ErrIdempotencyConflict: the idempotency key was used with other parameters.
	ErrIdempotencyConflict = errors.New("payment: idempotency key reused with different parameters")
	// ErrInFlight: another request with the same idempotency key is running.
	ErrInFlight = errors.New("payment: a request with this idempotency key is in flight")
	// ErrDeclined: the provider refused the card; see *DeclineError.
	ErrDeclined = errors.New("payment: declined")
	// ErrCardData: a field looks like a card number; SkyFly never accepts one.
	ErrCardData = errors.New("payment: card data is not accepted; send a provider token")
	// ErrInvalidInput: an input field is missing or malformed; see *InputError.
	ErrInvalidInput = errors.New("payment: invalid input")
	// ErrNothingToRefund: the intent has no captured money left to refund.
	ErrNothingToRefund = errors.New("payment: nothing to refund")
	// ErrUnknownProvider: no adapter is registered under the provider name.
	ErrUnknownProvider = errors.New("payment: unknown provider")
	// ErrProviderUnavailable: the provider failed transiently; retry.
	ErrProviderUnavailable = errors.New("payment: provider unavailable")
	// ErrSignature: a webhook's signature header is missing or wrong.
	ErrSignature = errors.New("payment: invalid webhook signature")
	// ErrTimestamp: a webhook's signed timestamp is outside the tolerance.
	ErrTimestamp = errors.New("payment: webhook timestamp outside tolerance")
)

// DeclineError is a provider's refusal of a card. It matches ErrDeclined.
type DeclineError struct {
	PaymentID string
	// Code is the provider's decline code (card_declined, insufficient_funds).
	Code string
}

// Error implements error.
func (e *DeclineError) Error() string {
	return fmt.Sprintf("payment %s declined: %s", e.PaymentID, e.Code)
}

// Is makes errors.Is(err, ErrDeclined) true.
func (e *DeclineError) Is(target error) bool { return target == ErrDeclined }

// InputError names an invalid input field. It matches ErrInvalidInput.
type InputError struct {
	Field  string
	Reason string
}

// Error implements error.
func (e *InputError) Error() string { return fmt.Sprintf("payment: %s %s", e.Field, e.Reason) }

// Is makes errors.Is(err, ErrInvalidInput) true.
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }
