package seeddata_test

import (
	"context"
	"log/slog"
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

// start is the first day of the generated schedule, tomorrow.
var start = testdate.Day(1)

func TestGenerate_RealisticAndDeterministic(t *testing.T) {
	n, err := seeddata.Generate(start, 60, 1)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(n.Airports), 40)
	continents := map[string]bool{}
	for _, a := range n.Airports {
		continents[strings.Split(a.Zone, "/")[0]] = true
	}
	require.GreaterOrEqual(t, len(continents), 5, "got zones %v", continents)

	again, err := seeddata.Generate(start.Add(15*time.Hour), 60, 1)
	require.NoError(t, err)
	require.Equal(t, n.Flights, again.Flights, "the same start date gives the same schedule")

	seen := map[string]bool{}
	var jfkLHR []flight.Flight
	for _, f := range n.Flights {
		require.False(t, seen[f.ID], "duplicate id %s", f.ID)
		seen[f.ID] = true
		require.True(t, f.ArrivalUTC.After(f.DepartureUTC))
		if f.Origin == "JFK" && f.Destination == "LHR" {
			jfkLHR = append(jfkLHR, f)
		}
	}
	require.NotEmpty(t, jfkLHR)
	for _, f := range jfkLHR {
		require.InDelta(t, 6.75, f.Duration().Hours(), 0.75, "JFK-LHR block time %v", f.Duration())
		require.Equal(t, "77W", f.Aircraft, "a trunk route between hubs flies the 777")
	}
	days := map[string]bool{}
	ny, _ := time.LoadLocation("America/New_York")
	for _, f := range jfkLHR {
		days[f.DepartureUTC.In(ny).Format(time.DateOnly)] = true
		require.True(t, strings.HasSuffix(f.ID, f.DepartureUTC.In(ny).Format("20060102")), "id %s carries the local date", f.ID)
	}
	require.Len(t, days, 60, "a flight every day for 60 days")
}

// TestSeed_SQLiteIsFastAndIdempotent seeds the 60-day demo network into a
// fresh SQLite file, then again, and searches it as a new user would.
func TestSeed_SQLiteIsFastAndIdempotent(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, flightgorm.Migrate(ctx, db))
	now := func() time.Time { return start.Add(-24 * time.Hour) }
	svc := flight.NewService(slog.New(slog.DiscardHandler), flightgorm.New(db), now, nil, flight.Config{})
	n, err := seeddata.Generate(start, 60, 1)
	require.NoError(t, err)
	res, err := svc.Seed(ctx, n.Airports, n.Flights)
	require.NoError(t, err)
	require.Equal(t, len(n.Flights), res.Inserted)
	t.Logf("seeded %d airports and %d flights into SQLite in %v", len(n.Airports), res.Inserted, res.Took)
	res, err = svc.Seed(ctx, n.Airports, n.Flights)
	require.NoError(t, err)
	require.Equal(t, 0, res.Inserted, "seeding twice inserts nothing")
	t.Logf("re-seed (nothing missing) took %v", res.Took)

	direct, err := svc.Search(ctx, flight.SearchQuery{Origin: "JFK", Destination: "LHR", Date: testdate.ISO(start.AddDate(0, 0, 9)), Passengers: flight.Passengers{Adults: 1}, MaxStops: -1})
	require.NoError(t, err)
	require.NotEmpty(t, direct.Itineraries)
	require.Equal(t, 0, direct.Itineraries[0].Stops)

	connect, err := svc.Search(ctx, flight.SearchQuery{Origin: "BOS", Destination: "DEL", Date: testdate.ISO(start.AddDate(0, 0, 9)), Passengers: flight.Passengers{Adults: 1}, MaxStops: -1})
	require.NoError(t, err)
	require.NotEmpty(t, connect.Itineraries, "BOS-DEL connects at a hub")
	for _, it := range connect.Itineraries {
		require.Equal(t, 1, it.Stops)
		gap := it.Segments[1].Departure.Sub(it.Segments[0].Arrival)
		require.GreaterOrEqual(t, gap, flight.MCTInternational)
	}
}
