package flight_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/services/flight/flightgorm"
	"github.com/skyfly/skyfly/services/flight/seeddata"
)

// offered is what a search shows for an itinerary: seats left by fare
// family (nil when the itinerary is not offered).
func offered(t *testing.T, svc *flight.Service, q flight.SearchQuery, id string) map[string]int {
	t.Helper()
	res, err := svc.Search(context.Background(), q)
	require.NoError(t, err)
	for _, it := range res.Itineraries {
		if it.ID == id {
			out := map[string]int{}
			for _, f := range it.Fares {
				out[f.Family] = f.SeatsLeft
			}
			return out
		}
	}
	return nil
}

// TestSearch_I1_SeatCountersInMemoryFollowEveryInventoryChange proves the
// in-memory seat counters searches read (no database read per search) and
// the result cache stay coherent with holds, commits, releases, expiries
// and disruptions made through the service. SF40 BOS→LHR has 4 Y seats:
// O closes at 1 sold, Q/K at 2, M/B at 3, Y at 4.
func TestSearch_I1_SeatCountersInMemoryFollowEveryInventoryChange(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	q := query("BOS", "LHR", date(0))
	id := fid("SF40")
	full := map[string]int{flight.FamilyLight: 1, flight.FamilyStandard: 2, flight.FamilyFlex: 3}
	require.Equal(t, full, offered(t, f.svc, q, id), "nothing sold")

	quote := func(adults int) string {
		t.Helper()
		qt, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{id}, FareID: "Y-Y", Passengers: flight.Passengers{Adults: adults}})
		require.NoError(t, err)
		return qt.ID
	}

	t.Run("a hold shows at once, also to a search cached before it", func(t *testing.T) {
		_, err := f.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_two", QuoteID: quote(2)})
		require.NoError(t, err)
		require.Equal(t, map[string]int{flight.FamilyStandard: 1, flight.FamilyFlex: 1}, offered(t, f.svc, q, id))
	})
	t.Run("a commit keeps the seats taken", func(t *testing.T) {
		_, err := f.svc.CommitHold(ctx, "h_two")
		require.NoError(t, err)
		require.Equal(t, map[string]int{flight.FamilyStandard: 1, flight.FamilyFlex: 1}, offered(t, f.svc, q, id))
	})
	t.Run("a release gives them back", func(t *testing.T) {
		_, released, err := f.svc.ReleaseHold(ctx, "h_two", "cancelled")
		require.NoError(t, err)
		require.True(t, released)
		require.Equal(t, full, offered(t, f.svc, q, id))
	})
	t.Run("a sold-out flight is not offered and an expiry puts it back", func(t *testing.T) {
		_, err := f.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_all", QuoteID: quote(4), TTL: time.Minute})
		require.NoError(t, err)
		require.Nil(t, offered(t, f.svc, q, id))
		f.clock.Advance(time.Minute)
		n, err := f.svc.SweepExpiredHolds(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, full, offered(t, f.svc, q, id))
	})
	t.Run("a cancelled flight is no longer offered and its seat counters survive the reload", func(t *testing.T) {
		_, err := f.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_one", QuoteID: quote(1)})
		require.NoError(t, err)
		jfk := query("JFK", "LHR", date(0))
		require.NotNil(t, offered(t, f.svc, jfk, fid("SF20")))
		_, _, err = f.svc.Disrupt(ctx, flight.DisruptRequest{FlightID: fid("SF20"), Kind: flight.DisruptionCancelled, Reason: "aircraft on ground", Actor: "test"})
		require.NoError(t, err)
		require.Nil(t, offered(t, f.svc, jfk, fid("SF20")))
		require.Equal(t, map[string]int{flight.FamilyLight: 1, flight.FamilyStandard: 1, flight.FamilyFlex: 2}, offered(t, f.svc, q, id), "1 of 4 seats sold after the reload")
	})
}

// TestSearch_SeatCountersCatchUpWithAnotherProcess: a hold made by another
// service instance on the same database reaches this one's in-memory
// counters (and drops its cached result) through the store's feed of
// changed flights within AvailabilityTTL.
func TestSearch_SeatCountersCatchUpWithAnotherProcess(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	other := flight.NewService(slog.New(slog.DiscardHandler), flightgorm.New(f.db), f.clock.Now, nil,
		flight.Config{AvailabilityTTL: 20 * time.Millisecond, ReloadInterval: time.Hour})
	require.NoError(t, other.Reload(ctx))
	done := make(chan struct{})
	go func() { defer close(done); _ = other.RunReloader(ctx) }()
	defer func() { cancel(); <-done }()

	q := query("BOS", "LHR", date(0))
	id := fid("SF40")
	require.Equal(t, map[string]int{flight.FamilyLight: 1, flight.FamilyStandard: 2, flight.FamilyFlex: 3}, offered(t, other, q, id))
	qt, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{id}, FareID: "Y-Y", Passengers: flight.Passengers{Adults: 3}})
	require.NoError(t, err)
	_, err = f.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_elsewhere", QuoteID: qt.ID})
	require.NoError(t, err)
	want := map[string]int{flight.FamilyFlex: 1}
	require.Eventually(t, func() bool {
		res, err := other.Search(ctx, q)
		if err != nil || len(res.Itineraries) == 0 {
			return false
		}
		for _, it := range res.Itineraries {
			if it.ID == id {
				return len(it.Fares) == 1 && it.Fares[0].Family == flight.FamilyFlex && it.Fares[0].SeatsLeft == want[flight.FamilyFlex]
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
}

// TestNetwork_IndexedCandidatesEqualTheFullWalk: the route-and-date lists
// and connecting airports give exactly the itineraries of a walk over
// every departure, on the demo network at 1× and 3× frequencies.
func TestNetwork_IndexedCandidatesEqualTheFullWalk(t *testing.T) {
	start := testdate.Day(1)
	pairs := [][2]string{{"JFK", "LHR"}, {"BOS", "DEL"}, {"MUC", "SYD"}, {"SIN", "SYD"}, {"EDI", "JFK"}, {"CPH", "LIS"}, {"LHR", "BOS"}}
	for _, scale := range []int{1, 3} {
		g, err := seeddata.Generate(start, 4, scale)
		require.NoError(t, err)
		n, err := flight.NewNetwork(g.Airports, g.Flights)
		require.NoError(t, err)
		checked := 0
		for _, p := range pairs {
			for d := range 4 {
				date := start.AddDate(0, 0, d).Format(time.DateOnly)
				for _, stops := range []int{0, 1} {
					want := n.BruteForceCandidateIDs(p[0], p[1], date, stops)
					got := n.CandidateIDs(p[0], p[1], date, stops)
					require.Equal(t, want, got, "scale %d %s-%s %s stops %d", scale, p[0], p[1], date, stops)
					checked += len(want)
				}
			}
		}
		require.Greater(t, checked, 100*scale, "the pairs have itineraries to compare")
	}
}
