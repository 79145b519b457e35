package bookinggorm_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
)

// TestService_StartChange_OneChangeAtATime checks, on every available SQL
// database, that a booking moves to CHANGING only from CONFIRMED on the
// itinerary a change was quoted on, for one change at a time; that the
// move is idempotent for its own change; and that aborting a change never
// touches a booking another change holds.
func TestService_StartChange_OneChangeAtATime(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			now := testdate.At(0, 1, 0)
			svc := booking.NewService(slog.New(slog.DiscardHandler), openStore(t, dsn(t)), func() time.Time { return now }, booking.Options{})
			b := sampleBooking("bk_1", now)
			created, err := svc.Create(ctx, booking.NewBooking{ID: b.ID, CustomerID: b.CustomerID, Passengers: b.Passengers[:1],
				Contact: b.Contact, Segments: b.Segments, Fare: b.Fare, Total: b.Total})
			require.NoError(t, err)
			_, err = svc.Hold(ctx, created.ID, "hold_0", now.Add(time.Hour), "")
			require.NoError(t, err)
			_, err = svc.Confirm(ctx, created.ID, "pay_0", b.Total, "")
			require.NoError(t, err)
			quote := func(id string) {
				_, err := svc.QuoteChange(ctx, booking.ChangeRequest{ChangeID: id, BookingID: created.ID, NewQuoteID: "q-" + id,
					NewFlightIDs: []string{"SF102-" + testdate.Compact(testdate.Day(5))}, NewFareID: "Y-STD", NewTotal: money.New(50990, "EUR"), Actor: "cust-1"})
				require.NoError(t, err)
			}
			quote("ch_1")
			quote("ch_2")
			ev := booking.Event{Name: "change_started", Actor: "cust-1"}

			got, err := svc.StartChange(ctx, "ch_1", "hold_0", ev)
			require.NoError(t, err)
			require.Equal(t, booking.StatusChanging, got.Status)
			require.Equal(t, "ch_1", got.ChangeID)
			_, err = svc.StartChange(ctx, "ch_1", "hold_0", ev)
			require.NoError(t, err, "a retried start of the same change is a no-op")

			_, err = svc.StartChange(ctx, "ch_2", "hold_0", ev)
			require.ErrorIs(t, err, booking.ErrNotChangeable, "a concurrent second change is refused")
			got, err = svc.AbortChange(ctx, "ch_2", booking.Event{Name: "change_failed"})
			require.NoError(t, err)
			require.Equal(t, booking.StatusChanging, got.Status, "aborting the refused change leaves the other alone")
			require.Equal(t, "ch_1", got.ChangeID)

			got, err = svc.ApplyChange(ctx, "ch_1", booking.NewItinerary{Segments: b.Segments, Fare: b.Fare, Total: money.New(50990, "EUR"),
				HoldID: "hold_1", Paid: money.New(8000, "EUR"), PaymentID: "pay_1"}, "cust-1")
			require.NoError(t, err)
			require.Equal(t, booking.StatusConfirmed, got.Status)
			require.Empty(t, got.ChangeID)

			_, err = svc.StartChange(ctx, "ch_2", "hold_0", ev)
			require.ErrorIs(t, err, booking.ErrNotChangeable, "a change quoted on the old itinerary is refused")
			got, err = svc.Get(ctx, created.ID)
			require.NoError(t, err)
			require.Equal(t, booking.StatusConfirmed, got.Status)
			require.Equal(t, "hold_1", got.HoldID)

			quote("ch_3")
			_, err = svc.StartChange(ctx, "ch_3", "hold_1", ev)
			require.NoError(t, err)
			got, err = svc.AbortChange(ctx, "ch_3", booking.Event{Name: "change_failed"})
			require.NoError(t, err)
			require.Equal(t, booking.StatusConfirmed, got.Status, "a failed change restores its own booking")
			require.Empty(t, got.ChangeID)
		})
	}
}
