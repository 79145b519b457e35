// Package cancelsaga is the CancelBookingWorkflow (id cancel/{bookingId},
// task queue booking-saga): from an accepted cancellation quote it marks the
// booking CANCELLING, releases the seats, refunds the quoted amount, marks
// it CANCELLED and tells the customer. Until the release of the seats is
// attempted a failure restores the CONFIRMED booking (as does a release the
// flight domain refuses); after that the saga only moves forward, and a
// step that keeps failing parks it in NEEDS_ATTENTION.
package cancelsaga

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workflows/saga"
)

// Names of the workflow, its update and query.
const (
	WorkflowName = "CancelBookingWorkflow"
	// UpdateStarted answers once the booking is CANCELLING (the API's 202).
	UpdateStarted = "started"
	QueryState    = "state"
)

// VersionGuardedStatus is the workflow.GetVersion change id under which
// the saga moves the booking by compare-and-set (version 1): CONFIRMED →
// CANCELLING, and back or on to NEEDS_ATTENTION only from the status it
// set itself. A booking that moved on meanwhile (a change started after
// the cancellation was quoted) is refused and left as it is, never put
// "back" to CONFIRMED under the change.
const VersionGuardedStatus = "cancel-guarded-status"

// Input starts a cancellation from an accepted quote.
type Input struct {
	BookingID  string `json:"bookingId"`
	CustomerID string `json:"customerId"`
	PNR        string `json:"pnr"`
	QuoteID    string `json:"quoteId"`
	HoldID     string `json:"holdId"`
	// PaymentIDs are the intents holding the booking's money, newest
	// first (change charges, then the original payment); the refund
	// walks them in this order.
	PaymentIDs []string        `json:"paymentIds"`
	FlightIDs  []string        `json:"flightIds"`
	Refund     money.Money     `json:"refund"`
	Penalty    money.Money     `json:"penalty"`
	Actor      string          `json:"actor,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Contact    booking.Contact `json:"contact"`
	Language   string          `json:"language,omitempty"`
}

// State is the cancellation's progress.
type State struct {
	BookingID   string         `json:"bookingId"`
	Status      booking.Status `json:"status"`
	Refunded    money.Money    `json:"refunded"`
	StuckStep   string         `json:"stuckStep,omitempty"`
	Compensated []string       `json:"compensated,omitempty"`
	Failure     string         `json:"failure,omitempty"`
}

type wf struct {
	in      Input
	st      State
	saga    *saga.Saga
	started bool
	// guarded: the booking's status moves by compare-and-set
	// (VersionGuardedStatus).
	guarded bool
	// plan is the refund's split over the intents, fixed once computed.
	plan []saga.RefundShare
	fa   *flightact.Activities
	ca   *customeract.Activities
	ba   *bookingact.Activities
}

// CancelBookingWorkflow cancels a confirmed booking.
func CancelBookingWorkflow(ctx workflow.Context, in Input) (State, error) {
	w := &wf{in: in, st: State{BookingID: in.BookingID, Status: booking.StatusConfirmed, Refunded: money.New(0, in.Refund.Currency)}}
	w.saga = saga.New(ctx, saga.Hooks{Park: w.park, Unpark: w.unpark})
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return w.st, nil }); err != nil {
		return w.st, fmt.Errorf("register query: %w", err)
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateStarted, func(ctx workflow.Context) (State, error) {
		if err := workflow.Await(ctx, func() bool { return w.started }); err != nil {
			return w.st, err
		}
		if w.st.Failure != "" && w.st.Status == booking.StatusConfirmed {
			return w.st, temporal.NewNonRetryableApplicationError(w.st.Failure, "CancellationFailed", nil)
		}
		return w.st, nil
	}); err != nil {
		return w.st, fmt.Errorf("register update: %w", err)
	}
	w.publish(ctx)
	w.guarded = workflow.GetVersion(ctx, VersionGuardedStatus, workflow.DefaultVersion, 1) >= 1
	err := w.run(ctx)
	w.started = true
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	w.st.Compensated = w.saga.Log
	return w.st, err
}

func (w *wf) run(ctx workflow.Context) error {
	w.saga.Add("restore-confirmed", w.restoreConfirmed)
	if err := w.setStatus(ctx, booking.StatusConfirmed, booking.StatusCancelling, "cancellation_started", w.in.Reason); err != nil {
		return w.abort(ctx, err)
	}
	w.started = true
	release := func(ctx workflow.Context) error {
		if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Flight), w.fa.ReleaseHold, flightact.ReleaseHoldInput{
			HoldID: w.in.HoldID, Reason: "cancelled",
		}).Get(ctx, nil); err != nil {
			return fmt.Errorf("release seats: %w", err)
		}
		return nil
	}
	err := release(ctx)
	if err != nil && isRefusal(err) {
		// The flight domain refused: the seats are certainly still sold.
		return w.abort(ctx, err)
	}
	// The release was attempted and may have put the seats back on sale
	// (a timeout is ambiguous): the booking is never restored to CONFIRMED
	// from here; the saga only moves forward.
	w.saga.Forget()
	if err != nil {
		if _, err := w.saga.Persist(ctx, "release-seats", release); err != nil {
			return err
		}
	}
	if w.in.Refund.Amount > 0 {
		res, err := w.saga.Persist(ctx, "refund", w.refund)
		if err != nil {
			return err
		}
		if res == nil {
			w.st.Refunded = w.in.Refund
		}
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if _, err := w.saga.Persist(dctx, "mark-cancelled", func(ctx workflow.Context) error {
		return workflow.ExecuteLocalActivity(saga.Local(ctx), w.ba.CompleteCancellation, bookingact.CompleteCancellationInput{
			BookingID: w.in.BookingID, Refunded: w.st.Refunded, Actor: w.in.Actor,
		}).Get(ctx, nil)
	}); err != nil {
		return err
	}
	w.st.Status = booking.StatusCancelled
	w.publish(ctx)
	w.notify(dctx, customeract.EventCancelled)
	if w.st.Refunded.Amount > 0 {
		w.notify(dctx, customeract.EventRefunded)
	}
	return nil
}

// refund returns the quoted amount, taking it from the newest intent
// first, by a plan made once (saga.PlanRefund).
func (w *wf) refund(ctx workflow.Context) error {
	uctx := saga.Undo(ctx, queues.Payment)
	if w.plan == nil {
		plan, err := saga.PlanRefund(uctx, w.in.PaymentIDs, w.in.Refund)
		if err != nil {
			return err
		}
		w.plan = plan
	}
	refunded, err := saga.Refund(uctx, w.plan, w.in.Refund.Currency, "cancel/"+w.in.BookingID+"/refund/", "cancellation")
	if err != nil {
		return err
	}
	w.st.Refunded = money.New(refunded, w.in.Refund.Currency)
	return nil
}

// restoreConfirmed undoes CANCELLING. Guarded, it moves the booking back
// only from the status this saga set (CANCELLING, or NEEDS_ATTENTION when
// it parked); a booking found in another status was never this saga's to
// restore (a change holds it) and is left alone.
func (w *wf) restoreConfirmed(ctx workflow.Context) error {
	if !w.guarded {
		return w.setStatus(ctx, "", booking.StatusConfirmed, "cancellation_failed", w.st.Failure)
	}
	from := w.st.Status
	if from == booking.StatusConfirmed {
		// The move to CANCELLING failed, perhaps after it landed.
		from = booking.StatusCancelling
	}
	err := w.setStatus(ctx, from, booking.StatusConfirmed, "cancellation_failed", w.st.Failure)
	if isType(err, bookingact.ErrTypeStatusConflict) {
		workflow.GetLogger(ctx).Warn("the booking moved on; not restoring it to CONFIRMED", "bookingId", w.in.BookingID, "error", err)
		return nil
	}
	return err
}

// abort restores the confirmed booking when the seats are still held.
func (w *wf) abort(ctx workflow.Context, cause error) error {
	w.st.Failure = cause.Error()
	w.started = true
	_, _ = w.saga.Compensate(ctx, 0)
	w.st.Status = booking.StatusConfirmed
	w.publish(ctx)
	return temporal.NewNonRetryableApplicationError("cancellation failed; the booking stays confirmed", "CancellationFailed", cause)
}

// setStatus moves the booking to s; guarded, only from status from (a
// compare-and-set).
func (w *wf) setStatus(ctx workflow.Context, from, s booking.Status, event, reason string) error {
	in := bookingact.SetBookingStatusInput{BookingID: w.in.BookingID, Status: s, Event: event, Actor: w.in.Actor, Reason: reason}
	if w.guarded {
		in.From = from
	}
	if err := workflow.ExecuteLocalActivity(saga.Local(ctx), w.ba.SetBookingStatus, in).Get(ctx, nil); err != nil {
		return fmt.Errorf("mark booking %s: %w", s, err)
	}
	w.st.Status = s
	w.publish(ctx)
	return nil
}

func (w *wf) park(ctx workflow.Context, step string, err error) {
	w.st.StuckStep, w.st.Failure = step, err.Error()
	// Guarded, a booking parked before (and never moved since) shows it
	// already: NEEDS_ATTENTION → NEEDS_ATTENTION is no move.
	if !w.guarded || w.st.Status != booking.StatusNeedsAttention {
		if serr := w.setStatus(ctx, w.st.Status, booking.StatusNeedsAttention, "needs_attention", step+" failed"); serr != nil {
			workflow.GetLogger(ctx).Error("cannot record NEEDS_ATTENTION", "error", serr)
		}
	}
	w.st.Status = booking.StatusNeedsAttention
	w.publish(ctx)
}

func (w *wf) unpark(ctx workflow.Context, res *saga.Resolution) {
	w.st.StuckStep = ""
	if res != nil {
		workflow.GetLogger(ctx).Info("resolved by operator", "operator", res.Operator, "reason", res.Reason)
		w.in.Actor = res.Operator
	}
	w.publish(ctx)
}

func (w *wf) publish(ctx workflow.Context) {
	updates := []temporal.SearchAttributeUpdate{
		temporal.NewSearchAttributeKeyKeyword(queues.AttrBookingStatus).ValueSet(string(w.st.Status)),
		temporal.NewSearchAttributeKeyKeyword(queues.AttrCustomerID).ValueSet(w.in.CustomerID),
		temporal.NewSearchAttributeKeyKeyword(queues.AttrPNR).ValueSet(w.in.PNR),
	}
	if len(w.in.FlightIDs) > 0 {
		updates = append(updates, temporal.NewSearchAttributeKeyKeywordList(queues.AttrFlightID).ValueSet(w.in.FlightIDs))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
	_ = workflow.UpsertMemo(ctx, map[string]any{"pnr": w.in.PNR, "status": string(w.st.Status), "stuckStep": w.st.StuckStep, "failure": w.st.Failure})
}

func (w *wf) notify(ctx workflow.Context, event string) {
	in := customeract.SendBookingNotificationInput{
		BookingID: w.in.BookingID, Event: event, Sequence: 1, CustomerID: w.in.CustomerID,
		Email: w.in.Contact.Email, Phone: w.in.Contact.Phone, Language: w.in.Language,
		Data: map[string]string{"pnr": w.in.PNR, "refund": w.st.Refunded.String(), "penalty": w.in.Penalty.String()},
	}
	if err := workflow.ExecuteActivity(saga.Notify(ctx, queues.Customer), w.ca.SendBookingNotification, in).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("notification failed", "event", event, "error", err)
	}
}

// isType reports whether err carries an application error of type t.
func isType(err error, t string) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == t
}

// isRefusal reports a business refusal (the step certainly did not
// happen), as opposed to a timeout or exhausted retries (it may have).
func isRefusal(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}
