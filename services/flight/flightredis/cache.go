// Package flightredis is the flight domain's shared search cache on Redis:
// result pages are stored under a hash of the query and indexed by their
// tags (routes and days, flight.Network.CacheTags) in tag sets, so a hold
// on a flight, in any process, drops every cached page built from its
// route and day.
package flightredis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/skyfly/skyfly/services/flight"
)

// Cache implements flight.SearchCache on Redis. Redis failures degrade to
// cache misses (logged), never to failed searches.
type Cache struct {
	rdb    redis.UniversalClient
	log    *slog.Logger
	ttl    time.Duration
	prefix string
}

var _ flight.SearchCache = (*Cache)(nil)

// New returns a cache keeping results for ttl under keys starting with
// prefix (e.g. "skyfly:flight:").
func New(rdb redis.UniversalClient, log *slog.Logger, ttl time.Duration, prefix string) *Cache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cache{rdb: rdb, log: log, ttl: ttl, prefix: prefix}
}

// Keys are versioned ("search2:", "tag2:"): entries are pages with their
// tags, tagged by route and day; the first version's (bare pages tagged
// by flight id) are never read and expire.
func (c *Cache) resultKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return c.prefix + "search2:" + hex.EncodeToString(h[:16])
}

func (c *Cache) tagKey(tag string) string { return c.prefix + "tag2:" + tag }

// entry is a stored page with its tags, which a near tier filled from
// this one needs.
type entry struct {
	Itineraries []flight.Itinerary `json:"its"`
	Tags        []string           `json:"tags"`
}

// Get returns a cached page and its tags.
func (c *Cache) Get(ctx context.Context, key string) ([]flight.Itinerary, []string, bool) {
	b, err := c.rdb.Get(ctx, c.resultKey(key)).Bytes()
	if err != nil {
		if err != redis.Nil {
			c.log.WarnContext(ctx, "search cache get failed", "err", err)
		}
		return nil, nil, false
	}
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		c.log.WarnContext(ctx, "search cache entry unreadable", "err", err)
		return nil, nil, false
	}
	return e.Itineraries, e.Tags, true
}

// Put stores a page and indexes it by its tags.
func (c *Cache) Put(ctx context.Context, key string, its []flight.Itinerary, tags []string) {
	b, err := json.Marshal(entry{Itineraries: its, Tags: tags})
	if err != nil {
		c.log.WarnContext(ctx, "search cache encode failed", "err", err)
		return
	}
	rk := c.resultKey(key)
	_, err = c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, rk, b, c.ttl)
		for _, t := range tags {
			p.SAdd(ctx, c.tagKey(t), rk)
			p.Expire(ctx, c.tagKey(t), 2*c.ttl)
		}
		return nil
	})
	if err != nil {
		c.log.WarnContext(ctx, "search cache put failed", "err", err)
	}
}

// Invalidate drops every page with one of the tags.
func (c *Cache) Invalidate(ctx context.Context, tags []string) {
	if len(tags) == 0 {
		return
	}
	cmds := make([]*redis.StringSliceCmd, len(tags))
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, t := range tags {
			cmds[i] = p.SMembers(ctx, c.tagKey(t))
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		c.log.WarnContext(ctx, "search cache invalidate failed", "err", err)
		return
	}
	var keys []string
	for i, cmd := range cmds {
		keys = append(keys, cmd.Val()...)
		keys = append(keys, c.tagKey(tags[i]))
	}
	if err := c.rdb.Del(ctx, keys...).Err(); err != nil {
		c.log.WarnContext(ctx, "search cache invalidate failed", "err", err)
	}
}
