package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/eventbus"
	"github.com/skyfly/skyfly/internal/platform/observability"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/policy"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/temporal/codec"
)

// deps is what the wiring of every domain receives. Fields may be nil where
// noted.
type deps struct {
	cfg      *config.Config
	log      *slog.Logger
	now      func() time.Time
	secrets  secrets.Provider
	codec    *codec.Codec  // the process's payload codec (nil in tests that run no workflows)
	temporal client.Client // nil for commands that run no workflows (migrate, seed)
	verifier *authn.Verifier
	redis    *redis.Client // nil when SKYFLY_REDIS_URL is empty
	metrics  prometheus.Registerer
	refusals *observability.LoginRefusals // logs and counts refused logins
	bus      *eventbus.Publisher          // nil when no Kafka is configured: events wait in the outbox
	policy   *policy.Engine               // the process's one authorization policy (decision log, metric)
}

// domain is one wired service: its HTTP API, its Temporal workers and its
// health checks. `skyfly service <name>` runs one; `skyfly dev` runs all.
type domain struct {
	name string
	// handler serves the domain's /api/v1/... routes.
	handler http.Handler
	// workers maps a task queue to the function registering its activities
	// (and, for booking-saga, workflows).
	workers map[string]func(worker.Registry)
	// checks are health checks by dependency name (e.g. "flight-db").
	checks map[string]func(context.Context) error
	// background jobs (sweepers) run until ctx ends.
	background []func(ctx context.Context) error
	// seed inserts the domain's demo data idempotently (nil: nothing to
	// seed). `skyfly dev` calls it at start, `skyfly seed` for every domain.
	// It returns lines to print (e.g. demo logins).
	seed func(ctx context.Context) ([]string, error)
	// close releases the domain's resources.
	close func() error
}

// wireFunc builds a domain.
type wireFunc func(ctx context.Context, d deps) (*domain, error)

// migrateFunc applies a domain's migrations to its database.
type migrateFunc func(ctx context.Context, d deps) error

// domains lists SkyFly's five domains in start order (auth first: others
// verify its tokens).
func domains() []struct {
	name    string
	wire    wireFunc
	migrate migrateFunc
} {
	return []struct {
		name    string
		wire    wireFunc
		migrate migrateFunc
	}{
		{"auth", wireAuth, migrateAuth},
		{"flight", wireFlight, migrateFlight},
		{"booking", wireBooking, migrateBooking},
		{"customer", wireCustomer, migrateCustomer},
		{"payment", wirePayment, migratePayment},
	}
}

// withRelay returns jobs plus the relay publishing a domain's outbox to the
// bus. Without a bus the events wait in the outbox until one is configured;
// nothing is lost.
func (d deps) withRelay(domainName string, db *sqldb.DB, jobs ...func(ctx context.Context) error) []func(ctx context.Context) error {
	if d.bus == nil {
		d.log.Warn("no SKYFLY_KAFKA_BROKERS: domain events wait in the outbox", "domain", domainName)
		return jobs
	}
	if !d.cfg.OutboxRelay {
		d.log.Warn("SKYFLY_OUTBOX_RELAY=false: domain events wait in the outbox", "domain", domainName)
		return jobs
	}
	r := outbox.NewRelay(outbox.RelayConfig{Log: d.log.With("component", "outbox-relay", "domain", domainName), Store: outbox.NewStore(db),
		Publisher: d.bus, Domain: domainName, Metrics: d.metrics})
	return append(jobs, r.Run)
}

// consumer returns the job running one idempotent consumer group on the
// bus, or nil without a bus (the events wait in their outboxes).
func (d deps) consumer(group string, topics []string, handle eventbus.Handler) (func(ctx context.Context) error, error) {
	if d.bus == nil {
		return nil, nil
	}
	c, err := eventbus.NewConsumer(eventbus.ConsumerConfig{Log: d.log.With("component", "consumer", "group", group),
		Brokers: eventbus.ParseBrokers(d.cfg.KafkaBrokers), Group: group, Topics: topics, Handler: handle})
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", group, err)
	}
	return c.Run, nil
}

// envelopeHandler decodes each delivery's event envelope and applies it. A
// record that is not a known envelope, or whose apply fails in a way
// permanent (when not nil) calls permanent, is logged and skipped: retrying
// cannot help and it must not stop its partition. Other errors are returned,
// so the consumer retries the record before committing anything after it.
func envelopeHandler(log *slog.Logger, name string, apply func(context.Context, outbox.Event) error, permanent func(error) bool) eventbus.Handler {
	return func(ctx context.Context, m eventbus.Delivery) error {
		e, err := m.Event()
		if err == nil && e.Version != outbox.SchemaVersion {
			err = fmt.Errorf("event version %d, want %d", e.Version, outbox.SchemaVersion)
		}
		if err == nil {
			if err = apply(ctx, e); err != nil && (permanent == nil || !permanent(err)) {
				return fmt.Errorf("%s: event %s: %w", name, e.ID, err)
			}
		}
		if err != nil {
			log.Warn(name+": event skipped", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "event_id", m.EventID, "err", err)
		}
		return nil
	}
}
