package gateway

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limit is a token bucket: Rate tokens per second, up to Burst.
type Limit struct {
	Rate  float64
	Burst int
}

// Limiter decides whether one more request for key fits its limit.
type Limiter interface {
	// Allow takes one token for key; when none is left it returns false and
	// how long until one is.
	Allow(ctx context.Context, key string, l Limit) (ok bool, retryAfter time.Duration, err error)
}

// MemoryLimiter is an in-process token bucket per key.
type MemoryLimiter struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewMemoryLimiter returns an in-process limiter; now defaults to time.Now.
func NewMemoryLimiter(now func() time.Time) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	return &MemoryLimiter{now: now, buckets: map[string]*bucket{}}
}

// Allow implements Limiter.
func (m *MemoryLimiter) Allow(_ context.Context, key string, l Limit) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.sweep) > time.Minute {
		m.evictIdle(now)
	}
	b, ok := m.buckets[key]
	if !ok {
		b = &bucket{tokens: float64(l.Burst), last: now}
		m.buckets[key] = b
	}
	elapsed := now.Sub(b.last).Seconds()
	if elapsed > 0 {
		b.tokens = math.Min(float64(l.Burst), b.tokens+elapsed*l.Rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	wait := time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
	return false, wait, nil
}

// evictIdle drops buckets that have refilled completely (they equal a new one).
func (m *MemoryLimiter) evictIdle(now time.Time) {
	for k, b := range m.buckets {
		if now.Sub(b.last) > 10*time.Minute {
			delete(m.buckets, k)
		}
	}
	m.sweep = now
}

// RedisLimiter keeps the buckets in Redis so every gateway replica shares them.
type RedisLimiter struct {
	rdb    *redis.Client
	prefix string
	now    func() time.Time
	script *redis.Script
}

// tokenBucket atomically refills and takes one token. KEYS[1] bucket key;
// ARGV: rate/s, burst, now (µs). Returns {allowed, retry-after µs}.
const tokenBucket = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil then tokens = burst; ts = now end
local elapsed = math.max(0, now - ts) / 1000000
tokens = math.min(burst, tokens + elapsed * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate * 1000000)
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, wait}
`

// NewRedisLimiter returns a limiter on rdb with keys under prefix.
func NewRedisLimiter(rdb *redis.Client, prefix string, now func() time.Time) *RedisLimiter {
	if now == nil {
		now = time.Now
	}
	return &RedisLimiter{rdb: rdb, prefix: prefix, now: now, script: redis.NewScript(tokenBucket)}
}

// Allow implements Limiter.
func (r *RedisLimiter) Allow(ctx context.Context, key string, l Limit) (bool, time.Duration, error) {
	res, err := r.script.Run(ctx, r.rdb, []string{r.prefix + key}, l.Rate, l.Burst, r.now().UnixMicro()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("gateway: redis rate limit %s: %w", key, err)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, nil
}
