package bookingsaga_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/workflows/bookingsaga"
	"github.com/skyfly/skyfly/workflows/saga"
	"github.com/skyfly/skyfly/workflows/sagatest"
)

const holdTTL = 15 * time.Minute

// run drives one BookingWorkflow in the test environment.
type run struct {
	t          *testing.T
	env        *testsuite.TestWorkflowEnvironment
	w          *sagatest.World
	id         string
	reserve    bookingsaga.State
	reserveErr error
	confirm    bookingsaga.State
	confirmErr error
	confirmed  bool
}

func newRun(t *testing.T, w *sagatest.World, opts ...func(*worker.Options)) *run {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	wo := worker.Options{}
	for _, o := range opts {
		o(&wo)
	}
	env.SetWorkerOptions(wo)
	env.RegisterWorkflow(bookingsaga.BookingWorkflow)
	w.Register(env)
	return &run{t: t, env: env, w: w, id: "bk_test"}
}

func decodeState(t *testing.T, v any) bookingsaga.State {
	switch s := v.(type) {
	case bookingsaga.State:
		return s
	case *bookingsaga.State:
		return *s
	case *commonpb.Payloads:
		var st bookingsaga.State
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(s, &st))
		return st
	case nil:
		return bookingsaga.State{}
	}
	t.Fatalf("unexpected update result %T", v)
	return bookingsaga.State{}
}

func reserveRequest() bookingsaga.ReserveRequest {
	return bookingsaga.ReserveRequest{
		QuoteID:    "q1",
		Passengers: []booking.Passenger{{Type: booking.Adult, Title: "MS", GivenName: "Ada", FamilyName: "Lovelace", DateOfBirth: "1990-05-01", Gender: "F"}},
		Contact:    booking.Contact{Email: "ada@example.com", Phone: "+447700900123"},
	}
}

func (r *run) reserveAt(d time.Duration, req bookingsaga.ReserveRequest) {
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(bookingsaga.UpdateReserve, "reserve", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { r.reserveErr = err },
			OnComplete: func(v any, err error) { r.reserve, r.reserveErr = decodeState(r.t, v), err },
		}, req)
	}, d)
}

func (r *run) confirmAt(d time.Duration, token string) {
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(bookingsaga.UpdateConfirm, fmt.Sprintf("confirm-%s", d), &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { r.confirmErr, r.confirmed = err, true },
			OnComplete: func(v any, err error) { r.confirm, r.confirmErr, r.confirmed = decodeState(r.t, v), err, true },
		}, bookingsaga.ConfirmRequest{Provider: "sandbox", Token: token})
	}, d)
}

// payVersion pins the versions of the reserve and payment steps
// (VersionHoldValidatesQuote, VersionCreateAndAuthorize); without it the
// test runs the newest.
func (r *run) payVersion(v workflow.Version) {
	r.env.OnGetVersion(bookingsaga.VersionCreateAndAuthorize, workflow.DefaultVersion, 1).Return(v)
	r.env.OnGetVersion(bookingsaga.VersionHoldValidatesQuote, workflow.DefaultVersion, 1).Return(v)
}

func (r *run) execute() bookingsaga.State {
	r.env.ExecuteWorkflow(bookingsaga.BookingWorkflow, bookingsaga.Input{BookingID: r.id, CustomerID: "cust-1", HoldTTL: holdTTL})
	require.True(r.t, r.env.IsWorkflowCompleted())
	var st bookingsaga.State
	if err := r.env.GetWorkflowError(); err == nil {
		require.NoError(r.t, r.env.GetWorkflowResult(&st))
	}
	return st
}

func (r *run) dbStatus() booking.Status {
	b, err := r.w.Service().Get(context.Background(), r.id)
	require.NoError(r.t, err)
	return b.Status
}

func appType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func TestBooking_HappyPath_ReserveConfirm(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	r := newRun(t, w)
	r.reserveAt(0, reserveRequest())
	r.confirmAt(time.Minute, "tok_visa")
	st := r.execute()

	require.NoError(t, r.reserveErr)
	require.Equal(t, booking.StatusHeld, r.reserve.Status, "reserve answers HELD synchronously")
	require.True(t, booking.ValidPNR(r.reserve.PNR), "got pnr %q", r.reserve.PNR)
	require.NotNil(t, r.reserve.HoldExpiresAt)
	require.NoError(t, r.confirmErr)
	require.Equal(t, booking.StatusConfirmed, r.confirm.Status)
	require.Len(t, r.confirm.Tickets, 1)
	require.True(t, booking.ValidTicketNumber(r.confirm.Tickets[0].Number, "999"))
	require.Equal(t, booking.StatusConfirmed, st.Status)
	require.Equal(t, booking.StatusConfirmed, r.dbStatus())
	require.Equal(t, 8, w.Seats(), "one seat sold")
	require.Equal(t, []string{"captured"}, w.IntentStatuses())
	require.Equal(t, []string{customeract.EventHeld, customeract.EventConfirmed}, w.Events())
	require.Empty(t, st.Compensated)
}

// TestBooking_T7_FaultMatrix fails each saga step k and checks that exactly
// the undos of the steps before k ran, once each, newest first; that the
// booking ends FAILED; and that no hold or authorization is left behind.
func TestBooking_T7_FaultMatrix(t *testing.T) {
	reserveUndos := []string{"release-seats", "mark-booking", "notify"}
	confirmUndos := append([]string{"undo-payment"}, reserveUndos...)
	isStatus := func(s booking.Status) func(any, map[string]int) bool {
		return func(in any, _ map[string]int) bool {
			v, ok := in.(bookingact.SetBookingStatusInput)
			return ok && v.Status == s
		}
	}
	tests := []struct {
		k         int
		step      string
		match     func(any, map[string]int) bool
		inConfirm bool
		wantUndos []string
		wantDB    booking.Status // "" = no booking row
	}{
		{1, "ValidateQuote", nil, false, reserveUndos, ""},
		{1, "HoldSeats", nil, false, reserveUndos, ""},
		{2, "CreateBooking", nil, false, reserveUndos, ""},
		{4, "SetBookingStatus", isStatus(booking.StatusHeld), false, reserveUndos, booking.StatusFailed},
		{5, "CreatePaymentIntent", nil, true, confirmUndos, booking.StatusFailed},
		{6, "SetBookingStatus", isStatus(booking.StatusPaymentPending), true, confirmUndos, booking.StatusFailed},
		{7, "AuthorizePayment", nil, true, confirmUndos, booking.StatusFailed},
		{8, "CapturePayment", nil, true, confirmUndos, booking.StatusFailed},
		{9, "CommitHold", nil, true, confirmUndos, booking.StatusFailed},
		// Ticketing (step 10) comes after the point of no return: it is not
		// undone but goes forward (TestBooking_NoUndoAfterCaptureAndCommit).
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("step %d %s fails", tt.k, tt.step), func(t *testing.T) {
			w := sagatest.NewWorld(t, 9)
			w.SetFault(tt.step, sagatest.Fault{Match: tt.match, NonRetryable: true})
			r := newRun(t, w)
			r.reserveAt(0, reserveRequest())
			r.confirmAt(time.Minute, "tok_visa")
			st := r.execute()

			require.Equal(t, booking.StatusFailed, st.Status)
			require.Equal(t, tt.wantUndos, nilIfEmpty(st.Compensated), "got undos %v, want %v", st.Compensated, tt.wantUndos)
			if tt.inConfirm {
				require.NoError(t, r.reserveErr)
				require.Error(t, r.confirmErr)
				require.Equal(t, bookingsaga.ErrTypeFailed, appType(r.confirmErr))
			} else {
				require.Error(t, r.reserveErr)
			}
			require.Empty(t, w.Leftovers())
			require.Equal(t, 9, w.Seats(), "every seat back on sale")
			if tt.wantDB != "" {
				require.Equal(t, tt.wantDB, r.dbStatus())
			}
			require.LessOrEqual(t, w.Count("ReleaseHold"), 1, "release ran at most once")
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestBooking_T8_AmbiguousFailure: a step fails after its side effect
// happened (as a timeout would); its undo still runs and finds what to undo,
// and an undo with nothing to undo is harmless.
func TestBooking_T8_AmbiguousFailure(t *testing.T) {
	t.Run("the hold happened but HoldSeats failed: the seats come back once", func(t *testing.T) {
		w := sagatest.NewWorld(t, 9)
		w.SetFault("HoldSeats", sagatest.Fault{AfterEffect: true})
		r := newRun(t, w)
		r.reserveAt(0, reserveRequest())
		st := r.execute()
		require.Equal(t, booking.StatusFailed, st.Status)
		require.Equal(t, 9, w.Seats())
		require.Empty(t, w.Leftovers())
	})
	t.Run("the intent was created but CreatePaymentIntent failed: it is found and voided, not duplicated", func(t *testing.T) {
		w := sagatest.NewWorld(t, 9)
		w.SetFault("CreatePaymentIntent", sagatest.Fault{AfterEffect: true, Match: func(_ any, calls map[string]int) bool { return calls["CreatePaymentIntent"] <= 5 }})
		r := newRun(t, w)
		r.reserveAt(0, reserveRequest())
		r.confirmAt(time.Minute, "tok_visa")
		st := r.execute()
		require.Equal(t, booking.StatusFailed, st.Status)
		require.Equal(t, []string{"canceled"}, w.IntentStatuses(), "one intent, voided")
		require.Empty(t, w.Leftovers())
	})
	t.Run("the capture happened but CapturePayment failed: the money is refunded", func(t *testing.T) {
		w := sagatest.NewWorld(t, 9)
		w.SetFault("CapturePayment", sagatest.Fault{AfterEffect: true})
		r := newRun(t, w)
		r.reserveAt(0, reserveRequest())
		r.confirmAt(time.Minute, "tok_visa")
		st := r.execute()
		require.Equal(t, booking.StatusFailed, st.Status)
		require.Equal(t, []string{"refunded"}, w.IntentStatuses())
		require.Equal(t, 1, w.Count("RefundPayment"))
		require.Empty(t, w.Leftovers())
	})
}

// TestBooking_T9_CancelDuringPayment cancels the workflow while it waits
// for the customer's 3-D Secure step: the authorization is voided and the
// seats released anyway.
func TestBooking_T9_CancelDuringPayment(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	r := newRun(t, w)
	r.reserveAt(0, reserveRequest())
	r.confirmAt(time.Minute, "tok_3ds")
	r.env.RegisterDelayedCallback(func() { r.env.CancelWorkflow() }, 2*time.Minute)
	r.execute()

	require.Equal(t, booking.StatusPaymentPending, r.confirm.Status)
	require.NotNil(t, r.confirm.NextAction)
	require.True(t, temporal.IsCanceledError(r.env.GetWorkflowError()), "got %v, want cancelled", r.env.GetWorkflowError())
	require.Equal(t, []string{"canceled"}, w.IntentStatuses())
	require.Equal(t, 9, w.Seats())
	require.Empty(t, w.Leftovers())
	require.Equal(t, booking.StatusFailed, r.dbStatus())
}

// TestBooking_T10_HoldExpiry lets the hold run out (time skipping): seats
// released, booking EXPIRED, customer told.
func TestBooking_T10_HoldExpiry(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	r := newRun(t, w)
	r.reserveAt(0, reserveRequest())
	st := r.execute()

	require.Equal(t, booking.StatusExpired, st.Status)
	require.Equal(t, booking.StatusExpired, r.dbStatus())
	require.Equal(t, 9, w.Seats())
	require.Equal(t, []string{customeract.EventHeld, customeract.EventHoldExpiring, customeract.EventExpired}, w.Events(),
		"held, reminded five minutes before expiry, expired")
	require.Equal(t, []string{"release-seats", "mark-booking", "notify"}, st.Compensated)
}

// TestBooking_DeclinedCardStaysHeldUntilExpiry: a decline answers
// PaymentDeclined, voids nothing left, keeps the booking HELD; a second
// card can still pay; with none the hold expires. Authorize ran once (T5).
func TestBooking_DeclinedCardStaysHeldUntilExpiry(t *testing.T) {
	t.Run("declined then nothing: EXPIRED", func(t *testing.T) {
		w := sagatest.NewWorld(t, 9)
		r := newRun(t, w)
		r.reserveAt(0, reserveRequest())
		r.confirmAt(time.Minute, "tok_decline")
		var midStatus booking.Status
		r.env.RegisterDelayedCallback(func() { midStatus = r.dbStatus() }, 2*time.Minute)
		st := r.execute()
		require.Equal(t, paymentact.ErrTypePaymentDeclined, appType(r.confirmErr), "got %v", r.confirmErr)
		require.Equal(t, booking.StatusHeld, midStatus, "declined booking stays HELD")
		require.Equal(t, 1, w.Count("AuthorizePayment"), "T5: a decline is not retried")
		require.Equal(t, booking.StatusExpired, st.Status)
		require.Equal(t, 9, w.Seats())
		require.Contains(t, w.Events(), customeract.EventPaymentFailed)
		require.Empty(t, w.Leftovers())
	})
	t.Run("declined then a good card: CONFIRMED", func(t *testing.T) {
		w := sagatest.NewWorld(t, 9)
		r := newRun(t, w)
		r.reserveAt(0, reserveRequest())
		r.confirmAt(time.Minute, "tok_decline")
		r.confirmAt(2*time.Minute, "tok_visa")
		st := r.execute()
		require.Equal(t, booking.StatusConfirmed, st.Status)
		require.Equal(t, []string{"failed", "captured"}, w.IntentStatuses())
	})
}

func TestBooking_ThreeDSecure_FinishedByPaymentEvent(t *testing.T) {
	for _, ok := range []bool{true, false} {
		t.Run(fmt.Sprintf("3-D Secure succeeded=%v", ok), func(t *testing.T) {
			w := sagatest.NewWorld(t, 9)
			r := newRun(t, w)
			r.reserveAt(0, reserveRequest())
			r.confirmAt(time.Minute, "tok_3ds")
			r.env.RegisterDelayedCallback(func() {
				w.Complete3DS("pay_1", ok)
				status := "authorized"
				if !ok {
					status = "failed"
				}
				r.env.SignalWorkflow(paymentact.SignalPaymentEvent, paymentact.PaymentEvent{EventID: "ev1", PaymentID: "pay_1", BookingID: r.id, Type: "payment." + status, Status: status})
			}, 3*time.Minute)
			st := r.execute()
			require.Equal(t, booking.StatusPaymentPending, r.confirm.Status)
			require.Equal(t, "redirect", r.confirm.NextAction.Type)
			if ok {
				require.Equal(t, booking.StatusConfirmed, st.Status)
				require.Equal(t, 8, w.Seats())
			} else {
				require.Equal(t, booking.StatusExpired, st.Status, "a failed 3-D Secure leaves the booking HELD until expiry")
				require.Equal(t, 9, w.Seats())
				require.Empty(t, w.Leftovers())
			}
		})
	}
}

func TestBooking_SeatUnavailable_IsARefusal(t *testing.T) {
	w := sagatest.NewWorld(t, 0)
	r := newRun(t, w)
	r.reserveAt(0, reserveRequest())
	st := r.execute()
	require.Equal(t, "SeatUnavailable", appType(r.reserveErr), "got %v", r.reserveErr)
	require.Equal(t, 1, w.Count("HoldSeats"), "T5: seat-unavailable is not retried")
	require.Equal(t, booking.StatusFailed, st.Status)
	_, err := w.Service().Get(context.Background(), r.id)
	require.ErrorIs(t, err, booking.ErrNotFound, "no booking row for a refused hold")
}

func TestBooking_InvalidPassengersAreFieldErrors(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	r := newRun(t, w)
	req := reserveRequest()
	req.Contact.Phone = "12"
	r.reserveAt(0, req)
	r.execute()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(r.reserveErr, &appErr), "got %v", r.reserveErr)
	require.Equal(t, "InvalidBooking", appErr.Type())
	var fields []booking.FieldError
	require.NoError(t, appErr.Details(&fields))
	require.Equal(t, "contact.phone", fields[0].Field)
	require.Equal(t, 9, w.Seats())
}

// TestBooking_I5_DoubleReserve sends reserve twice to one workflow (what
// Update-With-Start with USE_EXISTING does on a double submit): one
// booking, one hold, the same PNR.
func TestBooking_I5_DoubleReserve(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	r := newRun(t, w)
	r.reserveAt(0, reserveRequest())
	var second bookingsaga.State
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(bookingsaga.UpdateReserve, "reserve-again", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { t.Errorf("second reserve rejected: %v", err) },
			OnComplete: func(v any, err error) { require.NoError(t, err); second = decodeState(t, v) },
		}, reserveRequest())
	}, time.Second)
	r.confirmAt(time.Minute, "tok_visa")
	r.execute()
	require.Equal(t, r.reserve.PNR, second.PNR)
	require.Equal(t, 1, w.Count("HoldSeats"))
	require.Equal(t, 8, w.Seats())
}

// TestBooking_NeedsAttention_ParkAndResolve: a release that keeps failing
// parks the booking in NEEDS_ATTENTION (workflow state and database);
// `retry` after the fix finishes the undo; `resolve` ends it by hand.
func TestBooking_NeedsAttention_ParkAndResolve(t *testing.T) {
	for _, action := range []string{saga.SignalRetry, saga.SignalResolve} {
		t.Run(action, func(t *testing.T) {
			w := sagatest.NewWorld(t, 9)
			w.SetFault("ReleaseHold", sagatest.Fault{})
			r := newRun(t, w)
			r.reserveAt(0, reserveRequest())
			var parked bookingsaga.State
			var parkedDB booking.Status
			r.env.RegisterDelayedCallback(func() {
				v, err := r.env.QueryWorkflow(bookingsaga.QueryState)
				require.NoError(t, err)
				require.NoError(t, v.Get(&parked))
				parkedDB = r.dbStatus()
				w.ClearFault("ReleaseHold")
				if action == saga.SignalRetry {
					r.env.SignalWorkflow(saga.SignalRetry, nil)
				} else {
					r.env.SignalWorkflow(saga.SignalResolve, saga.Resolution{Operator: "ops@skyfly", Reason: "released by hand"})
				}
			}, 2*time.Hour)
			st := r.execute()
			require.Equal(t, booking.StatusNeedsAttention, parked.Status)
			require.Equal(t, "release-seats", parked.StuckStep)
			require.Equal(t, booking.StatusNeedsAttention, parkedDB)
			require.Equal(t, booking.StatusExpired, st.Status)
			require.Equal(t, booking.StatusExpired, r.dbStatus())
			require.Equal(t, 10, w.Count("ReleaseHold")-boolToInt(action == saga.SignalRetry), "bounded retries before parking")
			if action == saga.SignalRetry {
				require.Equal(t, 9, w.Seats())
			}
		})
	}
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// optionsRecorder records the options of every activity call (T5).
type optionsRecorder struct {
	interceptor.WorkerInterceptorBase
	calls *[]recordedCall
}

type recordedCall struct {
	name         string
	local        bool
	startToClose time.Duration
	retry        *temporal.RetryPolicy
	waitCancel   bool
}

func (o *optionsRecorder) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &optionsInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, calls: o.calls}
}

type optionsInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	calls *[]recordedCall
}

func (i *optionsInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&optionsOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, calls: i.calls})
}

type optionsOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	calls *[]recordedCall
}

func (o *optionsOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	opts := workflow.GetActivityOptions(ctx)
	*o.calls = append(*o.calls, recordedCall{name: activityType, startToClose: opts.StartToCloseTimeout, retry: opts.RetryPolicy,
		waitCancel: opts.WaitForCancellation})
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

func (o *optionsOutbound) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	opts := workflow.GetLocalActivityOptions(ctx)
	*o.calls = append(*o.calls, recordedCall{name: activityType, local: true, startToClose: opts.StartToCloseTimeout, retry: opts.RetryPolicy})
	return o.Next.ExecuteLocalActivity(ctx, activityType, args...)
}

// TestBooking_T5_ActivityOptions checks every activity call of the happy
// path, a decline and an expiry: StartToClose and an explicit retry policy
// with bounded attempts.
func TestBooking_T5_ActivityOptions(t *testing.T) {
	var calls []recordedCall
	withRecorder := func(o *worker.Options) {
		o.Interceptors = []interceptor.WorkerInterceptor{&optionsRecorder{calls: &calls}}
	}
	for _, version := range []workflow.Version{workflow.DefaultVersion, 1} {
		for _, tokens := range [][]string{{"tok_visa"}, {"tok_decline"}, {"tok_3ds"}} {
			w := sagatest.NewWorld(t, 9)
			r := newRun(t, w, withRecorder)
			r.payVersion(version)
			r.reserveAt(0, reserveRequest())
			r.confirmAt(time.Minute, tokens[0])
			r.execute()
		}
	}
	seen := map[string]bool{}
	for _, c := range calls {
		seen[c.name] = true
		require.Positive(t, c.startToClose, "%s has no StartToClose", c.name)
		require.NotNil(t, c.retry, "%s has no retry policy", c.name)
		require.Positive(t, c.retry.MaximumAttempts, "%s retries forever", c.name)
	}
	for _, name := range []string{"ValidateQuote", "CreateBooking", "HoldSeats", "HoldQuotedSeats", "SetBookingStatus", "CreatePaymentIntent",
		"AuthorizePayment", "CreateAndAuthorizePayment", "CapturePayment", "CommitHold", "ConfirmBooking", "SendBookingNotification", "ReleaseHold", "VoidPayment", "GetPayment"} {
		require.True(t, seen[name], "activity %s was not exercised", name)
	}
}

// TestBooking_ConfirmDuringExpiryIsRefused: once the hold ran out and the
// seats are being released, a late confirm must not start a payment.
func TestBooking_ConfirmDuringExpiryIsRefused(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	w.SetFault("ReleaseHold", sagatest.Fault{Match: func(_ any, calls map[string]int) bool { return calls["ReleaseHold"] <= 2 }})
	r := newRun(t, w)
	r.reserveAt(0, reserveRequest())
	r.confirmAt(holdTTL+500*time.Millisecond, "tok_visa")
	st := r.execute()
	require.True(t, r.confirmed)
	require.Equal(t, bookingsaga.ErrTypeNotConfirmable, appType(r.confirmErr), "got %v", r.confirmErr)
	require.Equal(t, booking.StatusExpired, st.Status)
	require.Empty(t, w.IntentStatuses(), "no payment started")
	require.Equal(t, 9, w.Seats())
}

// TestBooking_SlowReserveOutlivesReserveTimeout: the reserve update was
// accepted but its hold took longer than ReserveTimeout (retries). The
// workflow must wait for the handler instead of finishing FAILED under a
// booking the handler then marks HELD: the hold still expires on its timer.
func TestBooking_SlowReserveOutlivesReserveTimeout(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	// Three failed attempts: 0.2+0.4+0.8 s of backoff, longer than the
	// one-second reserve timeout below.
	w.SetFault("HoldSeats", sagatest.Fault{Match: func(_ any, calls map[string]int) bool { return calls["HoldSeats"] <= 3 }})
	r := newRun(t, w)
	r.reserveAt(0, reserveRequest())
	r.env.ExecuteWorkflow(bookingsaga.BookingWorkflow, bookingsaga.Input{BookingID: r.id, CustomerID: "cust-1", HoldTTL: holdTTL, ReserveTimeout: time.Second})
	require.True(t, r.env.IsWorkflowCompleted())
	require.NoError(t, r.env.GetWorkflowError())
	var st bookingsaga.State
	require.NoError(t, r.env.GetWorkflowResult(&st))

	require.NoError(t, r.reserveErr)
	require.Equal(t, booking.StatusHeld, r.reserve.Status, "the slow reserve still answers HELD")
	require.Equal(t, 4, w.Count("HoldSeats"))
	require.Equal(t, booking.StatusExpired, st.Status, "got %s, want the held booking to expire on its timer", st.Status)
	require.Equal(t, booking.StatusExpired, r.dbStatus())
	require.Equal(t, 9, w.Seats())
	require.Empty(t, w.Leftovers())
}

// TestBooking_T9_ForwardStepsWaitForCancellation: a cancelled workflow must
// not compensate while a forward step (CapturePayment above all) is still
// running on its worker, or the void races the capture and the money is
// taken from a CANCELED intent. Every forward step on another domain's
// queue therefore waits for its activity to acknowledge the cancellation.
func TestBooking_T9_ForwardStepsWaitForCancellation(t *testing.T) {
	var calls []recordedCall
	withRecorder := func(o *worker.Options) {
		o.Interceptors = []interceptor.WorkerInterceptor{&optionsRecorder{calls: &calls}}
	}
	for _, tt := range []struct {
		version workflow.Version
		payment []string
	}{
		{workflow.DefaultVersion, []string{"ValidateQuote", "HoldSeats", "CreatePaymentIntent", "AuthorizePayment"}},
		{1, []string{"HoldQuotedSeats", "CreateAndAuthorizePayment"}},
	} {
		t.Run(fmt.Sprintf("payment version %d", tt.version), func(t *testing.T) {
			calls = nil
			w := sagatest.NewWorld(t, 9)
			r := newRun(t, w, withRecorder)
			r.payVersion(tt.version)
			r.reserveAt(0, reserveRequest())
			r.confirmAt(time.Minute, "tok_visa")
			st := r.execute()
			require.Equal(t, booking.StatusConfirmed, st.Status)
			forward := map[string]bool{"CapturePayment": true, "CommitHold": true}
			for _, name := range tt.payment {
				forward[name] = true
			}
			seen := 0
			for _, c := range calls {
				if !forward[c.name] {
					continue
				}
				seen++
				require.True(t, c.waitCancel, "%s: got WaitForCancellation false, want true", c.name)
			}
			require.Equal(t, len(forward), seen, "every forward step was exercised")
		})
	}
}

// TestBooking_NoUndoAfterCaptureAndCommit: once the money is captured and
// the seats committed the booking is sold. A ticketing step that fails
// after it actually committed (or at all) must not refund and release a
// CONFIRMED booking: it parks in NEEDS_ATTENTION and goes forward on retry.
func TestBooking_NoUndoAfterCaptureAndCommit(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	w.SetFault("ConfirmBooking", sagatest.Fault{AfterEffect: true, NonRetryable: true,
		Match: func(_ any, calls map[string]int) bool { return calls["ConfirmBooking"] == 1 }})
	r := newRun(t, w)
	r.reserveAt(0, reserveRequest())
	r.confirmAt(time.Minute, "tok_visa")
	var parked bookingsaga.State
	r.env.RegisterDelayedCallback(func() {
		v, err := r.env.QueryWorkflow(bookingsaga.QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&parked))
		r.env.SignalWorkflow(saga.SignalRetry, nil)
	}, 10*time.Minute)
	st := r.execute()

	require.Equal(t, booking.StatusNeedsAttention, parked.Status, "got %s, want the failed ticketing parked", parked.Status)
	require.Equal(t, "issue-tickets", parked.StuckStep)
	require.NoError(t, r.confirmErr)
	require.Equal(t, booking.StatusConfirmed, r.confirm.Status)
	require.Equal(t, booking.StatusConfirmed, st.Status)
	require.Equal(t, booking.StatusConfirmed, r.dbStatus())
	require.Empty(t, st.Compensated, "nothing undone after the point of no return")
	require.Equal(t, []string{"captured"}, w.IntentStatuses(), "the money stays captured")
	require.Zero(t, w.Count("RefundPayment"))
	require.Equal(t, 8, w.Seats(), "the seat stays sold")
}

// PF2: from version 1 the payment step is one CreateAndAuthorizePayment
// activity; the guarantees of the two-call version hold (both versions run
// here; the recorded histories replay the old one).
func TestBooking_CreateAndAuthorizeInOneCall(t *testing.T) {
	for _, version := range []workflow.Version{workflow.DefaultVersion, 1} {
		t.Run(fmt.Sprintf("payment version %d: a good card confirms with one intent and one authorization", version), func(t *testing.T) {
			w := sagatest.NewWorld(t, 9)
			r := newRun(t, w)
			r.payVersion(version)
			r.reserveAt(0, reserveRequest())
			r.confirmAt(time.Minute, "tok_visa")
			st := r.execute()
			require.Equal(t, booking.StatusConfirmed, st.Status)
			require.NotEmpty(t, st.PaymentID)
			require.Equal(t, []string{"captured"}, w.IntentStatuses())
			require.Equal(t, 1, w.Count("CreatePaymentIntent"))
			require.Equal(t, 1, w.Count("AuthorizePayment"))
			require.Equal(t, boolToInt(version == 1), w.Count("CreateAndAuthorizePayment"), "the one call only from version 1")
			require.Equal(t, 1, w.Count("ValidateQuote"))
			require.Equal(t, 1, w.Count("HoldSeats"))
			require.Equal(t, boolToInt(version == 1), w.Count("HoldQuotedSeats"), "the one reserve call only from version 1")
		})
	}
	t.Run("a decline names the intent, is not retried, and the booking stays HELD", func(t *testing.T) {
		w := sagatest.NewWorld(t, 9)
		r := newRun(t, w)
		r.reserveAt(0, reserveRequest())
		r.confirmAt(time.Minute, "tok_decline")
		r.execute()
		require.Equal(t, paymentact.ErrTypePaymentDeclined, appType(r.confirmErr))
		require.Equal(t, 1, w.Count("CreateAndAuthorizePayment"), "T5: a decline is not retried")
		require.Equal(t, 1, w.Count("CreatePaymentIntent"), "the undo needed no lookup: the decline named the intent")
		require.Equal(t, booking.StatusExpired, r.dbStatus(), "held until the hold ran out")
	})
	t.Run("a refused creation leaves nothing to undo in the payment domain", func(t *testing.T) {
		w := sagatest.NewWorld(t, 9)
		w.SetFault("CreatePaymentIntent", sagatest.Fault{NonRetryable: true})
		r := newRun(t, w)
		r.reserveAt(0, reserveRequest())
		r.confirmAt(time.Minute, "tok_visa")
		st := r.execute()
		require.Equal(t, booking.StatusFailed, st.Status)
		require.Equal(t, 1, w.Count("CreatePaymentIntent"), "no lookup of an intent that was never made")
		require.Zero(t, w.Count("GetPayment"))
		require.Zero(t, w.Count("VoidPayment"))
		require.Equal(t, 9, w.Seats())
	})
	t.Run("3-D Secure waits for the payment event, then captures", func(t *testing.T) {
		w := sagatest.NewWorld(t, 9)
		r := newRun(t, w)
		r.reserveAt(0, reserveRequest())
		r.confirmAt(time.Minute, "tok_3ds")
		r.env.RegisterDelayedCallback(func() {
			w.Complete3DS(r.confirm.PaymentID, true)
			r.env.SignalWorkflow(paymentact.SignalPaymentEvent, paymentact.PaymentEvent{PaymentID: r.confirm.PaymentID, Status: "authorized"})
		}, 2*time.Minute)
		st := r.execute()
		require.Equal(t, "requires_action", r.confirm.PaymentStatus)
		require.NotNil(t, r.confirm.NextAction)
		require.Equal(t, booking.StatusConfirmed, st.Status)
		require.Equal(t, []string{"captured"}, w.IntentStatuses())
	})
}

// PF2: from version 1 reserve is one HoldQuotedSeats call: the flight
// domain validates its own quote first, so a refused quote takes no seat
// (before, the hold ran beside the check and was released after it).
func TestBooking_HoldValidatesItsQuote(t *testing.T) {
	for _, version := range []workflow.Version{workflow.DefaultVersion, 1} {
		t.Run(fmt.Sprintf("reserve version %d: an expired quote is refused and every seat stays on sale", version), func(t *testing.T) {
			w := sagatest.NewWorld(t, 9)
			r := newRun(t, w)
			r.payVersion(version)
			req := reserveRequest()
			req.QuoteID = "expired"
			r.reserveAt(0, req)
			st := r.execute()
			require.Equal(t, booking.StatusFailed, st.Status)
			require.Equal(t, flightact.ErrTypeQuoteExpired, appType(r.reserveErr))
			require.Equal(t, 9, w.Seats())
			require.Equal(t, boolToInt(version == workflow.DefaultVersion), w.Count("HoldSeats"), "the hold runs only beside the check, before version 1")
			require.Empty(t, w.Leftovers())
		})
	}
}
