package customer

import (
	"context"
	"fmt"
	"time"
)

// Rate allows Max events per Per, as a burst of Max that refills evenly.
type Rate struct {
	Max int
	Per time.Duration
}

// Limiter is a rate limiter over the Store using the generic cell rate
// algorithm: one timestamp per key, written as numbered versions so that a
// compare-and-swap decides concurrent writers; it is exact across processes
// without locks.
type Limiter struct {
	store Store
	now   func() time.Time
}

// NewLimiter returns a limiter keeping its state in store.
func NewLimiter(store Store, now func() time.Time) *Limiter {
	return &Limiter{store: store, now: now}
}

// Limit is one rate applied to one key.
type Limit struct {
	Name string // names the limit in RateLimitError
	Key  string
	Rate Rate
}

// AllowAll takes one event under every limit, or none when any refuses: it
// first checks them all, so a refusal by one does not use up the others.
func (l *Limiter) AllowAll(ctx context.Context, limits ...Limit) error {
	for _, x := range limits {
		if err := l.check(ctx, x.Name, x.Key, x.Rate); err != nil {
			return err
		}
	}
	for _, x := range limits {
		if err := l.Allow(ctx, x.Name, x.Key, x.Rate); err != nil {
			return err
		}
	}
	return nil
}

// check reports what Allow would answer without taking an event.
func (l *Limiter) check(ctx context.Context, name, key string, r Rate) error {
	if r.Max <= 0 || r.Per <= 0 {
		return nil
	}
	interval := r.Per / time.Duration(r.Max)
	burst := r.Per - interval
	now := l.now().UnixNano()
	tat, _, err := l.store.LimiterState(ctx, key)
	if err != nil {
		return fmt.Errorf("rate limit %s: %w", key, err)
	}
	if start := max(tat, now); start-now > int64(burst) {
		return &RateLimitError{Limit: name, RetryAfter: time.Duration(start - now - int64(burst))}
	}
	return nil
}

// Allow takes one event for key under rate r. It returns nil when allowed and
// a *RateLimitError (matching ErrRateLimited) with the wait otherwise; name
// names the limit in that error. A zero rate allows everything.
func (l *Limiter) Allow(ctx context.Context, name, key string, r Rate) error {
	if r.Max <= 0 || r.Per <= 0 {
		return nil
	}
	interval := r.Per / time.Duration(r.Max)
	burst := r.Per - interval // how far ahead of now the arrival time may run
	for range 16 {
		now := l.now().UnixNano()
		tat, version, err := l.store.LimiterState(ctx, key)
		if err != nil {
			return fmt.Errorf("rate limit %s: %w", key, err)
		}
		start := max(tat, now)
		if start-now > int64(burst) {
			return &RateLimitError{Limit: name, RetryAfter: time.Duration(start - now - int64(burst))}
		}
		next := start + int64(interval)
		ok, err := l.store.SwapLimiterState(ctx, key, version, next, time.Unix(0, next).Add(r.Per))
		if err != nil {
			return fmt.Errorf("rate limit %s: %w", key, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("rate limit %s: too much contention", key)
}
