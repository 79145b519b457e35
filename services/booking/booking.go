// Package booking owns SkyFly's bookings (PNRs): passengers and their
// validation, contact, segments, e-tickets, the state machine with its
// history, cancellation quotes and change records. It is plain Go: the Store
// it needs is declared here and implemented in bookinggorm.
package booking

import (
	"errors"
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// Status is a booking's state (DOMAIN.md: PENDING → HELD → PAYMENT_PENDING →
// CONFIRMED → CANCELLED / EXPIRED / FAILED; NEEDS_ATTENTION when an undo
// could not complete).
type Status string

// The booking states.
const (
	StatusPending        Status = "PENDING"
	StatusHeld           Status = "HELD"
	StatusPaymentPending Status = "PAYMENT_PENDING"
	StatusConfirmed      Status = "CONFIRMED"
	StatusCancelling     Status = "CANCELLING"
	StatusCancelled      Status = "CANCELLED"
	StatusChanging       Status = "CHANGING"
	StatusExpired        Status = "EXPIRED"
	StatusFailed         Status = "FAILED"
	StatusNeedsAttention Status = "NEEDS_ATTENTION"
)

// Terminal reports whether no saga will move the booking any more.
// Statuses lists every booking status.
func Statuses() []Status {
	return []Status{StatusPending, StatusHeld, StatusPaymentPending, StatusConfirmed, StatusCancelling,
		StatusCancelled, StatusChanging, StatusExpired, StatusFailed, StatusNeedsAttention}
}

func (s Status) Terminal() bool {
	switch s {
	case StatusCancelled, StatusExpired, StatusFailed:
		return true
	}
	return false
}

// transitions lists the legal moves of the state machine.
var transitions = map[Status][]Status{
	StatusPending:        {StatusHeld, StatusFailed, StatusNeedsAttention},
	StatusHeld:           {StatusPaymentPending, StatusConfirmed, StatusExpired, StatusFailed, StatusNeedsAttention},
	StatusPaymentPending: {StatusHeld, StatusConfirmed, StatusExpired, StatusFailed, StatusNeedsAttention},
	// A confirmed booking on a cancelled flight with no alternative waits
	// for an agent in NEEDS_ATTENTION.
	StatusConfirmed:      {StatusCancelling, StatusChanging, StatusNeedsAttention},
	StatusCancelling:     {StatusCancelled, StatusConfirmed, StatusNeedsAttention},
	StatusChanging:       {StatusConfirmed, StatusNeedsAttention},
	StatusNeedsAttention: {StatusFailed, StatusExpired, StatusCancelled, StatusConfirmed, StatusHeld},
}

// CanTransition reports whether from → to is a legal move.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// PassengerType is the IATA passenger type code.
type PassengerType string

// Passenger types: adult (12+), child (2–11), infant (under 2, on a lap).
const (
	Adult  PassengerType = "ADT"
	Child  PassengerType = "CHD"
	Infant PassengerType = "INF"
)

// Document is a travel document, required on international itineraries.
type Document struct {
	Type           string `json:"type"` // PASSPORT
	Number         string `json:"number"`
	IssuingCountry string `json:"issuingCountry"` // ISO 3166-1 alpha-2
	Nationality    string `json:"nationality"`
	ExpiryDate     string `json:"expiryDate"` // YYYY-MM-DD
}

// Passenger is one traveller of a booking.
type Passenger struct {
	ID          string        `json:"id"`
	Type        PassengerType `json:"type"`
	Title       string        `json:"title"`
	GivenName   string        `json:"givenName"`
	FamilyName  string        `json:"familyName"`
	DateOfBirth string        `json:"dateOfBirth"` // YYYY-MM-DD
	Gender      string        `json:"gender"`      // M, F or X
	// InfantOf is the index (0-based) of the adult an infant travels with.
	InfantOf *int      `json:"infantOf,omitempty"`
	Document *Document `json:"document,omitempty"`
}

// Contact is how the airline reaches the customer.
type Contact struct {
	Email string `json:"email"`
	Phone string `json:"phone"` // E.164
}

// Segment is one flight of the booked itinerary.
type Segment struct {
	FlightID      string    `json:"flightId"`
	FlightNumber  string    `json:"flightNumber"`
	Origin        string    `json:"origin"`
	Destination   string    `json:"destination"`
	DepartureTime time.Time `json:"departureTime"`
	ArrivalTime   time.Time `json:"arrivalTime"`
	International bool      `json:"international"`
}

// Fare is the fare the booking was sold in, with its conditions.
type Fare struct {
	QuoteID       string      `json:"quoteId"`
	FareID        string      `json:"fareId"`
	Cabin         string      `json:"cabin"`
	BookingClass  string      `json:"bookingClass"`
	Family        string      `json:"family"`
	Refundable    bool        `json:"refundable"`
	Changeable    bool        `json:"changeable"`
	ChangePenalty money.Money `json:"changePenalty"`
	RefundPenalty money.Money `json:"refundPenalty"`
}

// Ticket is an e-ticket: 13 digits, the first three the airline prefix.
type Ticket struct {
	Number      string    `json:"number"`
	PassengerID string    `json:"passengerId"`
	Status      string    `json:"status"` // ISSUED or VOID
	IssuedAt    time.Time `json:"issuedAt"`
}

// Ticket statuses.
const (
	TicketIssued = "ISSUED"
	TicketVoid   = "VOID"
)

// HistoryEntry records one state change or notable event of a booking.
type HistoryEntry struct {
	At     time.Time `json:"at"`
	From   Status    `json:"from,omitempty"`
	To     Status    `json:"to"`
	Event  string    `json:"event"`
	Actor  string    `json:"actor,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// Booking is a PNR.
type Booking struct {
	ID            string     `json:"bookingId"`
	PNR           string     `json:"pnr"`
	CustomerID    string     `json:"customerId"`
	Status        Status     `json:"status"`
	Version       int64      `json:"version"`
	HoldID        string     `json:"holdId,omitempty"`
	HoldExpiresAt *time.Time `json:"holdExpiresAt,omitempty"`
	PaymentID     string     `json:"paymentId,omitempty"`
	// ChangeID is the change a CHANGING booking is being moved by: one
	// change at a time (StartChange).
	ChangeID   string         `json:"changeId,omitempty"`
	Total      money.Money    `json:"total"`
	Paid       money.Money    `json:"paid"`
	Refunded   money.Money    `json:"refunded"`
	Fare       Fare           `json:"fare"`
	Contact    Contact        `json:"contact"`
	Passengers []Passenger    `json:"passengers"`
	Segments   []Segment      `json:"segments"`
	Tickets    []Ticket       `json:"tickets"`
	History    []HistoryEntry `json:"history"`
	CreatedAt  time.Time      `json:"createdAt"`
	UpdatedAt  time.Time      `json:"updatedAt"`
}

// FlightIDs lists the booked flights in order.
func (b Booking) FlightIDs() []string {
	out := make([]string, len(b.Segments))
	for i, s := range b.Segments {
		out[i] = s.FlightID
	}
	return out
}

// History events of a disruption: the booking was moved by the airline
// (EventRebooked) or waits for an agent because nothing could take it
// (EventDisrupted).
const (
	EventRebooked  = "rebooked"
	EventDisrupted = "disrupted"
)

// Disrupted reports whether the airline disrupted the booking's flights:
// it was rebooked under protection or waited for an agent. Cancelling a
// disrupted booking refunds in full.
func (b Booking) Disrupted() bool {
	for _, h := range b.History {
		if h.Event == EventRebooked || h.Event == EventDisrupted {
			return true
		}
	}
	return false
}

// Seats is the number of seats the passengers occupy (infants on laps).
func (b Booking) Seats() int {
	n := 0
	for _, p := range b.Passengers {
		if p.Type != Infant {
			n++
		}
	}
	return n
}

// CancelQuote is the offer to cancel a confirmed booking.
type CancelQuote struct {
	QuoteID   string      `json:"quoteId"`
	BookingID string      `json:"bookingId"`
	Refund    money.Money `json:"refund"`
	Penalty   money.Money `json:"penalty"`
	// Waived reports a penalty waived by a supervisor (Penalty is then 0).
	Waived    bool      `json:"waived,omitempty"`
	ExpiresAt time.Time `json:"expiresAt"`
	CreatedAt time.Time `json:"createdAt"`
}

// Change statuses.
const (
	ChangeQuoted    = "QUOTED"
	ChangeStarted   = "STARTED"
	ChangeCompleted = "COMPLETED"
	ChangeFailed    = "FAILED"
)

// Change records one change of a booking's itinerary.
type Change struct {
	ID        string `json:"changeId"`
	BookingID string `json:"bookingId"`
	Status    string `json:"status"`
	// NewQuoteID is the flight quote of the new itinerary.
	NewQuoteID   string      `json:"newQuoteId"`
	NewFlightIDs []string    `json:"newFlightIds"`
	NewFareID    string      `json:"newFareId"`
	NewTotal     money.Money `json:"newTotal"`
	// FareDifference is new total minus old total (negative: money back).
	FareDifference money.Money `json:"fareDifference"`
	Penalty        money.Money `json:"penalty"`
	Waived         bool        `json:"waived"`
	// Due is what the customer pays (positive) or gets back (negative).
	Due    money.Money `json:"due"`
	Actor  string      `json:"actor"`
	Reason string      `json:"reason,omitempty"`
	// Protected marks an airline-initiated rebooking after a disruption:
	// free for the customer, whatever the fare's rules.
	Protected bool `json:"protected,omitempty"`
	// PaymentID is the intent that charged Due (when Due was positive).
	PaymentID string    `json:"paymentId,omitempty"`
	ExpiresAt time.Time `json:"expiresAt"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Sentinel errors of the booking domain.
var (
	ErrNotFound          = errors.New("booking: not found")
	ErrDuplicate         = errors.New("booking: already exists")
	ErrDuplicatePNR      = errors.New("booking: pnr already taken")
	ErrVersionConflict   = errors.New("booking: modified concurrently")
	ErrInvalidTransition = errors.New("booking: invalid state transition")
	ErrInvalidBooking    = errors.New("booking: invalid booking")
	ErrQuoteExpired      = errors.New("booking: quote expired")
	ErrNotCancellable    = errors.New("booking: not cancellable")
	ErrNotChangeable     = errors.New("booking: not changeable")
	ErrInvalidCursor     = errors.New("booking: invalid cursor")
	// ErrStatusConflict: a compare-and-set transition found the booking
	// in another status than the one it expected (it moved on).
	ErrStatusConflict = errors.New("booking: status changed concurrently")
)

// StatusConflictError is the ErrStatusConflict of one booking: the status
// a transition expected and the one it found.
type StatusConflictError struct {
	BookingID string
	Expected  Status
	Actual    Status
}

func (e *StatusConflictError) Error() string {
	return "booking " + e.BookingID + " is " + string(e.Actual) + ", not " + string(e.Expected) + ": " + ErrStatusConflict.Error()
}

// Unwrap makes errors.Is(err, ErrStatusConflict) hold.
func (e *StatusConflictError) Unwrap() error { return ErrStatusConflict }
