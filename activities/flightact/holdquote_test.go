package flightact_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/activities/flightact"
)

// T4/T5/PF2: HoldQuotedSeats twice holds once and returns the quote; wrong
// passengers are a non-retryable QuoteInvalid that takes no seat; an
// expired quote is a non-retryable QuoteExpired.
func TestActivities_T4_HoldQuotedSeatsTwiceHasOneEffect(t *testing.T) {
	f := newFixture(t)
	pax := flightact.PassengerCounts{Adults: 2, Infants: 1}
	q := f.quote(t, "Y-M", pax)
	before := f.economyLeft(t)

	_, err := f.env.ExecuteActivity(f.acts.HoldQuotedSeats, flightact.HoldQuotedSeatsInput{HoldID: "booking-x", QuoteID: q.QuoteID,
		Passengers: flightact.PassengerCounts{Adults: 3}, TTL: 15 * time.Minute})
	requireRefusal(t, err, flightact.ErrTypeQuoteInvalid)
	require.Equal(t, before, f.economyLeft(t), "no seat taken")

	var first, second flightact.HoldQuotedSeatsResult
	for i, out := range []*flightact.HoldQuotedSeatsResult{&first, &second} {
		v, err := f.env.ExecuteActivity(f.acts.HoldQuotedSeats, flightact.HoldQuotedSeatsInput{HoldID: "booking-q", QuoteID: q.QuoteID, Passengers: pax, TTL: 15 * time.Minute})
		require.NoError(t, err, "run %d", i+1)
		require.NoError(t, v.Get(out))
	}
	require.Equal(t, first, second)
	require.Equal(t, "HELD", first.Hold.Status)
	require.Equal(t, 2, first.Hold.Seats)
	require.Equal(t, q.QuoteID, first.Quote.QuoteID)
	require.Equal(t, q.Total, first.Quote.Total)
	require.Equal(t, q.Segments, first.Quote.Segments)
	require.Equal(t, before-2, f.economyLeft(t), "two runs, one hold")

	f.clock.Add(time.Hour)
	_, err = f.env.ExecuteActivity(f.acts.HoldQuotedSeats, flightact.HoldQuotedSeatsInput{HoldID: "booking-late", QuoteID: q.QuoteID, Passengers: pax, TTL: 15 * time.Minute})
	requireRefusal(t, err, flightact.ErrTypeQuoteExpired)
}
