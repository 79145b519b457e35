// Package flightredis is the flight domain's shared search cache on Redis:
// results are stored under a hash of the query and indexed by flight in
// tag sets, so a hold on a flight, in any process, drops every cached result
// showing it.
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

func (c *Cache) resultKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return c.prefix + "search:" + hex.EncodeToString(h[:16])
}

func (c *Cache) tagKey(flightID string) string { return c.prefix + "tag:" + flightID }

// Get returns a cached result.
func (c *Cache) Get(ctx context.Context, key string) ([]flight.Itinerary, bool) {
	b, err := c.rdb.Get(ctx, c.resultKey(key)).Bytes()
	if err != nil {
		if err != redis.Nil {
			c.log.WarnContext(ctx, "search cache get failed", "err", err)
		}
		return nil, false
	}
	var its []flight.Itinerary
	if err := json.Unmarshal(b, &its); err != nil {
		c.log.WarnContext(ctx, "search cache entry unreadable", "err", err)
		return nil, false
	}
	return its, true
}

// Put stores a result and tags it with its flights.
func (c *Cache) Put(ctx context.Context, key string, its []flight.Itinerary, flightIDs []string) {
	b, err := json.Marshal(its)
	if err != nil {
		c.log.WarnContext(ctx, "search cache encode failed", "err", err)
		return
	}
	rk := c.resultKey(key)
	_, err = c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, rk, b, c.ttl)
		for _, id := range flightIDs {
			p.SAdd(ctx, c.tagKey(id), rk)
			p.Expire(ctx, c.tagKey(id), 2*c.ttl)
		}
		return nil
	})
	if err != nil {
		c.log.WarnContext(ctx, "search cache put failed", "err", err)
	}
}

// InvalidateFlights drops every result tagged with one of the flights.
func (c *Cache) InvalidateFlights(ctx context.Context, flightIDs []string) {
	cmds := make([]*redis.StringSliceCmd, len(flightIDs))
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range flightIDs {
			cmds[i] = p.SMembers(ctx, c.tagKey(id))
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
		keys = append(keys, c.tagKey(flightIDs[i]))
	}
	if err := c.rdb.Del(ctx, keys...).Err(); err != nil {
		c.log.WarnContext(ctx, "search cache invalidate failed", "err", err)
	}
}
