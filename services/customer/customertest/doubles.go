package customertest

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// Clock is a manual clock for tests.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Secrets is an in-memory secrets.Provider for tests.
type Secrets struct {
	mu   sync.Mutex
	keys map[string][]secrets.Key // oldest first
}

var _ secrets.Provider = (*Secrets)(nil)

// NewSecrets returns an empty provider.
func NewSecrets() *Secrets { return &Secrets{keys: map[string][]secrets.Key{}} }

// Current implements secrets.Provider.
func (s *Secrets) Current(ctx context.Context, name string) (secrets.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys[name]) == 0 {
		return s.rotateLocked(name)
	}
	ks := s.keys[name]
	return ks[len(ks)-1], nil
}

// Version implements secrets.Provider.
func (s *Secrets) Version(ctx context.Context, name string, version int) (secrets.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys[name] {
		if k.Version == version {
			return k, nil
		}
	}
	return secrets.Key{}, fmt.Errorf("key %s/v%d: %w", name, version, secrets.ErrNotFound)
}

// Versions implements secrets.Provider.
func (s *Secrets) Versions(ctx context.Context, name string) ([]secrets.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ks := s.keys[name]
	out := make([]secrets.Key, 0, len(ks))
	for i := len(ks) - 1; i >= 0; i-- {
		out = append(out, ks[i])
	}
	return out, nil
}

// Rotate implements secrets.Provider.
func (s *Secrets) Rotate(ctx context.Context, name string) (secrets.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rotateLocked(name)
}

func (s *Secrets) rotateLocked(name string) (secrets.Key, error) {
	m := make([]byte, 32)
	if _, err := rand.Read(m); err != nil {
		return secrets.Key{}, err
	}
	k := secrets.Key{Name: name, Version: len(s.keys[name]) + 1, Material: m, CreatedAt: time.Now()}
	s.keys[name] = append(s.keys[name], k)
	return k, nil
}

// Destroy implements secrets.Provider.
func (s *Secrets) Destroy(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, name)
	return nil
}

// Secret implements secrets.Provider.
func (s *Secrets) Secret(ctx context.Context, name string) (map[string]string, error) {
	return nil, fmt.Errorf("secret %s: %w", name, secrets.ErrNotFound)
}
