// Package bookingsaga is the BookingWorkflow (id booking/{bookingId}, task
// queue booking-saga): reserve (Update-With-Start: validate quote, create
// the booking, hold seats → HELD), then confirm (Update: payment intent,
// authorization with an optional 3-D Secure step finished by the
// payment-event signal, capture, seat commit, tickets → CONFIRMED) or hold
// expiry (workflow timer → seats released, EXPIRED). Each step's undo is
// registered before it runs; see package saga.
package bookingsaga

import (
	"time"

	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/services/booking"
)

// Names of the workflow's type, updates and query.
const (
	WorkflowName  = "BookingWorkflow"
	UpdateReserve = "reserve"
	UpdateConfirm = "confirm"
	QueryState    = "state"
)

// VersionCreateAndAuthorize is the workflow.GetVersion change id under
// which confirm pays with one CreateAndAuthorizePayment activity after
// marking the booking PAYMENT_PENDING (version 1), instead of
// CreatePaymentIntent, PAYMENT_PENDING, AuthorizePayment (DefaultVersion,
// kept for the recorded histories): one task-queue round trip and one
// workflow task fewer per booking (PF2).
const VersionCreateAndAuthorize = "booking-create-and-authorize"

// VersionHoldValidatesQuote is the workflow.GetVersion change id under
// which reserve validates the quote and holds its seats with one
// HoldQuotedSeats activity (version 1) instead of ValidateQuote beside
// HoldSeats (DefaultVersion, kept for the recorded histories): one activity
// task and its workflow task fewer per booking (PF2).
const VersionHoldValidatesQuote = "booking-hold-validates-quote"

// Application error types the updates return.
const (
	// ErrTypeNotConfirmable: the booking is not HELD (e.g. expired).
	ErrTypeNotConfirmable = "BookingNotConfirmable"
	// ErrTypeInvalidRequest: the update's arguments are malformed.
	ErrTypeInvalidRequest = "InvalidRequest"
	// ErrTypeFailed: the saga failed and was compensated.
	ErrTypeFailed = "BookingFailed"
)

// Input starts a BookingWorkflow.
type Input struct {
	BookingID  string `json:"bookingId"`
	CustomerID string `json:"customerId"`
	// Actor is who books: the customer, or a staff member on their behalf.
	Actor string `json:"actor,omitempty"`
	// HoldTTL is how long seats stay held before payment.
	HoldTTL time.Duration `json:"holdTtl"`
	// ReserveTimeout ends a workflow that was started without its reserve
	// update (default one minute).
	ReserveTimeout time.Duration `json:"reserveTimeout,omitempty"`
	// Language of notifications.
	Language string `json:"language,omitempty"`
}

// ReserveRequest is the argument of the reserve update. Passengers and
// contact are PII: the codec encrypts them in the history.
type ReserveRequest struct {
	QuoteID    string              `json:"quoteId"`
	Passengers []booking.Passenger `json:"passengers"`
	Contact    booking.Contact     `json:"contact"`
}

// ConfirmRequest is the argument of the confirm update: a provider token,
// never card data.
type ConfirmRequest struct {
	Provider  string `json:"provider"`
	Token     string `json:"token"`
	ReturnURL string `json:"returnUrl,omitempty"`
}

// State is what the updates and the query answer: PII-free.
type State struct {
	BookingID     string                 `json:"bookingId"`
	PNR           string                 `json:"pnr,omitempty"`
	CustomerID    string                 `json:"customerId"`
	Status        booking.Status         `json:"status"`
	HoldExpiresAt *time.Time             `json:"holdExpiresAt,omitempty"`
	Total         money.Money            `json:"total"`
	FlightIDs     []string               `json:"flightIds,omitempty"`
	PaymentID     string                 `json:"paymentId,omitempty"`
	PaymentStatus string                 `json:"paymentStatus,omitempty"`
	NextAction    *paymentact.NextAction `json:"nextAction,omitempty"`
	Tickets       []booking.Ticket       `json:"tickets,omitempty"`
	// StuckStep names the undo waiting for an operator (NEEDS_ATTENTION).
	StuckStep string `json:"stuckStep,omitempty"`
	// Compensated lists the undo steps that ran, in order.
	Compensated []string `json:"compensated,omitempty"`
	Failure     string   `json:"failure,omitempty"`
}
