package flight_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/flight"
)

// PF2, T4, I2: HoldQuote validates the quote for the passengers and holds
// its seats in one call: wrong passengers take no seat, an expired quote
// holds nothing, the same hold id twice holds once (also after the quote
// expired), and the quote comes back with the hold.
func TestInventory_HoldQuoteValidatesItsQuote(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pax := flight.Passengers{Adults: 2, Infants: 1}
	q, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{fid("SF21")}, FareID: "Y-M", Passengers: pax})
	require.NoError(t, err)
	left := func() int {
		cs, err := f.svc.Availability(ctx, fid("SF21"))
		require.NoError(t, err)
		for _, c := range cs {
			if c.Cabin == flight.CabinEconomy {
				return c.Available
			}
		}
		return -1
	}
	before := left()

	_, _, err = f.svc.HoldQuote(ctx, flight.HoldRequest{HoldID: "h_x", QuoteID: q.ID}, flight.Passengers{Adults: 3})
	require.ErrorIs(t, err, flight.ErrQuoteInvalid, "passengers differ from the quote")
	require.Equal(t, before, left(), "no seat taken for a refused quote")
	_, _, err = f.svc.HoldQuote(ctx, flight.HoldRequest{HoldID: "h_y", QuoteID: "q_FORGED"}, pax)
	require.ErrorIs(t, err, flight.ErrQuoteNotFound)

	h, got, err := f.svc.HoldQuote(ctx, flight.HoldRequest{HoldID: "h_q", QuoteID: q.ID, TTL: 10 * time.Minute}, pax)
	require.NoError(t, err)
	require.Equal(t, q.ID, got.ID)
	require.Equal(t, q.Total, got.Total)
	require.Equal(t, 2, h.Seats, "the infant sits on a lap")
	require.Equal(t, before-2, left())

	f.clock.Advance(20 * time.Minute)
	again, _, err := f.svc.HoldQuote(ctx, flight.HoldRequest{HoldID: "h_q", QuoteID: q.ID}, pax)
	require.NoError(t, err, "a retry after the hold was made returns it, though the quote has expired since")
	require.Equal(t, h.ExpiresAt, again.ExpiresAt)
	require.Equal(t, before-2, left(), "held once")
	_, _, err = f.svc.HoldQuote(ctx, flight.HoldRequest{HoldID: "h_new", QuoteID: q.ID}, pax)
	require.ErrorIs(t, err, flight.ErrQuoteExpired, "an expired quote holds nothing new")
}
