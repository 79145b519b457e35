package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/api/customerapi"
	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/eventbus"
	"github.com/skyfly/skyfly/internal/platform/mongodb"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
	"github.com/skyfly/skyfly/services/customer/customermongo"
	"github.com/skyfly/skyfly/temporal/queues"
)

// Secrets naming the customer domain's channel providers (in Vault or the
// local keyring). Email: host, port, username, password, from, tls
// (mandatory|opportunistic|none). SMS and push: url, token.
const (
	secretSMTP = "customer-smtp"
	secretSMS  = "customer-sms"
	secretPush = "customer-push"
)

// customerSweepEvery is how often expired rate-limit, token, idempotency and
// verification documents are removed where the server has no TTL indexes
// (FerretDB).
const customerSweepEvery = time.Minute

// connectCustomer connects to the customer MongoDB, starting an embedded
// FerretDB when no URI is configured (`skyfly service customer` and
// `skyfly migrate customer` on a laptop; `skyfly dev` starts its own first).
func connectCustomer(ctx context.Context, d deps) (*mongodb.Client, func(), error) {
	dsn, stop := d.cfg.CustomerDSN, func() {}
	if dsn == "" {
		fe, err := startEmbeddedCustomerDB(ctx, d.cfg, d.log)
		if err != nil {
			return nil, nil, fmt.Errorf("customer db: %w", err)
		}
		dsn, stop = fe.URI()+"skyfly", fe.Stop
	}
	c, err := mongodb.Connect(ctx, mongodb.Config{DSN: dsn, WriteConcern: d.cfg.MongoWriteConcern})
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("customer db: %w", err)
	}
	return c, func() {
		_ = c.Close(context.Background())
		stop()
	}, nil
}

// wireCustomer builds the customer domain: its API, its activity worker on
// task queue "customer", the notification channels, the relay of its
// outbox to skyfly.customer.v1, its consumer of booking events and, where the database has no TTL indexes,
// the sweeper of expired documents.
func wireCustomer(ctx context.Context, d deps) (*domain, error) {
	if d.verifier == nil {
		return nil, errors.New("customer: a token verifier is required")
	}
	log := d.log.With("domain", "customer")
	client, closeDB, err := connectCustomer(ctx, d)
	if err != nil {
		return nil, err
	}
	ttl, err := customermongo.EnsureIndexes(ctx, client.DB)
	if err != nil {
		closeDB()
		return nil, err
	}
	store := customermongo.New(client.DB)
	templates, err := customer.NewTemplates(customer.Catalog())
	if err != nil {
		closeDB()
		return nil, fmt.Errorf("customer templates: %w", err)
	}
	var devOutbox *customerchannel.Outbox
	if d.cfg.Dev {
		devOutbox = customerchannel.NewOutbox(500, d.now)
	}
	senders, err := customerSenders(ctx, d, log, devOutbox)
	if err != nil {
		closeDB()
		return nil, err
	}
	notifier := customer.NewNotifier(customer.NotifierConfig{
		Log: log, Store: store, Templates: templates, Senders: senders, Limits: customer.DefaultLimits(), Now: d.now,
	})
	svc := customer.NewService(log, store, notifier, d.secrets, customer.DefaultVerificationPolicy(), d.now)
	privacy := customer.NewPrivacy(store, store, d.secrets, d.now)
	handler := customerapi.NewRouter(customerapi.Config{
		Log: log, Service: svc, Notifier: notifier, Verifier: d.verifier, Policy: d.policy, Outbox: devOutbox, Now: d.now,
		Privacy: privacy, Temporal: d.temporal, ExportTTL: d.cfg.ExportTTL, ErasureCoolingOff: d.cfg.ErasureCoolingOff,
		Idempotency: customermongo.NewIdempotencyStore(client.DB, d.now), Audit: mongoAudit(d, client.DB, "customer"),
	})
	acts := customeract.New(log, svc, notifier)
	dom := &domain{
		name:    "customer",
		handler: handler,
		workers: map[string]func(worker.Registry){
			queues.Customer: func(r worker.Registry) {
				r.RegisterActivity(acts)
				r.RegisterActivity(customeract.NewPrivacy(privacy))
			},
		},
		checks: map[string]func(context.Context) error{"customer-db": store.Ping},
		close: func() error {
			closeDB()
			return nil
		},
	}
	bookingNotices := customer.NewBookingEventNotifier(log, store, notifier, d.now)
	notices, err := d.consumer(customer.BookingEventsConsumer, []string{outbox.Topic("booking")}, bookingNoticesHandler(log, bookingNotices))
	if err != nil {
		closeDB()
		return nil, err
	}
	refunds, err := d.consumer(customer.PaymentEventsConsumer, []string{outbox.Topic("payment")},
		paymentNoticesHandler(log, customer.NewPaymentEventNotifier(bookingNotices)))
	if err != nil {
		closeDB()
		return nil, err
	}
	for _, run := range []func(context.Context) error{notices, refunds} {
		if run != nil {
			dom.background = append(dom.background, run)
		}
	}
	switch {
	case d.bus != nil && !d.cfg.OutboxRelay:
		log.Warn("SKYFLY_OUTBOX_RELAY=false: domain events wait in the outbox")
	case d.bus != nil:
		relay := customermongo.NewRelay(customermongo.RelayConfig{Log: log.With("component", "outbox-relay"), DB: client.DB,
			Publisher: d.bus, Now: d.now, Metrics: d.metrics})
		dom.background = append(dom.background, relay.Run)
	default:
		log.Warn("no SKYFLY_KAFKA_BROKERS: domain events wait in the outbox")
	}
	if !ttl {
		dom.background = append(dom.background, func(ctx context.Context) error {
			t := time.NewTicker(customerSweepEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-t.C:
					if n, err := customermongo.Sweep(ctx, client.DB, d.now()); err != nil {
						log.WarnContext(ctx, "sweep of expired customer documents failed", "err", err)
					} else if n > 0 {
						log.DebugContext(ctx, "swept expired customer documents", "count", n)
					}
				}
			}
		})
	}
	return dom, nil
}

// bookingNoticesHandler tells customers about the booking events no saga
// notifies (the customer domain's consumer group on skyfly.booking.v1).
func bookingNoticesHandler(log *slog.Logger, n *customer.BookingEventNotifier) eventbus.Handler {
	return noticesHandler(log, "booking notices", customer.Reads, n.Apply)
}

// paymentNoticesHandler tells customers about the refunds no saga tells them
// about (the customer domain's consumer group on skyfly.payment.v1).
func paymentNoticesHandler(log *slog.Logger, n *customer.PaymentEventNotifier) eventbus.Handler {
	return noticesHandler(log, "payment notices", customer.NotifiesPayment, n.Apply)
}

// noticesHandler applies each event whose type reads accepts (others are
// skipped without decoding) once: its messages' dedupe keys are the event
// id, and the customer store records the event after them; a malformed
// event is skipped.
func noticesHandler(log *slog.Logger, what string, reads func(eventType string) bool,
	apply func(ctx context.Context, eventID, eventType string, data json.RawMessage) (bool, error)) eventbus.Handler {
	handle := envelopeHandler(log, what, func(ctx context.Context, e outbox.Event) error {
		_, err := apply(ctx, e.ID, e.Type, e.Data)
		return err
	}, func(err error) bool { return errors.Is(err, customer.ErrInvalid) })
	return func(ctx context.Context, m eventbus.Delivery) error {
		if m.Type != "" && !reads(m.Type) {
			return nil // most events: no need to decode them
		}
		return handle(ctx, m)
	}
}

// customerSenders picks each channel's adapter: the development outbox in
// dev mode, else the provider configured in the secrets; a channel without
// one answers channel_unavailable.
func customerSenders(ctx context.Context, d deps, log *slog.Logger, outbox *customerchannel.Outbox) (map[customer.Channel]customer.Sender, error) {
	senders := map[customer.Channel]customer.Sender{}
	if outbox != nil {
		for _, ch := range customer.Channels() {
			senders[ch] = outbox
		}
		log.Info("customer notifications go to the development outbox (GET /api/v1/dev/outbox)")
		return senders, nil
	}
	secret := func(name string) (map[string]string, bool, error) {
		if d.secrets == nil {
			return nil, false, nil
		}
		s, err := d.secrets.Secret(ctx, name)
		if errors.Is(err, secrets.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("customer: secret %s: %w", name, err)
		}
		return s, true, nil
	}
	if s, ok, err := secret(secretSMTP); err != nil {
		return nil, err
	} else if ok {
		port := 0
		if s["port"] != "" {
			if port, err = strconv.Atoi(s["port"]); err != nil {
				return nil, fmt.Errorf("customer: secret %s: port %q: %w", secretSMTP, s["port"], err)
			}
		}
		smtp, err := customerchannel.NewSMTP(customerchannel.SMTPConfig{
			Host: s["host"], Port: port, Username: s["username"], Password: s["password"], From: s["from"], TLS: s["tls"],
		})
		if err != nil {
			return nil, fmt.Errorf("customer: secret %s: %w", secretSMTP, err)
		}
		senders[customer.ChannelEmail] = smtp
	}
	for _, p := range []struct {
		ch     customer.Channel
		secret string
		make   func(customerchannel.HTTPConfig) (*customerchannel.HTTPProvider, error)
	}{
		{customer.ChannelSMS, secretSMS, customerchannel.NewSMSProvider},
		{customer.ChannelPush, secretPush, customerchannel.NewPushProvider},
	} {
		s, ok, err := secret(p.secret)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		sender, err := p.make(customerchannel.HTTPConfig{URL: s["url"], Token: s["token"]})
		if err != nil {
			return nil, fmt.Errorf("customer: secret %s: %w", p.secret, err)
		}
		senders[p.ch] = sender
	}
	for _, ch := range customer.Channels() {
		if senders[ch] == nil {
			log.Warn("customer notification channel is not configured; sends on it answer channel_unavailable", "channel", ch)
		}
	}
	return senders, nil
}

// migrateCustomer creates the customer database's indexes (MongoDB has no
// schema; its "migration" is idempotent index creation).
func migrateCustomer(ctx context.Context, d deps) error {
	client, closeDB, err := connectCustomer(ctx, d)
	if err != nil {
		return err
	}
	defer closeDB()
	if _, err := customermongo.EnsureIndexes(ctx, client.DB); err != nil {
		return err
	}
	return audit.EnsureMongoIndexes(ctx, client.DB)
}
