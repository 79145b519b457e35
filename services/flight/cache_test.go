package flight_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/flight"
)

func TestMemoryCache_LRUTTLAndInvalidation(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: utc("2026-12-01T00:00:00Z")}
	cache := flight.NewMemoryCache(2, time.Minute, c.Now)
	its := []flight.Itinerary{{ID: "x"}}
	cache.Put(ctx, "a", its, []string{"F1"})
	cache.Put(ctx, "b", its, []string{"F2"})
	_, ok := cache.Get(ctx, "a") // a is now most recently used
	require.True(t, ok)
	cache.Put(ctx, "c", its, []string{"F1", "F3"})
	_, ok = cache.Get(ctx, "b")
	require.False(t, ok, "the least recently used entry is evicted")
	require.Equal(t, 2, cache.Len())

	cache.InvalidateFlights(ctx, []string{"F3"})
	_, ok = cache.Get(ctx, "c")
	require.False(t, ok, "invalidated by its flight")
	_, ok = cache.Get(ctx, "a")
	require.True(t, ok)

	c.Advance(time.Minute)
	_, ok = cache.Get(ctx, "a")
	require.False(t, ok, "expired after the TTL")
	require.Equal(t, 0, cache.Len())
}
