package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/eventbus"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/services/flight/flightgorm"
)

// TestRouteSales_ConsumesBookingEventsOnce runs the flight domain's analytics
// consumer group as `skyfly dev` wires it, on a real (embedded) Kafka, over
// events encoded by the booking domain's own types: every event published
// twice, a malformed record among them, and the counters still exact.
func TestRouteSales_ConsumesBookingEventsOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kf, pub := embeddedBus(t)

	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, flightgorm.Migrate(ctx, db))
	log := slog.New(slog.DiscardHandler)
	now := testdate.At(0, 12, 0)
	svc := flight.NewService(log, flightgorm.New(db), func() time.Time { return now }, nil, flight.Config{})

	eur := func(n int64) money.Money { return money.New(n, "EUR") }
	event := func(bookingID string, seq int, typ string, status booking.Status, paid, refunded int64) outbox.Message {
		e, err := outbox.New(bookingID+"/"+string(rune('0'+seq)), typ, outbox.Aggregate{Type: "booking", ID: bookingID}, now,
			booking.EventData{BookingID: bookingID, Sequence: seq, Status: status, Origin: "JFK", Destination: "LHR",
				Passengers: 2, Seats: 2, Total: eur(90000), Paid: eur(paid), Refunded: eur(refunded)})
		require.NoError(t, err)
		v, err := json.Marshal(e)
		require.NoError(t, err)
		return outbox.Message{Topic: outbox.Topic("booking"), Key: bookingID, Value: v, EventID: e.ID, Type: e.Type}
	}
	msgs := []outbox.Message{
		event("bk-1", 1, booking.EventReserved, booking.StatusHeld, 0, 0),
		event("bk-1", 3, booking.EventConfirmed, booking.StatusConfirmed, 90000, 0),
		event("bk-2", 3, booking.EventConfirmed, booking.StatusConfirmed, 90000, 0),
		{Topic: outbox.Topic("booking"), Key: "bk-x", Value: []byte(`not an event`), EventID: "bk-x/0", Type: "booking.confirmed"},
		event("bk-1", 5, booking.EventCancelled, booking.StatusCancelled, 90000, 60000),
	}
	require.NoError(t, pub.Publish(ctx, msgs))
	require.NoError(t, pub.Publish(ctx, msgs), "the relay may publish again after a crash")
	// A last sale on another route behind each booking's events: once both
	// count, every record before them in their partitions was applied.
	for _, id := range []string{"bk-1", "bk-2", "bk-x"} {
		m := event(id, 9, booking.EventConfirmed, booking.StatusConfirmed, 100, 0)
		m.Value = []byte(strings.Replace(string(m.Value), `JFK`, `BOS`, 1))
		require.NoError(t, pub.Publish(ctx, []outbox.Message{m}))
	}

	d := deps{cfg: &config.Config{KafkaBrokers: kf.Brokers()[0]}, log: log, bus: pub}
	run, err := d.consumer(flight.SalesConsumer, []string{outbox.Topic("booking")}, routeSalesHandler(log, svc))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()

	var got []flight.RouteSales
	require.Eventually(t, func() bool {
		got, err = svc.RouteSales(ctx)
		require.NoError(t, err)
		for _, r := range got {
			if r.Origin == "BOS" {
				return r.Confirmed == 3
			}
		}
		return false
	}, 20*time.Second, 100*time.Millisecond, "the consumer reaches the last records (last %+v)", got)
	want := flight.RouteSales{Origin: "JFK", Destination: "LHR", Currency: "EUR", Confirmed: 2, Cancelled: 1, SeatsSold: 2, Revenue: 120000, UpdatedAt: now}
	require.Len(t, got, 2)
	if got[0].Origin != "JFK" {
		got[0], got[1] = got[1], got[0]
	}
	require.Equal(t, want, got[0], "each sale and cancellation counted once, duplicates and the malformed record skipped")
	cancel()
	require.NoError(t, <-done)

	nobus := deps{cfg: &config.Config{}, log: log}
	run, err = nobus.consumer(flight.SalesConsumer, []string{outbox.Topic("booking")}, routeSalesHandler(log, svc))
	require.NoError(t, err)
	require.Nil(t, run, "without a bus there is no consumer; the events wait in the outbox")
}

// embeddedBus starts an embedded Kafka cluster and a publisher on it for
// the test.
func embeddedBus(t *testing.T) (*eventbus.Embedded, *eventbus.Publisher) {
	t.Helper()
	kf, err := eventbus.StartEmbedded(eventbus.EmbeddedConfig{})
	require.NoError(t, err)
	t.Cleanup(kf.Stop)
	pub, err := eventbus.NewPublisher(kf.Brokers(), "test")
	require.NoError(t, err)
	t.Cleanup(pub.Close)
	return kf, pub
}
