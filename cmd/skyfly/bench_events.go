package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/skyfly/skyfly/internal/platform/eventbus"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
)

// benchEventConsumer is the bench's counting consumer: a consumer group of
// its own on skyfly.booking.v1 that applies each event id once (a
// redelivery is counted, not applied), and remembers when each event was
// consumed, so the bench reports the bus's lag and checks that every
// confirmed booking's events were consumed once.
type benchEventConsumer struct {
	client *kgo.Client
	now    func() time.Time

	mu         sync.Mutex
	deliveries int
	tally      eventTally
}

// eventTally is what the counting consumer applied.
type eventTally struct {
	// applied counts the applications of each event id: the invariant
	// wants exactly one each.
	applied map[string]int
	// confirmed lists each booking's booking.confirmed event ids.
	confirmed map[string][]string
	// lags is occurredAt → consumed of each event's first delivery, by
	// booking id.
	lags map[string][]time.Duration
}

// benchBrokers is the Kafka the bench reads: SKYFLY_KAFKA_BROKERS, else
// the embedded cluster of a skyfly dev on the same data dir; empty when
// neither is there.
func benchBrokers(configured, dataDir string) []string {
	if b := eventbus.ParseBrokers(configured); len(b) > 0 {
		return b
	}
	raw, err := os.ReadFile(embeddedBrokersFile(dataDir))
	if err != nil {
		return nil
	}
	return eventbus.ParseBrokers(strings.TrimSpace(string(raw)))
}

// newBenchEventConsumer joins a fresh consumer group reading the booking
// topic from the records produced since since.
func newBenchEventConsumer(brokers []string, group string, since time.Time, now func() time.Time) (*benchEventConsumer, error) {
	c, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(outbox.Topic("booking")),
		kgo.ConsumeResetOffset(kgo.NewOffset().AfterMilli(since.UnixMilli())), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("bench consumer %s: %w", group, err)
	}
	return &benchEventConsumer{client: c, now: now, tally: eventTally{
		applied: map[string]int{}, confirmed: map[string][]string{}, lags: map[string][]time.Duration{},
	}}, nil
}

// Run consumes until ctx ends, then commits and leaves the group.
func (c *benchEventConsumer) Run(ctx context.Context) {
	defer c.client.Close()
	for {
		fetches := c.client.PollFetches(ctx)
		if ctx.Err() != nil {
			_ = c.client.CommitUncommittedOffsets(context.WithoutCancel(ctx))
			return
		}
		fetches.EachRecord(func(r *kgo.Record) {
			e, err := eventbus.Delivery{Value: r.Value}.Event()
			if err != nil {
				return // not an envelope: nothing to count
			}
			c.apply(e, c.now())
		})
	}
}

// apply counts one delivery of e; only its first delivery is applied.
func (c *benchEventConsumer) apply(e outbox.Event, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deliveries++
	c.tally.apply(e, at)
}

func (t *eventTally) apply(e outbox.Event, at time.Time) {
	if t.applied[e.ID] > 0 {
		return
	}
	t.applied[e.ID]++
	id := e.Aggregate.ID
	t.lags[id] = append(t.lags[id], at.Sub(e.OccurredAt))
	if e.Type == "booking.confirmed" {
		t.confirmed[id] = append(t.confirmed[id], e.ID)
	}
}

// snapshot returns the deliveries so far and a copy of the tally.
func (c *benchEventConsumer) snapshot() (int, eventTally) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := eventTally{applied: map[string]int{}, confirmed: map[string][]string{}, lags: map[string][]time.Duration{}}
	for k, v := range c.tally.applied {
		t.applied[k] = v
	}
	for k, v := range c.tally.confirmed {
		t.confirmed[k] = slices.Clone(v)
	}
	for k, v := range c.tally.lags {
		t.lags[k] = slices.Clone(v)
	}
	return c.deliveries, t
}

// checkEventsConsumedOnce (T13 events) reports every confirmed booking
// whose booking.confirmed event the counting consumer never applied, and
// every event id of the run's bookings it applied more than once.
func checkEventsConsumedOnce(confirmed []string, t eventTally) error {
	var errs []error
	for _, id := range confirmed {
		if len(t.confirmed[id]) == 0 {
			errs = append(errs, fmt.Errorf("booking %s is confirmed but its booking.confirmed event was not consumed", id))
		}
	}
	ids := make([]string, 0, len(t.applied))
	for id, n := range t.applied {
		if n != 1 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		errs = append(errs, fmt.Errorf("event %s applied %d times", id, t.applied[id]))
	}
	return errors.Join(errs...)
}

// runOutbox counts a domain's outbox rows of one run.
type runOutbox struct {
	written, sent int64
	firstSent     time.Time
	lastSent      time.Time
}

// bookingOutbox counts the outbox rows of the given bookings and returns
// the ids of those sent.
func bookingOutbox(ctx context.Context, db *sqldb.DB, ids []string) (runOutbox, map[string]bool, error) {
	var out runOutbox
	sent := map[string]bool{}
	for chunk := range slices.Chunk(ids, 400) {
		var rows []struct {
			EventID string
			SentAt  *time.Time
		}
		if err := db.WithContext(ctx).Raw(`SELECT event_id, sent_at FROM outbox_events WHERE aggregate_id IN ?`, chunk).Scan(&rows).Error; err != nil {
			return out, nil, fmt.Errorf("booking outbox: %w", err)
		}
		for _, r := range rows {
			out.written++
			if r.SentAt != nil {
				out.sent++
				sent[r.EventID] = true
			}
		}
	}
	return out, sent, nil
}

// relayWindow counts the rows a domain's relay sent in [from, to] and the
// first and last send time.
func relayWindow(ctx context.Context, db *sqldb.DB, from, to time.Time) (runOutbox, error) {
	var rows []time.Time
	if err := db.WithContext(ctx).Raw(`SELECT sent_at FROM outbox_events WHERE sent_at >= ? AND sent_at <= ?`, from.UTC(), to.UTC()).Scan(&rows).Error; err != nil {
		return runOutbox{}, fmt.Errorf("relay window: %w", err)
	}
	out := runOutbox{sent: int64(len(rows))}
	for _, t := range rows {
		if out.firstSent.IsZero() || t.Before(out.firstSent) {
			out.firstSent = t
		}
		if t.After(out.lastSent) {
			out.lastSent = t
		}
	}
	return out, nil
}

// checkEvents (T13 events) waits for the run's booking events to be relayed
// and consumed, reports published/consumed counts, the occurredAt →
// consumed lag and what is left, the relays' events/s over the run, and
// checks that every confirmed booking's events were consumed once.
func (b *bench) checkEvents(ctx context.Context, c *benchEventConsumer, ended time.Time) error {
	b.mu.Lock()
	var ids, confirmed []string
	for _, r := range b.booked {
		ids = append(ids, r.id)
		if r.confirmed {
			confirmed = append(confirmed, r.id)
		}
	}
	b.mu.Unlock()
	bdb, err := sqldb.Open(ctx, sqldb.Config{DSN: b.cfg.BookingDSN})
	if err != nil {
		return fmt.Errorf("booking db: %w", err)
	}
	defer bdb.Close()

	deadline := time.Now().Add(b.o.eventsWait)
	var (
		ob         runOutbox
		sent       map[string]bool
		deliveries int
		tally      eventTally
		missing    int
	)
	for {
		ob, sent, err = bookingOutbox(ctx, bdb, ids)
		if err != nil {
			return err
		}
		deliveries, tally = c.snapshot()
		missing = 0
		for id := range sent {
			if tally.applied[id] == 0 {
				missing++
			}
		}
		if (ob.written == ob.sent && missing == 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	var lags []time.Duration
	run := map[string]bool{}
	for _, id := range ids {
		run[id] = true
		lags = append(lags, tally.lags[id]...)
	}
	// Only the run's bookings: the group also reads other bookings' events
	// published since the run started.
	for id := range tally.applied {
		if bk, _, _ := strings.Cut(id, "/"); !run[bk] {
			delete(tally.applied, id)
		}
	}
	slices.Sort(lags)
	fmt.Fprintf(b.out, "events (skyfly.booking.v1, the run's %d bookings): %d written to the outbox, %d published, %d consumed by the bench group (%d deliveries in all); lag occurredAt→consumed p50 %s p99 %s; left at the end: %d unpublished, %d published but not consumed\n",
		len(ids), ob.written, ob.sent, len(tally.applied), deliveries, pct(lags, 0.50), pct(lags, 0.99), ob.written-ob.sent, missing)

	var relayed int64
	var first, last time.Time
	for _, dsn := range []string{b.cfg.BookingDSN, b.cfg.FlightDSN, b.cfg.PaymentDSN, b.cfg.AuthDSN} {
		db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn})
		if err != nil {
			return fmt.Errorf("relay window: %w", err)
		}
		w, err := relayWindow(ctx, db, b.started, time.Now())
		_ = db.Close()
		if err != nil {
			return err
		}
		relayed += w.sent
		if !w.firstSent.IsZero() && (first.IsZero() || w.firstSent.Before(first)) {
			first = w.firstSent
		}
		if w.lastSent.After(last) {
			last = w.lastSent
		}
	}
	load := ended.Sub(b.started)
	span := last.Sub(first)
	fmt.Fprintf(b.out, "relays (booking, flight, payment, auth SQL outboxes): %d events sent since the run started, %.1f events/s over the %v of load (%.1f/s between the first and last send, %v)\n",
		relayed, float64(relayed)/load.Seconds(), load.Round(time.Second), float64(relayed)/max(span.Seconds(), 0.001), span.Round(time.Millisecond))

	if err := checkEventsConsumedOnce(confirmed, tally); err != nil {
		return fmt.Errorf("every confirmed booking's events consumed once: %w", err)
	}
	fmt.Fprintf(b.out, "T13 events OK: each of %d confirmed bookings' booking.confirmed consumed, each of %d event ids applied once\n", len(confirmed), len(tally.applied))
	return nil
}
