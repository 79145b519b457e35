package customermongo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/skyfly/skyfly/internal/platform/eventbus"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/customer/customermongo"
	"github.com/skyfly/skyfly/services/customer/customertest"
)

// crashAfterPublish publishes to the real bus, then fails every nth
// publication as if the relay died before marking it sent.
type crashAfterPublish struct {
	bus   *eventbus.Publisher
	every int
	n     atomic.Int64
}

func (c *crashAfterPublish) Publish(ctx context.Context, msgs []outbox.Message) error {
	if err := c.bus.Publish(ctx, msgs); err != nil {
		return err
	}
	if c.n.Add(1)%int64(c.every) == 0 {
		return errors.New("relay killed between publish and mark-sent")
	}
	return nil
}

// TestCustomerRelay_KafkaThousandEventsNoLoss relays a thousand profile
// events from FerretDB to the embedded Kafka while every third batch
// "crashes" between publishing and marking sent, then reads the topic
// back: every event is there (duplicates allowed, none lost) and each
// customer's events first arrive in order. It logs the relay's events/s.
func TestCustomerRelay_KafkaThousandEventsNoLoss(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, testenv.FerretDB(t, "sqlite"))
	clock := customertest.NewClock(customertest.Epoch())
	s := customermongo.New(db)
	if raceEnabled {
		// One goroutine drives the relay here: the race detector would find
		// nothing and slow the 1,000 FerretDB writes past a minute.
		t.Skip("SKIPPED under -race: a single-goroutine volume test (make unit runs it)")
	}
	const updates = 1
	users := 500 // 1,000 events
	for i := range users {
		p := ada(clock.Now())
		p.UserID = fmt.Sprintf("u-%04d", i)
		require.NoError(t, s.CreateProfile(ctx, p))
		p.GivenName = "B"
		require.NoError(t, s.UpdateProfile(ctx, p, 1))
	}
	events := users * (1 + updates)

	kf, err := eventbus.StartEmbedded(eventbus.EmbeddedConfig{})
	require.NoError(t, err)
	t.Cleanup(kf.Stop)
	pub, err := eventbus.NewPublisher(kf.Brokers(), "test")
	require.NoError(t, err)
	t.Cleanup(pub.Close)
	bus := &crashAfterPublish{bus: pub, every: 3}
	relay := customermongo.NewRelay(customermongo.RelayConfig{DB: db, Publisher: bus, Now: clock.Now, Pacing: outbox.Pacing{Batch: 100}})
	start := time.Now()
	idle := 0 // rounds in a row that published nothing: a stalled relay, whatever the machine's speed
	for relay.Published() < int64(events) {
		before := relay.Published()
		if _, err := relay.RunOnce(ctx); err != nil {
			require.ErrorContains(t, err, "relay killed")
		}
		if relay.Published() == before {
			idle++
		} else {
			idle = 0
		}
		require.Less(t, idle, 20, "the relay stalled at %d of %d", relay.Published(), events)
	}
	elapsed := time.Since(start)
	t.Logf("relayed %d customer events in %s: %.0f events/s (FerretDB on SQLite to kfake, batches of 100, every third lost its mark)",
		events, elapsed.Round(time.Millisecond), float64(events)/elapsed.Seconds())

	cl, err := kgo.NewClient(kgo.SeedBrokers(kf.Brokers()...), kgo.ConsumeTopics(outbox.Topic("customer")), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	seen := map[string]int{}
	last := map[string]int64{}
	records := 0
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < events && time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		cl.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
			records++
			var e outbox.Event
			require.NoError(t, json.Unmarshal(r.Value, &e))
			var d struct {
				Version int64 `json:"version"`
			}
			require.NoError(t, json.Unmarshal(e.Data, &d))
			require.Equal(t, e.Aggregate.ID, string(r.Key))
			if seen[e.ID] == 0 {
				// A republished batch repeats older events (consumers
				// drop them by id); each new one comes after its
				// predecessors.
				require.Greater(t, d.Version, last[e.Aggregate.ID], "customer %s's events out of order", e.Aggregate.ID)
				last[e.Aggregate.ID] = d.Version
			}
			seen[e.ID]++
		})
		cancel()
	}
	require.Len(t, seen, events, "events lost: %d of %d arrived", len(seen), events)
	t.Logf("%d records for %d events: %d duplicates from the lost marks", records, events, records-events)
	require.Greater(t, records, events, "no batch was republished: the crash was not exercised")
}
