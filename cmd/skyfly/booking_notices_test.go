package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/eventbus"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/mongodb"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
	"github.com/skyfly/skyfly/services/customer/customermongo"
	"github.com/skyfly/skyfly/services/payment"
)

// noticesFixture is the customer domain's event consumers as `skyfly dev`
// wires them, on the embedded Kafka and a real FerretDB, sending to the
// development outbox.
type noticesFixture struct {
	kf       *eventbus.Embedded
	pub      *eventbus.Publisher
	store    *customermongo.Store
	dev      *customerchannel.Outbox
	log      *slog.Logger
	now      time.Time
	bookings *customer.BookingEventNotifier
}

func newNoticesFixture(t *testing.T) noticesFixture {
	t.Helper()
	ctx := context.Background()
	kf, pub := embeddedBus(t)
	mc, err := mongodb.Connect(ctx, mongodb.Config{DSN: testenv.FerretDB(t, "sqlite"), WriteConcern: "majority"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = mc.Close(context.Background()) })
	_, err = customermongo.EnsureIndexes(ctx, mc.DB)
	require.NoError(t, err)
	store := customermongo.New(mc.DB)
	now := testdate.At(0, 12, 0)
	clock := func() time.Time { return now }
	log := slog.New(slog.DiscardHandler)
	templates, err := customer.NewTemplates(customer.Catalog())
	require.NoError(t, err)
	dev := customerchannel.NewOutbox(1000, clock)
	senders := map[customer.Channel]customer.Sender{}
	for _, ch := range customer.Channels() {
		senders[ch] = dev
	}
	notifier := customer.NewNotifier(customer.NotifierConfig{Log: log, Store: store, Templates: templates, Senders: senders,
		Limits: customer.DefaultLimits(), Now: clock})
	return noticesFixture{kf: kf, pub: pub, store: store, dev: dev, log: log, now: now,
		bookings: customer.NewBookingEventNotifier(log, store, notifier, clock)}
}

// consume runs the consumer group on topic with handle until done reports
// true, then stops it.
func (f noticesFixture) consume(t *testing.T, group, topic string, handle eventbus.Handler, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := deps{cfg: &config.Config{KafkaBrokers: f.kf.Brokers()[0]}, log: f.log, bus: f.pub}
	run, err := d.consumer(group, []string{topic}, handle)
	require.NoError(t, err)
	stopped := make(chan error, 1)
	go func() { stopped <- run(ctx) }()
	require.Eventually(t, done, 30*time.Second, 100*time.Millisecond)
	cancel()
	require.NoError(t, <-stopped)
}

// TestPaymentNotices_RefundsNoSagaTellsAreToldOnce: the customer domain's
// consumer of payment events tells the customer about a refund made through
// the payment API (staff) or at the provider, once even when the relay
// publishes it twice, with the amount of that refund and the PNR it learnt
// from the booking's events; a saga's refund (its workflow tells the
// customer), an event without an actor, a refund of a booking it has no
// reference of and other payment events send nothing.
func TestPaymentNotices_RefundsNoSagaTellsAreToldOnce(t *testing.T) {
	ctx := context.Background()
	f := newNoticesFixture(t)
	var created []outbox.Message
	for i := 1; i <= 4; i++ {
		id, cust := fmt.Sprintf("bk-%d", i), fmt.Sprintf("c-%d", i)
		require.NoError(t, f.store.CreateProfile(ctx, customer.Profile{UserID: cust, Email: cust + "@example.com",
			Preferences: customer.DefaultPreferences(), CreatedAt: f.now, UpdatedAt: f.now, Version: 1}))
		e, err := outbox.New(id+"/0", booking.EventCreated, outbox.Aggregate{Type: "booking", ID: id}, f.now,
			booking.EventData{BookingID: id, PNR: fmt.Sprintf("PNR00%d", i), CustomerID: cust, Status: booking.StatusPending})
		require.NoError(t, err)
		v, err := json.Marshal(e)
		require.NoError(t, err)
		created = append(created, outbox.Message{Topic: outbox.Topic("booking"), Key: id, Value: v, EventID: e.ID, Type: e.Type})
	}
	require.NoError(t, f.pub.Publish(ctx, created))
	f.consume(t, customer.BookingEventsConsumer, outbox.Topic("booking"), bookingNoticesHandler(f.log, f.bookings), func() bool {
		_, err := f.store.BookingRef(ctx, "bk-4")
		return err == nil
	})
	require.Empty(t, f.dev.Messages(customerchannel.OutboxFilter{}), "booking.created tells nobody")

	refund := func(n int, booking, typ, actor string, prev, total int64) outbox.Message {
		pay := "pay-" + strings.TrimPrefix(booking, "bk-")
		e, err := outbox.New(fmt.Sprintf("%s/%d", pay, n), typ, outbox.Aggregate{Type: "payment", ID: pay}, f.now, payment.BusEventData{
			PaymentID: pay, BookingID: booking, Status: payment.StatusPartiallyRefunded, Amount: money.New(45990, "EUR"),
			Captured: 45990, Refunded: total, PreviousRefunded: prev, Actor: actor})
		require.NoError(t, err)
		v, err := json.Marshal(e)
		require.NoError(t, err)
		return outbox.Message{Topic: outbox.Topic("payment"), Key: pay, Value: v, EventID: e.ID, Type: e.Type}
	}
	msgs := []outbox.Message{
		refund(4, "bk-1", payment.BusEventCaptured, "workflow:booking-bk-1", 0, 0),
		refund(5, "bk-1", payment.BusEventRefunded, "user:staff-7", 0, 5000),
		refund(6, "bk-1", payment.BusEventRefunded, "user:staff-7", 5000, 7500),
		refund(5, "bk-2", payment.BusEventRefunded, "workflow:cancel-bk-2", 0, 45990),
		refund(5, "bk-3", payment.BusEventRefunded, "provider:sandbox", 4000, 10000),
		refund(5, "bk-4", payment.BusEventRefunded, "", 0, 100),
		refund(5, "bk-9", payment.BusEventRefunded, "user:staff-7", 0, 100),
	}
	require.NoError(t, f.pub.Publish(ctx, msgs))
	require.NoError(t, f.pub.Publish(ctx, msgs[1:3]), "the relay may publish again after a crash")
	f.consume(t, customer.PaymentEventsConsumer, outbox.Topic("payment"), paymentNoticesHandler(f.log, customer.NewPaymentEventNotifier(f.bookings)), func() bool {
		for _, id := range []string{"pay-1/6", "pay-2/5", "pay-3/5", "pay-4/5", "pay-9/5"} {
			if ok, err := f.store.EventApplied(ctx, customer.PaymentEventsConsumer, id); err != nil || !ok {
				return false
			}
		}
		return true
	})

	sent := f.dev.Messages(customerchannel.OutboxFilter{})
	var got []string
	for _, m := range sent {
		require.Equal(t, customer.TemplateBookingRefunded, m.TemplateID)
		got = append(got, m.To+": "+m.Text)
	}
	require.Len(t, sent, 3, "messages: %q", got)
	for _, w := range []struct{ to, amount, pnr string }{
		{"c-1@example.com", "50.00 EUR", "PNR001"}, // the first staff refund
		{"c-1@example.com", "25.00 EUR", "PNR001"}, // the second: what it gave back, not the total
		{"c-3@example.com", "60.00 EUR", "PNR003"}, // at the provider
	} {
		require.True(t, slices.ContainsFunc(sent, func(m customerchannel.OutboxMessage) bool {
			return m.To == w.to && strings.Contains(m.Text, "refunded "+w.amount+" for booking "+w.pnr)
		}), "no message to %s of %s for %s in %q", w.to, w.amount, w.pnr, got)
	}
}

// TestBookingNotices_CrashMidBatchAppliesEachEventOnce runs the customer
// domain's consumer of booking events as `skyfly dev` wires it, on the
// embedded Kafka and a real FerretDB: a first member of the group applies
// part of a batch and dies before committing, the group's next member gets
// the batch again, and still every booking.needs_attention event sends its
// customer exactly one message; events the sagas notify, duplicates from
// the relay and a malformed record send nothing.
func TestBookingNotices_CrashMidBatchAppliesEachEventOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newNoticesFixture(t)
	kf, pub, store, dev, log, now := f.kf, f.pub, f.store, f.dev, f.log, f.now
	handler := bookingNoticesHandler(log, f.bookings)

	const bookings = 40
	event := func(i, seq int, typ string, status booking.Status) outbox.Message {
		id := fmt.Sprintf("bk-%02d", i)
		e, err := outbox.New(fmt.Sprintf("%s/%d", id, seq), typ, outbox.Aggregate{Type: "booking", ID: id}, now,
			booking.EventData{BookingID: id, PNR: fmt.Sprintf("PNR%03d", i), CustomerID: fmt.Sprintf("c-%02d", i), Sequence: seq, Status: status})
		require.NoError(t, err)
		v, err := json.Marshal(e)
		require.NoError(t, err)
		return outbox.Message{Topic: outbox.Topic("booking"), Key: id, Value: v, EventID: e.ID, Type: e.Type}
	}
	var msgs []outbox.Message
	for i := range bookings {
		p := customer.Profile{UserID: fmt.Sprintf("c-%02d", i), Email: fmt.Sprintf("c%02d@example.com", i),
			Preferences: customer.DefaultPreferences(), CreatedAt: now, UpdatedAt: now, Version: 1}
		require.NoError(t, store.CreateProfile(ctx, p))
		msgs = append(msgs, event(i, 1, booking.EventReserved, booking.StatusHeld), event(i, 2, booking.EventNeedsAttention, booking.StatusNeedsAttention))
	}
	msgs = append(msgs, outbox.Message{Topic: outbox.Topic("booking"), Key: "bk-x", Value: []byte(`not an event`), EventID: "bk-x/0", Type: booking.EventNeedsAttention})
	// A booking parked by a flight disruption: its workflow tells the
	// customer (booking_disrupted), so the bus adds nothing.
	require.NoError(t, store.CreateProfile(ctx, customer.Profile{UserID: "c-99", Email: "c99@example.com",
		Preferences: customer.DefaultPreferences(), CreatedAt: now, UpdatedAt: now, Version: 1}))
	disrupted, err := outbox.New("bk-99/2", booking.EventNeedsAttention, outbox.Aggregate{Type: "booking", ID: "bk-99"}, now,
		booking.EventData{BookingID: "bk-99", PNR: "PNR099", CustomerID: "c-99", Sequence: 2, Event: booking.EventDisrupted, Status: booking.StatusNeedsAttention})
	require.NoError(t, err)
	dv, err := json.Marshal(disrupted)
	require.NoError(t, err)
	msgs = append(msgs, outbox.Message{Topic: outbox.Topic("booking"), Key: "bk-99", Value: dv, EventID: disrupted.ID, Type: disrupted.Type})
	require.NoError(t, pub.Publish(ctx, msgs))
	require.NoError(t, pub.Publish(ctx, msgs[:bookings]), "the relay may publish again after a crash")

	// The first member: applies records as the consumer would, then dies
	// before committing any offset.
	crashing, err := kgo.NewClient(kgo.SeedBrokers(kf.Brokers()...), kgo.ConsumerGroup(customer.BookingEventsConsumer),
		kgo.ConsumeTopics(outbox.Topic("booking")), kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	applied := 0
	for applied < len(msgs)/2 {
		pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
		fetches := crashing.PollFetches(pctx)
		require.NoError(t, pctx.Err(), "the crashing member got no records")
		pcancel()
		fetches.EachRecord(func(r *kgo.Record) {
			if applied >= len(msgs)/2 {
				return
			}
			d := eventbus.Delivery{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: string(r.Key), Value: r.Value}
			for _, h := range r.Headers {
				if h.Key == eventbus.HeaderEventType {
					d.Type = string(h.Value)
				}
			}
			require.NoError(t, handler(ctx, d))
			applied++
		})
	}
	crashing.Close()
	before := len(dev.Messages(customerchannel.OutboxFilter{}))
	require.Positive(t, before, "the crashing member applied nothing: the test proves nothing")
	require.Less(t, before, bookings, "the crashing member applied everything: the test proves nothing")

	d := deps{cfg: &config.Config{KafkaBrokers: kf.Brokers()[0]}, log: log, bus: pub}
	run, err := d.consumer(customer.BookingEventsConsumer, []string{outbox.Topic("booking")}, handler)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	// The needs-attention event is each booking's last record in its
	// partition, so once all are recorded every redelivery before them was
	// handled too.
	require.Eventually(t, func() bool {
		if ok, err := store.EventApplied(ctx, customer.BookingEventsConsumer, "bk-99/2"); err != nil || !ok {
			return false
		}
		for i := range bookings {
			ok, err := store.EventApplied(ctx, customer.BookingEventsConsumer, fmt.Sprintf("bk-%02d/2", i))
			require.NoError(t, err)
			if !ok {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond)
	cancel()
	require.NoError(t, <-done)

	sent := dev.Messages(customerchannel.OutboxFilter{})
	perRecipient := map[string]int{}
	for _, m := range sent {
		require.Equal(t, customer.TemplateBookingUnderReview, m.TemplateID)
		perRecipient[m.To]++
	}
	require.Zero(t, perRecipient["c99@example.com"], "the disrupted booking's customer is not told twice")
	require.Len(t, sent, bookings, "got %d messages for %d needs-attention events (%d before the crash)", len(sent), bookings, before)
	for i := range bookings {
		to := fmt.Sprintf("c%02d@example.com", i)
		require.Equal(t, 1, perRecipient[to], "messages to %s", to)
	}
	for _, m := range sent {
		require.True(t, strings.Contains(m.Subject, "PNR"), "subject %q names the booking", m.Subject)
	}
}
