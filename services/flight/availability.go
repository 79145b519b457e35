package flight

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// availabilityCache keeps recently read seat counters so that a search that
// misses the result cache reads only the flights it has not seen lately.
// Entries are dropped when this process changes a flight's inventory and
// expire after a short TTL (changes made by other replicas show up then).
type availabilityCache struct {
	mu      sync.RWMutex
	ttl     time.Duration
	entries map[string]availabilityEntry
}

type availabilityEntry struct {
	cabins []CabinAvailability
	read   time.Time
}

func newAvailabilityCache(ttl time.Duration) *availabilityCache {
	return &availabilityCache{ttl: ttl, entries: map[string]availabilityEntry{}}
}

// get returns the counters of ids, reading the missing or stale ones with
// read in one call. What it read is kept only when changes did not move
// meanwhile (an inventory change may have raced the read).
func (c *availabilityCache) get(ctx context.Context, now time.Time, ids []string, read func(context.Context, []string) (map[string][]CabinAvailability, error), changes *atomic.Uint64) (map[string][]CabinAvailability, error) {
	out := make(map[string][]CabinAvailability, len(ids))
	var missing []string
	c.mu.RLock()
	for _, id := range ids {
		if e, ok := c.entries[id]; ok && now.Sub(e.read) < c.ttl {
			out[id] = e.cabins
		} else {
			missing = append(missing, id)
		}
	}
	c.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}
	before := changes.Load()
	got, err := read(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, id := range missing {
		out[id] = got[id]
	}
	if changes.Load() != before {
		return out, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > 500_000 { // bound memory: start over
		c.entries = map[string]availabilityEntry{}
	}
	for _, id := range missing {
		c.entries[id] = availabilityEntry{cabins: got[id], read: now}
	}
	return out, nil
}

func (c *availabilityCache) invalidate(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.entries, id)
	}
}
