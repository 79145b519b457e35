package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/eventbus"
	"github.com/skyfly/skyfly/internal/platform/mongodb"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
	"github.com/skyfly/skyfly/services/customer/customermongo"
)

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
	kf, pub := embeddedBus(t)

	mc, err := mongodb.Connect(ctx, mongodb.Config{DSN: testenv.FerretDB(t, "sqlite"), WriteConcern: "majority"})
	require.NoError(t, err)
	defer func() { _ = mc.Close(context.Background()) }()
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
	handler := bookingNoticesHandler(log, customer.NewBookingEventNotifier(log, store, notifier, clock))

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
