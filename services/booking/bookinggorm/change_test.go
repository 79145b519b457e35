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
			created := confirmedBooking(t, svc, "bk_1", "hold_0", "pay_0", now)
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

			got, err = svc.ApplyChange(ctx, "ch_1", booking.NewItinerary{Segments: created.Segments, Fare: created.Fare, Total: money.New(50990, "EUR"),
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

// TestService_ProtectedChange_IsFreeAndCancelsInFull checks that the
// airline's rebooking of a disrupted booking costs nothing on any fare,
// keeps the price paid, is marked in the history, and that cancelling the
// rebooked booking afterwards refunds everything paid.
func TestService_ProtectedChange_IsFreeAndCancelsInFull(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			now := testdate.At(0, 1, 0)
			svc := booking.NewService(slog.New(slog.DiscardHandler), openStore(t, dsn(t)), func() time.Time { return now }, booking.Options{})
			b := sampleBooking("bk_p", now)
			b.Fare.Changeable, b.Fare.Refundable = false, false // a LIGHT fare: no changes, no refund
			created, err := svc.Create(ctx, booking.NewBooking{ID: b.ID, CustomerID: b.CustomerID, Passengers: b.Passengers[:1],
				Contact: b.Contact, Segments: b.Segments, Fare: b.Fare, Total: b.Total})
			require.NoError(t, err)
			_, err = svc.Hold(ctx, created.ID, "hold_0", now.Add(time.Hour), "")
			require.NoError(t, err)
			_, err = svc.Confirm(ctx, created.ID, "pay_0", b.Total, "")
			require.NoError(t, err)
			q, err := svc.QuoteCancellation(ctx, created.ID)
			require.NoError(t, err)
			require.Zero(t, q.Refund.Amount, "before the disruption the fare refunds nothing")

			req := booking.ChangeRequest{ChangeID: "dsr_1", BookingID: created.ID, NewQuoteID: "q-p", NewFlightIDs: []string{"SF103-" + testdate.Compact(testdate.Day(5))},
				NewFareID: "Y-Y", NewTotal: money.New(b.Total.Amount*3, "EUR"), Actor: "disruption", Protected: true}
			_, err = svc.QuoteChange(ctx, req)
			var verr *booking.ValidationError
			require.ErrorAs(t, err, &verr, "a protected change needs a reason")
			req.Reason = "SF101 cancelled: aircraft on ground"
			c, err := svc.QuoteChange(ctx, req)
			require.NoError(t, err, "a protected change is allowed on a fare without changes")
			require.True(t, c.Protected)
			require.Zero(t, c.Due.Amount, "nothing due")
			require.Zero(t, c.Penalty.Amount)
			require.Equal(t, b.Total, c.NewTotal, "the customer keeps the price paid")
			stored, err := svc.GetChange(ctx, "dsr_1")
			require.NoError(t, err)
			require.True(t, stored.Protected, "the mark is stored")

			_, err = svc.StartChange(ctx, "dsr_1", "hold_0", booking.Event{Name: "change_started", Actor: "disruption"})
			require.NoError(t, err)
			got, err := svc.ApplyChange(ctx, "dsr_1", booking.NewItinerary{Segments: b.Segments, Fare: b.Fare, Total: c.NewTotal, HoldID: "hold_1",
				Paid: money.New(0, "EUR")}, "disruption")
			require.NoError(t, err)
			require.Equal(t, booking.EventRebooked, got.History[len(got.History)-1].Event)
			require.True(t, got.Disrupted())
			require.Equal(t, b.Total, got.Paid)

			q, err = svc.QuoteCancellation(ctx, created.ID)
			require.NoError(t, err)
			require.Equal(t, b.Total.Amount, q.Refund.Amount, "a disrupted booking cancels with a full refund")
			require.Zero(t, q.Penalty.Amount)

			// The customer may pick another flight in the same cabin for free.
			pick, err := svc.QuoteChange(ctx, booking.ChangeRequest{ChangeID: "ch_pick", BookingID: created.ID, NewQuoteID: "q-pick",
				NewFlightIDs: []string{"SF105-" + testdate.Compact(testdate.Day(6))}, NewFareID: "Y-M", NewTotal: money.New(b.Total.Amount*2, "EUR"), Actor: "cust-1"})
			require.NoError(t, err, "allowed although the fare takes no changes")
			require.Zero(t, pick.Due.Amount, "free in the same cabin")
			require.Equal(t, b.Total, pick.NewTotal)
			_, err = svc.QuoteChange(ctx, booking.ChangeRequest{ChangeID: "ch_up", BookingID: created.ID, NewQuoteID: "q-up",
				NewFlightIDs: []string{"SF105-" + testdate.Compact(testdate.Day(6))}, NewFareID: "J-D", NewTotal: money.New(b.Total.Amount*2, "EUR"), Actor: "cust-1"})
			require.ErrorIs(t, err, booking.ErrNotChangeable, "another cabin follows the fare's rules (this one takes no changes)")
		})
	}
}
