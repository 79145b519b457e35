package flight_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/services/flight"
)

func TestMemoryCache_LRUTTLAndInvalidation(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: testdate.Today()}
	cache := flight.NewMemoryCache(2, time.Minute, c.Now)
	its := []flight.Itinerary{{ID: "x"}}
	cache.Put(ctx, "a", its, []string{"F1"})
	cache.Put(ctx, "b", its, []string{"F2"})
	_, _, ok := cache.Get(ctx, "a") // a is now most recently used
	require.True(t, ok)
	cache.Put(ctx, "c", its, []string{"F1", "F3"})
	_, _, ok = cache.Get(ctx, "b")
	require.False(t, ok, "the least recently used entry is evicted")
	require.Equal(t, 2, cache.Len())

	cache.Invalidate(ctx, []string{"F3"})
	_, _, ok = cache.Get(ctx, "c")
	require.False(t, ok, "invalidated by one of its tags")
	_, _, ok = cache.Get(ctx, "a")
	require.True(t, ok)

	c.Advance(time.Minute)
	_, _, ok = cache.Get(ctx, "a")
	require.False(t, ok, "expired after the TTL")
	require.Equal(t, 0, cache.Len())
}

func TestTieredCache_NearTierAnswersAndInvalidationReachesBoth(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: testdate.Today()}
	far := flight.NewMemoryCache(100, time.Hour, c.Now)
	near := flight.NewMemoryCache(100, time.Second, c.Now)
	tiered := flight.NewTieredCache(near, far)
	its := []flight.Itinerary{{ID: "F1", Segments: []flight.Segment{{FlightID: "F1"}}}}

	// Tagged with a route-day the page does not show (the full result's):
	// the near tier must keep the far page's tags, not its flights'.
	far.Put(ctx, "k", its, []string{"A|B|d1", "A|C|d1"}) // put by another process
	got, tags, ok := tiered.Get(ctx, "k")
	require.True(t, ok)
	require.Equal(t, its, got)
	require.Equal(t, []string{"A|B|d1", "A|C|d1"}, tags)
	require.Equal(t, 1, near.Len(), "a far hit fills the near tier")
	near.Invalidate(ctx, []string{"A|C|d1"})
	require.Equal(t, 0, near.Len(), "the near copy carries the far page's tags")

	_, _, ok = tiered.Get(ctx, "k")
	require.True(t, ok)
	tiered.Invalidate(ctx, []string{"A|B|d1"})
	_, _, ok = tiered.Get(ctx, "k")
	require.False(t, ok, "invalidation drops both tiers")

	tiered.Put(ctx, "k2", its, []string{"A|B|d1"})
	far.Invalidate(ctx, []string{"A|B|d1"}) // invalidated by another process
	_, _, ok = tiered.Get(ctx, "k2")
	require.True(t, ok, "the near tier may serve it until its TTL")
	c.Advance(time.Second)
	_, _, ok = tiered.Get(ctx, "k2")
	require.False(t, ok, "after the near TTL the far invalidation shows")
}
