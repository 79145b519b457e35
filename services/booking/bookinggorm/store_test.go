package bookinggorm_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/booking/bookinggorm"
)

func openStore(t *testing.T, dsn string) *bookinggorm.Store {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, bookinggorm.Migrate(ctx, db))
	return bookinggorm.New(db)
}

func sampleBooking(id string, now time.Time) booking.Booking {
	dep := testdate.At(5, 14, 30).In(time.FixedZone("", -5*3600)) // 09:30 local, five days after the fixed clock
	inf := 0
	return booking.Booking{
		ID: id, PNR: "", CustomerID: "cust-1", Status: booking.StatusPending, Version: 1,
		Total: money.New(45990, "EUR"), Paid: money.New(0, "EUR"), Refunded: money.New(0, "EUR"),
		Fare:    booking.Fare{QuoteID: "q1", FareID: "fare-1", Cabin: "Y", BookingClass: "M", Family: "Standard", Changeable: true, ChangePenalty: money.New(5000, "EUR")},
		Contact: booking.Contact{Email: "ada@example.com", Phone: "+447700900123"},
		Passengers: []booking.Passenger{
			{ID: id + "-p1", Type: booking.Adult, GivenName: "Ada", FamilyName: "Lovelace", DateOfBirth: "1990-05-01", Gender: "F",
				Document: &booking.Document{Type: "PASSPORT", Number: "X1234567", IssuingCountry: "GB", Nationality: "GB", ExpiryDate: testdate.YearsFrom(testdate.Today(), 4)}},
			{ID: id + "-p2", Type: booking.Infant, GivenName: "Byron", FamilyName: "Lovelace", DateOfBirth: testdate.ISO(dep.AddDate(0, -11, 0)), Gender: "M", InfantOf: &inf,
				Document: &booking.Document{Type: "PASSPORT", Number: "Y7654321", IssuingCountry: "GB", Nationality: "GB", ExpiryDate: testdate.YearsFrom(testdate.Today(), 5)}},
		},
		Segments: []booking.Segment{{FlightID: "SF100-" + testdate.Compact(dep), FlightNumber: "SF100", Origin: "JFK", Destination: "LHR",
			DepartureTime: dep, ArrivalTime: dep.Add(7 * time.Hour).In(time.UTC), International: true}},
		History:   []booking.HistoryEntry{{At: now, To: booking.StatusPending, Event: "created"}},
		CreatedAt: now, UpdatedAt: now,
	}
}

// TestStoreContract runs the booking.Store contract on every available SQL
// database (SQLite always, PostgreSQL when SKYFLY_TEST_POSTGRES_DSN is set).
func TestStoreContract(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres") {
		t.Run(dialect, func(t *testing.T) {
			runContract(t, func(t *testing.T) *bookinggorm.Store { return openStore(t, dsn(t)) })
		})
	}
}

func runContract(t *testing.T, newStore func(t *testing.T) *bookinggorm.Store) {
	ctx := context.Background()
	now := testdate.At(0, 1, 0)

	t.Run("a created booking reads back whole", func(t *testing.T) {
		s := newStore(t)
		b := sampleBooking("bk_1", now)
		b.PNR = "ABC234"
		require.NoError(t, s.Create(ctx, b))
		got, err := s.Get(ctx, "bk_1")
		require.NoError(t, err)
		require.Equal(t, b.PNR, got.PNR)
		require.Equal(t, b.Passengers, got.Passengers)
		require.Equal(t, b.Contact, got.Contact)
		require.Equal(t, b.Fare, got.Fare)
		require.Len(t, got.Segments, 1)
		require.True(t, b.Segments[0].DepartureTime.Equal(got.Segments[0].DepartureTime), "got %v, want %v", got.Segments[0].DepartureTime, b.Segments[0].DepartureTime)
		require.Equal(t, testdate.ISO(testdate.Day(5))+"T09:30:00-05:00", got.Segments[0].DepartureTime.Format(time.RFC3339), "local time of departure is kept")
		byPNR, err := s.GetByPNR(ctx, "ABC234")
		require.NoError(t, err)
		require.Equal(t, "bk_1", byPNR.ID)
	})

	t.Run("an unknown booking is ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Get(ctx, "nope")
		require.ErrorIs(t, err, booking.ErrNotFound)
	})

	t.Run("I5: PNRs are unique by index and ids are not reused", func(t *testing.T) {
		s := newStore(t)
		a := sampleBooking("bk_a", now)
		a.PNR = "PNR234"
		require.NoError(t, s.Create(ctx, a))
		b := sampleBooking("bk_b", now)
		b.PNR = "PNR234"
		require.ErrorIs(t, s.Create(ctx, b), booking.ErrDuplicatePNR)
		a2 := sampleBooking("bk_a", now)
		a2.PNR = "QQQ234"
		require.ErrorIs(t, s.Create(ctx, a2), booking.ErrDuplicate)
	})

	t.Run("optimistic locking refuses a stale version", func(t *testing.T) {
		s := newStore(t)
		b := sampleBooking("bk_v", now)
		b.PNR = "VVV234"
		require.NoError(t, s.Create(ctx, b))
		first := b
		first.Status = booking.StatusHeld
		first.History = append(first.History, booking.HistoryEntry{At: now, From: booking.StatusPending, To: booking.StatusHeld, Event: "seats_held"})
		saved, err := s.Update(ctx, first)
		require.NoError(t, err)
		require.Equal(t, int64(2), saved.Version)
		stale := b
		stale.Status = booking.StatusFailed
		_, err = s.Update(ctx, stale)
		require.ErrorIs(t, err, booking.ErrVersionConflict)
		got, err := s.Get(ctx, "bk_v")
		require.NoError(t, err)
		require.Equal(t, booking.StatusHeld, got.Status)
		require.Len(t, got.History, 2)
		_, err = s.Update(ctx, sampleBooking("missing", now))
		require.ErrorIs(t, err, booking.ErrNotFound)
	})

	t.Run("concurrent transitions each land exactly once through the service", func(t *testing.T) {
		s := newStore(t)
		svc := booking.NewService(slog.New(slog.DiscardHandler), s, func() time.Time { return now }, booking.Options{})
		b := sampleBooking("bk_c", now)
		b.PNR = "CCC234"
		require.NoError(t, s.Create(ctx, b))
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := svc.Note(ctx, "bk_c", booking.Event{Name: fmt.Sprintf("note-%d", i)})
				require.NoError(t, err)
			}(i)
		}
		wg.Wait()
		got, err := s.Get(ctx, "bk_c")
		require.NoError(t, err)
		require.Len(t, got.History, 9, "got %d history entries, want 1 + 8 notes", len(got.History))
		require.Equal(t, int64(9), got.Version)
	})

	t.Run("list filters by customer, status, pnr and flight and pages by cursor", func(t *testing.T) {
		s := newStore(t)
		for i := 0; i < 5; i++ {
			b := sampleBooking(fmt.Sprintf("bk_l%d", i), now.Add(time.Duration(i)*time.Minute))
			b.PNR = fmt.Sprintf("LST%03d", 234+i)[:6]
			if i%2 == 1 {
				b.CustomerID = "cust-2"
				b.Segments[0].FlightID = "SF200-" + testdate.Compact(testdate.Day(5))
			}
			if i == 3 {
				b.Passengers[0].FamilyName = "Hopper"
			}
			require.NoError(t, s.Create(ctx, b))
		}
		p, err := s.List(ctx, booking.ListFilter{CustomerID: "cust-1", Limit: 2})
		require.NoError(t, err)
		require.Len(t, p.Bookings, 2)
		require.Equal(t, "bk_l4", p.Bookings[0].ID, "newest first")
		require.NotEmpty(t, p.NextCursor)
		p2, err := s.List(ctx, booking.ListFilter{CustomerID: "cust-1", Limit: 2, Cursor: p.NextCursor})
		require.NoError(t, err)
		require.Len(t, p2.Bookings, 1)
		require.Equal(t, "bk_l0", p2.Bookings[0].ID)
		require.Empty(t, p2.NextCursor)
		byFlight, err := s.List(ctx, booking.ListFilter{FlightID: "SF200-" + testdate.Compact(testdate.Day(5))})
		require.NoError(t, err)
		require.Len(t, byFlight.Bookings, 2)
		byPNR, err := s.List(ctx, booking.ListFilter{PNR: "LST236"})
		require.NoError(t, err)
		require.Len(t, byPNR.Bookings, 1)
		byName, err := s.List(ctx, booking.ListFilter{FamilyName: "hOPPER"})
		require.NoError(t, err)
		require.Len(t, byName.Bookings, 1, "a passenger's family name, any case")
		require.Equal(t, "bk_l3", byName.Bookings[0].ID)
		byNameAndFlight, err := s.List(ctx, booking.ListFilter{FamilyName: "Lovelace", FlightID: "SF200-" + testdate.Compact(testdate.Day(5))})
		require.NoError(t, err)
		require.Len(t, byNameAndFlight.Bookings, 2, "bk_l1 by its lead passenger, bk_l3 by its infant")
		byStatus, err := s.List(ctx, booking.ListFilter{Status: booking.StatusConfirmed})
		require.NoError(t, err)
		require.Empty(t, byStatus.Bookings)
		_, err = s.List(ctx, booking.ListFilter{Cursor: "!!"})
		require.ErrorIs(t, err, booking.ErrInvalidCursor)
	})

	t.Run("the service confirms with 13-digit tickets once, cancels and changes", func(t *testing.T) {
		s := newStore(t)
		clock := now
		svc := booking.NewService(slog.New(slog.DiscardHandler), s, func() time.Time { return clock }, booking.Options{})
		in := sampleBooking("bk_s", now)
		nb := booking.NewBooking{ID: in.ID, CustomerID: in.CustomerID, Passengers: in.Passengers, Contact: in.Contact, Segments: in.Segments, Fare: in.Fare, Total: in.Total}
		b, err := svc.Create(ctx, nb)
		require.NoError(t, err)
		again, err := svc.Create(ctx, nb)
		require.NoError(t, err)
		require.Equal(t, b.PNR, again.PNR, "create is idempotent on the id")
		_, err = svc.Hold(ctx, b.ID, b.ID, now.Add(15*time.Minute), "")
		require.NoError(t, err)
		c1, err := svc.Confirm(ctx, b.ID, "pay_1", money.New(45990, "EUR"), "")
		require.NoError(t, err)
		c2, err := svc.Confirm(ctx, b.ID, "pay_1", money.New(45990, "EUR"), "")
		require.NoError(t, err)
		require.Len(t, c1.Tickets, 2)
		require.Equal(t, c1.Tickets, c2.Tickets, "confirm twice issues tickets once")
		for _, tk := range c1.Tickets {
			require.True(t, booking.ValidTicketNumber(tk.Number, "999"), "got %q", tk.Number)
		}
		q, err := svc.QuoteCancellation(ctx, b.ID)
		require.NoError(t, err)
		require.Equal(t, int64(0), q.Refund.Amount, "non-refundable fare refunds nothing")
		require.Equal(t, int64(45990), q.Penalty.Amount)
		_, err = svc.CancelQuote(ctx, b.ID, q.QuoteID)
		require.NoError(t, err)
		clock = now.Add(time.Hour)
		_, err = svc.CancelQuote(ctx, b.ID, q.QuoteID)
		require.ErrorIs(t, err, booking.ErrQuoteExpired)

		ch, err := svc.QuoteChange(ctx, booking.ChangeRequest{ChangeID: "ch_1", BookingID: b.ID, NewQuoteID: "q2", NewFlightIDs: []string{"SF102"}, NewFareID: "fare-2", NewTotal: money.New(40000, "EUR"), Actor: "cust-1"})
		require.NoError(t, err)
		require.Equal(t, int64(-5990), ch.FareDifference.Amount)
		require.Equal(t, int64(5000), ch.Penalty.Amount)
		require.Equal(t, int64(-990), ch.Due.Amount, "cheaper fare: money back minus the penalty")
		_, err = svc.Transition(ctx, b.ID, booking.StatusChanging, booking.Event{Name: "change_started"}, nil)
		require.NoError(t, err)
		seg := b.Segments[0]
		seg.FlightID = "SF102"
		changed, err := svc.ApplyChange(ctx, "ch_1", booking.NewItinerary{Segments: []booking.Segment{seg}, Fare: booking.Fare{FareID: "fare-2"}, Total: money.New(40000, "EUR"), HoldID: "bk_s/ch_1", Paid: money.New(-990, "EUR"), PaymentID: "pay_ch"}, "cust-1")
		require.NoError(t, err)
		require.Equal(t, booking.StatusConfirmed, changed.Status)
		require.Equal(t, "SF102", changed.Segments[0].FlightID)
		issued := 0
		for _, tk := range changed.Tickets {
			if tk.Status == booking.TicketIssued {
				issued++
			}
		}
		require.Equal(t, 2, issued, "reissued tickets")
		require.Len(t, changed.Tickets, 4, "old tickets are kept as VOID")
		gotCh, err := svc.GetChange(ctx, "ch_1")
		require.NoError(t, err)
		require.Equal(t, booking.ChangeCompleted, gotCh.Status)
		pays, err := svc.PaymentIDs(ctx, changed)
		require.NoError(t, err)
		require.Equal(t, []string{"pay_ch", "pay_1"}, pays, "newest charge first, then the original payment")
	})

	t.Run("the service refuses illegal transitions", func(t *testing.T) {
		s := newStore(t)
		svc := booking.NewService(slog.New(slog.DiscardHandler), s, func() time.Time { return now }, booking.Options{})
		b := sampleBooking("bk_t", now)
		b.PNR = "TTT234"
		require.NoError(t, s.Create(ctx, b))
		_, err := svc.Transition(ctx, "bk_t", booking.StatusCancelled, booking.Event{Name: "x"}, nil)
		require.True(t, errors.Is(err, booking.ErrInvalidTransition), "got %v, want ErrInvalidTransition", err)
	})
}
