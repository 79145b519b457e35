package changesaga_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/workflows/changesaga"
	"github.com/skyfly/skyfly/workflows/saga"
	"github.com/skyfly/skyfly/workflows/sagatest"
)

type changeRun struct {
	env       *testsuite.TestWorkflowEnvironment
	in        changesaga.Input
	quote     changesaga.State
	quoteErr  error
	accepted  changesaga.State
	acceptErr error
}

func newChange(t *testing.T, w *sagatest.World, token string, setup ...func(*testsuite.TestWorkflowEnvironment)) *changeRun {
	return runChange(t, w, w.ConfirmedBooking(t, "bk_ch"), "ch_1", token, setup...)
}

// runChange quotes and (with a token) accepts one change of b as the API
// saw it when the change was asked for.
func runChange(t *testing.T, w *sagatest.World, b booking.Booking, changeID, token string, setup ...func(*testsuite.TestWorkflowEnvironment)) *changeRun {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(changesaga.ChangeBookingWorkflow)
	w.Register(env)
	r := &changeRun{env: env, in: changesaga.Input{BookingID: b.ID, ChangeID: changeID, CustomerID: b.CustomerID, PNR: b.PNR, OldHoldID: b.HoldID,
		PaymentID: b.PaymentID, OldFlightIDs: b.FlightIDs(), Passengers: flightact.PassengerCounts{Adults: 1}, Contact: b.Contact, HoldTTL: 15 * time.Minute}}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(changesaga.UpdateQuote, "q", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { r.quoteErr = err },
			OnComplete: func(v any, err error) { r.quoteErr = err; r.quote, _ = v.(changesaga.State) },
		}, changesaga.QuoteRequest{FlightIDs: []string{w.FlightID("SF102")}, FareID: "Y-STD", Actor: b.CustomerID})
	}, 0)
	if token != "" {
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(changesaga.UpdateAccept, "a", &testsuite.TestUpdateCallback{
				OnReject:   func(err error) { r.acceptErr = err },
				OnComplete: func(v any, err error) { r.acceptErr = err; r.accepted, _ = v.(changesaga.State) },
			}, changesaga.AcceptRequest{Provider: "sandbox", Token: token})
		}, time.Minute)
	}
	for _, f := range setup {
		f(env)
	}
	env.ExecuteWorkflow(changesaga.ChangeBookingWorkflow, r.in)
	return r
}

func current(t *testing.T, w *sagatest.World) booking.Booking {
	b, err := w.Service().Get(context.Background(), "bk_ch")
	require.NoError(t, err)
	return b
}

func TestChange_PricierItinerary_ChargesAndReissues(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	r := newChange(t, w, "tok_visa")
	require.NoError(t, r.quoteErr)
	require.Equal(t, int64(5000), r.quote.Change.FareDifference.Amount)
	require.Equal(t, int64(3000), r.quote.Change.Penalty.Amount)
	require.Equal(t, int64(8000), r.quote.Change.Due.Amount)
	require.NoError(t, r.acceptErr)
	require.Equal(t, changesaga.StatusChanging, r.accepted.Status, "the API answers 202 CHANGING")
	require.NoError(t, r.env.GetWorkflowError())
	b := current(t, w)
	require.Equal(t, booking.StatusConfirmed, b.Status)
	require.Equal(t, w.FlightID("SF102"), b.Segments[0].FlightID)
	require.Equal(t, int64(50990), b.Total.Amount)
	require.Equal(t, int64(45990+8000), b.Paid.Amount)
	require.Equal(t, 8, w.Seats(), "old seat released, new seat sold")
	require.Equal(t, []string{"captured"}, w.IntentStatuses())
	ch, err := w.Service().GetChange(context.Background(), "ch_1")
	require.NoError(t, err)
	require.Equal(t, "pay_2", ch.PaymentID, "the change records the intent that charged it")
	pays, err := w.Service().PaymentIDs(context.Background(), b)
	require.NoError(t, err)
	require.Equal(t, []string{"pay_2", "pay_orig"}, pays)
	issued := 0
	for _, tk := range b.Tickets {
		if tk.Status == booking.TicketIssued {
			issued++
		}
	}
	require.Equal(t, 1, issued)
}

// TestChange_T7_FailureLeavesOriginalIntact fails each step of the change:
// the original booking stays CONFIRMED on its flight, new seats go back,
// the charge is voided or refunded.
func TestChange_T7_FailureLeavesOriginalIntact(t *testing.T) {
	for _, step := range []string{"HoldSeats", "CreatePaymentIntent", "AuthorizePayment", "CapturePayment", "CommitHold"} {
		t.Run(step+" fails", func(t *testing.T) {
			w := sagatest.NewWorld(t, 9)
			w.SetFault(step, sagatest.Fault{NonRetryable: true, Match: func(in any, _ map[string]int) bool {
				h, ok := in.(flightact.HoldSeatsInput)
				return !ok || h.HoldID != "bk_ch"
			}})
			r := newChange(t, w, "tok_visa")
			require.Error(t, r.env.GetWorkflowError())
			b := current(t, w)
			require.Equal(t, booking.StatusConfirmed, b.Status)
			require.Equal(t, w.FlightID("SF100"), b.Segments[0].FlightID)
			require.Equal(t, 8, w.Seats(), "only the original seat is sold")
			require.Empty(t, w.Leftovers("pay_orig"))
			ch, err := w.Service().GetChange(context.Background(), "ch_1")
			require.NoError(t, err)
			require.Equal(t, booking.ChangeFailed, ch.Status)
		})
	}
}

func TestChange_DeclinedCard_LeavesOriginalIntact(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	r := newChange(t, w, "tok_decline")
	require.Error(t, r.env.GetWorkflowError())
	require.Equal(t, []string{"failed"}, w.IntentStatuses())
	require.Equal(t, booking.StatusConfirmed, current(t, w).Status)
	require.Equal(t, 8, w.Seats())
}

func TestChange_QuoteExpires(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	r := newChange(t, w, "")
	require.NoError(t, r.env.GetWorkflowError())
	var st changesaga.State
	require.NoError(t, r.env.GetWorkflowResult(&st))
	require.Equal(t, changesaga.StatusExpired, st.Status)
	require.Equal(t, booking.StatusConfirmed, current(t, w).Status)
}

// TestChange_T8_AmbiguousOldReleaseGoesForward: the release of the old
// seats put them back on sale but reported a failure (a timeout). The
// booking must not be restored to its old itinerary, whose seats may be
// sold again: the saga parks in NEEDS_ATTENTION and, on retry, completes
// the change on the new itinerary.
func TestChange_T8_AmbiguousOldReleaseGoesForward(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	w.SetFault("ReleaseHold", sagatest.Fault{AfterEffect: true, Match: func(in any, _ map[string]int) bool {
		h, ok := in.(flightact.ReleaseHoldInput)
		return ok && h.HoldID == "bk_ch"
	}})
	var parked booking.Status
	r := newChange(t, w, "tok_visa", func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			parked = current(t, w).Status
			w.ClearFault("ReleaseHold")
			env.SignalWorkflow(saga.SignalRetry, nil)
		}, time.Hour)
	})
	require.NoError(t, r.env.GetWorkflowError())
	require.Equal(t, booking.StatusNeedsAttention, parked, "got %s, want the ambiguous release parked, not restored", parked)
	b := current(t, w)
	require.Equal(t, booking.StatusConfirmed, b.Status)
	require.Equal(t, w.FlightID("SF102"), b.Segments[0].FlightID, "the change went forward")
	require.Equal(t, 8, w.Seats(), "old seat released once, new seat sold")
	require.Equal(t, []string{"captured"}, w.IntentStatuses(), "the change's charge stands")
	ch, err := w.Service().GetChange(context.Background(), "ch_1")
	require.NoError(t, err)
	require.Equal(t, booking.ChangeCompleted, ch.Status)
}

func appType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

// TestChange_SecondChangeAfterTheFirst_IsRefused: two quotes of one
// booking, accepted one after the other. The second was quoted on the old
// itinerary: it is refused (409 booking_not_changeable at the API) before
// it holds seats or takes money, and the first change's seats stay sold.
func TestChange_SecondChangeAfterTheFirst_IsRefused(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	b0 := w.ConfirmedBooking(t, "bk_ch")
	first := runChange(t, w, b0, "ch_1", "tok_visa")
	require.NoError(t, first.env.GetWorkflowError())
	changed := current(t, w)
	require.Equal(t, "bk_ch/ch_1", changed.HoldID)

	second := runChange(t, w, b0, "ch_2", "tok_visa")
	require.NoError(t, second.quoteErr, "the second quote was made before the first change ran")
	require.Equal(t, changesaga.ErrTypeNotAcceptable, appType(second.acceptErr), "got %v, want a refusal", second.acceptErr)
	b := current(t, w)
	require.Equal(t, booking.StatusConfirmed, b.Status)
	require.Equal(t, "bk_ch/ch_1", b.HoldID, "the first change's itinerary stands")
	require.Equal(t, 8, w.Seats(), "got %d seats left, want the first change's seat still sold", w.Seats())
	require.Equal(t, 1, w.Count("HoldSeats"), "the refused change held nothing")
	require.Equal(t, []string{"captured"}, w.IntentStatuses(), "the refused change charged nothing")
	ch, err := w.Service().GetChange(context.Background(), "ch_2")
	require.NoError(t, err)
	require.Equal(t, booking.ChangeFailed, ch.Status)
}

// TestChange_ConcurrentSecondChange_IsRefused: a second change accepted
// while another holds the booking in CHANGING is refused, and its refusal
// does not put the other change's booking back to CONFIRMED.
func TestChange_ConcurrentSecondChange_IsRefused(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	b0 := w.ConfirmedBooking(t, "bk_ch")
	r := runChange(t, w, b0, "ch_2", "tok_visa", func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			ctx := context.Background()
			_, err := w.Service().QuoteChange(ctx, booking.ChangeRequest{ChangeID: "ch_other", BookingID: "bk_ch", NewQuoteID: "q9",
				NewFlightIDs: []string{w.FlightID("SF104")}, NewFareID: "Y-STD", NewTotal: b0.Total, Actor: b0.CustomerID})
			require.NoError(t, err)
			_, err = w.Service().StartChange(ctx, "ch_other", b0.HoldID, booking.Event{Name: "change_started"})
			require.NoError(t, err)
		}, 30*time.Second)
	})
	require.Equal(t, changesaga.ErrTypeNotAcceptable, appType(r.acceptErr), "got %v, want a refusal", r.acceptErr)
	b := current(t, w)
	require.Equal(t, booking.StatusChanging, b.Status, "the other change still holds the booking")
	require.Equal(t, "ch_other", b.ChangeID)
	require.Zero(t, w.Count("HoldSeats"))
	require.Empty(t, w.IntentStatuses())
}
