package flight_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/flight"
)

// bookingEvent is a booking event's data as api/events/booking.v1.md
// documents it (the fields the counters read and some they ignore).
func bookingEvent(paid, refunded int64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"bookingId": "bk-1", "status": "CONFIRMED", "origin": "JFK", "destination": "LHR", "passengers": 2, "seats": 2,
		"total": map[string]any{"amount": 90000, "currency": "EUR"}, "paid": map[string]any{"amount": paid, "currency": "EUR"},
		"refunded": map[string]any{"amount": refunded, "currency": "EUR"},
	})
	return b
}

func TestSaleDeltaOf(t *testing.T) {
	for _, tc := range []struct {
		name, typ string
		data      json.RawMessage
		want      flight.SaleDelta
		ok        bool
	}{
		{"a confirmation adds a sale of its seats and payment", "booking.confirmed", bookingEvent(90000, 0),
			flight.SaleDelta{Origin: "JFK", Destination: "LHR", Currency: "EUR", Confirmed: 1, Seats: 2, Revenue: 90000}, true},
		{"a cancellation after payment takes the seats and the refund back", "booking.cancelled", bookingEvent(90000, 60000),
			flight.SaleDelta{Origin: "JFK", Destination: "LHR", Currency: "EUR", Cancelled: 1, Seats: -2, Revenue: -60000}, true},
		{"a cancellation before payment was never a sale", "booking.cancelled", bookingEvent(0, 0), flight.SaleDelta{}, false},
		{"a hold changes nothing", "booking.reserved", bookingEvent(0, 0), flight.SaleDelta{}, false},
		{"an event without a route changes nothing", "booking.confirmed", json.RawMessage(`{"paid":{"amount":1,"currency":"EUR"}}`), flight.SaleDelta{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := flight.SaleDeltaOf(tc.typ, tc.data)
			require.NoError(t, err)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
	_, _, err := flight.SaleDeltaOf("booking.confirmed", json.RawMessage(`{"origin":`))
	require.Error(t, err, "a malformed confirmation is an error, not a silent zero")
}

func TestService_RecordSale_CountsEachEventOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for range 3 { // a redelivered event must not count again
		_, err := f.svc.RecordSale(ctx, "bk-1/3", "booking.confirmed", bookingEvent(90000, 0))
		require.NoError(t, err)
	}
	applied, err := f.svc.RecordSale(ctx, "bk-2/3", "booking.confirmed", bookingEvent(45000, 0))
	require.NoError(t, err)
	require.True(t, applied)
	applied, err = f.svc.RecordSale(ctx, "bk-1/5", "booking.cancelled", bookingEvent(90000, 90000))
	require.NoError(t, err)
	require.True(t, applied)
	applied, err = f.svc.RecordSale(ctx, "bk-1/5", "booking.cancelled", bookingEvent(90000, 90000))
	require.NoError(t, err)
	require.False(t, applied, "the second delivery of an event reports it was applied before")

	got, err := f.svc.RouteSales(ctx)
	require.NoError(t, err)
	require.Len(t, got, 1)
	r := got[0]
	require.Equal(t, [4]int64{2, 1, 2, 45000}, [4]int64{r.Confirmed, r.Cancelled, r.SeatsSold, r.Revenue},
		"two sales of two seats, one cancelled with a full refund")
	require.Equal(t, f.clock.Now().UTC(), r.UpdatedAt)
}
