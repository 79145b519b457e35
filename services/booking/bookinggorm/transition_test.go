package bookinggorm_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/booking/bookinggorm"
)

// TestStore_TransitionFrom_CompareAndSet checks, on every available SQL
// database, that a status transition is a compare-and-set: it lands only
// while the booking is still in the expected status, atomically (one of
// many concurrent movers wins), and otherwise reports a typed conflict
// naming the status found, leaving the booking untouched.
func TestStore_TransitionFrom_CompareAndSet(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			now := testdate.At(0, 1, 0)
			confirmed := func(t *testing.T, id string) (*booking.Service, *bookinggorm.Store) {
				s := openStore(t, dsn(t))
				svc := booking.NewService(slog.New(slog.DiscardHandler), s, func() time.Time { return now }, booking.Options{})
				confirmedBooking(t, svc, id, "hold_"+id, "pay_"+id, now)
				return svc, s
			}

			t.Run("the expected status moves, with its history entry, and the version moves on", func(t *testing.T) {
				_, s := confirmed(t, "bk_cas1")
				before, err := s.Get(ctx, "bk_cas1")
				require.NoError(t, err)
				got, err := s.TransitionFrom(ctx, "bk_cas1", booking.StatusConfirmed, booking.StatusCancelling,
					booking.HistoryEntry{At: now, From: booking.StatusConfirmed, To: booking.StatusCancelling, Event: "cancellation_started", Actor: "cust-1"})
				require.NoError(t, err)
				require.Equal(t, booking.StatusCancelling, got.Status)
				require.Equal(t, before.Version+1, got.Version)
				stored, err := s.Get(ctx, "bk_cas1")
				require.NoError(t, err)
				require.Equal(t, booking.StatusCancelling, stored.Status)
				require.Equal(t, before.Version+1, stored.Version)
				require.Len(t, stored.History, len(before.History)+1)
				last := stored.History[len(stored.History)-1]
				require.Equal(t, "cancellation_started", last.Event)
				require.Equal(t, booking.StatusConfirmed, last.From)
				require.Equal(t, booking.StatusCancelling, last.To)
				require.Equal(t, before.Tickets, stored.Tickets, "nothing but the status and history changes")

				// An optimistic update from before the transition now loses.
				before.Status = booking.StatusChanging
				_, err = s.Update(ctx, before)
				require.ErrorIs(t, err, booking.ErrVersionConflict)
			})

			t.Run("a booking that moved on is a typed conflict and stays as it is", func(t *testing.T) {
				svc, s := confirmed(t, "bk_cas2")
				_, err := svc.Transition(ctx, "bk_cas2", booking.StatusChanging, booking.Event{Name: "change_started"}, nil)
				require.NoError(t, err)
				before, err := s.Get(ctx, "bk_cas2")
				require.NoError(t, err)
				_, err = s.TransitionFrom(ctx, "bk_cas2", booking.StatusCancelling, booking.StatusConfirmed,
					booking.HistoryEntry{At: now, From: booking.StatusCancelling, To: booking.StatusConfirmed, Event: "cancellation_failed"})
				require.ErrorIs(t, err, booking.ErrStatusConflict)
				var conflict *booking.StatusConflictError
				require.True(t, errors.As(err, &conflict), "got %T %v, want a *booking.StatusConflictError", err, err)
				require.Equal(t, booking.StatusCancelling, conflict.Expected)
				require.Equal(t, booking.StatusChanging, conflict.Actual)
				after, err := s.Get(ctx, "bk_cas2")
				require.NoError(t, err)
				require.Equal(t, before, after, "got the booking changed by a refused transition")

				_, err = s.TransitionFrom(ctx, "missing", booking.StatusConfirmed, booking.StatusCancelling, booking.HistoryEntry{At: now})
				require.ErrorIs(t, err, booking.ErrNotFound)
			})

			t.Run("the service's retried move finds the booking moved and leaves it", func(t *testing.T) {
				svc, s := confirmed(t, "bk_cas4")
				first, err := svc.TransitionFrom(ctx, "bk_cas4", booking.StatusConfirmed, booking.StatusCancelling, booking.Event{Name: "cancellation_started"})
				require.NoError(t, err)
				again, err := svc.TransitionFrom(ctx, "bk_cas4", booking.StatusConfirmed, booking.StatusCancelling, booking.Event{Name: "cancellation_started"})
				require.NoError(t, err)
				require.Equal(t, first.Version, again.Version, "no second history entry")
				_, err = svc.TransitionFrom(ctx, "bk_cas4", booking.StatusChanging, booking.StatusConfirmed, booking.Event{Name: "changed"})
				require.ErrorIs(t, err, booking.ErrStatusConflict)
				_, err = svc.TransitionFrom(ctx, "bk_cas4", booking.StatusCancelled, booking.StatusConfirmed, booking.Event{Name: "x"})
				require.ErrorIs(t, err, booking.ErrInvalidTransition)
				got, err := s.Get(ctx, "bk_cas4")
				require.NoError(t, err)
				require.Equal(t, booking.StatusCancelling, got.Status)
			})

			t.Run("a move racing optimistic updates lands once and loses none of them", func(t *testing.T) {
				svc, s := confirmed(t, "bk_cas5")
				before, err := s.Get(ctx, "bk_cas5")
				require.NoError(t, err)
				const notes = 6
				errs := make([]error, notes+1)
				var wg sync.WaitGroup
				for i := range notes + 1 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if i == notes/2 {
							_, errs[i] = svc.TransitionFrom(ctx, "bk_cas5", booking.StatusConfirmed, booking.StatusCancelling, booking.Event{Name: "cancellation_started"})
							return
						}
						_, errs[i] = svc.Note(ctx, "bk_cas5", booking.Event{Name: "note"})
					}()
				}
				wg.Wait()
				for i, err := range errs {
					require.NoError(t, err, "writer %d", i)
				}
				after, err := s.Get(ctx, "bk_cas5")
				require.NoError(t, err)
				require.Equal(t, booking.StatusCancelling, after.Status)
				require.Len(t, after.History, len(before.History)+notes+1, "every write recorded once")
				require.Equal(t, before.Version+notes+1, after.Version)
			})

			t.Run("of concurrent movers from one status exactly one wins", func(t *testing.T) {
				_, s := confirmed(t, "bk_cas3")
				before, err := s.Get(ctx, "bk_cas3")
				require.NoError(t, err)
				targets := []booking.Status{booking.StatusCancelling, booking.StatusChanging, booking.StatusCancelling, booking.StatusChanging,
					booking.StatusCancelling, booking.StatusChanging}
				errs := make([]error, len(targets))
				var wg sync.WaitGroup
				for i, to := range targets {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, errs[i] = s.TransitionFrom(ctx, "bk_cas3", booking.StatusConfirmed, to,
							booking.HistoryEntry{At: now, From: booking.StatusConfirmed, To: to, Event: "race"})
					}()
				}
				wg.Wait()
				won := 0
				for i, err := range errs {
					if err == nil {
						won++
						continue
					}
					require.ErrorIs(t, err, booking.ErrStatusConflict, "mover %d", i)
				}
				require.Equal(t, 1, won, "got %d winners, want exactly one (errors %v)", won, errs)
				after, err := s.Get(ctx, "bk_cas3")
				require.NoError(t, err)
				require.Len(t, after.History, len(before.History)+1, "one transition recorded")
				require.Equal(t, before.Version+1, after.Version)
				require.Equal(t, after.History[len(after.History)-1].To, after.Status)
			})
		})
	}
}

// confirmedBooking creates a one-passenger booking through svc, held
// under holdID and confirmed as paid by paymentID.
func confirmedBooking(t *testing.T, svc *booking.Service, id, holdID, paymentID string, now time.Time) booking.Booking {
	t.Helper()
	ctx := context.Background()
	b := sampleBooking(id, now)
	created, err := svc.Create(ctx, booking.NewBooking{ID: b.ID, CustomerID: b.CustomerID, Passengers: b.Passengers[:1],
		Contact: b.Contact, Segments: b.Segments, Fare: b.Fare, Total: b.Total})
	require.NoError(t, err)
	_, err = svc.Hold(ctx, id, holdID, now.Add(time.Hour), "")
	require.NoError(t, err)
	_, err = svc.Confirm(ctx, id, paymentID, b.Total, "")
	require.NoError(t, err)
	return created
}
