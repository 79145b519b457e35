package authn

import (
	"crypto/sha256"
	"sync"
	"time"
)

// verifiedCache remembers tokens whose signature and claims verified, keyed
// by the token's SHA-256, until they expire. It is bounded: when full, an
// arbitrary entry is evicted (expired ones first).
type verifiedCache struct {
	max int

	mu      sync.Mutex
	entries map[[sha256.Size]byte]verified
}

type verified struct {
	p         Principal
	notBefore time.Time
}

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{max: max, entries: make(map[[sha256.Size]byte]verified)}
}

func (c *verifiedCache) get(raw string, now time.Time, leeway time.Duration) (Principal, bool) {
	k := sha256.Sum256([]byte(raw))
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if !ok || !now.Before(e.p.ExpiresAt.Add(leeway)) || now.Add(leeway).Before(e.notBefore) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *verifiedCache) put(raw string, p Principal, notBefore time.Time) {
	k := sha256.Sum256([]byte(raw))
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		now := time.Now()
		for key, e := range c.entries {
			if now.After(e.p.ExpiresAt) {
				delete(c.entries, key)
			}
		}
		for key := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, key)
		}
	}
	c.entries[k] = verified{p: p, notBefore: notBefore}
}
