package cancelsaga_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/workflows/cancelsaga"
	"github.com/skyfly/skyfly/workflows/saga"
	"github.com/skyfly/skyfly/workflows/sagatest"
)

func start(t *testing.T, w *sagatest.World) (*testsuite.TestWorkflowEnvironment, cancelsaga.Input) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(cancelsaga.CancelBookingWorkflow)
	w.Register(env)
	b := w.ConfirmedBooking(t, "bk_c")
	q, err := w.Service().QuoteCancellation(context.Background(), b.ID)
	require.NoError(t, err)
	return env, cancelsaga.Input{BookingID: b.ID, CustomerID: b.CustomerID, PNR: b.PNR, QuoteID: q.QuoteID, HoldID: b.HoldID,
		PaymentIDs: []string{b.PaymentID}, FlightIDs: b.FlightIDs(), Refund: q.Refund, Penalty: q.Penalty, Actor: b.CustomerID, Contact: b.Contact}
}

func status(t *testing.T, w *sagatest.World, id string) booking.Status {
	b, err := w.Service().Get(context.Background(), id)
	require.NoError(t, err)
	return b.Status
}

func TestCancel_ReleasesRefundsAndNotifies(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	env, in := start(t, w)
	require.Equal(t, money.New(40990, "EUR"), in.Refund, "refundable fare: paid minus the refund penalty")
	var started cancelsaga.State
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(cancelsaga.UpdateStarted, "s", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { t.Errorf("rejected: %v", err) },
			OnComplete: func(v any, err error) { require.NoError(t, err); started = v.(cancelsaga.State) },
		})
	}, 0)
	env.ExecuteWorkflow(cancelsaga.CancelBookingWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	var st cancelsaga.State
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, booking.StatusCancelling, started.Status, "the API answers 202 CANCELLING")
	require.Equal(t, booking.StatusCancelled, st.Status)
	require.Equal(t, booking.StatusCancelled, status(t, w, in.BookingID))
	require.Equal(t, 9, w.Seats())
	s, captured, refunded := w.Intent("pay_orig")
	require.Equal(t, "partially_refunded", s)
	require.Equal(t, int64(45990), captured)
	require.Equal(t, int64(40990), refunded)
	require.Equal(t, []string{customeract.EventCancelled, customeract.EventRefunded}, w.Events())
	b, err := w.Service().Get(context.Background(), in.BookingID)
	require.NoError(t, err)
	for _, tk := range b.Tickets {
		require.Equal(t, booking.TicketVoid, tk.Status)
	}
}

func TestCancel_T7_ReleaseFails_BookingStaysConfirmed(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	env, in := start(t, w)
	w.SetFault("ReleaseHold", sagatest.Fault{NonRetryable: true})
	env.ExecuteWorkflow(cancelsaga.CancelBookingWorkflow, in)
	require.Error(t, env.GetWorkflowError())
	require.Equal(t, booking.StatusConfirmed, status(t, w, in.BookingID))
	_, _, refunded := w.Intent("pay_orig")
	require.Zero(t, refunded)
	require.Equal(t, 8, w.Seats())
}

func TestCancel_RefundKeepsFailing_NeedsAttentionThenResolve(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	env, in := start(t, w)
	w.SetFault("RefundPayment", sagatest.Fault{})
	var parked booking.Status
	env.RegisterDelayedCallback(func() {
		parked = status(t, w, in.BookingID)
		env.SignalWorkflow(saga.SignalResolve, saga.Resolution{Operator: "ops@skyfly", Reason: "refunded in the provider console"})
	}, time.Hour)
	env.ExecuteWorkflow(cancelsaga.CancelBookingWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, booking.StatusNeedsAttention, parked)
	require.Equal(t, booking.StatusCancelled, status(t, w, in.BookingID))
	require.Equal(t, 9, w.Seats())
}

// TestCancel_RefundSpansTheChangeCharge: after a pricier change the money
// sits on two intents; the refund takes the change's charge first, then
// the original payment, and a retry refunds nothing twice.
func TestCancel_RefundSpansTheChangeCharge(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	env, in := start(t, w)
	w.AddIntent("pay_change", money.New(8000, "EUR"))
	in.PaymentIDs = []string{"pay_change", "pay_orig"}
	// The second refund fails twice before it goes through.
	w.SetFault("RefundPayment", sagatest.Fault{Match: func(_ any, calls map[string]int) bool {
		n := calls["RefundPayment"]
		return n == 2 || n == 3
	}})
	env.ExecuteWorkflow(cancelsaga.CancelBookingWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	var st cancelsaga.State
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, int64(40990), st.Refunded.Amount)
	_, _, fromChange := w.Intent("pay_change")
	_, _, fromOrig := w.Intent("pay_orig")
	require.Equal(t, int64(8000), fromChange, "the change's charge is refunded first, once")
	require.Equal(t, int64(32990), fromOrig, "the rest from the original payment")
	require.Equal(t, booking.StatusCancelled, status(t, w, in.BookingID))
}

// TestCancel_T8_AmbiguousReleaseGoesForward: the release put the seats
// back on sale but reported a failure (a timeout). The booking must not be
// restored to CONFIRMED over seats that may be sold again: the saga parks
// in NEEDS_ATTENTION and, on retry, finishes the cancellation and refund.
func TestCancel_T8_AmbiguousReleaseGoesForward(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	env, in := start(t, w)
	w.SetFault("ReleaseHold", sagatest.Fault{AfterEffect: true})
	var parked booking.Status
	env.RegisterDelayedCallback(func() {
		parked = status(t, w, in.BookingID)
		w.ClearFault("ReleaseHold")
		env.SignalWorkflow(saga.SignalRetry, nil)
	}, time.Hour)
	env.ExecuteWorkflow(cancelsaga.CancelBookingWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	var st cancelsaga.State
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, booking.StatusNeedsAttention, parked, "got %s, want the ambiguous release parked, not restored", parked)
	require.Equal(t, booking.StatusCancelled, st.Status)
	require.Equal(t, booking.StatusCancelled, status(t, w, in.BookingID))
	require.Equal(t, 9, w.Seats(), "seats released once")
	_, _, refunded := w.Intent("pay_orig")
	require.Equal(t, int64(40990), refunded)
}

// TestCancel_RacingAChange_LeavesTheChangesStatus: the cancellation was
// quoted on a CONFIRMED booking, but a change moved it to CHANGING before
// the cancel saga ran. The saga must refuse without touching seats or
// money, and its compensation must not put the booking "back" to CONFIRMED
// under the running change (the status moves by compare-and-set).
func TestCancel_RacingAChange_LeavesTheChangesStatus(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	env, in := start(t, w)
	_, err := w.Service().Transition(context.Background(), in.BookingID, booking.StatusChanging, booking.Event{Name: "change_started"}, nil)
	require.NoError(t, err)
	env.ExecuteWorkflow(cancelsaga.CancelBookingWorkflow, in)
	require.Error(t, env.GetWorkflowError(), "the cancellation is refused")
	got := status(t, w, in.BookingID)
	require.Equal(t, booking.StatusChanging, got, "got %s, want the change's CHANGING left alone", got)
	require.Equal(t, 8, w.Seats(), "no seat released")
	_, _, refunded := w.Intent("pay_orig")
	require.Zero(t, refunded)
}

// TestCancel_StaleResolve_DoesNotSkipTheRefund: a resolve sent from the
// Temporal UI while the refund was still retrying (nothing parked yet) must
// not resolve the park that follows: the saga waits in NEEDS_ATTENTION and
// the retry sent then refunds the customer.
func TestCancel_StaleResolve_DoesNotSkipTheRefund(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	env, in := start(t, w)
	w.SetFault("RefundPayment", sagatest.Fault{})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(saga.SignalResolve, saga.Resolution{Operator: "ops@skyfly", Reason: "clicked on the wrong booking"})
	}, time.Second)
	var parked booking.Status
	env.RegisterDelayedCallback(func() {
		parked = status(t, w, in.BookingID)
		w.ClearFault("RefundPayment")
		env.SignalWorkflow(saga.SignalRetry, saga.Resolution{Operator: "ops@skyfly", Reason: "provider back"})
	}, time.Hour)
	env.ExecuteWorkflow(cancelsaga.CancelBookingWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, booking.StatusNeedsAttention, parked, "got %s an hour later, want the stale resolve ignored", parked)
	var st cancelsaga.State
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, booking.StatusCancelled, st.Status)
	_, _, refunded := w.Intent("pay_orig")
	require.Equal(t, int64(40990), refunded, "the customer got the refund")
}
