// Package bookingact adapts the booking domain to Temporal activities: the
// saga steps on booking's own database (create, transitions, tickets,
// cancellation, change). The booking-saga worker runs them as local
// activities (same process, no task-queue round trip); the "booking" task
// queue also serves them for other workflows. This file is the contract the
// workflows code against.
package bookingact

import (
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/services/booking"
)

// Error types of non-retryable refusals (temporal.ApplicationError Type).
const (
	ErrTypeInvalidBooking    = "InvalidBooking"
	ErrTypeInvalidTransition = "BookingInvalidTransition"
	ErrTypeNotFound          = "BookingNotFound"
	// ErrTypeNotChangeable: the booking is not (or no longer) what a change
	// was quoted on, or another change holds it (StartChange).
	ErrTypeNotChangeable = "BookingNotChangeable"
	// ErrTypeStatusConflict: a compare-and-set move (SetBookingStatusInput
	// with From) found the booking in another status; the details carry
	// the status found.
	ErrTypeStatusConflict = "BookingStatusConflict"
)

// CreateBookingInput creates a PENDING booking; idempotent on BookingID.
type CreateBookingInput struct {
	BookingID  string              `json:"bookingId"`
	CustomerID string              `json:"customerId"`
	Actor      string              `json:"actor,omitempty"`
	Passengers []booking.Passenger `json:"passengers"`
	Contact    booking.Contact     `json:"contact"`
	Segments   []booking.Segment   `json:"segments"`
	Fare       booking.Fare        `json:"fare"`
	Total      money.Money         `json:"total"`
}

// BookingResult is the small, PII-free summary workflows keep.
type BookingResult struct {
	BookingID     string           `json:"bookingId"`
	PNR           string           `json:"pnr"`
	Status        booking.Status   `json:"status"`
	HoldExpiresAt *time.Time       `json:"holdExpiresAt,omitempty"`
	Tickets       []booking.Ticket `json:"tickets,omitempty"`
}

// SetBookingStatusInput moves a booking; idempotent (moving to the current
// status is a no-op).
type SetBookingStatusInput struct {
	BookingID string         `json:"bookingId"`
	Status    booking.Status `json:"status"`
	Event     string         `json:"event"`
	Actor     string         `json:"actor,omitempty"`
	Reason    string         `json:"reason,omitempty"`
	// From, when set, makes the move a compare-and-set: it lands only while
	// the booking is still From (a booking already in Status is left as it
	// is); otherwise it fails with ErrTypeStatusConflict.
	From booking.Status `json:"from,omitempty"`
	// HoldID and HoldExpiresAt are recorded when moving to HELD.
	HoldID        string     `json:"holdId,omitempty"`
	HoldExpiresAt *time.Time `json:"holdExpiresAt,omitempty"`
}

// ConfirmBookingInput records the capture, issues tickets and confirms;
// idempotent (tickets are issued once).
type ConfirmBookingInput struct {
	BookingID string      `json:"bookingId"`
	PaymentID string      `json:"paymentId"`
	Paid      money.Money `json:"paid"`
}

// CompleteCancellationInput marks a CANCELLING booking CANCELLED.
type CompleteCancellationInput struct {
	BookingID string      `json:"bookingId"`
	Refunded  money.Money `json:"refunded"`
	Actor     string      `json:"actor,omitempty"`
}

// SaveChangeQuoteInput prices and stores a change from a fresh flight quote.
type SaveChangeQuoteInput struct {
	ChangeID     string      `json:"changeId"`
	BookingID    string      `json:"bookingId"`
	NewQuoteID   string      `json:"newQuoteId"`
	NewFlightIDs []string    `json:"newFlightIds"`
	NewFareID    string      `json:"newFareId"`
	NewTotal     money.Money `json:"newTotal"`
	Actor        string      `json:"actor"`
	Reason       string      `json:"reason,omitempty"`
	Waive        bool        `json:"waive,omitempty"`
	Staff        bool        `json:"staff,omitempty"`
	// Protected is the airline's free rebooking after a disruption.
	Protected bool `json:"protected,omitempty"`
}

// ChangeResult is a change record.
type ChangeResult struct {
	Change booking.Change `json:"change"`
}

// SetChangeStatusInput records a change's progress; idempotent.
// StartChangeInput moves the booking of ChangeID to CHANGING, only from
// CONFIRMED and only while its hold is still OldHoldID. Idempotent for the
// change that holds the booking.
type StartChangeInput struct {
	ChangeID  string `json:"changeId"`
	OldHoldID string `json:"oldHoldId"`
	Actor     string `json:"actor,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// AbortChangeInput puts the booking ChangeID moved to CHANGING back to
// CONFIRMED, unchanged; a booking another change holds is left alone.
type AbortChangeInput struct {
	ChangeID string `json:"changeId"`
	Actor    string `json:"actor,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

type SetChangeStatusInput struct {
	ChangeID string `json:"changeId"`
	Status   string `json:"status"`
}

// ApplyChangeInput moves a CHANGING booking to its new itinerary and
// reissues tickets; idempotent.
type ApplyChangeInput struct {
	ChangeID string            `json:"changeId"`
	Segments []booking.Segment `json:"segments"`
	Fare     booking.Fare      `json:"fare"`
	Total    money.Money       `json:"total"`
	HoldID   string            `json:"holdId"`
	Paid     money.Money       `json:"paid"`
	// PaymentID is the intent that charged a positive Paid.
	PaymentID string `json:"paymentId,omitempty"`
	Actor     string `json:"actor,omitempty"`
}

// ListFlightBookingsInput pages the bookings on a flight, oldest first
// (a keyset cursor: bookings that leave the flight meanwhile shift nothing).
type ListFlightBookingsInput struct {
	FlightID string `json:"flightId"`
	Cursor   string `json:"cursor,omitempty"`
	Limit    int    `json:"limit,omitempty"`
}

// FlightBooking is one booking on a flight: ids and status only, no PII.
type FlightBooking struct {
	BookingID string         `json:"bookingId"`
	Status    booking.Status `json:"status"`
}

// ListFlightBookingsResult is one page.
type ListFlightBookingsResult struct {
	Bookings   []FlightBooking `json:"bookings"`
	NextCursor string          `json:"nextCursor,omitempty"`
}

// GetBookingInput names a booking.
type GetBookingInput struct {
	BookingID string `json:"bookingId"`
}

// BookingSnapshot is what a change of a booking starts from.
type BookingSnapshot struct {
	BookingID  string          `json:"bookingId"`
	CustomerID string          `json:"customerId"`
	PNR        string          `json:"pnr"`
	Status     booking.Status  `json:"status"`
	HoldID     string          `json:"holdId"`
	PaymentID  string          `json:"paymentId"`
	FlightIDs  []string        `json:"flightIds"`
	Cabin      string          `json:"cabin"`
	Adults     int             `json:"adults"`
	Children   int             `json:"children"`
	Infants    int             `json:"infants"`
	Contact    booking.Contact `json:"contact"`
}

// BookingPaymentIDsInput names the booking whose payment intents a refund
// draws from.
type BookingPaymentIDsInput struct {
	BookingID string `json:"bookingId"`
}

// BookingPaymentIDsResult lists the intents holding a booking's money,
// newest first: the charges of completed changes, then the original
// payment.
type BookingPaymentIDsResult struct {
	PaymentIDs []string `json:"paymentIds"`
}
