package flight_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/services/flight/seeddata"
)

// TestSearch_PageOnlyBuildMatchesFullSort checks, for random queries over
// the seeded network at 1× and 10× frequencies, that every page the
// search returns (ranked by compact keys into a bounded heap, candidates
// skipped by their lower bound, only the page built) is the slice of the
// old fully built and sorted result at the same offset, with a next cursor
// exactly when more follow; with every seat for sale and with random
// sales (booking classes closed, cabins sold out: the cheapest fare is
// then often above the lower bound); with and without the result cache (a
// cached page must be the same page, and selling out a flight of the full
// result, shown on the page or not, must drop it: the cache tags).
func TestSearch_PageOnlyBuildMatchesFullSort(t *testing.T) {
	for _, scale := range []int{1, 10} {
		n, err := seeddata.Generate(benchStart, 14, scale)
		require.NoError(t, err)
		for _, sold := range []bool{false, true} {
			for _, cached := range []bool{false, true} {
				t.Run(fmt.Sprintf("scale=%d/sold=%v/cached=%v", scale, sold, cached), func(t *testing.T) {
					cache := flight.NewMemoryCache(0, time.Minute, nil)
					if cached {
						cache = flight.NewMemoryCache(10000, time.Hour, nil)
					}
					now := func() time.Time { return benchStart.Add(-time.Hour) }
					svc := flight.NewService(slog.New(slog.DiscardHandler), nil, now, cache, flight.Config{})
					require.NoError(t, svc.InstallSchedule(n.Airports, n.Flights))
					rng := rand.New(rand.NewPCG(uint64(scale), 15))
					if sold {
						svc.SellRandomlyForTest(rng)
					}
					qs := parseQueries(t, seeddata.SearchQueries(benchStart, 60, 1))
					sorts := []string{flight.SortPrice, flight.SortDeparture, flight.SortDuration}
					cabins := []flight.Cabin{flight.CabinEconomy, flight.CabinEconomy, "W", "J", "F"}
					ctx := context.Background()
					walk := func(i int, q flight.SearchQuery, want []flight.Itinerary, round string) {
						q.Cursor = ""
						for off := 0; ; off += q.Limit {
							got, err := svc.Search(ctx, q)
							require.NoError(t, err)
							end := min(len(want), off+q.Limit)
							require.Equal(t, want[off:end], got.Itineraries, "query %d %+v offset %d %s", i, q, off, round)
							if end == len(want) {
								require.Empty(t, got.NextCursor)
								return
							}
							require.NotEmpty(t, got.NextCursor)
							q.Cursor = got.NextCursor
						}
					}
					for i, q := range qs {
						q.Date = benchStart.AddDate(0, 0, rng.IntN(10)).Format(time.DateOnly)
						q.Sort = sorts[rng.IntN(len(sorts))]
						q.Cabin = cabins[rng.IntN(len(cabins))]
						q.Limit = []int{1, 3, 7, 20, 100}[rng.IntN(5)]
						q.MaxStops = rng.IntN(2)
						if rng.IntN(3) == 0 {
							q.DepartAfter = fmt.Sprintf("%02d:%02d", rng.IntN(12), rng.IntN(60))
							q.DepartBefore = fmt.Sprintf("%02d:%02d", 12+rng.IntN(12), rng.IntN(60))
						}
						want, err := svc.SearchAllForTest(q)
						require.NoError(t, err)
						walk(i, q, want, "first walk")
						if !cached || len(want) == 0 {
							continue
						}
						walk(i, q, want, "from the cache")
						// Sell out the last leg of the last itinerary: with more
						// than one page it is not on the first, which must change
						// all the same once it moves up or out.
						last := want[len(want)-1].Segments
						svc.SellOutForTest(ctx, last[len(last)-1].FlightID)
						want, err = svc.SearchAllForTest(q)
						require.NoError(t, err)
						walk(i, q, want, "after a sell-out")
					}
				})
			}
		}
	}
}

// The ranker prices candidates from per-route tariffs in integer
// arithmetic; they must give priceTotal's result for every route and
// connection, cabin, booking class and passenger mix, and the cabin's
// lower bound must never be above it (else the search could skip a
// candidate that belongs on the page).
func TestSearch_RouteTariffsPriceLikeTheQuote(t *testing.T) {
	n, err := seeddata.Generate(benchStart, 2, 1)
	require.NoError(t, err)
	svc := flight.NewService(slog.New(slog.DiscardHandler), nil, time.Now, nil, flight.Config{})
	require.NoError(t, svc.InstallSchedule(n.Airports, n.Flights))
	paxes := []flight.Passengers{{Adults: 1}, {Adults: 2}, {Adults: 1, Children: 1}, {Adults: 2, Children: 3, Infants: 2}, {Adults: 1, Infants: 1}, {Adults: 9}}
	bad, compared := svc.Network().TariffMismatchesForTest(paxes)
	require.Empty(t, bad)
	require.Greater(t, compared, 10000, "every route, connection, cabin and class")
}
