package bookingact_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/booking/bookinggorm"
)

func newActivities(t *testing.T) (*bookingact.Activities, *booking.Service) {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, bookinggorm.Migrate(ctx, db))
	now := testdate.At(0, 1, 0)
	svc := booking.NewService(slog.New(slog.DiscardHandler), bookinggorm.New(db), func() time.Time { return now }, booking.Options{})
	return bookingact.New(slog.New(slog.DiscardHandler), svc), svc
}

func createInput(id string) bookingact.CreateBookingInput {
	dep := testdate.At(5, 9, 0)
	return bookingact.CreateBookingInput{
		BookingID: id, CustomerID: "cust-1",
		Passengers: []booking.Passenger{{Type: booking.Adult, GivenName: "Ada", FamilyName: "Lovelace", DateOfBirth: "1990-05-01", Gender: "F"}},
		Contact:    booking.Contact{Email: "ada@example.com", Phone: "+447700900123"},
		Segments:   []booking.Segment{{FlightID: "SF1", FlightNumber: "SF1", Origin: "AMS", Destination: "CDG", DepartureTime: dep, ArrivalTime: dep.Add(time.Hour)}},
		Fare:       booking.Fare{FareID: "f1", Cabin: "Y", Family: "Flex", Refundable: true},
		Total:      money.New(10000, "EUR"),
	}
}

// TestBookingActivities_T4_DuplicateExecution runs every side-effecting
// booking activity twice with the same input: one booking, one PNR, one set
// of tickets, one history entry per move.
func TestBookingActivities_T4_DuplicateExecution(t *testing.T) {
	acts, svc := newActivities(t)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	exp := testdate.At(0, 1, 15)

	run := func(fn any, in any) bookingact.BookingResult {
		t.Helper()
		var first, second bookingact.BookingResult
		v, err := env.ExecuteActivity(fn, in)
		require.NoError(t, err)
		require.NoError(t, v.Get(&first))
		v, err = env.ExecuteActivity(fn, in)
		require.NoError(t, err)
		require.NoError(t, v.Get(&second))
		require.Equal(t, first, second, "the second run returns what the first did")
		return first
	}
	created := run(acts.CreateBooking, createInput("bk_t4"))
	require.Equal(t, booking.StatusPending, created.Status)
	run(acts.SetBookingStatus, bookingact.SetBookingStatusInput{BookingID: "bk_t4", Status: booking.StatusHeld, Event: "seats_held", HoldID: "bk_t4", HoldExpiresAt: &exp})
	confirmed := run(acts.ConfirmBooking, bookingact.ConfirmBookingInput{BookingID: "bk_t4", PaymentID: "pay_1", Paid: money.New(10000, "EUR")})
	require.Len(t, confirmed.Tickets, 1)

	b, err := svc.Get(context.Background(), "bk_t4")
	require.NoError(t, err)
	require.Len(t, b.Tickets, 1, "got %d tickets, want one issue", len(b.Tickets))
	require.Len(t, b.History, 3, "got history %+v, want created, held, confirmed once each", b.History)
	require.Equal(t, created.PNR, b.PNR)
}

func TestBookingActivities_InvalidPassengersAreNonRetryable(t *testing.T) {
	acts, _ := newActivities(t)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	in := createInput("bk_bad")
	in.Contact.Phone = "0612"
	_, err := env.ExecuteActivity(acts.CreateBooking, in)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "got %v, want an application error", err)
	require.Equal(t, bookingact.ErrTypeInvalidBooking, appErr.Type())
	require.True(t, appErr.NonRetryable())
	var fields []booking.FieldError
	require.NoError(t, appErr.Details(&fields))
	require.Equal(t, "contact.phone", fields[0].Field)
}
