// Package paymenttest builds real payment services for tests: a migrated
// payment database (SQLite, or PostgreSQL when configured), a real keyring,
// the sandbox provider and a manual clock.
package paymenttest

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymentgorm"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

// Dialects returns a fresh-database constructor per dialect the payment store
// is tested on: SQLite always, PostgreSQL when configured (always in CI).
func Dialects(t *testing.T) map[string]func(t testing.TB) string {
	return testenv.SQLDSNs(t, "sqlite", "postgres")
}

// OpenDB opens and migrates a payment database (payment and idempotency
// schemas) at dsn, closed at cleanup.
func OpenDB(t testing.TB, dsn string) *sqldb.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, paymentgorm.Migrate(ctx, db))
	require.NoError(t, idempotency.Migrate(ctx, db))
	return db
}

// Clock is a manual clock, safe for concurrent use.
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

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Signaler records delivered booking events and fails while Fail is set.
type Signaler struct {
	mu        sync.Mutex
	fail      error
	delivered []payment.BookingEvent
}

// SetFail makes every delivery fail with err (nil: succeed).
func (s *Signaler) SetFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// SignalBooking implements payment.Signaler.
func (s *Signaler) SignalBooking(_ context.Context, ev payment.BookingEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.delivered = append(s.delivered, ev)
	return nil
}

// Delivered returns the events delivered so far.
func (s *Signaler) Delivered() []payment.BookingEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]payment.BookingEvent(nil), s.delivered...)
}

// Env is a wired payment domain over a real database.
type Env struct {
	DB       *sqldb.DB
	Store    *paymentgorm.Store
	Keys     *secrets.Keyring
	Clock    *Clock
	Signaler *Signaler
	Sandbox  *sandbox.Provider
	Service  *payment.Service
}

// Options adjust New.
type Options struct {
	// WebhookURL is where the sandbox posts webhooks.
	WebhookURL string
	// ChallengeURL prefixes the 3-D Secure page URL.
	ChallengeURL string
	Faults       sandbox.Faults
	Rand         func() float64
	Log          *slog.Logger
	// Signaler replaces the recording Signaler (for example with the
	// Temporal one); Env.Signaler then records nothing.
	Signaler payment.Signaler
}

// New wires a payment service on a fresh database at dsn.
func New(t testing.TB, dsn string, opts Options) *Env {
	t.Helper()
	db := OpenDB(t, dsn)
	keys, err := secrets.NewKeyring(filepath.Join(t.TempDir(), "keyring.json"), time.Now)
	require.NoError(t, err)
	_, err = keys.Current(context.Background(), secrets.KeyWebhookSecret)
	require.NoError(t, err)
	clock := NewClock(time.Now().UTC().Truncate(time.Second))
	store := paymentgorm.New(db)
	if opts.ChallengeURL == "" {
		opts.ChallengeURL = "http://skyfly.test/api/v1/payments/sandbox/challenge/"
	}
	sb, err := sandbox.New(sandbox.Config{Store: store, Secrets: keys, Log: opts.Log, WebhookURL: opts.WebhookURL, ChallengeURL: opts.ChallengeURL,
		ProcessingDelay: 2 * time.Second, Faults: opts.Faults, Now: clock.Now, Rand: opts.Rand})
	require.NoError(t, err)
	sig := &Signaler{}
	var signaler payment.Signaler = sig
	if opts.Signaler != nil {
		signaler = opts.Signaler
	}
	svc, err := payment.NewService(payment.Config{Log: opts.Log, Store: store, Providers: map[string]payment.Provider{sandbox.Name: sb},
		Secrets: keys, Signaler: signaler, Now: clock.Now, OperationWait: 10 * time.Second})
	require.NoError(t, err)
	return &Env{DB: db, Store: store, Keys: keys, Clock: clock, Signaler: sig, Sandbox: sb, Service: svc}
}
