package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/testdate"
)

// TestCheckEventsConsumedOnce_T13: the bench's events invariant passes when
// every confirmed booking's booking.confirmed was consumed and each event
// id applied once, a redelivery included, and fails when a confirmed
// booking's event is missing or an event id was applied twice.
func TestCheckEventsConsumedOnce_T13(t *testing.T) {
	at := testdate.At(1, 9, 30)
	ev := func(booking string, seq int, typ string) outbox.Event {
		return outbox.Event{ID: booking + "/" + strconv.Itoa(seq), Type: typ, Aggregate: outbox.Aggregate{Type: "booking", ID: booking}, OccurredAt: at}
	}
	consumed := func(events ...outbox.Event) eventTally {
		tl := eventTally{applied: map[string]int{}, confirmed: map[string][]string{}, lags: map[string][]time.Duration{}}
		for _, e := range events {
			tl.apply(e, at.Add(time.Second))
		}
		return tl
	}
	full := []outbox.Event{
		ev("bk1", 0, "booking.created"), ev("bk1", 1, "booking.reserved"), ev("bk1", 2, "booking.confirmed"),
		ev("bk2", 0, "booking.created"), ev("bk2", 1, "booking.reserved"), ev("bk2", 2, "booking.confirmed"),
		ev("bk3", 0, "booking.created"), ev("bk3", 1, "booking.expired"),
	}

	t.Run("every confirmed booking's event consumed once passes, a redelivery too", func(t *testing.T) {
		tl := consumed(append(full, full[2], full[5])...)
		require.NoError(t, checkEventsConsumedOnce([]string{"bk1", "bk2"}, tl))
		require.Equal(t, []time.Duration{time.Second}, tl.lags["bk3"][:1], "lag is occurredAt → consumed")
		require.Len(t, tl.lags["bk1"], 3, "a redelivery adds no lag sample")
	})
	t.Run("a confirmed booking whose booking.confirmed was never consumed fails", func(t *testing.T) {
		tl := consumed(full[:5]...)
		err := checkEventsConsumedOnce([]string{"bk1", "bk2"}, tl)
		require.ErrorContains(t, err, "booking bk2 is confirmed but its booking.confirmed event was not consumed")
		require.NotContains(t, err.Error(), "bk1 ")
	})
	t.Run("an event applied twice fails", func(t *testing.T) {
		tl := consumed(full...)
		tl.applied["bk1/2"]++
		require.ErrorContains(t, checkEventsConsumedOnce([]string{"bk1", "bk2"}, tl), "event bk1/2 applied 2 times")
	})
	t.Run("no confirmed bookings and nothing consumed passes", func(t *testing.T) {
		require.NoError(t, checkEventsConsumedOnce(nil, consumed()))
	})
}
