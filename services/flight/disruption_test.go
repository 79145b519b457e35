package flight_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/flight"
)

func cancelFlight(t *testing.T, svc *flight.Service, id string) flight.Disruption {
	t.Helper()
	d, created, err := svc.Disrupt(context.Background(), flight.DisruptRequest{FlightID: id, Kind: flight.DisruptionCancelled, Reason: "aircraft on ground", Actor: "sup-1"})
	require.NoError(t, err)
	require.True(t, created)
	return d
}

func TestDisruption_CancelledFlightStopsSelling(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pax := flight.Passengers{Adults: 1}
	early, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{fid("SF20")}, FareID: "Y-M", Passengers: pax})
	require.NoError(t, err)
	held, err := f.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_before", QuoteID: early.ID})
	require.NoError(t, err)

	d := cancelFlight(t, f.svc, fid("SF20"))
	require.Equal(t, 1, d.Seq)

	res, err := f.svc.Search(ctx, query("JFK", "LHR", date(0)))
	require.NoError(t, err)
	require.NotContains(t, ids(res.Itineraries), fid("SF20"), "a cancelled flight is not offered")
	require.Contains(t, ids(res.Itineraries), fid("SF21"))
	_, err = f.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{fid("SF20")}, FareID: "Y-M", Passengers: pax})
	require.ErrorIs(t, err, flight.ErrFlightCancelled)
	_, err = f.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_after", QuoteID: early.ID})
	require.ErrorIs(t, err, flight.ErrFlightCancelled, "a quote made before the cancellation holds nothing")
	_, err = f.svc.CommitHold(ctx, held.ID)
	require.ErrorIs(t, err, flight.ErrFlightCancelled, "seats held before the cancellation are never sold")
	_, released, err := f.svc.ReleaseHold(ctx, held.ID, "flight cancelled")
	require.NoError(t, err)
	require.True(t, released, "they go back")

	got, ok, err := f.svc.Disruption(ctx, fid("SF20"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, flight.DisruptionCancelled, got.Kind)
	fl, err := f.svc.Flight(ctx, fid("SF20"))
	require.NoError(t, err)
	require.Equal(t, flight.FlightCancelled, fl.Status)

	t.Run("a repeated request records nothing new", func(t *testing.T) {
		again, created, err := f.svc.Disrupt(ctx, flight.DisruptRequest{FlightID: fid("SF20"), Kind: flight.DisruptionCancelled, Reason: "again", Actor: "sup-2"})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, d.Seq, again.Seq)
		var events int64
		require.NoError(t, f.db.Table("outbox_events").Where("event_type = ?", flight.EventFlightDisrupted).Count(&events).Error)
		require.Equal(t, int64(1), events, "one flight.disrupted event, in the same transaction")
	})
	t.Run("a cancelled flight cannot be retimed", func(t *testing.T) {
		_, _, err := f.svc.Disrupt(ctx, flight.DisruptRequest{FlightID: fid("SF20"), Kind: flight.DisruptionRetimed,
			NewDepartureUTC: at(0, 12, 0), NewArrivalUTC: at(0, 19, 0), Reason: "x"})
		require.ErrorIs(t, err, flight.ErrFlightCancelled)
	})
	t.Run("bad requests are field errors", func(t *testing.T) {
		for _, req := range []flight.DisruptRequest{
			{FlightID: fid("SF21"), Kind: flight.DisruptionCancelled},
			{FlightID: fid("SF21"), Kind: "DELAYED", Reason: "x"},
			{FlightID: fid("SF21"), Kind: flight.DisruptionRetimed, Reason: "x", NewDepartureUTC: at(0, 12, 0)},
			{FlightID: fid("SF21"), Kind: flight.DisruptionRetimed, Reason: "x", NewDepartureUTC: at(0, 12, 0), NewArrivalUTC: at(0, 11, 0)},
			{FlightID: fid("SF21"), Kind: flight.DisruptionRetimed, Reason: "x", NewDepartureUTC: at(5, 12, 0), NewArrivalUTC: at(5, 19, 0)},
		} {
			_, _, err := f.svc.Disrupt(ctx, req)
			require.ErrorIs(t, err, flight.ErrInvalid, "%+v", req)
		}
		_, _, err := f.svc.Disrupt(ctx, flight.DisruptRequest{FlightID: "SF999-NOSUCHDAY", Kind: flight.DisruptionCancelled, Reason: "x"})
		require.ErrorIs(t, err, flight.ErrFlightNotFound)
	})
	t.Run("another process sees the cancellation after its reload", func(t *testing.T) {
		other := flight.NewService(slog.New(slog.DiscardHandler), f.store, f.clock.Now, nil, flight.Config{})
		require.NoError(t, other.Reload(ctx))
		fl, err := other.Flight(ctx, fid("SF20"))
		require.NoError(t, err)
		require.Equal(t, flight.FlightCancelled, fl.Status)
	})
}

func TestDisruption_ProtectRebooksOntoTheEarliestArrivalWithoutOverselling(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cancelFlight(t, f.svc, fid("SF20"))
	four := flight.Passengers{Adults: 4}
	protect := func(holdID string, cabin flight.Cabin, pax flight.Passengers) (flight.Protection, error) {
		return f.svc.Protect(ctx, flight.ProtectRequest{HoldID: holdID, FlightIDs: []string{fid("SF20")}, Cabin: cabin, Passengers: pax, TTL: time.Hour})
	}

	p, err := protect("b1/d1", flight.CabinEconomy, flight.Passengers{Adults: 1})
	require.NoError(t, err)
	require.True(t, p.Affected)
	require.Equal(t, []string{fid("SF21")}, p.Quote.FlightIDs, "the next JFK→LHR flight arrives first")
	require.Equal(t, "Y-Y", p.Quote.FareID, "protected passengers take the cabin's top class")
	require.Equal(t, flight.HoldHeld, p.Hold.Status)
	again, err := protect("b1/d1", flight.CabinEconomy, flight.Passengers{Adults: 1})
	require.NoError(t, err)
	require.Equal(t, p.Hold.ID, again.Hold.ID)
	require.Equal(t, p.Quote.ID, again.Quote.ID, "a retried call returns the hold it made")

	// Business has 8 seats per flight: two groups of four fill SF21, the
	// third goes to SF22, the fifth finds nothing (no cabin above J here).
	var got [][]string
	for _, id := range []string{"b2/d1", "b3/d1", "b4/d1", "b5/d1"} {
		p, err := protect(id, flight.CabinBusiness, four)
		require.NoError(t, err, id)
		got = append(got, p.Quote.FlightIDs)
	}
	require.Equal(t, [][]string{{fid("SF21")}, {fid("SF21")}, {fid("SF22")}, {fid("SF22")}}, got)
	_, err = protect("b6/d1", flight.CabinBusiness, four)
	require.ErrorIs(t, err, flight.ErrNoAlternative)
	for _, id := range []string{fid("SF21"), fid("SF22")} {
		cs, err := f.svc.Availability(ctx, id)
		require.NoError(t, err)
		for _, c := range cs {
			require.GreaterOrEqual(t, c.Available, 0, "%s %s never oversold", id, c.Cabin)
			if c.Cabin == flight.CabinBusiness {
				require.Equal(t, 0, c.Available, "%s business is full", id)
			}
		}
	}
}

func TestDisruption_RetimeThatBreaksAConnectionIsDisrupted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// SF10 BOS→JFK lands 10:00Z for SF21 at 11:00Z (60-min MCT): 40 minutes
	// late it misses it.
	_, created, err := f.svc.Disrupt(ctx, flight.DisruptRequest{FlightID: fid("SF10"), Kind: flight.DisruptionRetimed,
		NewDepartureUTC: at(0, 9, 25), NewArrivalUTC: at(0, 10, 40), Reason: "late inbound aircraft", Actor: "sup-1"})
	require.NoError(t, err)
	require.True(t, created)
	fl, err := f.svc.Flight(ctx, fid("SF10"))
	require.NoError(t, err)
	require.Equal(t, flight.FlightRetimed, fl.Status)
	require.Equal(t, at(0, 10, 40), fl.ArrivalUTC)

	direct, err := f.svc.Protect(ctx, flight.ProtectRequest{HoldID: "d/1", FlightIDs: []string{fid("SF10")}, Cabin: flight.CabinEconomy, Passengers: flight.Passengers{Adults: 1}})
	require.NoError(t, err)
	require.False(t, direct.Affected, "a retimed direct flight still flies the booking")

	p, err := f.svc.Protect(ctx, flight.ProtectRequest{HoldID: "c/1", FlightIDs: []string{fid("SF10"), fid("SF21")}, Cabin: flight.CabinEconomy, Passengers: flight.Passengers{Adults: 1}})
	require.NoError(t, err)
	require.True(t, p.Affected, "the broken connection is disrupted")
	require.Equal(t, []string{fid("SF40")}, p.Quote.FlightIDs, "BOS→LHR direct at 22:00Z lands before SF10+SF22")
}
