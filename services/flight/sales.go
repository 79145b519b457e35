package flight

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// RouteSales are the sales counters of one route and currency, kept by the
// flight domain's analytics consumer from booking events (an independent
// consumer group on skyfly.booking.v1).
type RouteSales struct {
	Origin      string    `json:"origin"`
	Destination string    `json:"destination"`
	Currency    string    `json:"currency"`
	Confirmed   int64     `json:"confirmed"` // bookings confirmed
	Cancelled   int64     `json:"cancelled"` // confirmed bookings later cancelled
	SeatsSold   int64     `json:"seatsSold"` // seats of confirmed bookings, less cancelled ones
	Revenue     int64     `json:"revenue"`   // paid less refunded, minor units
	UpdatedAt   time.Time `json:"updatedAt"`
}

// SaleDelta is what one booking event changes in its route's counters.
type SaleDelta struct {
	Origin, Destination, Currency string
	Confirmed, Cancelled          int64
	Seats, Revenue                int64
}

// bookingEventData is the part of a booking event (api/events/booking.v1.md)
// the counters read; the flight domain decodes the published contract, not
// the booking domain's types.
type bookingEventData struct {
	Origin      string `json:"origin"`
	Destination string `json:"destination"`
	Seats       int64  `json:"seats"`
	Paid        struct {
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	} `json:"paid"`
	Refunded struct {
		Amount int64 `json:"amount"`
	} `json:"refunded"`
}

// SaleDeltaOf maps a booking event to its effect on route sales: a
// confirmation adds a sale, the cancellation of a confirmed booking takes
// its seats back and its refund off the revenue. Other events change
// nothing (ok false).
func SaleDeltaOf(eventType string, data json.RawMessage) (SaleDelta, bool, error) {
	if eventType != "booking.confirmed" && eventType != "booking.cancelled" {
		return SaleDelta{}, false, nil
	}
	var d bookingEventData
	if err := json.Unmarshal(data, &d); err != nil {
		return SaleDelta{}, false, fmt.Errorf("flight: route sales: %s: %w", eventType, err)
	}
	if d.Origin == "" || d.Destination == "" {
		return SaleDelta{}, false, nil
	}
	delta := SaleDelta{Origin: d.Origin, Destination: d.Destination, Currency: d.Paid.Currency}
	switch eventType {
	case "booking.confirmed":
		delta.Confirmed, delta.Seats, delta.Revenue = 1, d.Seats, d.Paid.Amount
	case "booking.cancelled":
		if d.Paid.Amount == 0 {
			return SaleDelta{}, false, nil // cancelled before it was sold
		}
		delta.Cancelled, delta.Seats, delta.Revenue = 1, -d.Seats, -d.Refunded.Amount
	}
	return delta, true, nil
}

// SalesConsumer names the flight domain's consumer group on booking events.
const SalesConsumer = "flight-route-sales"

// RecordSale applies one booking event to the route sales counters, once per
// event id; it reports whether the event changed them.
func (s *Service) RecordSale(ctx context.Context, eventID, eventType string, data json.RawMessage) (bool, error) {
	d, ok, err := SaleDeltaOf(eventType, data)
	if err != nil || !ok {
		return false, err
	}
	return s.store.ApplySale(ctx, SalesConsumer, eventID, d, s.now())
}

// RouteSales returns the per-route sales counters, busiest route first.
func (s *Service) RouteSales(ctx context.Context) ([]RouteSales, error) {
	return s.store.RouteSales(ctx)
}
