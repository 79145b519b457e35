package authapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/services/auth"
)

// RedisKeyPrefix prefixes revoked session ids in Redis.
const RedisKeyPrefix = "skyfly:revoked:"

// RevocationChecker is an authn.Revocations that may need a background
// loop: Run blocks until ctx ends (immediately returning nil when nothing
// runs in the background).
type RevocationChecker interface {
	authn.Revocations
	Run(ctx context.Context) error
}

// RevocationCheckerConfig selects the mode: Redis when Redis is set,
// otherwise polling URL.
type RevocationCheckerConfig struct {
	Redis *redis.Client
	// URL of GET /api/v1/auth/internal/revocations (polling mode).
	URL string
	// Token returns a bearer token with role service (polling mode).
	Token func(ctx context.Context) (string, error)
	// HTTPClient defaults to a client with a 5 s timeout.
	HTTPClient *http.Client
	// Interval between polls (2 s).
	Interval time.Duration
	// MaxStaleness: when the last successful poll is older, Revoked fails
	// (closed) instead of trusting an old list (1 m).
	MaxStaleness time.Duration
	Log          *slog.Logger
	Now          func() time.Time
}

// NewRevocationChecker returns the gateway's revocation check (ACCEPTANCE A4).
func NewRevocationChecker(cfg RevocationCheckerConfig) (RevocationChecker, error) {
	if cfg.Redis != nil {
		return NewRedisRevocations(cfg.Redis), nil
	}
	return NewPollingRevocations(cfg)
}

// RedisRevocations keeps revoked sessions in Redis: the auth service sets
// skyfly:revoked:<sid> for the access-token lifetime (it implements
// auth.RevocationNotifier) and verifiers GET it.
type RedisRevocations struct {
	client *redis.Client
}

var (
	_ RevocationChecker       = (*RedisRevocations)(nil)
	_ auth.RevocationNotifier = (*RedisRevocations)(nil)
)

// NewRedisRevocations returns the Redis mode.
func NewRedisRevocations(client *redis.Client) *RedisRevocations {
	return &RedisRevocations{client: client}
}

// Revoked implements authn.Revocations.
func (r *RedisRevocations) Revoked(ctx context.Context, sessionID string) (bool, error) {
	n, err := r.client.Exists(ctx, RedisKeyPrefix+sessionID).Result()
	if err != nil {
		return false, fmt.Errorf("revocation check %s: %w", sessionID, err)
	}
	return n > 0, nil
}

// SessionsRevoked implements auth.RevocationNotifier.
func (r *RedisRevocations) SessionsRevoked(ctx context.Context, ids []string, ttl time.Duration) error {
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.Set(ctx, RedisKeyPrefix+id, "1", ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("publish %d revocations: %w", len(ids), err)
	}
	return nil
}

// Run implements RevocationChecker; Redis needs no background loop.
func (r *RedisRevocations) Run(context.Context) error { return nil }

// ErrRevocationsStale is returned while the polled list is too old to trust.
var ErrRevocationsStale = errors.New("authapi: revocation list is stale")

// PollingRevocations polls the auth service's revocation list, remembers
// revoked sessions and forgets them once their access tokens have expired.
type PollingRevocations struct {
	cfg RevocationCheckerConfig

	mu      sync.Mutex
	revoked map[string]time.Time // session -> forget after
	since   int64
	lastOK  time.Time
}

// NewPollingRevocations returns the polling mode; call Run (or Poll).
func NewPollingRevocations(cfg RevocationCheckerConfig) (*PollingRevocations, error) {
	if cfg.URL == "" || cfg.Token == nil {
		return nil, errors.New("authapi: polling revocations need a URL and a token source")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 2 * time.Second
	}
	if cfg.MaxStaleness <= 0 {
		cfg.MaxStaleness = time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &PollingRevocations{cfg: cfg, revoked: map[string]time.Time{}}, nil
}

// Revoked implements authn.Revocations.
func (p *PollingRevocations) Revoked(_ context.Context, sessionID string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.cfg.Now()
	if p.lastOK.IsZero() || now.Sub(p.lastOK) > p.cfg.MaxStaleness {
		return false, ErrRevocationsStale
	}
	until, ok := p.revoked[sessionID]
	return ok && now.Before(until), nil
}

// Run polls every Interval until ctx ends.
//
// Until the first poll succeeds every user token is refused (the list is
// stale), so while the auth service is still starting it retries every
// quarter second instead of waiting a whole interval.
func (p *PollingRevocations) Run(ctx context.Context) error {
	for {
		wait := p.cfg.Interval
		if err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			p.cfg.Log.WarnContext(ctx, "poll revocations", "err", err, "url", p.cfg.URL)
			if p.neverSucceeded() {
				wait = min(wait, 250*time.Millisecond)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

func (p *PollingRevocations) neverSucceeded() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastOK.IsZero()
}

// Poll fetches revocations since the last poll once.
func (p *PollingRevocations) Poll(ctx context.Context) error {
	p.mu.Lock()
	since := p.since
	p.mu.Unlock()
	u, err := url.Parse(p.cfg.URL)
	if err != nil {
		return fmt.Errorf("revocations url: %w", err)
	}
	q := u.Query()
	q.Set("since", strconv.FormatInt(since, 10))
	u.RawQuery = q.Encode()
	token, err := p.cfg.Token(ctx)
	if err != nil {
		return fmt.Errorf("revocations: service token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("revocations request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("revocations: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revocations: status %d", resp.StatusCode)
	}
	var body RevocationsResponse
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("revocations: decode: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.cfg.Now()
	for _, r := range body.Revocations {
		p.revoked[r.SessionID] = time.UnixMilli(r.ExpiresAt)
	}
	for id, until := range p.revoked {
		if !now.Before(until) {
			delete(p.revoked, id)
		}
	}
	// Overlap polls by a few seconds so a revocation committed while the
	// previous answer was being built is not missed.
	p.since = body.Now - 5000
	p.lastOK = now
	return nil
}
