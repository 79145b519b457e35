package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// Message is one record as the bus takes it: keyed by aggregate id, with
// the event id and type as headers so consumers can deduplicate before
// decoding.
type Message struct {
	Topic   string
	Key     string
	Value   []byte
	EventID string
	Type    string
}

// Publisher delivers messages to the bus, in order, returning only once the
// bus has acknowledged every one (or an error, when any may be lost).
type Publisher interface {
	Publish(ctx context.Context, msgs []Message) error
}

// RelayConfig configures a Relay. Zero values take the defaults noted.
type RelayConfig struct {
	Log        *slog.Logger
	Store      *Store
	Publisher  Publisher
	Domain     string                // names the lease and the metrics
	Now        func() time.Time      // time.Now
	Batch      int                   // records per publication, 200
	Poll       time.Duration         // idle poll interval, 200 ms
	MaxBackoff time.Duration         // longest wait after a failure, 10 s
	Lease      time.Duration         // lease length, 15 s
	Metrics    prometheus.Registerer // optional
}

// Relay copies a domain's unsent outbox records to the bus and marks them
// sent. It holds the domain's lease while it works, so exactly one relay of
// a database publishes at a time.
type Relay struct {
	cfg   RelayConfig
	owner string
	wake  chan struct{}

	published atomic.Int64
	failures  atomic.Int64

	mPublished prometheus.Counter
	mFailures  prometheus.Counter
}

// Pacing is how a relay loop waits. Zero values take the defaults noted.
type Pacing struct {
	Batch      int           // records per publication, 200
	Poll       time.Duration // idle poll interval, 200 ms
	MaxBackoff time.Duration // longest wait after a failure, 10 s
	Lease      time.Duration // lease length, 15 s
}

// WithDefaults returns p with its zero values set to the defaults.
func (p Pacing) WithDefaults() Pacing {
	if p.Batch <= 0 {
		p.Batch = 200
	}
	if p.Poll <= 0 {
		p.Poll = 200 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 10 * time.Second
	}
	if p.Lease <= 0 {
		p.Lease = 15 * time.Second
	}
	return p
}

// RelayCounters are a relay's metrics: events published and failed
// publications, labelled with the domain. Both are nil without a registry.
func RelayCounters(reg prometheus.Registerer, domain string) (published, failures prometheus.Counter) {
	if reg == nil {
		return nil, nil
	}
	labels := prometheus.Labels{"domain": domain}
	published = prometheus.NewCounter(prometheus.CounterOpts{Name: "skyfly_outbox_published_total",
		Help: "Outbox events the relay published to the bus.", ConstLabels: labels})
	failures = prometheus.NewCounter(prometheus.CounterOpts{Name: "skyfly_outbox_publish_failures_total",
		Help: "Failed publications of outbox batches (retried with backoff).", ConstLabels: labels})
	reg.MustRegister(published, failures)
	return published, failures
}

// RunLoop calls once until ctx ends: again at once after a full batch,
// after p.Poll (or a wake) when idle, and after a jittered, doubling backoff
// up to p.MaxBackoff when it failed (calling failed, when not nil). It
// returns nil when ctx ends.
func RunLoop(ctx context.Context, log *slog.Logger, domain string, p Pacing, wake <-chan struct{}, failed func(),
	once func(context.Context) (int, error)) error {
	backoff := time.Duration(0)
	for {
		n, err := once(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := p.Poll
		switch {
		case err != nil:
			if failed != nil {
				failed()
			}
			backoff = min(max(2*backoff, 100*time.Millisecond), p.MaxBackoff)
			wait = backoff/2 + rand.N(backoff/2+1)
			log.Warn("outbox relay: publish failed, retrying", "domain", domain, "retry_in", wait, "err", err)
		case n == p.Batch:
			backoff, wait = 0, 0 // more waiting
		default:
			backoff = 0
		}
		if wait == 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// NewRelay returns a relay; Run starts it.
func NewRelay(cfg RelayConfig) *Relay {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := Pacing{Batch: cfg.Batch, Poll: cfg.Poll, MaxBackoff: cfg.MaxBackoff, Lease: cfg.Lease}.WithDefaults()
	cfg.Batch, cfg.Poll, cfg.MaxBackoff, cfg.Lease = p.Batch, p.Poll, p.MaxBackoff, p.Lease
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	r := &Relay{cfg: cfg, owner: uuid.NewString(), wake: make(chan struct{}, 1)}
	r.mPublished, r.mFailures = RelayCounters(cfg.Metrics, cfg.Domain)
	return r
}

// Notify wakes the relay at once (a store calls it after a commit); it
// never blocks.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Published is how many events this relay has published.
func (r *Relay) Published() int64 { return r.published.Load() }

// Run publishes until ctx ends, backing off with jitter after failures.
func (r *Relay) Run(ctx context.Context) error {
	p := Pacing{Batch: r.cfg.Batch, Poll: r.cfg.Poll, MaxBackoff: r.cfg.MaxBackoff, Lease: r.cfg.Lease}
	return RunLoop(ctx, r.cfg.Log, r.cfg.Domain, p, r.wake, func() {
		r.failures.Add(1)
		if r.mFailures != nil {
			r.mFailures.Inc()
		}
	}, r.RunOnce)
}

// RunOnce publishes one batch when this relay holds the lease and returns
// how many records it published.
func (r *Relay) RunOnce(ctx context.Context) (int, error) {
	ok, err := r.cfg.Store.Acquire(ctx, "relay:"+r.cfg.Domain, r.owner, r.cfg.Now(), r.cfg.Lease)
	if err != nil || !ok {
		return 0, err
	}
	recs, err := r.cfg.Store.Pending(ctx, r.cfg.Batch)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	msgs := make([]Message, len(recs))
	seqs := make([]int64, len(recs))
	for i, rec := range recs {
		e, err := rec.Event()
		if err != nil {
			return 0, err
		}
		msgs[i] = Message{Topic: rec.Topic, Key: rec.Key, Value: rec.Payload, EventID: e.ID, Type: rec.Type}
		seqs[i] = rec.Seq
	}
	if err := r.cfg.Publisher.Publish(ctx, msgs); err != nil {
		if aerr := r.cfg.Store.MarkAttempt(context.WithoutCancel(ctx), seqs); aerr != nil {
			r.cfg.Log.Warn("outbox relay: count attempt", "err", aerr)
		}
		return 0, fmt.Errorf("outbox relay %s: publish %d events: %w", r.cfg.Domain, len(msgs), err)
	}
	// Published: a crash before this line gives duplicates, never a loss.
	if err := r.cfg.Store.MarkSent(context.WithoutCancel(ctx), seqs, r.cfg.Now()); err != nil {
		return 0, err
	}
	r.published.Add(int64(len(recs)))
	if r.mPublished != nil {
		r.mPublished.Add(float64(len(recs)))
	}
	return len(recs), nil
}
