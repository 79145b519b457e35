package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

func embedded(t testing.TB) *Embedded {
	t.Helper()
	e, err := StartEmbedded(EmbeddedConfig{})
	require.NoError(t, err)
	t.Cleanup(e.Stop)
	return e
}

func openDB(t testing.TB) *sqldb.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, outbox.Migrate(ctx, db))
	return db
}

// killer publishes, then "dies" before the relay marks the batch sent on
// every nth batch: the relay process is gone between publish and mark-sent.
type killer struct {
	pub     *Publisher
	every   int
	batches atomic.Int64
	kills   atomic.Int64
}

var errKilled = errors.New("relay killed after publishing")

func (k *killer) Publish(ctx context.Context, msgs []outbox.Message) error {
	if err := k.pub.Publish(ctx, msgs); err != nil {
		return err
	}
	if k.batches.Add(1)%int64(k.every) == 0 {
		k.kills.Add(1)
		return errKilled
	}
	return nil
}

// readAll consumes topic from the start until want distinct event ids
// arrived, returning every event id per key in arrival order.
func readAll(t *testing.T, brokers []string, topic string, want int) (byKey map[string][]string, total int) {
	t.Helper()
	c, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer c.Close()
	byKey = map[string][]string{}
	seen := map[string]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for len(seen) < want {
		f := c.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "read %d of %d events", len(seen), want)
		f.EachRecord(func(r *kgo.Record) {
			var id string
			for _, h := range r.Headers {
				if h.Key == HeaderEventID {
					id = string(h.Value)
				}
			}
			byKey[string(r.Key)] = append(byKey[string(r.Key)], id)
			seen[id] = true
			total++
		})
	}
	return byKey, total
}

// TestRelay_KilledBetweenPublishAndMarkSent_DuplicatesNeverLoses writes
// thousands of events while relays publish them and die after publishing
// every seventh batch; a new relay (another process) takes over once the
// lease lapses. Every event arrives, per-aggregate order holds, and the
// kills show up as duplicates only.
func TestRelay_KilledBetweenPublishAndMarkSent_DuplicatesNeverLoses(t *testing.T) {
	const aggregates, perAggregate = 50, 60 // 3,000 events
	ctx := context.Background()
	bus := embedded(t)
	db := openDB(t)
	store := outbox.NewStore(db)
	pub, err := NewPublisher(bus.Brokers(), "test-relay")
	require.NoError(t, err)
	defer pub.Close()
	k := &killer{pub: pub, every: 7}

	// Writers append each aggregate's events in order, concurrently.
	var wg sync.WaitGroup
	for a := range aggregates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perAggregate {
				e, err := outbox.New(fmt.Sprintf("bk%d/%d", a, i), "booking.confirmed", outbox.Aggregate{Type: "booking", ID: fmt.Sprintf("bk%d", a)},
					time.Now(), map[string]int{"n": i})
				if err == nil {
					err = db.Transaction(ctx, func(tx *sqldb.DB) error { return outbox.Append(tx.DB, "booking", e) })
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	// Relays: each runs until its publisher "kills" it, then a new one
	// (another process, another owner) starts.
	drained := func() bool {
		select {
		case <-done:
		default:
			return false
		}
		left, _, err := store.Backlog(ctx)
		require.NoError(t, err)
		return left == 0
	}
	relays := 0
	for !drained() {
		relays++
		r := outbox.NewRelay(outbox.RelayConfig{Log: slog.New(slog.DiscardHandler), Store: store, Publisher: k, Domain: "booking",
			Batch: 50, Lease: 50 * time.Millisecond})
		for !drained() {
			n, err := r.RunOnce(ctx)
			if errors.Is(err, errKilled) {
				break
			}
			require.NoError(t, err)
			if n == 0 {
				time.Sleep(5 * time.Millisecond) // idle, or the dead relay's lease has not lapsed yet
			}
		}
	}
	byKey, total := readAll(t, bus.Brokers(), outbox.Topic("booking"), aggregates*perAggregate)
	require.Len(t, byKey, aggregates)
	for key, ids := range byKey {
		// First arrivals are in order; a duplicate may repeat a recent id.
		next := 0
		for _, id := range ids {
			var a, i int
			_, err := fmt.Sscanf(id, "bk%d/%d", &a, &i)
			require.NoError(t, err)
			require.Equal(t, key, fmt.Sprintf("bk%d", a))
			if i == next {
				next++
			} else {
				require.Less(t, i, next, "%s: event %d arrived before %d", key, i, next)
			}
		}
		require.Equal(t, perAggregate, next, "%s: every event arrived", key)
	}
	require.Greater(t, k.kills.Load(), int64(0))
	require.Greater(t, total, aggregates*perAggregate, "kills between publish and mark-sent give duplicates")
	t.Logf("events=%d delivered=%d duplicates=%d relay kills=%d relays=%d", aggregates*perAggregate, total, total-aggregates*perAggregate, k.kills.Load(), relays)
}

// TestConsumer_CrashMidBatch_AppliesEachEventOnce: a consumer that stores
// its effect and its inbox entry in one transaction, killed after applying
// batches and before committing them, is replaced by another member of the
// group; every event is applied exactly once.
func TestConsumer_CrashMidBatch_AppliesEachEventOnce(t *testing.T) {
	const events = 1000
	ctx := context.Background()
	bus := embedded(t)
	pub, err := NewPublisher(bus.Brokers(), "test-producer")
	require.NoError(t, err)
	defer pub.Close()
	msgs := make([]outbox.Message, events)
	for i := range msgs {
		e, err := outbox.New(fmt.Sprintf("ev-%d", i), "booking.confirmed", outbox.Aggregate{Type: "booking", ID: fmt.Sprintf("bk%d", i%20)}, time.Now(), nil)
		require.NoError(t, err)
		msgs[i] = outbox.Message{Topic: outbox.Topic("booking"), Key: e.Aggregate.ID, EventID: e.ID, Type: e.Type, Value: mustJSON(t, e)}
	}
	require.NoError(t, pub.Publish(ctx, msgs))

	db := openDB(t)
	require.NoError(t, db.DB.Exec("CREATE TABLE effects (event_id TEXT NOT NULL)").Error)
	var dupes atomic.Int64
	handler := func(ctx context.Context, d Delivery) error {
		e, err := d.Event()
		if err != nil {
			return err
		}
		err = db.Transaction(ctx, func(tx *sqldb.DB) error {
			if err := outbox.Once(tx.DB, "effects", e.ID, time.Now()); err != nil {
				return err
			}
			return tx.DB.Exec("INSERT INTO effects (event_id) VALUES (?)", e.ID).Error
		})
		if errors.Is(err, outbox.ErrSeen) {
			dupes.Add(1)
			return nil
		}
		return err
	}
	count := func() int64 {
		var n int64
		require.NoError(t, db.DB.Raw("SELECT COUNT(DISTINCT event_id) FROM effects").Scan(&n).Error)
		return n
	}
	consumer := func() *Consumer {
		c, err := NewConsumer(ConsumerConfig{Brokers: bus.Brokers(), Group: "effects", Topics: []string{outbox.Topic("booking")}, Handler: handler})
		require.NoError(t, err)
		return c
	}
	// Two members die, each after applying its first batch and before
	// committing it.
	for range 2 {
		c := consumer()
		c.crashBeforeCommit = func(applied int) bool { return applied > 0 }
		runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := c.Run(runCtx)
		cancel()
		require.ErrorIs(t, err, errCrashed)
	}
	// A healthy member finishes the work.
	runCtx, cancel := context.WithCancel(ctx)
	finished := make(chan error, 1)
	go func() { finished <- consumer().Run(runCtx) }()
	require.Eventually(t, func() bool { return count() == events }, 30*time.Second, 50*time.Millisecond)
	cancel()
	require.NoError(t, <-finished)
	var rows int64
	require.NoError(t, db.DB.Raw("SELECT COUNT(*) FROM effects").Scan(&rows).Error)
	require.Equal(t, int64(events), rows, "every event applied exactly once")
	require.Greater(t, dupes.Load(), int64(0), "the crashes redelivered applied events")
	t.Logf("events=%d crashes=2 redelivered-and-skipped=%d", events, dupes.Load())
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
