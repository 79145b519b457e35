package main

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/worker"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/api/bookingapi"
	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/booking/bookinggorm"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workers"
)

// wireBooking builds the booking domain: its API, the saga workflows on
// task queue booking-saga (with booking's own database steps as local
// activities) and the booking activities on task queue booking.
func wireBooking(ctx context.Context, d deps) (*domain, error) {
	if d.verifier == nil {
		return nil, errors.New("booking: a token verifier is required")
	}
	if d.temporal == nil {
		return nil, errors.New("booking: a Temporal client is required (the sagas run there)")
	}
	log := d.log.With("domain", "booking")
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: d.cfg.BookingDSN, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("booking db: %w", err)
	}
	store := bookinggorm.New(db)
	svc := booking.NewService(log, store, d.now, booking.Options{})
	privacy := bookingact.NewPrivacy(booking.NewPrivacy(store, store, d.now))
	acts := bookingact.New(log, svc)
	rec, err := sqlAudit(ctx, d, db, "booking")
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	handler := bookingapi.NewRouter(bookingapi.Config{
		Log: log, Service: svc, Temporal: d.temporal, Verifier: d.verifier, Policy: d.policy, Idempotency: idempotency.NewGormStore(db),
		HoldTTL: d.cfg.HoldTTL, StaffHoldTTL: d.cfg.StaffHoldTTL, Audit: rec,
	})
	return &domain{
		name:       "booking",
		background: d.withRelay("booking", db),
		handler:    handler,
		workers: map[string]func(worker.Registry){
			queues.BookingSaga: func(r worker.Registry) {
				workers.RegisterBookingSaga(r, acts)
				workers.RegisterCompliance(r)
			},
			queues.Booking: func(r worker.Registry) {
				workers.RegisterBooking(r, acts)
				r.RegisterActivity(privacy)
			},
		},
		checks: map[string]func(context.Context) error{"booking-db": db.Ping},
		close:  db.Close,
	}, nil
}

// migrateBooking applies the booking domain's migrations (booking tables
// and the idempotency-key table).
func migrateBooking(ctx context.Context, d deps) error {
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: d.cfg.BookingDSN, Logger: d.log})
	if err != nil {
		return fmt.Errorf("booking db: %w", err)
	}
	defer db.Close()
	if err := bookinggorm.Migrate(ctx, db); err != nil {
		return err
	}
	if err := audit.Migrate(ctx, db); err != nil {
		return err
	}
	return idempotency.Migrate(ctx, db)
}
