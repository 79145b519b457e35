// Package flight owns SkyFly's flight domain: the network (airports,
// aircraft, scheduled flights with cabins), shopping (search with one-stop
// connections, fares in booking-class buckets, stored quotes) and the seat
// inventory (holds that can never oversell). It is plain Go: stores live in
// subpackages (flightgorm), HTTP in api/flightapi, Temporal in
// activities/flightact.
package flight

import (
	"errors"
	"fmt"
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// Sentinel errors. Stores and the service wrap them with the key; the API
// and the activities translate them once at their boundary.
var (
	// ErrSeatUnavailable: the cabin or booking class cannot take the seats.
	ErrSeatUnavailable = errors.New("flight: seats unavailable")
	// ErrQuoteExpired: the quote's price guarantee has ended.
	ErrQuoteExpired = errors.New("flight: quote expired")
	// ErrQuoteNotFound: no quote has that id.
	ErrQuoteNotFound = errors.New("flight: quote not found")
	// ErrQuoteInvalid: the quote does not match the request (passengers,
	// seats) or prices an itinerary that cannot be flown.
	ErrQuoteInvalid = errors.New("flight: quote does not match the request")
	// ErrFlightNotFound: no flight has that id.
	ErrFlightNotFound = errors.New("flight: flight not found")
	// ErrHoldNotFound: no hold has that id.
	ErrHoldNotFound = errors.New("flight: hold not found")
	// ErrHoldExpired: the hold expired or was released before the commit.
	ErrHoldExpired = errors.New("flight: hold expired")
	// ErrHoldConflict: a hold with that id exists for another quote.
	ErrHoldConflict = errors.New("flight: hold id already used for another quote")
	// ErrInvalid: a request field is invalid (wrapped in a *FieldError).
	ErrInvalid = errors.New("flight: invalid request")
)

// FieldError names the invalid field of a request. It wraps ErrInvalid.
type FieldError struct {
	Field  string
	Reason string
}

// Error implements error.
func (e *FieldError) Error() string { return fmt.Sprintf("flight: %s %s", e.Field, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

// QuoteExpiredError is returned (wrapping ErrQuoteExpired) when a quote has
// expired; Fresh is a new quote for the same flights, fare and passengers
// when one could be priced.
type QuoteExpiredError struct {
	QuoteID string
	Fresh   *Quote
}

// Error implements error.
func (e *QuoteExpiredError) Error() string { return fmt.Sprintf("flight: quote %s expired", e.QuoteID) }

// Unwrap makes errors.Is(err, ErrQuoteExpired) true.
func (e *QuoteExpiredError) Unwrap() error { return ErrQuoteExpired }

// Cabin is a cabin code: F (first), J (business), W (premium economy), Y (economy).
type Cabin string

// Cabins.
const (
	CabinFirst    Cabin = "F"
	CabinBusiness Cabin = "J"
	CabinPremium  Cabin = "W"
	CabinEconomy  Cabin = "Y"
)

// Valid reports a known cabin.
func (c Cabin) Valid() bool {
	switch c {
	case CabinFirst, CabinBusiness, CabinPremium, CabinEconomy:
		return true
	}
	return false
}

// Airport is an airport of the network.
type Airport struct {
	Code    string // IATA
	Name    string
	City    string
	Country string // ISO 3166-1 alpha-2
	Zone    string // IANA time zone
	Lat     float64
	Lon     float64
}

// CabinSeats is the capacity of one cabin.
type CabinSeats struct {
	Cabin Cabin
	Seats int
}

// Aircraft is an aircraft type with its cabin layout.
type Aircraft struct {
	Code   string // IATA type code, e.g. 789
	Name   string
	Cabins []CabinSeats
}

// Flight is one scheduled departure of a flight number.
type Flight struct {
	ID           string // e.g. SF123-20261201 (number and local departure date)
	Number       string // e.g. SF123
	Origin       string
	Destination  string
	DepartureUTC time.Time
	ArrivalUTC   time.Time
	Aircraft     string
	DistanceKm   int
	Cabins       []CabinSeats
	// Status is the disruption in force: "" (as scheduled), CANCELLED (it
	// sells nothing) or RETIMED (the times above are the new ones).
	Status FlightStatus
}

// FlightStatus is a flight's operating status.
type FlightStatus string

// Flight statuses.
const (
	FlightScheduled FlightStatus = ""
	FlightCancelled FlightStatus = FlightStatus(DisruptionCancelled)
	FlightRetimed   FlightStatus = FlightStatus(DisruptionRetimed)
)

// Duration is the block time.
func (f Flight) Duration() time.Duration { return f.ArrivalUTC.Sub(f.DepartureUTC) }

// Capacity returns the seats of cabin c (0 when the aircraft has none).
func (f Flight) Capacity(c Cabin) int {
	for _, cs := range f.Cabins {
		if cs.Cabin == c {
			return cs.Seats
		}
	}
	return 0
}

// FlightID is the id of the departure of number on its local departure date.
func FlightID(number string, localDeparture time.Time) string {
	return number + "-" + localDeparture.Format("20060102")
}

// CabinAvailability is a cabin's seat counter.
type CabinAvailability struct {
	Cabin     Cabin
	Capacity  int
	Available int
}

// Sold is the number of seats held or sold.
func (c CabinAvailability) Sold() int { return c.Capacity - c.Available }

// SeatCounter is one cabin's seats available on one flight.
type SeatCounter struct {
	FlightID  string
	Cabin     Cabin
	Available int
}

// Passengers counts the passengers of a search or quote.
type Passengers struct {
	Adults   int
	Children int
	Infants  int
}

// Seats is the number of seats they occupy (infants sit on laps).
func (p Passengers) Seats() int { return p.Adults + p.Children }

// Validate checks the counts: at least one adult, at most nine seats, no
// more infants than adults.
func (p Passengers) Validate() error {
	switch {
	case p.Adults < 1:
		return invalid("passengers.adults", "must be at least 1")
	case p.Children < 0:
		return invalid("passengers.children", "must not be negative")
	case p.Infants < 0:
		return invalid("passengers.infants", "must not be negative")
	case p.Infants > p.Adults:
		return invalid("passengers.infants", "must not exceed adults (one infant per adult lap)")
	case p.Seats() > 9:
		return invalid("passengers", "at most 9 seated passengers per booking")
	}
	return nil
}

// Conditions are the rules of a fare family.
type Conditions struct {
	Refundable    bool
	Changeable    bool
	ChangePenalty money.Money
	RefundPenalty money.Money
	CheckedBags   int
}

// PriceLine is one line of a price breakdown (base fares by passenger type,
// taxes and fees by code).
type PriceLine struct {
	Code        string
	Description string
	Amount      money.Money
}

// Segment is one flight of an itinerary with local times.
type Segment struct {
	FlightID      string
	FlightNumber  string
	Origin        string
	Destination   string
	Departure     time.Time // in the origin's zone
	Arrival       time.Time // in the destination's zone
	Aircraft      string
	International bool
}

// FareOption is a bookable fare of an itinerary.
type FareOption struct {
	FareID       string
	Cabin        Cabin
	BookingClass string
	Family       string
	Price        money.Money // total for all passengers, taxes included
	SeatsLeft    int         // capped at 9
	Conditions   Conditions
}

// Itinerary is a direct flight or a connection.
type Itinerary struct {
	ID       string
	Segments []Segment
	Duration time.Duration
	Stops    int
	Fares    []FareOption
}

// Quote is a stored, priced itinerary and fare with a price guarantee.
type Quote struct {
	ID           string
	FlightIDs    []string
	FareID       string
	Cabin        Cabin
	BookingClass string
	Family       string
	Passengers   Passengers
	Segments     []Segment
	Total        money.Money
	Breakdown    []PriceLine
	Conditions   Conditions
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// HoldStatus is the state of a seat hold.
type HoldStatus string

// Hold states: HELD → COMMITTED (ticketed) or RELEASED / EXPIRED (seats back
// to sale); COMMITTED → RELEASED on cancellation.
const (
	HoldHeld      HoldStatus = "HELD"
	HoldCommitted HoldStatus = "COMMITTED"
	HoldReleased  HoldStatus = "RELEASED"
	HoldExpired   HoldStatus = "EXPIRED"
)

// HoldSegment is the seats a hold takes on one flight.
type HoldSegment struct {
	FlightID     string
	Cabin        Cabin
	BookingClass string
	Seats        int
	// MaxSold is the booking class's bucket limit: the hold succeeds only if
	// the cabin's sold seats stay at or below it.
	MaxSold int
}

// Hold is seats taken out of sale for a quote until ExpiresAt.
type Hold struct {
	ID        string
	QuoteID   string
	Status    HoldStatus
	Seats     int
	Segments  []HoldSegment
	Reason    string
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
}
