package bookinggorm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/booking/bookinggorm"
)

// TestStore_EveryStateChangeWritesItsEventInTheSameTransaction: each history
// entry a booking gains writes one booking event to the outbox with the
// change, none when the change loses its race, and no personal data.
func TestStore_EveryStateChangeWritesItsEventInTheSameTransaction(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres") {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn(t)})
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			require.NoError(t, bookinggorm.Migrate(ctx, db))
			s, ob := bookinggorm.New(db), outbox.NewStore(db)
			now := time.Now().UTC().Truncate(time.Second)

			b := sampleBooking("bk_ev", now)
			b.PNR = "EVT001"
			require.NoError(t, s.Create(ctx, b))
			b, err = s.Get(ctx, b.ID)
			require.NoError(t, err)
			move := func(to booking.Status, event string) {
				b.History = append(b.History, booking.HistoryEntry{At: now, From: b.Status, To: to, Event: event})
				b.Status = to
				b, err = s.Update(ctx, b)
				require.NoError(t, err)
			}
			move(booking.StatusHeld, "seats_held")
			move(booking.StatusConfirmed, "tickets_issued")

			stale := b
			stale.Version--
			stale.History = append(stale.History, booking.HistoryEntry{At: now, From: b.Status, To: booking.StatusCancelled, Event: "cancelled"})
			_, err = s.Update(ctx, stale)
			require.ErrorIs(t, err, booking.ErrVersionConflict)

			recs, err := ob.Pending(ctx, 100)
			require.NoError(t, err)
			var types, ids []string
			for _, r := range recs {
				e, err := r.Event()
				require.NoError(t, err)
				types, ids = append(types, e.Type), append(ids, e.ID)
				require.Equal(t, "skyfly.booking.v1", r.Topic)
				require.Equal(t, "bk_ev", r.Key)
				var d booking.EventData
				require.NoError(t, json.Unmarshal(e.Data, &d))
				require.Equal(t, "EVT001", d.PNR)
				require.Equal(t, "JFK", d.Origin)
				for _, pii := range []string{"ada@example.com", "+447700900123", "Lovelace", "X1234567"} {
					require.False(t, strings.Contains(string(r.Payload), pii), "event carries %q", pii)
				}
			}
			require.Equal(t, []string{booking.EventCreated, booking.EventReserved, booking.EventConfirmed}, types,
				"one event per change, none for the update that lost its race")
			require.Equal(t, []string{"bk_ev/0", "bk_ev/1", "bk_ev/2"}, ids)
		})
	}
}

func TestEventType_NamesEveryTransition(t *testing.T) {
	for _, tc := range []struct {
		h    booking.HistoryEntry
		want string
	}{
		{booking.HistoryEntry{To: booking.StatusPending}, booking.EventCreated},
		{booking.HistoryEntry{From: booking.StatusPending, To: booking.StatusHeld}, booking.EventReserved},
		{booking.HistoryEntry{From: booking.StatusHeld, To: booking.StatusPaymentPending}, booking.EventPaymentPending},
		{booking.HistoryEntry{From: booking.StatusHeld, To: booking.StatusConfirmed}, booking.EventConfirmed},
		{booking.HistoryEntry{From: booking.StatusChanging, To: booking.StatusConfirmed, Event: "changed"}, booking.EventChanged},
		{booking.HistoryEntry{From: booking.StatusChanging, To: booking.StatusConfirmed, Event: "change_failed"}, booking.EventChangeAborted},
		{booking.HistoryEntry{From: booking.StatusConfirmed, To: booking.StatusCancelling}, booking.EventCancelling},
		{booking.HistoryEntry{From: booking.StatusCancelling, To: booking.StatusCancelled}, booking.EventCancelled},
		{booking.HistoryEntry{From: booking.StatusHeld, To: booking.StatusExpired}, booking.EventExpired},
		{booking.HistoryEntry{From: booking.StatusHeld, To: booking.StatusFailed}, booking.EventFailed},
		{booking.HistoryEntry{From: booking.StatusCancelling, To: booking.StatusNeedsAttention}, booking.EventNeedsAttention},
		{booking.HistoryEntry{From: booking.StatusConfirmed, To: booking.StatusConfirmed, Event: "resolved"}, booking.EventNoted},
	} {
		if got := booking.EventType(tc.h); got != tc.want {
			t.Errorf("%s -> %s (%s): got %s, want %s", tc.h.From, tc.h.To, tc.h.Event, got, tc.want)
		}
	}
}
