// Package payment owns SkyFly's payment intents: the intent state machine,
// provider-level idempotency, the provider adapter interface, verification of
// signed provider webhooks, the durable hand-off of webhook outcomes to the
// booking workflow, and the hash-chained audit log of every money movement.
//
// Card data never enters this package: clients send a provider token and the
// service keeps only the token, the card brand and the last four digits.
package payment

import (
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// Status is the state of a payment intent.
type Status string

// Intent states (ACCEPTANCE P4). requires_action covers both a pending
// customer step (3-D Secure, NextActionURL set) and an authorization that the
// provider completes asynchronously (NextActionURL empty); either ends with a
// webhook.
const (
	StatusRequiresPaymentMethod Status = "requires_payment_method"
	StatusRequiresAction        Status = "requires_action"
	StatusAuthorized            Status = "authorized"
	StatusCaptured              Status = "captured"
	StatusPartiallyRefunded     Status = "partially_refunded"
	StatusRefunded              Status = "refunded"
	StatusCanceled              Status = "canceled"
	StatusFailed                Status = "failed"
)

// Statuses lists every intent state.
func Statuses() []Status {
	return []Status{
		StatusRequiresPaymentMethod, StatusRequiresAction, StatusAuthorized, StatusCaptured,
		StatusPartiallyRefunded, StatusRefunded, StatusCanceled, StatusFailed,
	}
}

// Booking states an intent maps to. They are the booking domain's names
// (DOMAIN.md); this package does not import the booking domain.
const (
	BookingHeld           = "HELD"
	BookingPaymentPending = "PAYMENT_PENDING"
	BookingConfirmed      = "CONFIRMED"
	BookingCancelled      = "CANCELLED"
)

// BookingStatusFor maps an intent state to the booking state it implies
// (ACCEPTANCE P4). The booking saga uses it to decide what a payment event
// means for the booking:
//
//   - requires_payment_method → HELD: nothing is authorized; the seats stay
//     held until the hold expires.
//   - requires_action → PAYMENT_PENDING: the customer must complete 3-D
//     Secure, or the provider is still deciding.
//   - authorized → PAYMENT_PENDING: money is reserved but not taken; the saga
//     still has to commit seats and capture. Tickets are not issued yet.
//   - captured → CONFIRMED: the only state in which tickets may be issued.
//   - partially_refunded → CONFIRMED: a change or partial refund kept the
//     booking alive.
//   - refunded → CANCELLED: all captured money went back.
//   - canceled → CANCELLED: the authorization was voided before capture.
//   - failed → HELD: the card was declined; the booking stays HELD until its
//     hold expires, so the customer may pay with another card.
func BookingStatusFor(s Status) (string, bool) {
	switch s {
	case StatusRequiresPaymentMethod, StatusFailed:
		return BookingHeld, true
	case StatusRequiresAction, StatusAuthorized:
		return BookingPaymentPending, true
	case StatusCaptured, StatusPartiallyRefunded:
		return BookingConfirmed, true
	case StatusRefunded, StatusCanceled:
		return BookingCancelled, true
	}
	return "", false
}

// TicketsAllowed reports whether a booking paid by an intent in state s may
// have its tickets issued: only after a successful capture (ACCEPTANCE P4).
func TicketsAllowed(s Status) bool {
	return s == StatusCaptured || s == StatusPartiallyRefunded
}

// Intent is one booking charge.
type Intent struct {
	ID         string
	BookingID  string
	CustomerID string
	Provider   string
	// ProviderRef is the provider's id for the authorization.
	ProviderRef string
	Status      Status
	Amount      money.Money
	// Captured and Refunded are minor units of Amount.Currency.
	Captured int64
	Refunded int64
	// Token, Brand and Last4 are all SkyFly keeps of a card.
	Token         string
	Brand         string
	Last4         string
	NextActionURL string
	DeclineCode   string
	// Version increases with every update (optimistic locking).
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CapturedMoney returns the captured amount as money.
func (in Intent) CapturedMoney() money.Money { return money.New(in.Captured, in.Amount.Currency) }

// RefundedMoney returns the refunded amount as money.
func (in Intent) RefundedMoney() money.Money { return money.New(in.Refunded, in.Amount.Currency) }
