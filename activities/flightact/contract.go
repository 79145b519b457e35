// Package flightact adapts the flight domain to Temporal activities on task
// queue "flight": quote validation, seat holds, commits and releases. This
// file is the contract the booking sagas code against; activities.go
// implements it.
package flightact

import (
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// Error types of non-retryable business refusals (temporal.ApplicationError Type).
const (
	ErrTypeSeatUnavailable = "SeatUnavailable"
	ErrTypeQuoteExpired    = "QuoteExpired"
	ErrTypeQuoteInvalid    = "QuoteInvalid"
	ErrTypeHoldNotFound    = "HoldNotFound"
	ErrTypeHoldExpired     = "HoldExpired"
	// ErrTypeFlightCancelled: the flight was cancelled; it sells nothing.
	ErrTypeFlightCancelled = "FlightCancelled"
	// ErrTypeNoAlternative: no itinerary has room for a disrupted booking.
	ErrTypeNoAlternative = "NoAlternative"
)

// PassengerCounts are the passengers a quote prices.
type PassengerCounts struct {
	Adults   int `json:"adults"`
	Children int `json:"children"`
	Infants  int `json:"infants"`
}

// Seats is the number of seats the counts occupy (infants sit on laps).
func (p PassengerCounts) Seats() int { return p.Adults + p.Children }

// FareConditions are the rules of a fare family.
type FareConditions struct {
	Refundable    bool        `json:"refundable"`
	Changeable    bool        `json:"changeable"`
	ChangePenalty money.Money `json:"changePenalty"`
	RefundPenalty money.Money `json:"refundPenalty"`
	CheckedBags   int         `json:"checkedBags"`
}

// Segment is one flight of an itinerary.
type Segment struct {
	FlightID      string    `json:"flightId"`
	FlightNumber  string    `json:"flightNumber"`
	Origin        string    `json:"origin"`
	Destination   string    `json:"destination"`
	DepartureTime time.Time `json:"departureTime"` // in the origin's zone
	ArrivalTime   time.Time `json:"arrivalTime"`   // in the destination's zone
	International bool      `json:"international"`
}

// PriceLine is one line of a price breakdown.
type PriceLine struct {
	Code        string      `json:"code"`
	Description string      `json:"description"`
	Amount      money.Money `json:"amount"`
}

// Quote is a priced itinerary and fare.
type Quote struct {
	QuoteID      string          `json:"quoteId"`
	FlightIDs    []string        `json:"flightIds"`
	FareID       string          `json:"fareId"`
	Cabin        string          `json:"cabin"`
	BookingClass string          `json:"bookingClass"`
	FareFamily   string          `json:"fareFamily"`
	Passengers   PassengerCounts `json:"passengers"`
	Segments     []Segment       `json:"segments"`
	Total        money.Money     `json:"total"`
	Breakdown    []PriceLine     `json:"breakdown"`
	Conditions   FareConditions  `json:"conditions"`
	ExpiresAt    time.Time       `json:"expiresAt"`
}

// ValidateQuoteInput asks whether a quote exists, is unexpired and matches the passengers.
type ValidateQuoteInput struct {
	QuoteID    string          `json:"quoteId"`
	Passengers PassengerCounts `json:"passengers"`
}

// ValidateQuoteResult is the validated quote.
type ValidateQuoteResult struct {
	Quote Quote `json:"quote"`
}

// PriceItineraryInput prices flights and a fare for passengers (change flow).
type PriceItineraryInput struct {
	FlightIDs  []string        `json:"flightIds"`
	FareID     string          `json:"fareId"`
	Passengers PassengerCounts `json:"passengers"`
}

// PriceItineraryResult is a fresh stored quote.
type PriceItineraryResult struct {
	Quote Quote `json:"quote"`
}

// HoldSeatsInput holds the seats of a quote. HoldID is the idempotency key:
// the same HoldID twice creates one hold.
type HoldSeatsInput struct {
	HoldID  string        `json:"holdId"`
	QuoteID string        `json:"quoteId"`
	TTL     time.Duration `json:"ttl"`
}

// HoldSeatsResult describes the hold.
type HoldSeatsResult struct {
	HoldID    string    `json:"holdId"`
	Status    string    `json:"status"` // HELD
	Seats     int       `json:"seats"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// HoldQuotedSeatsInput validates a quote for the passengers and holds its
// seats in one call. HoldID is the idempotency key, as in HoldSeatsInput.
type HoldQuotedSeatsInput struct {
	HoldID     string          `json:"holdId"`
	QuoteID    string          `json:"quoteId"`
	Passengers PassengerCounts `json:"passengers"`
	TTL        time.Duration   `json:"ttl"`
}

// HoldQuotedSeatsResult is the hold and the validated quote.
type HoldQuotedSeatsResult struct {
	Hold  HoldSeatsResult `json:"hold"`
	Quote Quote           `json:"quote"`
}

// ReleaseHoldInput returns a hold's seats to sale, whether held or committed
// (cancellation). Releasing twice, or a hold that never existed, is a no-op.
type ReleaseHoldInput struct {
	HoldID string `json:"holdId"`
	Reason string `json:"reason"`
}

// ReleaseHoldResult tells whether this call released seats.
type ReleaseHoldResult struct {
	Released bool   `json:"released"`
	Status   string `json:"status"`
}

// CommitHoldInput makes a hold permanent (ticketed seats).
type CommitHoldInput struct {
	HoldID string `json:"holdId"`
}

// CommitHoldResult tells the hold's status after the call.
type CommitHoldResult struct {
	Status string `json:"status"` // COMMITTED
}

// ProtectItineraryInput asks for protected rebooking of a disrupted
// itinerary: the best alternative in the same cabin or better, its seats
// held under HoldID (the idempotency key).
type ProtectItineraryInput struct {
	HoldID     string          `json:"holdId"`
	FlightIDs  []string        `json:"flightIds"`
	Cabin      string          `json:"cabin"`
	Passengers PassengerCounts `json:"passengers"`
	TTL        time.Duration   `json:"ttl"`
}

// ProtectItineraryResult is the alternative held, or Affected false when
// the booked itinerary still flies (a retime that keeps its connections).
type ProtectItineraryResult struct {
	Affected bool   `json:"affected"`
	Quote    Quote  `json:"quote"`
	HoldID   string `json:"holdId,omitempty"`
}
