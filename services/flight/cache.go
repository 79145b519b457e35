package flight

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// SearchCache keeps search result pages by query-and-page key, with tags:
// the route-and-dates (Network.CacheTags) of every flight of the query's
// full result (not only the page's), so that an inventory change on any
// of them drops the page. Cached slices are shared: callers must not
// modify them.
type SearchCache interface {
	// Get returns a live page and its tags.
	Get(ctx context.Context, key string) (its []Itinerary, tags []string, ok bool)
	Put(ctx context.Context, key string, its []Itinerary, tags []string)
	// Invalidate drops every page with one of the tags.
	Invalidate(ctx context.Context, tags []string)
}

// MemoryCache is an in-process LRU SearchCache with a TTL.
type MemoryCache struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	now     func() time.Time
	order   *list.List // front = most recently used
	entries map[string]*list.Element
	byTag   map[string]map[string]struct{}
}

type memEntry struct {
	key     string
	its     []Itinerary
	tags    []string
	expires time.Time
}

// NewMemoryCache returns an LRU of at most max results, each kept for ttl.
func NewMemoryCache(max int, ttl time.Duration, now func() time.Time) *MemoryCache {
	if now == nil {
		now = time.Now
	}
	return &MemoryCache{max: max, ttl: ttl, now: now, order: list.New(), entries: map[string]*list.Element{}, byTag: map[string]map[string]struct{}{}}
}

// Get returns a live result and its tags.
func (c *MemoryCache) Get(_ context.Context, key string) ([]Itinerary, []string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, nil, false
	}
	e := el.Value.(*memEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		return nil, nil, false
	}
	c.order.MoveToFront(el)
	return e.its, e.tags, true
}

// Put stores a result, evicting the least recently used beyond max.
func (c *MemoryCache) Put(_ context.Context, key string, its []Itinerary, tags []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
	e := &memEntry{key: key, its: its, tags: tags, expires: c.now().Add(c.ttl)}
	c.entries[key] = c.order.PushFront(e)
	for _, t := range tags {
		set, ok := c.byTag[t]
		if !ok {
			set = map[string]struct{}{}
			c.byTag[t] = set
		}
		set[key] = struct{}{}
	}
	for c.order.Len() > c.max {
		c.remove(c.order.Back())
	}
}

// Invalidate drops the results with any of the tags.
func (c *MemoryCache) Invalidate(_ context.Context, tags []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range tags {
		for key := range c.byTag[t] {
			if el, ok := c.entries[key]; ok {
				c.remove(el)
			}
		}
		delete(c.byTag, t)
	}
}

// Len is the number of cached results.
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *MemoryCache) remove(el *list.Element) {
	e := el.Value.(*memEntry)
	c.order.Remove(el)
	delete(c.entries, e.key)
	for _, t := range e.tags {
		if set, ok := c.byTag[t]; ok {
			delete(set, e.key)
			if len(set) == 0 {
				delete(c.byTag, t)
			}
		}
	}
}

// TieredCache puts a small, short-lived in-process cache in front of a
// shared one (Redis): repeated searches are answered from memory, a miss
// falls back to the shared cache. Invalidation drops both tiers here; other
// processes' first tiers catch up within their TTL (keep it short: a few
// seconds, like Config.AvailabilityTTL).
type TieredCache struct {
	near *MemoryCache
	far  SearchCache
}

var _ SearchCache = (*TieredCache)(nil)

// NewTieredCache returns near in front of far.
func NewTieredCache(near *MemoryCache, far SearchCache) *TieredCache {
	return &TieredCache{near: near, far: far}
}

// Get tries the near tier, then the far one (filling the near one with
// the far page's tags).
func (c *TieredCache) Get(ctx context.Context, key string) ([]Itinerary, []string, bool) {
	if its, tags, ok := c.near.Get(ctx, key); ok {
		return its, tags, true
	}
	its, tags, ok := c.far.Get(ctx, key)
	if ok {
		c.near.Put(ctx, key, its, tags)
	}
	return its, tags, ok
}

// Put stores in both tiers.
func (c *TieredCache) Put(ctx context.Context, key string, its []Itinerary, tags []string) {
	c.near.Put(ctx, key, its, tags)
	c.far.Put(ctx, key, its, tags)
}

// Invalidate drops from both tiers.
func (c *TieredCache) Invalidate(ctx context.Context, tags []string) {
	c.near.Invalidate(ctx, tags)
	c.far.Invalidate(ctx, tags)
}
