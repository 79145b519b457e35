package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ThrottlePolicy sets the growing delays after failed password or OTP
// attempts (ACCEPTANCE M3). Failures count under three keys: the (account,
// IP) pair, the IP and the account. The pair and the IP are throttled hard,
// so one attacker is stopped; the account key, which anyone can hit from
// anywhere, only slows (its delay is capped low), so nobody can lock other
// users out in bulk.
type ThrottlePolicy struct {
	// Free failures before delays start, per key kind.
	PairFree, IPFree, AccountFree int
	// Base is the first delay; it doubles with every further failure.
	Base time.Duration
	// Max delay per key kind.
	PairMax, IPMax, AccountMax time.Duration
	// Window after which failures are forgotten.
	Window time.Duration
}

// DefaultThrottle is the production policy.
func DefaultThrottle() ThrottlePolicy {
	return ThrottlePolicy{
		PairFree: 3, IPFree: 20, AccountFree: 10,
		Base:    time.Second,
		PairMax: 15 * time.Minute, IPMax: 15 * time.Minute, AccountMax: 30 * time.Second,
		Window: 24 * time.Hour,
	}
}

// ThrottledError carries how long the caller must wait; it wraps
// ErrThrottled.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many failed attempts; retry in %s", e.RetryAfter.Round(time.Second))
}

// Unwrap makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

type throttleKeys struct{ pair, ip, account string }

func newThrottleKeys(scope, account, ip string) throttleKeys {
	account = strings.ToLower(strings.TrimSpace(account))
	return throttleKeys{
		pair:    scope + ":pair:" + account + "|" + ip,
		ip:      scope + ":ip:" + ip,
		account: scope + ":acct:" + account,
	}
}

func (k throttleKeys) all() []string { return []string{k.pair, k.ip, k.account} }

func (p ThrottlePolicy) delay(key throttleKeys, t Throttle) time.Duration {
	free, max := p.AccountFree, p.AccountMax
	switch t.Key {
	case key.pair:
		free, max = p.PairFree, p.PairMax
	case key.ip:
		free, max = p.IPFree, p.IPMax
	}
	if t.Failures <= free {
		return 0
	}
	n := t.Failures - free - 1
	if n > 30 {
		return max
	}
	d := p.Base << n
	if d > max || d <= 0 {
		d = max
	}
	return d
}

// throttle answers a *ThrottledError while any key of the attempt is in its
// delay.
type throttle struct {
	store  Store
	policy ThrottlePolicy
}

func (t throttle) check(ctx context.Context, k throttleKeys, now time.Time) error {
	rows, err := t.store.Throttles(ctx, k.all())
	if err != nil {
		return fmt.Errorf("throttle check: %w", err)
	}
	var wait time.Duration
	for _, r := range rows {
		if now.Sub(r.LastFailureAt) > t.policy.Window {
			continue
		}
		if until := r.LastFailureAt.Add(t.policy.delay(k, r)); until.After(now) && until.Sub(now) > wait {
			wait = until.Sub(now)
		}
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	return nil
}

func (t throttle) fail(ctx context.Context, k throttleKeys, now time.Time) error {
	for _, key := range k.all() {
		if _, err := t.store.RecordFailure(ctx, key, now, t.policy.Window); err != nil {
			return fmt.Errorf("throttle record %s: %w", key, err)
		}
	}
	return nil
}

// succeed clears the pair and the account counters; the IP counter stays
// (one success must not launder an IP that sprays many accounts).
func (t throttle) succeed(ctx context.Context, k throttleKeys) error {
	for _, key := range []string{k.pair, k.account} {
		if err := t.store.ResetThrottle(ctx, key); err != nil {
			return fmt.Errorf("throttle reset %s: %w", key, err)
		}
	}
	return nil
}
