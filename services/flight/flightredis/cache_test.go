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

func itinerary(id string) []flight.Itinerary {
	ny, _ := time.LoadLocation("America/New_York")
	return []flight.Itinerary{{ID: id, Stops: 0, Duration: 7 * time.Hour,
		Segments: []flight.Segment{{FlightID: id, FlightNumber: "SF1", Origin: "JFK", Destination: "LHR", Departure: time.Date(2026, 12, 1, 18, 30, 0, 0, ny)}},
		Fares:    []flight.FareOption{{FareID: "Y-M", Cabin: flight.CabinEconomy, BookingClass: "M", Family: flight.FamilyStandard, Price: money.New(45990, "EUR"), SeatsLeft: 9}}}}
}

func TestRedisCache_InvalidatesByFlight(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, time.Minute)
	c.Put(ctx, "q1", itinerary("SF1-20261201"), []string{"SF1-20261201"})
	c.Put(ctx, "q2", itinerary("SF2-20261201"), []string{"SF2-20261201", "SF3-20261201"})
	got, ok := c.Get(ctx, "q1")
	require.True(t, ok)
	require.Equal(t, "2026-12-01T18:30:00-05:00", got[0].Segments[0].Departure.Format(time.RFC3339), "local offset survives the round trip")
	require.Equal(t, money.New(45990, "EUR"), got[0].Fares[0].Price)

	c.InvalidateFlights(ctx, []string{"SF3-20261201"})
	_, ok = c.Get(ctx, "q2")
	require.False(t, ok, "a result showing an invalidated flight is dropped")
	_, ok = c.Get(ctx, "q1")
	require.True(t, ok, "other results stay")
}

func TestRedisCache_ExpiresAfterTTL(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, time.Second)
	c.Put(ctx, "q", itinerary("SF1-20261201"), []string{"SF1-20261201"})
	_, ok := c.Get(ctx, "q")
	require.True(t, ok)
	require.Eventually(t, func() bool { _, ok := c.Get(ctx, "q"); return !ok }, 5*time.Second, 100*time.Millisecond)
}
