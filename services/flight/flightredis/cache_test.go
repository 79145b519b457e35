package flightredis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/services/flight/flightredis"
)

func newCache(t *testing.T, ttl time.Duration) *flightredis.Cache {
	t.Helper()
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	require.NoError(t, err)
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return flightredis.New(rdb, nil, ttl, "skyfly:test:"+hex.EncodeToString(b)+":")
}

// day is the departure date of the cached itineraries: a December day, so
// New York is on EST (-05:00) in the offset asserted below.
var day = testdate.Winter(1)

// fid is the id of the flight number departing on day.
func fid(number string) string { return number + "-" + testdate.Compact(day) }

func itinerary(id string) []flight.Itinerary {
	ny, _ := time.LoadLocation("America/New_York")
	return []flight.Itinerary{{ID: id, Stops: 0, Duration: 7 * time.Hour,
		Segments: []flight.Segment{{FlightID: id, FlightNumber: "SF1", Origin: "JFK", Destination: "LHR", Departure: time.Date(day.Year(), day.Month(), day.Day(), 18, 30, 0, 0, ny)}},
		Fares:    []flight.FareOption{{FareID: "Y-M", Cabin: flight.CabinEconomy, BookingClass: "M", Family: flight.FamilyStandard, Price: money.New(45990, "EUR"), SeatsLeft: 9}}}}
}

func TestRedisCache_InvalidatesByTag(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, time.Minute)
	jfkLHR, jfkCDG := "JFK|LHR|"+testdate.ISO(day), "JFK|CDG|"+testdate.ISO(day)
	c.Put(ctx, "q1", itinerary(fid("SF1")), []string{jfkLHR})
	c.Put(ctx, "q2", itinerary(fid("SF2")), []string{jfkLHR, jfkCDG})
	got, tags, ok := c.Get(ctx, "q1")
	require.True(t, ok)
	require.Equal(t, []string{jfkLHR}, tags, "a page comes back with its tags (a near tier needs them)")
	require.Equal(t, testdate.ISO(day)+"T18:30:00-05:00", got[0].Segments[0].Departure.Format(time.RFC3339), "local offset survives the round trip")
	require.Equal(t, money.New(45990, "EUR"), got[0].Fares[0].Price)

	c.Invalidate(ctx, []string{jfkCDG})
	_, _, ok = c.Get(ctx, "q2")
	require.False(t, ok, "a page with an invalidated tag is dropped")
	_, _, ok = c.Get(ctx, "q1")
	require.True(t, ok, "other results stay")
}

func TestRedisCache_ExpiresAfterTTL(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, time.Second)
	c.Put(ctx, "q", itinerary(fid("SF1")), []string{"JFK|LHR|" + testdate.ISO(day)})
	_, _, ok := c.Get(ctx, "q")
	require.True(t, ok)
	require.Eventually(t, func() bool { _, _, ok := c.Get(ctx, "q"); return !ok }, 5*time.Second, 100*time.Millisecond)
}
