package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/api/flightapi"
	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/eventbus"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/services/flight/flightgorm"
	"github.com/skyfly/skyfly/services/flight/flightredis"
	"github.com/skyfly/skyfly/services/flight/seeddata"
	"github.com/skyfly/skyfly/temporal/queues"
)

// Flight demo schedule and cache settings.
const (
	flightSeedDays       = 60
	flightSearchCacheTTL = 30 * time.Second
	flightNearCacheTTL   = 5 * time.Second // = flight.Config.AvailabilityTTL's default
)

// wireFlight builds the flight domain: its API, its activity worker on task
// queue "flight", the hold sweeper, the schedule reloader and the demo
// network seed.
func wireFlight(ctx context.Context, d deps) (*domain, error) {
	if d.verifier == nil {
		return nil, errors.New("flight: a token verifier is required")
	}
	log := d.log.With("domain", "flight")
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: d.cfg.FlightDSN, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("flight db: %w", err)
	}
	var cache flight.SearchCache // nil: in-process LRU
	if d.redis != nil {
		// shared across replicas, with an in-process tier in front that is
		// no staler than the seat counters a replica reuses anyway
		cache = flight.NewTieredCache(flight.NewMemoryCache(4096, flightNearCacheTTL, d.now),
			flightredis.New(d.redis, log, flightSearchCacheTTL, "skyfly:flight:"))
	}
	svc := flight.NewService(log, flightgorm.New(db), d.now, cache, flight.Config{
		QuoteTTL: d.cfg.QuoteTTL, HoldTTL: d.cfg.HoldTTL, MaxHoldTTL: d.cfg.StaffHoldTTL, SearchCacheTTL: flightSearchCacheTTL,
	})
	if err := svc.Reload(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	rec, err := sqlAudit(ctx, d, db, "flight")
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	handler := flightapi.NewRouter(flightapi.Config{
		Log: log, Service: svc, Verifier: d.verifier, Policy: d.policy, Idempotency: idempotency.NewGormStore(db),
		HoldTTL: d.cfg.HoldTTL, StaffHoldTTL: d.cfg.StaffHoldTTL, Temporal: d.temporal, Audit: rec,
	})
	acts := flightact.New(svc)
	background := d.withRelay("flight", db, svc.RunSweeper, svc.RunReloader)
	sales, err := d.consumer(flight.SalesConsumer, []string{outbox.Topic("booking")}, routeSalesHandler(log, svc))
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if sales != nil {
		background = append(background, sales)
	}
	return &domain{
		name:    "flight",
		handler: handler,
		workers: map[string]func(worker.Registry){
			queues.Flight: func(r worker.Registry) { r.RegisterActivity(acts) },
		},
		checks:     map[string]func(context.Context) error{"flight-db": db.Ping},
		background: background,
		seed: func(ctx context.Context) ([]string, error) {
			start := d.now().UTC()
			n, err := seeddata.Generate(start, flightSeedDays, max(1, int(d.cfg.SeedScale)))
			if err != nil {
				return nil, err
			}
			res, err := svc.Seed(ctx, n.Airports, n.Flights)
			if err != nil {
				return nil, err
			}
			return []string{fmt.Sprintf("flights: %d airports, %d daily flights for %d days from %s (%d new) in %v",
				res.Airports, len(n.Flights)/flightSeedDays, flightSeedDays, start.Format(time.DateOnly), res.Inserted, res.Took.Round(time.Millisecond))}, nil
		},
		close: db.Close,
	}, nil
}

// migrateFlight applies the flight domain's migrations (flight tables and
// the idempotency-key table).
func migrateFlight(ctx context.Context, d deps) error {
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: d.cfg.FlightDSN, Logger: d.log})
	if err != nil {
		return fmt.Errorf("flight db: %w", err)
	}
	defer db.Close()
	if err := flightgorm.Migrate(ctx, db); err != nil {
		return err
	}
	if err := audit.Migrate(ctx, db); err != nil {
		return err
	}
	return idempotency.Migrate(ctx, db)
}

// routeSalesHandler applies booking events to the flight domain's route
// sales counters (the analytics consumer group). The store dedupes by event
// id, so a redelivery after a crash changes nothing; a record that is not a
// known event envelope is logged and skipped, since retrying it cannot help
// and it must not stop its partition.
func routeSalesHandler(log *slog.Logger, svc *flight.Service) eventbus.Handler {
	return envelopeHandler(log, "route sales", func(ctx context.Context, e outbox.Event) error {
		_, err := svc.RecordSale(ctx, e.ID, e.Type, e.Data)
		return err
	}, nil)
}
