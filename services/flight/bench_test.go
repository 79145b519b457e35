package flight_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/services/flight/flightgorm"
	"github.com/skyfly/skyfly/services/flight/seeddata"
)

// benchStart is the first day of the seeded schedule, tomorrow.
var benchStart = testdate.Day(1)

// benchService seeds the demo network (frequencies × scale) into SQLite.
func benchService(b *testing.B, scale int, cache flight.SearchCache) (*flight.Service, int) {
	b.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(b)})
	require.NoError(b, err)
	b.Cleanup(func() { _ = db.Close() })
	require.NoError(b, flightgorm.Migrate(ctx, db))
	now := func() time.Time { return benchStart.Add(-time.Hour) }
	svc := flight.NewService(slog.New(slog.DiscardHandler), flightgorm.New(db), now, cache, flight.Config{})
	n, err := seeddata.Generate(benchStart, 60, scale)
	require.NoError(b, err)
	_, err = svc.Seed(ctx, n.Airports, n.Flights)
	require.NoError(b, err)
	return svc, len(n.Flights)
}

func parseQueries(b testing.TB, raw []string) []flight.SearchQuery {
	out := make([]flight.SearchQuery, len(raw))
	for i, s := range raw {
		v, err := url.ParseQuery(s)
		require.NoError(b, err)
		adults, _ := strconv.Atoi(v.Get("adults"))
		children, _ := strconv.Atoi(v.Get("children"))
		out[i] = flight.SearchQuery{Origin: v.Get("origin"), Destination: v.Get("destination"), Date: v.Get("date"),
			Passengers: flight.Passengers{Adults: adults, Children: children}, MaxStops: 1, Sort: v.Get("sort")}
	}
	return out
}

// BenchmarkSearch measures the search core over the seeded demo network:
// "uncached" recomputes every search (network walk, one SQLite availability
// read, pricing, sorting); "cached" is the steady state of repeated
// searches. scale multiplies the daily frequencies (10 = 10× the schedule).
func BenchmarkSearch(b *testing.B) {
	for _, scale := range []int{1, 10} {
		for _, cached := range []bool{false, true} {
			name := fmt.Sprintf("scale=%d/cached=%v", scale, cached)
			b.Run(name, func(b *testing.B) {
				var cache flight.SearchCache = flight.NewMemoryCache(0, time.Minute, nil) // keeps nothing
				if cached {
					cache = flight.NewMemoryCache(100000, time.Hour, nil)
				}
				svc, flights := benchService(b, scale, cache)
				qs := parseQueries(b, seeddata.SearchQueries(benchStart, 2000, 1))
				ctx := context.Background()
				if cached {
					for _, q := range qs {
						_, err := svc.Search(ctx, q)
						require.NoError(b, err)
					}
				}
				lat := make([]time.Duration, 0, b.N)
				found := 0
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					t := time.Now()
					res, err := svc.Search(ctx, qs[i%len(qs)])
					lat = append(lat, time.Since(t))
					if err != nil {
						b.Fatal(err)
					}
					found += len(res.Itineraries)
				}
				b.StopTimer()
				slices.Sort(lat)
				pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
				b.ReportMetric(float64(pct(0.50).Microseconds()), "p50-µs")
				b.ReportMetric(float64(pct(0.99).Microseconds()), "p99-µs")
				b.ReportMetric(float64(found)/float64(len(lat)), "itineraries/op")
				b.ReportMetric(float64(flights), "flights")
			})
		}
	}
}

// BenchmarkSearchInMemory measures the uncached search core on schedules
// too big to seed into SQLite quickly (SKYFLY_BENCH_SCALES, default
// "1,10"; "100" for the 100× figure): the network is installed directly
// with every cabin at full capacity, which is all a search reads. It
// reports the heap the network and its seat counters take.
func BenchmarkSearchInMemory(b *testing.B) {
	scales := os.Getenv("SKYFLY_BENCH_SCALES")
	if scales == "" {
		scales = "1,10"
	}
	for _, raw := range strings.Split(scales, ",") {
		scale, err := strconv.Atoi(strings.TrimSpace(raw))
		require.NoError(b, err)
		b.Run(fmt.Sprintf("scale=%d", scale), func(b *testing.B) {
			now := func() time.Time { return benchStart.Add(-time.Hour) }
			svc := flight.NewService(slog.New(slog.DiscardHandler), nil, now, flight.NewMemoryCache(0, time.Minute, nil), flight.Config{})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			n, err := seeddata.Generate(benchStart, 60, scale)
			require.NoError(b, err)
			require.NoError(b, svc.InstallSchedule(n.Airports, n.Flights))
			flights := len(n.Flights)
			n = seeddata.Network{}
			runtime.GC()
			runtime.ReadMemStats(&after)
			qs := parseQueries(b, seeddata.SearchQueries(benchStart, 2000, 1))
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				t := time.Now()
				_, err := svc.Search(ctx, qs[i%len(qs)])
				lat = append(lat, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
			b.ReportMetric(float64(pct(0.50).Microseconds()), "p50-µs")
			b.ReportMetric(float64(pct(0.99).Microseconds()), "p99-µs")
			b.ReportMetric(float64(flights), "flights")
			b.ReportMetric(float64(after.HeapInuse-min(after.HeapInuse, before.HeapInuse))/(1<<20), "network-heap-MB")
			runtime.KeepAlive(svc)
		})
	}
}
