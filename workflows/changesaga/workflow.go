// Package changesaga is the ChangeBookingWorkflow (id
// change/{bookingId}/{changeId}, task queue booking-saga): Update-With-Start
// `quote` prices the new itinerary (fare difference plus change penalty, or
// money back; a supervisor may waive the penalty) and stores the change;
// Update `accept` runs the saga: CHANGING → hold the new seats → charge the
// difference → commit the new seats → release the old ones → refund what
// is owed → reissue tickets → CONFIRMED on the new itinerary → notify. Any
// failure before the release of the old seats was attempted restores the
// original booking intact; from that attempt on the saga only goes forward.
package changesaga

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workflows/saga"
)

// Names of the workflow, its updates and query.
const (
	WorkflowName = "ChangeBookingWorkflow"
	UpdateQuote  = "quote"
	UpdateAccept = "accept"
	QueryState   = "state"
)

// Error types the updates return.
const (
	ErrTypeNotAcceptable = "ChangeNotAcceptable"
	ErrTypeFailed        = "ChangeFailed"
)

// Change statuses of the workflow (the booking's own status is separate).
const (
	StatusQuoted    = "QUOTED"
	StatusChanging  = "CHANGING"
	StatusCompleted = "COMPLETED"
	StatusFailed    = "FAILED"
	StatusExpired   = "EXPIRED"
)

// Input starts a change of a confirmed booking.
type Input struct {
	BookingID    string                    `json:"bookingId"`
	ChangeID     string                    `json:"changeId"`
	CustomerID   string                    `json:"customerId"`
	PNR          string                    `json:"pnr"`
	OldHoldID    string                    `json:"oldHoldId"`
	PaymentID    string                    `json:"paymentId"`
	OldFlightIDs []string                  `json:"oldFlightIds"`
	Passengers   flightact.PassengerCounts `json:"passengers"`
	Contact      booking.Contact           `json:"contact"`
	Language     string                    `json:"language,omitempty"`
	// HoldTTL is how long the new seats are held while money settles.
	HoldTTL time.Duration `json:"holdTtl"`
	// Protect, when set, makes this the airline's protected rebooking of a
	// disrupted booking (a DisruptionWorkflow's child): the workflow loads
	// the booking itself, finds and holds the best alternative, and applies
	// it at no cost without quote or accept updates (protect.go).
	Protect *Protection `json:"protect,omitempty"`
}

// QuoteRequest asks for the price of a change.
type QuoteRequest struct {
	FlightIDs []string `json:"flightIds"`
	FareID    string   `json:"fareId"`
	Actor     string   `json:"actor"`
	Reason    string   `json:"reason,omitempty"`
	// Waive drops the change penalty (the API allows it to supervisors).
	Waive bool `json:"waive,omitempty"`
	// Staff changes must carry a reason.
	Staff bool `json:"staff,omitempty"`
}

// AcceptRequest accepts the quote; a payment token is needed when money is due.
type AcceptRequest struct {
	Provider string `json:"provider,omitempty"`
	Token    string `json:"token,omitempty"`
}

// State is the change's progress.
type State struct {
	ChangeID    string           `json:"changeId"`
	BookingID   string           `json:"bookingId"`
	Status      string           `json:"status"`
	Change      *booking.Change  `json:"change,omitempty"`
	Tickets     []booking.Ticket `json:"tickets,omitempty"`
	StuckStep   string           `json:"stuckStep,omitempty"`
	Compensated []string         `json:"compensated,omitempty"`
	Failure     string           `json:"failure,omitempty"`
}

type wf struct {
	in       Input
	st       State
	quote    flightact.Quote
	accept   *AcceptRequest
	quoted   bool
	quoteErr error
	started  bool
	// refused: the booking was not what this change was quoted on (it
	// changed since, or another change holds it).
	refused bool
	saga    *saga.Saga
	fa      *flightact.Activities
	pa      *paymentact.Activities
	ca      *customeract.Activities
	ba      *bookingact.Activities
}

// ChangeBookingWorkflow quotes and, when accepted, applies one change.
func ChangeBookingWorkflow(ctx workflow.Context, in Input) (State, error) {
	w := &wf{in: in, st: State{ChangeID: in.ChangeID, BookingID: in.BookingID}}
	w.saga = saga.New(ctx, saga.Hooks{Park: w.park, Unpark: w.unpark})
	if err := w.register(ctx); err != nil {
		return w.st, err
	}
	if in.Protect != nil {
		return w.finish(ctx, w.protect(ctx))
	}
	if err := workflow.Await(ctx, func() bool { return w.quoted }); err != nil {
		return w.finish(ctx, err)
	}
	if w.quoteErr != nil {
		w.st.Status = StatusFailed
		return w.finish(ctx, nil)
	}
	ok, err := workflow.AwaitWithTimeout(ctx, w.st.Change.ExpiresAt.Sub(workflow.Now(ctx)), func() bool { return w.accept != nil })
	if err != nil {
		return w.finish(ctx, err)
	}
	if !ok {
		w.st.Status = StatusExpired
		_ = w.local(ctx, w.ba.SetChangeStatus, bookingact.SetChangeStatusInput{ChangeID: in.ChangeID, Status: booking.ChangeFailed})
		return w.finish(ctx, nil)
	}
	return w.finish(ctx, w.run(ctx))
}

func (w *wf) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return w.st, nil }); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateQuote, w.quoteHandler, workflow.UpdateHandlerOptions{
		Validator: func(req QuoteRequest) error {
			if len(req.FlightIDs) == 0 || req.FareID == "" {
				return temporal.NewApplicationError("flightIds and fareId are required", "InvalidRequest")
			}
			return nil
		},
	}); err != nil {
		return fmt.Errorf("register quote: %w", err)
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateAccept, func(ctx workflow.Context, req AcceptRequest) (State, error) {
		w.accept = &req
		if err := workflow.Await(ctx, func() bool { return w.started }); err != nil {
			return w.st, err
		}
		if w.st.Status == StatusFailed && w.refused {
			return w.st, temporal.NewNonRetryableApplicationError(
				"the booking changed since this quote or another change is running; ask for a new quote", ErrTypeNotAcceptable, nil)
		}
		if w.st.Status == StatusFailed {
			return w.st, temporal.NewNonRetryableApplicationError(w.st.Failure, ErrTypeFailed, nil)
		}
		return w.st, nil
	}, workflow.UpdateHandlerOptions{Validator: func(req AcceptRequest) error {
		if !w.quoted || w.quoteErr != nil || w.accept != nil || w.st.Status != StatusQuoted {
			return temporal.NewApplicationError("change is "+w.st.Status, ErrTypeNotAcceptable)
		}
		if w.st.Change.Due.Amount > 0 && (req.Token == "" || req.Provider == "") {
			return temporal.NewApplicationError("a payment token is required: this change costs money", ErrTypeNotAcceptable)
		}
		return nil
	}})
}

func (w *wf) quoteHandler(ctx workflow.Context, req QuoteRequest) (State, error) {
	if w.quoted {
		return w.st, w.quoteErr
	}
	defer func() { w.quoted = true }()
	var priced flightact.PriceItineraryResult
	if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Flight), w.fa.PriceItinerary, flightact.PriceItineraryInput{
		FlightIDs: req.FlightIDs, FareID: req.FareID, Passengers: w.in.Passengers,
	}).Get(ctx, &priced); err != nil {
		w.quoteErr = fmt.Errorf("price itinerary: %w", err)
		return w.st, w.quoteErr
	}
	w.quote = priced.Quote
	var res bookingact.ChangeResult
	if err := w.local(ctx, w.ba.SaveChangeQuote, bookingact.SaveChangeQuoteInput{
		ChangeID: w.in.ChangeID, BookingID: w.in.BookingID, NewQuoteID: priced.Quote.QuoteID, NewFlightIDs: saga.FlightIDs(priced.Quote),
		NewFareID: priced.Quote.FareID, NewTotal: priced.Quote.Total, Actor: req.Actor, Reason: req.Reason, Waive: req.Waive, Staff: req.Staff,
	}, &res); err != nil {
		w.quoteErr = fmt.Errorf("save change quote: %w", err)
		return w.st, w.quoteErr
	}
	// A change quote cannot outlive the flight quote it rests on.
	if !priced.Quote.ExpiresAt.IsZero() && priced.Quote.ExpiresAt.Before(res.Change.ExpiresAt) {
		res.Change.ExpiresAt = priced.Quote.ExpiresAt
	}
	w.st.Change = &res.Change
	w.st.Status = StatusQuoted
	return w.st, nil
}

func (w *wf) run(ctx workflow.Context) error {
	c := w.st.Change
	w.saga.Add("restore-booking", func(ctx workflow.Context) error {
		if err := w.local(ctx, w.ba.SetChangeStatus, bookingact.SetChangeStatusInput{ChangeID: c.ID, Status: booking.ChangeFailed}); err != nil {
			return err
		}
		// Only a booking this change holds goes back to CONFIRMED: a
		// refused change must not undo the change that holds it.
		if err := w.local(ctx, w.ba.AbortChange, bookingact.AbortChangeInput{
			ChangeID: c.ID, Actor: c.Actor, Reason: w.st.Failure,
		}); err != nil {
			return fmt.Errorf("restore booking: %w", err)
		}
		if !w.refused {
			w.publish(ctx, booking.StatusConfirmed)
		}
		return nil
	})
	// CHANGING only from CONFIRMED on the itinerary this change was quoted
	// on: a second change (after this booking already changed, or while
	// another change runs) is refused before it touches seats or money.
	if err := w.local(ctx, w.ba.StartChange, bookingact.StartChangeInput{
		ChangeID: c.ID, OldHoldID: w.in.OldHoldID, Actor: c.Actor, Reason: c.Reason,
	}); err != nil {
		w.refused = isType(err, bookingact.ErrTypeNotChangeable)
		return w.abort(ctx, fmt.Errorf("start change: %w", err))
	}
	w.publish(ctx, booking.StatusChanging)
	if err := w.local(ctx, w.ba.SetChangeStatus, bookingact.SetChangeStatusInput{ChangeID: c.ID, Status: booking.ChangeStarted}); err != nil {
		return w.abort(ctx, err)
	}
	w.st.Status = StatusChanging
	w.started = true

	newHold := w.newHold()
	if w.in.Protect == nil { // a protected rebooking held its seats already
		w.addReleaseNewSeats(newHold)
		if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Flight), w.fa.HoldSeats, flightact.HoldSeatsInput{
			HoldID: newHold, QuoteID: c.NewQuoteID, TTL: w.in.HoldTTL,
		}).Get(ctx, nil); err != nil {
			return w.abort(ctx, fmt.Errorf("hold new seats: %w", err))
		}
	}

	charged := money.New(0, c.Due.Currency)
	chargeID := ""
	if c.Due.Amount > 0 {
		var err error
		if charged, chargeID, err = w.charge(ctx, c.Due); err != nil {
			return w.abort(ctx, err)
		}
	}
	if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Flight), w.fa.CommitHold, flightact.CommitHoldInput{HoldID: newHold}).Get(ctx, nil); err != nil {
		return w.abort(ctx, fmt.Errorf("commit new seats: %w", err))
	}
	releaseOld := func(ctx workflow.Context) error {
		if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Flight), w.fa.ReleaseHold, flightact.ReleaseHoldInput{
			HoldID: w.in.OldHoldID, Reason: "changed",
		}).Get(ctx, nil); err != nil {
			return fmt.Errorf("release old seats: %w", err)
		}
		return nil
	}
	err := releaseOld(ctx)
	if err != nil && isRefusal(err) {
		// The flight domain refused: the old seats are certainly still sold.
		return w.abort(ctx, err)
	}
	// The release of the old seats was attempted and may have put them
	// back on sale (a timeout is ambiguous): the original itinerary is
	// never restored from here; the saga only moves forward.
	w.saga.Forget()
	if err != nil {
		if _, err := w.saga.Persist(ctx, "release-old-seats", releaseOld); err != nil {
			return err
		}
	}
	paid := charged
	if c.Due.Amount < 0 {
		refund := money.New(-c.Due.Amount, c.Due.Currency)
		res, err := w.saga.Persist(ctx, "refund-difference", w.refundDifference(refund))
		if err != nil {
			return err
		}
		if res == nil {
			paid = money.New(c.Due.Amount, c.Due.Currency)
		}
	}
	var applied bookingact.BookingResult
	if _, err := w.saga.Persist(ctx, "apply-change", func(ctx workflow.Context) error {
		return workflow.ExecuteLocalActivity(saga.Local(ctx), w.ba.ApplyChange, bookingact.ApplyChangeInput{
			ChangeID: c.ID, Segments: saga.Segments(w.quote.Segments), Fare: saga.Fare(w.quote), Total: c.NewTotal,
			HoldID: newHold, Paid: paid, PaymentID: chargeID, Actor: c.Actor,
		}).Get(ctx, &applied)
	}); err != nil {
		return err
	}
	w.st.Status, w.st.Tickets = StatusCompleted, applied.Tickets
	w.publish(ctx, booking.StatusConfirmed)
	if w.in.Protect != nil {
		w.notifyProtected(ctx, customeract.EventRebooked)
		return nil
	}
	w.notify(ctx, customeract.EventChanged)
	return nil
}

func (w *wf) newHold() string { return w.in.BookingID + "/" + w.in.ChangeID }

func (w *wf) addReleaseNewSeats(hold string) {
	w.saga.Add("release-new-seats", func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(saga.Undo(ctx, queues.Flight), w.fa.ReleaseHold,
			flightact.ReleaseHoldInput{HoldID: hold, Reason: "change failed"}).Get(ctx, nil)
	})
}

// charge takes the fare difference on a new intent.
func (w *wf) charge(ctx workflow.Context, due money.Money) (money.Money, string, error) {
	key := "change/" + w.in.BookingID + "/" + w.in.ChangeID
	create := paymentact.CreatePaymentIntentInput{IdempotencyKey: key + "/intent", BookingID: w.in.BookingID,
		CustomerID: w.in.CustomerID, Amount: due, Provider: w.accept.Provider}
	var pid string
	refused := false
	w.saga.Add("undo-charge", func(ctx workflow.Context) error {
		uctx := saga.Undo(ctx, queues.Payment)
		if pid == "" && refused {
			return nil // the intent was certainly never created
		}
		if pid == "" {
			var p paymentact.PaymentResult
			if err := workflow.ExecuteActivity(uctx, w.pa.CreatePaymentIntent, create).Get(ctx, &p); err != nil {
				return err
			}
			pid = p.PaymentID
		}
		var p paymentact.PaymentResult
		if err := workflow.ExecuteActivity(uctx, w.pa.GetPayment, paymentact.GetPaymentInput{PaymentID: pid}).Get(ctx, &p); err != nil {
			return err
		}
		if p.Captured.Amount > p.Refunded.Amount {
			return workflow.ExecuteActivity(uctx, w.pa.RefundPayment, paymentact.RefundPaymentInput{
				IdempotencyKey: key + "/refund", PaymentID: pid, Reason: "change failed"}).Get(ctx, nil)
		}
		return workflow.ExecuteActivity(uctx, w.pa.VoidPayment, paymentact.VoidPaymentInput{
			IdempotencyKey: key + "/void", PaymentID: pid, Reason: "change failed"}).Get(ctx, nil)
	})
	var p paymentact.PaymentResult
	if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Payment), w.pa.CreatePaymentIntent, create).Get(ctx, &p); err != nil {
		refused = isRefusal(err)
		return money.Money{}, "", fmt.Errorf("create change intent: %w", err)
	}
	pid = p.PaymentID
	if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Payment), w.pa.AuthorizePayment, paymentact.AuthorizePaymentInput{
		IdempotencyKey: key + "/authorize", PaymentID: pid, Token: w.accept.Token,
	}).Get(ctx, &p); err != nil {
		return money.Money{}, "", fmt.Errorf("authorize change payment: %w", err)
	}
	if p.Status != "authorized" {
		return money.Money{}, "", temporal.NewNonRetryableApplicationError("change payment "+p.Status+": changes need a card without a 3-D Secure step",
			paymentact.ErrTypePaymentDeclined, nil)
	}
	if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Payment), w.pa.CapturePayment, paymentact.CapturePaymentInput{
		IdempotencyKey: key + "/capture", PaymentID: pid,
	}).Get(ctx, &p); err != nil {
		return money.Money{}, "", fmt.Errorf("capture change payment: %w", err)
	}
	return due, pid, nil
}

// abort compensates and leaves the original booking CONFIRMED, unchanged.
func (w *wf) abort(ctx workflow.Context, cause error) error {
	w.st.Failure = cause.Error()
	_, _ = w.saga.Compensate(ctx, 0)
	w.st.Status = StatusFailed
	w.started = true
	return temporal.NewNonRetryableApplicationError("change failed; the booking is unchanged", ErrTypeFailed, cause)
}

func (w *wf) finish(ctx workflow.Context, err error) (State, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	w.st.Compensated = w.saga.Log
	return w.st, err
}

func (w *wf) local(ctx workflow.Context, fn any, in any, out ...any) error {
	f := workflow.ExecuteLocalActivity(saga.Local(ctx), fn, in)
	if len(out) > 0 {
		return f.Get(ctx, out[0])
	}
	return f.Get(ctx, nil)
}

func (w *wf) setBooking(ctx workflow.Context, s booking.Status, event, reason string) error {
	actor := ""
	if w.st.Change != nil {
		actor = w.st.Change.Actor
	}
	if err := w.local(ctx, w.ba.SetBookingStatus, bookingact.SetBookingStatusInput{
		BookingID: w.in.BookingID, Status: s, Event: event, Actor: actor, Reason: reason,
	}); err != nil {
		return fmt.Errorf("mark booking %s: %w", s, err)
	}
	w.publish(ctx, s)
	return nil
}

func (w *wf) park(ctx workflow.Context, step string, err error) {
	w.st.StuckStep, w.st.Failure = step, err.Error()
	if w.refused {
		// The booking belongs to another change: not this saga's to mark.
		return
	}
	event, reason := "needs_attention", step+" failed"
	disrupted := w.in.Protect != nil && step == stepFindAlternative
	if disrupted {
		event, reason = booking.EventDisrupted, "no alternative after "+w.in.Protect.FlightID+" "+strings.ToLower(w.in.Protect.Kind)+": "+err.Error()
	}
	if serr := w.setBooking(ctx, booking.StatusNeedsAttention, event, reason); serr != nil {
		workflow.GetLogger(ctx).Error("cannot record NEEDS_ATTENTION", "error", serr)
	}
	if disrupted {
		// Reported once the booking is in the queue an agent works.
		w.report(ctx, OutcomeNeedsAttention, err.Error())
	}
}

func (w *wf) unpark(ctx workflow.Context, res *saga.Resolution) {
	w.st.StuckStep = ""
	if res != nil {
		workflow.GetLogger(ctx).Info("resolved by operator", "operator", res.Operator, "reason", res.Reason)
	}
}

func (w *wf) publish(ctx workflow.Context, s booking.Status) {
	flights := w.in.OldFlightIDs
	if w.st.Status == StatusCompleted {
		flights = saga.FlightIDs(w.quote)
	}
	updates := []temporal.SearchAttributeUpdate{
		temporal.NewSearchAttributeKeyKeyword(queues.AttrBookingStatus).ValueSet(string(s)),
		temporal.NewSearchAttributeKeyKeyword(queues.AttrCustomerID).ValueSet(w.in.CustomerID),
		temporal.NewSearchAttributeKeyKeyword(queues.AttrPNR).ValueSet(w.in.PNR),
	}
	if len(flights) > 0 {
		updates = append(updates, temporal.NewSearchAttributeKeyKeywordList(queues.AttrFlightID).ValueSet(flights))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("upsert search attributes", "error", err)
	}
	_ = workflow.UpsertMemo(ctx, map[string]any{"pnr": w.in.PNR, "status": string(s), "change": w.st.Status, "stuckStep": w.st.StuckStep, "failure": w.st.Failure})
}

func (w *wf) notify(ctx workflow.Context, event string) {
	w.send(ctx, event, map[string]string{"pnr": w.in.PNR, "changeId": w.in.ChangeID, "due": w.st.Change.Due.String()})
}

// send tells the customer about this change, once per (booking, event,
// change): best effort, a failure is logged and the saga goes on.
func (w *wf) send(ctx workflow.Context, event string, data map[string]string) {
	in := customeract.SendBookingNotificationInput{
		BookingID: w.in.BookingID, Event: event, Sequence: sequence(w.in.ChangeID), CustomerID: w.in.CustomerID,
		Email: w.in.Contact.Email, Phone: w.in.Contact.Phone, Language: w.in.Language, Data: data,
	}
	if err := workflow.ExecuteActivity(saga.Notify(ctx, queues.Customer), w.ca.SendBookingNotification, in).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("notification failed", "event", event, "error", err)
	}
}

// sequence tells one change's notification from another's.
func sequence(changeID string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(changeID))
	return int(h.Sum32() & 0x7fffffff)
}

// isRefusal reports a business refusal (the step certainly did not
// happen), as opposed to a timeout or exhausted retries (it may have).
func isRefusal(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}

// isType reports whether err carries an application error of type t.
func isType(err error, t string) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == t
}
