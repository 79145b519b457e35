package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/api/paymentapi"
	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymentgorm"
	"github.com/skyfly/skyfly/services/payment/sandbox"
	"github.com/skyfly/skyfly/temporal/queues"
)

// Payment background intervals: pending booking signals are retried every
// signalRetryEvery; the sandbox completes delayed authorizations and delivers
// its webhooks every sandboxEvery.
const (
	signalRetryEvery = 2 * time.Second
	sandboxEvery     = 500 * time.Millisecond
)

// wirePayment builds the payment domain: its API, its activity worker on
// task queue "payment", the sandbox provider and the background jobs that
// deliver webhooks and retry booking signals.
func wirePayment(ctx context.Context, d deps) (*domain, error) {
	if d.verifier == nil {
		return nil, errors.New("payment: a token verifier is required")
	}
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: d.cfg.PaymentDSN, Logger: d.log})
	if err != nil {
		return nil, fmt.Errorf("payment db: %w", err)
	}
	log := d.log.With("domain", "payment")
	store := paymentgorm.New(db)
	public := strings.TrimSuffix(d.cfg.PublicURL, "/")
	if !d.cfg.Dev && !d.cfg.PaymentSandbox {
		_ = db.Close()
		return nil, errors.New("payment: no payment provider is configured outside dev mode; set SKYFLY_PAYMENT_SANDBOX=true to run the sandbox (it moves no real money)")
	}
	if !d.cfg.Dev {
		log.Warn("the sandbox payment provider is enabled outside dev mode; it moves no real money")
	}
	sb, err := sandbox.New(sandbox.Config{
		Store: store, Secrets: d.secrets, Log: log.With("provider", sandbox.Name), Now: d.now,
		WebhookURL:   public + "/api/v1/payments/webhooks/provider",
		ChallengeURL: public + "/api/v1/payments/sandbox/challenge/",
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	var signaler payment.Signaler
	if d.temporal != nil {
		signaler = paymentact.NewSignaler(d.temporal)
	}
	svc, err := payment.NewService(payment.Config{
		Log: log, Store: store, Providers: map[string]payment.Provider{sandbox.Name: sb},
		Secrets: d.secrets, Signaler: signaler, Now: d.now,
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	rec, err := sqlAudit(ctx, d, db, "payment")
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	handler, err := paymentapi.NewHandler(paymentapi.Config{
		Log: log, Service: svc, Verifier: d.verifier, Policy: d.policy, Idempotency: idempotency.NewGormStore(db), Sandbox: sb, Now: d.now,
		Audit: rec,
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	acts := paymentact.New(svc, log)
	return &domain{
		name:    "payment",
		handler: handler,
		workers: map[string]func(worker.Registry){
			queues.Payment: func(r worker.Registry) {
				r.RegisterActivity(acts)
				r.RegisterActivity(paymentact.NewPrivacy(svc))
			},
		},
		checks: map[string]func(context.Context) error{"payment-db": db.Ping},
		background: d.withRelay("payment", db,
			func(ctx context.Context) error { return svc.RunSignalRetrier(ctx, signalRetryEvery) },
			func(ctx context.Context) error { return sb.Run(ctx, sandboxEvery) },
		),
		close: db.Close,
	}, nil
}

// migratePayment applies the payment domain's migrations (payment tables,
// sandbox tables and the idempotency-key table).
func migratePayment(ctx context.Context, d deps) error {
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: d.cfg.PaymentDSN, Logger: d.log})
	if err != nil {
		return fmt.Errorf("payment db: %w", err)
	}
	defer db.Close()
	if err := paymentgorm.Migrate(ctx, db); err != nil {
		return err
	}
	if err := audit.Migrate(ctx, db); err != nil {
		return err
	}
	return idempotency.Migrate(ctx, db)
}
