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

// check refuses an attempt while any key is in its delay; otherwise it
// returns the failure counts it saw per key.
func (t throttle) check(ctx context.Context, k throttleKeys, now time.Time) (map[string]int, error) {
	rows, err := t.store.Throttles(ctx, k.all())
	if err != nil {
		return nil, fmt.Errorf("throttle check: %w", err)
	}
	seen := map[string]int{}
	var wait time.Duration
	for _, r := range rows {
		if now.Sub(r.LastFailureAt) > t.policy.Window {
			continue
		}
		seen[r.Key] = r.Failures
		if until := r.LastFailureAt.Add(t.policy.delay(k, r)); until.After(now) && until.Sub(now) > wait {
			wait = until.Sub(now)
		}
	}
	if wait > 0 {
		return nil, &ThrottledError{RetryAfter: wait}
	}
	return seen, nil
}

// begin admits an attempt or refuses it with a *ThrottledError. An admitted
// attempt is counted as a failure before the secret is checked, so a burst
// of concurrent guesses cannot all slip past the delays: each sees the ones
// in flight. succeed takes the count back when the attempt turns out right.
func (t throttle) begin(ctx context.Context, k throttleKeys, now time.Time) error {
	seen, err := t.check(ctx, k, now)
	if err != nil {
		return err
	}
	var wait time.Duration
	recorded := make([]string, 0, 3)
	for _, key := range k.all() {
		th, err := t.store.RecordFailure(ctx, key, now, t.policy.Window)
		if err != nil {
			return fmt.Errorf("throttle record %s: %w", key, err)
		}
		recorded = append(recorded, key)
		// Failures recorded between the check and now belong to concurrent
		// attempts; if they already earn a delay, this attempt waits too.
		prior := th
		prior.Failures--
		if prior.Failures > seen[key] {
			if d := t.policy.delay(k, prior); d > wait {
				wait = d
			}
		}
	}
	if wait > 0 { // concurrent attempts got there first: refuse and uncount this one
		for _, key := range recorded {
			if err := t.store.ForgiveFailure(ctx, key); err != nil {
				return fmt.Errorf("throttle forgive %s: %w", key, err)
			}
		}
		return &ThrottledError{RetryAfter: wait}
	}
	return nil
}

// succeed clears the pair and the account counters and takes back the IP
// count of this attempt (one success must not launder an IP that sprays
// many accounts, nor may successes from a shared IP add up to a lockout).
func (t throttle) succeed(ctx context.Context, k throttleKeys) error {
	for _, key := range []string{k.pair, k.account} {
		if err := t.store.ResetThrottle(ctx, key); err != nil {
			return fmt.Errorf("throttle reset %s: %w", key, err)
		}
	}
	if err := t.store.ForgiveFailure(ctx, k.ip); err != nil {
		return fmt.Errorf("throttle forgive %s: %w", k.ip, err)
	}
	return nil
}
