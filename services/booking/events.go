package booking

import (
	"strconv"
	"strings"
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// Event types the booking domain publishes on skyfly.booking.v1, one per
// history entry (api/events/booking.v1.md documents them).
const (
	EventCreated        = "booking.created"
	EventReserved       = "booking.reserved"
	EventPaymentPending = "booking.payment_pending"
	EventConfirmed      = "booking.confirmed"
	EventCancelling     = "booking.cancelling"
	EventCancelled      = "booking.cancelled"
	EventChanging       = "booking.changing"
	EventChanged        = "booking.changed"
	EventChangeAborted  = "booking.change_aborted"
	EventExpired        = "booking.expired"
	EventFailed         = "booking.failed"
	EventNeedsAttention = "booking.needs_attention"
	EventNoted          = "booking.noted"
)

// DomainEvent is one state change of a booking as other domains and the
// customer's live progress see it: ids, statuses and amounts, no personal
// data (no names, contact details or documents).
type DomainEvent struct {
	ID   string // bookingId/sequence: the same change always has the same id
	Type string
	At   time.Time
	Data EventData
}

// EventData is the data of every booking event.
type EventData struct {
	BookingID      string      `json:"bookingId"`
	PNR            string      `json:"pnr"`
	CustomerID     string      `json:"customerId"`
	Sequence       int         `json:"sequence"` // index in the booking's history
	Event          string      `json:"event"`    // the history event name (seats_held, tickets_issued, ...)
	Status         Status      `json:"status"`
	PreviousStatus Status      `json:"previousStatus,omitempty"`
	Actor          string      `json:"actor,omitempty"`
	FlightIDs      []string    `json:"flightIds"`
	Origin         string      `json:"origin,omitempty"`
	Destination    string      `json:"destination,omitempty"`
	Passengers     int         `json:"passengers"`
	Seats          int         `json:"seats"`
	Total          money.Money `json:"total"`
	Paid           money.Money `json:"paid"`
	Refunded       money.Money `json:"refunded"`
	HoldExpiresAt  *time.Time  `json:"holdExpiresAt,omitempty"`
	Tickets        int         `json:"tickets"`
}

// EventType names the event of one history entry.
func EventType(h HistoryEntry) string {
	if h.From == h.To && h.From != "" {
		return EventNoted
	}
	switch h.To {
	case StatusPending:
		return EventCreated
	case StatusHeld:
		return EventReserved
	case StatusPaymentPending:
		return EventPaymentPending
	case StatusConfirmed:
		if h.From == StatusChanging {
			if h.Event == "changed" {
				return EventChanged
			}
			return EventChangeAborted
		}
		return EventConfirmed
	case StatusCancelling:
		return EventCancelling
	case StatusCancelled:
		return EventCancelled
	case StatusChanging:
		return EventChanging
	case StatusExpired:
		return EventExpired
	case StatusFailed:
		return EventFailed
	case StatusNeedsAttention:
		return EventNeedsAttention
	}
	return "booking." + strings.ToLower(string(h.To))
}

// EventsFrom returns the events of b's history entries from index from on:
// a store writes them in the transaction that appends those entries.
func EventsFrom(b Booking, from int) []DomainEvent {
	if from >= len(b.History) {
		return nil
	}
	var origin, destination string
	if n := len(b.Segments); n > 0 {
		origin, destination = b.Segments[0].Origin, b.Segments[n-1].Destination
	}
	out := make([]DomainEvent, 0, len(b.History)-from)
	for i := from; i < len(b.History); i++ {
		h := b.History[i]
		out = append(out, DomainEvent{
			ID: b.ID + "/" + strconv.Itoa(i), Type: EventType(h), At: h.At,
			Data: EventData{
				BookingID: b.ID, PNR: b.PNR, CustomerID: b.CustomerID, Sequence: i, Event: h.Event,
				Status: h.To, PreviousStatus: h.From, Actor: h.Actor, FlightIDs: b.FlightIDs(),
				Origin: origin, Destination: destination, Passengers: len(b.Passengers), Seats: b.Seats(),
				Total: b.Total, Paid: b.Paid, Refunded: b.Refunded, HoldExpiresAt: b.HoldExpiresAt, Tickets: len(b.Tickets),
			},
		})
	}
	return out
}
