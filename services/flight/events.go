package flight

import (
	"strings"
	"time"
)

// Event types the flight domain publishes on skyfly.flight.v1
// (api/events/flight.v1.md documents them).
const (
	EventSeatsHeld      = "seats.held"
	EventSeatsCommitted = "seats.committed"
	EventSeatsReleased  = "seats.released"
	EventSeatsExpired   = "seats.expired"
)

// HoldEvent is one change of a seat hold as other domains see it. A hold
// reaches each status at most once, so hold id and status identify it.
type HoldEvent struct {
	ID   string
	Type string
	At   time.Time
	Data HoldEventData
}

// HoldEventData is the data of every seat event.
type HoldEventData struct {
	HoldID   string             `json:"holdId"`
	QuoteID  string             `json:"quoteId,omitempty"`
	Status   HoldStatus         `json:"status"`
	Seats    int                `json:"seats"`
	Reason   string             `json:"reason,omitempty"`
	Segments []HoldEventSegment `json:"segments"`
}

// HoldEventSegment is the seats a hold takes on one flight.
type HoldEventSegment struct {
	FlightID     string `json:"flightId"`
	Cabin        Cabin  `json:"cabin"`
	BookingClass string `json:"bookingClass"`
	Seats        int    `json:"seats"`
}

// EventOfHold returns the event of h having reached status to at.
func EventOfHold(h Hold, to HoldStatus, at time.Time) HoldEvent {
	typ := map[HoldStatus]string{HoldHeld: EventSeatsHeld, HoldCommitted: EventSeatsCommitted,
		HoldReleased: EventSeatsReleased, HoldExpired: EventSeatsExpired}[to]
	segs := make([]HoldEventSegment, len(h.Segments))
	for i, s := range h.Segments {
		segs[i] = HoldEventSegment{FlightID: s.FlightID, Cabin: s.Cabin, BookingClass: s.BookingClass, Seats: s.Seats}
	}
	return HoldEvent{
		ID: h.ID + "/" + strings.ToLower(string(to)), Type: typ, At: at,
		Data: HoldEventData{HoldID: h.ID, QuoteID: h.QuoteID, Status: to, Seats: h.Seats, Reason: h.Reason, Segments: segs},
	}
}
