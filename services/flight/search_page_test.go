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
// search returns (ranked by compact keys, only the page built) is the
// slice of the old fully built and sorted result at the same offset, with
// a next cursor exactly when more follow; with and without the result
// cache (a cached page must be the same page).
func TestSearch_PageOnlyBuildMatchesFullSort(t *testing.T) {
	for _, scale := range []int{1, 10} {
		n, err := seeddata.Generate(benchStart, 14, scale)
		require.NoError(t, err)
		for _, cached := range []bool{false, true} {
			t.Run(fmt.Sprintf("scale=%d/cached=%v", scale, cached), func(t *testing.T) {
				cache := flight.NewMemoryCache(0, time.Minute, nil)
				if cached {
					cache = flight.NewMemoryCache(10000, time.Hour, nil)
				}
				now := func() time.Time { return benchStart.Add(-time.Hour) }
				svc := flight.NewService(slog.New(slog.DiscardHandler), nil, now, cache, flight.Config{})
				require.NoError(t, svc.InstallSchedule(n.Airports, n.Flights))
				qs := parseQueries(t, seeddata.SearchQueries(benchStart, 60, 1))
				rng := rand.New(rand.NewPCG(uint64(scale), 15))
				sorts := []string{flight.SortPrice, flight.SortDeparture, flight.SortDuration}
				cabins := []flight.Cabin{flight.CabinEconomy, flight.CabinEconomy, "W", "J", "F"}
				ctx := context.Background()
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
					for round := range 1 + btoi(cached) { // cached: the second walk reads the pages from the cache
						q.Cursor = ""
						for off := 0; ; off += q.Limit {
							got, err := svc.Search(ctx, q)
							require.NoError(t, err)
							end := min(len(want), off+q.Limit)
							require.Equal(t, want[off:end], got.Itineraries, "query %d %+v offset %d round %d", i, q, off, round)
							if end == len(want) {
								require.Empty(t, got.NextCursor)
								break
							}
							require.NotEmpty(t, got.NextCursor)
							q.Cursor = got.NextCursor
						}
					}
				}
			})
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
