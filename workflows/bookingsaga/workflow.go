package bookingsaga

import (
	"errors"
	"fmt"
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

// Payment intent statuses the saga reacts to (ACCEPTANCE P4).
const (
	payRequiresAction = "requires_action"
	payAuthorized     = "authorized"
	payCaptured       = "captured"
	payFailed         = "failed"
	payCanceled       = "canceled"
	payRequiresMethod = "requires_payment_method"
)

// HoldReminderLead is how long before a hold expires the customer is
// reminded (holds of at least twice this length only).
const HoldReminderLead = 5 * time.Minute

// wf is one BookingWorkflow run. The activity struct pointers are nil:
// their methods are only used as names (a rename breaks the build).
type wf struct {
	in      Input
	st      State
	contact booking.Contact
	saga    *saga.Saga

	fa *flightact.Activities
	pa *paymentact.Activities
	ca *customeract.Activities
	ba *bookingact.Activities

	// terminal is what the compensations mark the booking: FAILED, or
	// EXPIRED when the hold ran out.
	terminal booking.Status

	reserveStarted, reserveDone bool
	reserveErr                  error

	confirming     bool
	awaitingAction bool
	payKey         string
	payCheckpoint  int
	// intentRefused: the payment service refused to create the intent (a
	// non-retryable error), so there is certainly nothing to undo.
	intentRefused bool
	attempt       int
	events        []paymentact.PaymentEvent

	everHeld bool
	reminded bool
	// closing is set once the booking is being unwound (expiry,
	// cancellation, failure): no new payment may start.
	closing       bool
	notifications map[string]int
	notifying     int
}

// BookingWorkflow runs one booking from reserve to CONFIRMED, EXPIRED or
// FAILED. It is started by Update-With-Start of UpdateReserve.
func BookingWorkflow(ctx workflow.Context, in Input) (State, error) {
	w := &wf{
		in:            in,
		st:            State{BookingID: in.BookingID, CustomerID: in.CustomerID, Status: booking.StatusPending},
		terminal:      booking.StatusFailed,
		notifications: map[string]int{},
	}
	w.saga = saga.New(ctx, saga.Hooks{Park: w.park, Unpark: w.unpark})
	if err := w.register(ctx); err != nil {
		return w.st, err
	}
	timeout := in.ReserveTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	// The timeout is on the reserve update arriving, not on it finishing:
	// a slow reserve (its hold retrying) must not leave behind a HELD
	// booking that no workflow expires or confirms.
	ok, err := workflow.AwaitWithTimeout(ctx, timeout, func() bool { return w.reserveStarted })
	if err != nil {
		return w.cancelled(ctx, err)
	}
	if !ok {
		w.st.Status, w.st.Failure = booking.StatusFailed, "no reserve update arrived"
		return w.finish(ctx, nil)
	}
	if err := workflow.Await(ctx, func() bool { return w.reserveDone }); err != nil {
		return w.cancelled(ctx, err)
	}
	if w.st.Status != booking.StatusHeld {
		return w.finish(ctx, nil)
	}
	w.notifyAsync(ctx, customeract.EventHeld)

	for !w.settled() {
		w.handleEvents(ctx)
		if w.settled() {
			break
		}
		wait := w.st.HoldExpiresAt.Sub(workflow.Now(ctx))
		// Long holds get a reminder before they run out.
		remind := !w.reminded && w.in.HoldTTL >= 2*HoldReminderLead && wait > HoldReminderLead
		if remind {
			wait -= HoldReminderLead
		}
		timedOut := wait <= 0
		if !timedOut {
			ok, err := workflow.AwaitWithTimeout(ctx, wait, func() bool {
				return w.settled() || (w.awaitingAction && len(w.events) > 0)
			})
			if err != nil {
				return w.cancelled(ctx, err)
			}
			timedOut = !ok
		}
		if !timedOut {
			continue
		}
		if remind {
			w.reminded = true
			if w.st.Status == booking.StatusHeld {
				w.notifyAsync(ctx, customeract.EventHoldExpiring)
			}
			continue
		}
		if w.confirming {
			// A payment is in flight: let it finish (its activities are
			// bounded) rather than release seats under it.
			if err := workflow.Await(ctx, func() bool { return !w.confirming }); err != nil {
				return w.cancelled(ctx, err)
			}
			continue
		}
		w.expire(ctx)
	}
	if w.st.Status == booking.StatusConfirmed {
		w.notify(ctx, customeract.EventConfirmed)
	}
	return w.finish(ctx, nil)
}

func (w *wf) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return w.st, nil }); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReserve, w.reserve,
		workflow.UpdateHandlerOptions{Validator: w.validateReserve}); err != nil {
		return fmt.Errorf("register reserve: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateConfirm, w.confirm,
		workflow.UpdateHandlerOptions{Validator: w.validateConfirm}); err != nil {
		return fmt.Errorf("register confirm: %w", err)
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, paymentact.SignalPaymentEvent)
		for {
			var ev paymentact.PaymentEvent
			if !ch.Receive(ctx, &ev) {
				return
			}
			w.events = append(w.events, ev)
		}
	})
	return nil
}

func (w *wf) settled() bool {
	return w.st.Status == booking.StatusConfirmed || w.st.Status.Terminal()
}

// finish waits for running handlers and notifications, then completes.
func (w *wf) finish(ctx workflow.Context, err error) (State, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) && w.notifying == 0 })
	w.st.Compensated = w.saga.Log
	return w.st, err
}

// cancelled compensates everything after a workflow cancellation (T9),
// once a payment in flight has ended: its steps wait for their activities
// to acknowledge the cancellation, so the void cannot race the capture.
func (w *wf) cancelled(ctx workflow.Context, cause error) (State, error) {
	w.closing = true
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(dctx, func() bool { return !w.confirming })
	if w.st.Status == booking.StatusConfirmed {
		// The payment in flight passed the point of no return: sold.
		return w.finish(ctx, cause)
	}
	w.terminal = booking.StatusFailed
	w.st.Failure = "workflow cancelled"
	w.compensate(ctx, 0)
	return w.finish(ctx, cause)
}

// expire releases the seats of an unpaid booking at hold expiry (T10).
func (w *wf) expire(ctx workflow.Context) {
	w.closing = true
	w.terminal = booking.StatusExpired
	w.st.Failure = "hold expired"
	w.awaitingAction = false
	w.compensate(ctx, 0)
}

func (w *wf) compensate(ctx workflow.Context, checkpoint int) {
	_, _ = w.saga.Compensate(ctx, checkpoint)
	w.st.Compensated = w.saga.Log
}

// ---- reserve ----

func (w *wf) validateReserve(req ReserveRequest) error {
	if req.QuoteID == "" || len(req.Passengers) == 0 {
		return temporal.NewApplicationError("quoteId and passengers are required", ErrTypeInvalidRequest)
	}
	return nil
}

func (w *wf) reserve(ctx workflow.Context, req ReserveRequest) (State, error) {
	if w.reserveStarted {
		// A repeated reserve (double submit): answer what the first got.
		if err := workflow.Await(ctx, func() bool { return w.reserveDone }); err != nil {
			return w.st, err
		}
		return w.st, w.reserveErr
	}
	w.reserveStarted = true
	defer func() { w.reserveDone = true }()
	w.contact = req.Contact
	st, err := w.doReserve(ctx, req)
	if err != nil {
		w.st.Failure = err.Error()
		w.terminal = booking.StatusFailed
		w.compensate(ctx, 0)
		w.st.Status = booking.StatusFailed
		w.reserveErr = refusal(err)
		return w.st, w.reserveErr
	}
	return st, nil
}

func (w *wf) doReserve(ctx workflow.Context, req ReserveRequest) (State, error) {
	// The last undo: tell the customer, once they had a booking to lose.
	w.saga.Add("notify", func(ctx workflow.Context) error {
		if w.everHeld {
			event := customeract.EventFailed
			if w.terminal == booking.StatusExpired {
				event = customeract.EventExpired
			}
			w.notify(ctx, event)
		}
		return nil
	})
	// Marking the booking comes after the seats and money are undone; it
	// finds nothing to mark when the booking was never created.
	w.saga.Add("mark-booking", w.markTerminal)
	// The quote check and the hold are independent calls to the flight
	// domain (the hold re-checks the quote itself), so they run together:
	// one round trip instead of two. The release is registered first.
	w.saga.Add("release-seats", w.releaseSeats(w.in.BookingID))
	held, err := w.holdQuote(ctx, req)
	if err != nil {
		return w.st, err
	}
	q, hold := flightact.ValidateQuoteResult{Quote: held.Quote}, held.Hold
	w.st.Total = q.Quote.Total
	w.st.FlightIDs = saga.FlightIDs(q.Quote)

	var created bookingact.BookingResult
	if err := w.local(ctx, w.ba.CreateBooking, bookingact.CreateBookingInput{
		BookingID: w.in.BookingID, CustomerID: w.in.CustomerID, Actor: w.in.Actor,
		Passengers: req.Passengers, Contact: req.Contact, Segments: saga.Segments(q.Quote.Segments),
		Fare: saga.Fare(q.Quote), Total: q.Quote.Total,
	}, &created); err != nil {
		return w.st, fmt.Errorf("create booking: %w", err)
	}
	w.st.PNR = created.PNR
	exp := hold.ExpiresAt
	if exp.IsZero() {
		exp = workflow.Now(ctx).Add(w.in.HoldTTL)
	}
	exp = exp.UTC()
	if err := w.local(ctx, w.ba.SetBookingStatus, bookingact.SetBookingStatusInput{
		BookingID: w.in.BookingID, Status: booking.StatusHeld, Event: "seats_held", Actor: w.in.Actor,
		HoldID: w.in.BookingID, HoldExpiresAt: &exp,
	}, nil); err != nil {
		return w.st, fmt.Errorf("mark held: %w", err)
	}
	w.everHeld = true
	w.st.Status = booking.StatusHeld
	w.st.HoldExpiresAt = &exp
	w.publish(ctx)
	return w.st, nil
}

// holdQuote validates the quote and holds its seats. From version 1 of
// VersionHoldValidatesQuote it is one HoldQuotedSeats call (the flight
// domain validates its own quote, then holds); before, ValidateQuote and
// HoldSeats ran in parallel (kept for the recorded histories).
func (w *wf) holdQuote(ctx workflow.Context, req ReserveRequest) (flightact.HoldQuotedSeatsResult, error) {
	if workflow.GetVersion(ctx, VersionHoldValidatesQuote, workflow.DefaultVersion, 1) == 1 {
		var res flightact.HoldQuotedSeatsResult
		if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Flight), w.fa.HoldQuotedSeats, flightact.HoldQuotedSeatsInput{
			HoldID: w.in.BookingID, QuoteID: req.QuoteID, Passengers: PassengerCounts(req.Passengers), TTL: w.in.HoldTTL,
		}).Get(ctx, &res); err != nil {
			return res, fmt.Errorf("hold seats of quote %s: %w", req.QuoteID, err)
		}
		return res, nil
	}
	quoteF := workflow.ExecuteActivity(saga.Step(ctx, queues.Flight), w.fa.ValidateQuote,
		flightact.ValidateQuoteInput{QuoteID: req.QuoteID, Passengers: PassengerCounts(req.Passengers)})
	holdF := workflow.ExecuteActivity(saga.Step(ctx, queues.Flight), w.fa.HoldSeats, flightact.HoldSeatsInput{
		HoldID: w.in.BookingID, QuoteID: req.QuoteID, TTL: w.in.HoldTTL,
	})
	var q flightact.ValidateQuoteResult
	quoteErr := quoteF.Get(ctx, &q)
	var hold flightact.HoldSeatsResult
	holdErr := holdF.Get(ctx, &hold)
	if quoteErr != nil {
		return flightact.HoldQuotedSeatsResult{}, fmt.Errorf("validate quote %s: %w", req.QuoteID, quoteErr)
	}
	if holdErr != nil {
		return flightact.HoldQuotedSeatsResult{}, fmt.Errorf("hold seats: %w", holdErr)
	}
	return flightact.HoldQuotedSeatsResult{Hold: hold, Quote: q.Quote}, nil
}

// ---- confirm ----

func (w *wf) validateConfirm(req ConfirmRequest) error {
	if req.Provider == "" || req.Token == "" {
		return temporal.NewApplicationError("payment provider and token are required", ErrTypeInvalidRequest)
	}
	if !w.reserveDone {
		return temporal.NewApplicationError("booking is not reserved yet", ErrTypeNotConfirmable)
	}
	if w.closing {
		return temporal.NewApplicationError("booking is being released", ErrTypeNotConfirmable)
	}
	switch w.st.Status {
	case booking.StatusHeld, booking.StatusPaymentPending, booking.StatusConfirmed:
		return nil
	}
	return temporal.NewApplicationError(fmt.Sprintf("booking is %s", w.st.Status), ErrTypeNotConfirmable, string(w.st.Status))
}

func (w *wf) confirm(ctx workflow.Context, req ConfirmRequest) (State, error) {
	if w.confirming {
		if err := workflow.Await(ctx, func() bool { return !w.confirming }); err != nil {
			return w.st, err
		}
	}
	switch {
	case w.st.Status == booking.StatusConfirmed, w.awaitingAction:
		return w.st, nil
	case w.st.Status != booking.StatusHeld || w.closing:
		return w.st, temporal.NewApplicationError(fmt.Sprintf("booking is %s", w.st.Status), ErrTypeNotConfirmable, string(w.st.Status))
	}
	w.confirming = true
	defer func() { w.confirming = false }()
	w.attempt++
	w.payKey = fmt.Sprintf("%s/pay/%d", w.in.BookingID, w.attempt)
	w.payCheckpoint = w.saga.Mark()
	w.st.PaymentID, w.st.PaymentStatus, w.st.NextAction = "", "", nil
	w.intentRefused = false
	createIn := paymentact.CreatePaymentIntentInput{
		IdempotencyKey: w.payKey + "/intent", BookingID: w.in.BookingID, CustomerID: w.in.CustomerID,
		Amount: w.st.Total, Provider: req.Provider,
	}
	w.saga.Add("undo-payment", w.undoPayment(createIn))
	if workflow.GetVersion(ctx, VersionCreateAndAuthorize, workflow.DefaultVersion, 1) == 1 {
		return w.payInOneCall(ctx, req, createIn)
	}

	var intent paymentact.PaymentResult
	if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Payment), w.pa.CreatePaymentIntent, createIn).Get(ctx, &intent); err != nil {
		w.intentRefused = isNonRetryable(err)
		return w.st, w.fail(ctx, fmt.Errorf("create payment intent: %w", err))
	}
	w.st.PaymentID, w.st.PaymentStatus = intent.PaymentID, intent.Status
	if err := w.setStatus(ctx, booking.StatusPaymentPending, "payment_started", ""); err != nil {
		return w.st, w.fail(ctx, err)
	}
	var auth paymentact.PaymentResult
	err := workflow.ExecuteActivity(saga.Step(ctx, queues.Payment), w.pa.AuthorizePayment, paymentact.AuthorizePaymentInput{
		IdempotencyKey: w.payKey + "/authorize", PaymentID: intent.PaymentID, Token: req.Token, ReturnURL: req.ReturnURL,
	}).Get(ctx, &auth)
	if isType(err, paymentact.ErrTypePaymentDeclined) {
		return w.st, w.decline(ctx, declineCode(err))
	}
	if err != nil {
		return w.st, w.fail(ctx, fmt.Errorf("authorize payment: %w", err))
	}
	return w.authorized(ctx, auth)
}

// payInOneCall is the payment step from version 1 of
// VersionCreateAndAuthorize: the booking is marked PAYMENT_PENDING first,
// then one CreateAndAuthorizePayment creates the intent (on the key the
// undo's lookup uses) and authorizes it. The undo-payment step is already
// registered: it voids what the call authorized, finding the intent by its
// key when the answer was lost (T8).
func (w *wf) payInOneCall(ctx workflow.Context, req ConfirmRequest, createIn paymentact.CreatePaymentIntentInput) (State, error) {
	if err := w.setStatus(ctx, booking.StatusPaymentPending, "payment_started", ""); err != nil {
		// Nothing was asked of the payment domain yet.
		w.intentRefused = true
		return w.st, w.fail(ctx, err)
	}
	var auth paymentact.PaymentResult
	err := workflow.ExecuteActivity(saga.Step(ctx, queues.Payment), w.pa.CreateAndAuthorizePayment, paymentact.CreateAndAuthorizePaymentInput{
		Intent: createIn, AuthorizeKey: w.payKey + "/authorize", Token: req.Token, ReturnURL: req.ReturnURL,
	}).Get(ctx, &auth)
	if isType(err, paymentact.ErrTypePaymentDeclined) {
		w.st.PaymentID = declinedPaymentID(err)
		return w.st, w.decline(ctx, declineCode(err))
	}
	if err != nil {
		w.intentRefused = isType(err, paymentact.ErrTypeIntentRefused)
		return w.st, w.fail(ctx, fmt.Errorf("create and authorize payment: %w", err))
	}
	w.st.PaymentID = auth.PaymentID
	return w.authorized(ctx, auth)
}

// authorized goes on from an authorization's answer: 3-D Secure waits for
// the payment event, an authorization is captured, anything else declines.
func (w *wf) authorized(ctx workflow.Context, auth paymentact.PaymentResult) (State, error) {
	w.st.PaymentStatus = auth.Status
	switch auth.Status {
	case payRequiresAction:
		w.awaitingAction = true
		w.st.NextAction = auth.NextAction
		return w.st, nil
	case payAuthorized, payCaptured:
		return w.capture(ctx)
	}
	return w.st, w.decline(ctx, firstNonEmpty(auth.DeclineCode, auth.Status))
}

// handleEvents finishes a 3-D Secure authorization from payment-event
// signals (webhooks may arrive in any order; others are ignored).
func (w *wf) handleEvents(ctx workflow.Context) {
	for w.awaitingAction && len(w.events) > 0 {
		ev := w.events[0]
		w.events = w.events[1:]
		if ev.PaymentID != w.st.PaymentID {
			continue
		}
		switch ev.Status {
		case payAuthorized, payCaptured:
			w.awaitingAction = false
			w.confirming = true
			_, _ = w.capture(ctx)
			w.confirming = false
		case payFailed, payCanceled, payRequiresMethod:
			w.awaitingAction = false
			w.confirming = true
			_ = w.decline(ctx, "3-D Secure "+ev.Status)
			w.confirming = false
		}
	}
}

// capture takes the money, commits the seats and issues tickets.
func (w *wf) capture(ctx workflow.Context) (State, error) {
	// Capture and seat commit are independent and both undone by the
	// registered undos (refund, release), so they run together. Tickets
	// come only after both succeeded.
	captureF := workflow.ExecuteActivity(saga.Step(ctx, queues.Payment), w.pa.CapturePayment, paymentact.CapturePaymentInput{
		IdempotencyKey: w.payKey + "/capture", PaymentID: w.st.PaymentID,
	})
	commitF := workflow.ExecuteActivity(saga.Step(ctx, queues.Flight), w.fa.CommitHold, flightact.CommitHoldInput{HoldID: w.in.BookingID})
	var captured paymentact.PaymentResult
	captureErr := captureF.Get(ctx, &captured)
	commitErr := commitF.Get(ctx, nil)
	if captureErr != nil {
		return w.st, w.fail(ctx, fmt.Errorf("capture payment: %w", captureErr))
	}
	w.st.PaymentStatus = captured.Status
	if commitErr != nil {
		return w.st, w.fail(ctx, fmt.Errorf("commit seats: %w", commitErr))
	}
	if err := ctx.Err(); err != nil {
		// The workflow was cancelled while the capture was in flight (its
		// step waited for it to end): the booking is not sold yet, so the
		// money is refunded and the seats released (T9).
		return w.st, w.fail(ctx, fmt.Errorf("cancelled during capture: %w", err))
	}
	// Point of no return: the money is taken and the seats are sold.
	// Nothing is undone from here (a ticketing step that timed out after it
	// committed must not refund and release a CONFIRMED booking); what is
	// left only goes forward, parking in NEEDS_ATTENTION between failures.
	w.saga.Forget()
	w.terminal = booking.StatusConfirmed
	paid := captured.Captured
	if paid.Currency == "" {
		paid = w.st.Total
	}
	var res bookingact.BookingResult
	resolved, err := w.saga.Persist(ctx, "issue-tickets", func(ctx workflow.Context) error {
		if err := w.local(ctx, w.ba.ConfirmBooking, bookingact.ConfirmBookingInput{
			BookingID: w.in.BookingID, PaymentID: w.st.PaymentID, Paid: paid,
		}, &res); err != nil {
			return fmt.Errorf("issue tickets: %w", err)
		}
		return nil
	})
	if err != nil {
		return w.st, fmt.Errorf("issue tickets: %w", err)
	}
	if resolved != nil {
		// An operator issued the tickets by hand; unpark recorded CONFIRMED.
		res.Tickets = nil
	}
	w.st.Status, w.st.Tickets, w.st.HoldExpiresAt, w.st.NextAction = booking.StatusConfirmed, res.Tickets, nil, nil
	w.st.StuckStep, w.st.Failure = "", ""
	w.publish(ctx)
	return w.st, nil
}

// decline undoes the payment attempt and puts the booking back to HELD.
func (w *wf) decline(ctx workflow.Context, code string) error {
	w.compensate(ctx, w.payCheckpoint)
	w.st.NextAction = nil
	if err := w.setStatus(ctx, booking.StatusHeld, "payment_declined", code); err != nil {
		return w.fail(ctx, err)
	}
	w.notifyAsync(ctx, customeract.EventPaymentFailed)
	return temporal.NewNonRetryableApplicationError("payment declined", paymentact.ErrTypePaymentDeclined, nil, code)
}

// fail compensates every step and ends the booking FAILED.
func (w *wf) fail(ctx workflow.Context, cause error) error {
	w.closing = true
	w.terminal = booking.StatusFailed
	w.st.Failure = cause.Error()
	w.awaitingAction = false
	w.compensate(ctx, 0)
	return temporal.NewNonRetryableApplicationError("booking failed and was compensated", ErrTypeFailed, cause)
}

// ---- undo steps ----

func (w *wf) markTerminal(ctx workflow.Context) error {
	err := w.setStatus(ctx, w.terminal, strings.ToLower(string(w.terminal)), w.st.Failure)
	if isType(err, bookingact.ErrTypeNotFound) {
		// The booking was never created: nothing to mark (T8).
		w.st.Status = w.terminal
		return nil
	}
	return err
}

func (w *wf) releaseSeats(holdID string) func(workflow.Context) error {
	return func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(saga.Undo(ctx, queues.Flight), w.fa.ReleaseHold, flightact.ReleaseHoldInput{
			HoldID: holdID, Reason: strings.ToLower(string(w.terminal)),
		}).Get(ctx, nil)
	}
}

// undoPayment voids an authorization or refunds a capture. When the intent
// id is unknown (its creation timed out, T8) it re-runs the idempotent
// creation to learn it: no second intent is made.
func (w *wf) undoPayment(create paymentact.CreatePaymentIntentInput) func(workflow.Context) error {
	return func(ctx workflow.Context) error {
		uctx := saga.Undo(ctx, queues.Payment)
		pid := w.st.PaymentID
		if pid == "" && w.intentRefused {
			return nil
		}
		if pid == "" {
			var p paymentact.PaymentResult
			if err := workflow.ExecuteActivity(uctx, w.pa.CreatePaymentIntent, create).Get(ctx, &p); err != nil {
				return fmt.Errorf("find payment intent: %w", err)
			}
			pid = p.PaymentID
		}
		var p paymentact.PaymentResult
		if err := workflow.ExecuteActivity(uctx, w.pa.GetPayment, paymentact.GetPaymentInput{PaymentID: pid}).Get(ctx, &p); err != nil {
			return fmt.Errorf("read payment %s: %w", pid, err)
		}
		var out paymentact.PaymentResult
		if p.Captured.Amount > p.Refunded.Amount {
			if err := workflow.ExecuteActivity(uctx, w.pa.RefundPayment, paymentact.RefundPaymentInput{
				IdempotencyKey: create.IdempotencyKey + "/refund", PaymentID: pid, Reason: "booking " + strings.ToLower(string(w.terminal)),
			}).Get(ctx, &out); err != nil {
				return fmt.Errorf("refund payment %s: %w", pid, err)
			}
		} else if err := workflow.ExecuteActivity(uctx, w.pa.VoidPayment, paymentact.VoidPaymentInput{
			IdempotencyKey: create.IdempotencyKey + "/void", PaymentID: pid, Reason: "booking " + strings.ToLower(string(w.terminal)),
		}).Get(ctx, &out); err != nil {
			return fmt.Errorf("void payment %s: %w", pid, err)
		}
		w.st.PaymentStatus = out.Status
		return nil
	}
}

// park shows an undo that keeps failing: NEEDS_ATTENTION in the booking
// database (best effort: it may be what is down), search attributes and memo.
func (w *wf) park(ctx workflow.Context, step string, err error) {
	w.st.StuckStep = step
	w.st.Failure = err.Error()
	if serr := w.setStatus(ctx, booking.StatusNeedsAttention, "needs_attention", step+" failed"); serr != nil {
		workflow.GetLogger(ctx).Error("cannot record NEEDS_ATTENTION in the booking database", "error", serr)
	}
	w.st.Status = booking.StatusNeedsAttention
	w.publish(ctx)
}

// unpark leaves NEEDS_ATTENTION: after a successful retry the remaining
// undo steps continue; after an operator's resolve the booking takes its
// terminal state with the operator's reason.
func (w *wf) unpark(ctx workflow.Context, res *saga.Resolution) {
	w.st.StuckStep = ""
	if res == nil {
		w.publish(ctx)
		return
	}
	if err := w.local(ctx, w.ba.SetBookingStatus, bookingact.SetBookingStatusInput{
		BookingID: w.in.BookingID, Status: w.terminal, Event: "resolved", Actor: res.Operator, Reason: res.Reason,
	}, nil); err != nil {
		workflow.GetLogger(ctx).Error("cannot record the resolution in the booking database", "error", err)
	}
	w.st.Status = w.terminal
	w.publish(ctx)
}

// ---- helpers ----

func (w *wf) local(ctx workflow.Context, fn any, in any, out any) error {
	return workflow.ExecuteLocalActivity(saga.Local(ctx), fn, in).Get(ctx, out)
}

func (w *wf) setStatus(ctx workflow.Context, s booking.Status, event, reason string) error {
	var res bookingact.BookingResult
	if err := w.local(ctx, w.ba.SetBookingStatus, bookingact.SetBookingStatusInput{
		BookingID: w.in.BookingID, Status: s, Event: event, Actor: w.in.Actor, Reason: reason,
	}, &res); err != nil {
		return fmt.Errorf("mark booking %s: %w", s, err)
	}
	w.st.Status = s
	w.publish(ctx)
	return nil
}

// publish upserts the search attributes and memo ops find bookings by.
func (w *wf) publish(ctx workflow.Context) {
	updates := []temporal.SearchAttributeUpdate{
		temporal.NewSearchAttributeKeyKeyword(queues.AttrBookingStatus).ValueSet(string(w.st.Status)),
		temporal.NewSearchAttributeKeyKeyword(queues.AttrCustomerID).ValueSet(w.in.CustomerID),
	}
	if w.st.PNR != "" {
		updates = append(updates, temporal.NewSearchAttributeKeyKeyword(queues.AttrPNR).ValueSet(w.st.PNR))
	}
	if len(w.st.FlightIDs) > 0 {
		updates = append(updates, temporal.NewSearchAttributeKeyKeywordList(queues.AttrFlightID).ValueSet(w.st.FlightIDs))
	}
	log := workflow.GetLogger(ctx)
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		log.Warn("upsert search attributes", "error", err)
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{
		"pnr": w.st.PNR, "status": string(w.st.Status), "stuckStep": w.st.StuckStep, "failure": w.st.Failure,
	}); err != nil {
		log.Warn("upsert memo", "error", err)
	}
}

// notify sends a customer notification; failures are logged, never
// compensated.
func (w *wf) notify(ctx workflow.Context, event string) {
	w.notifications[event]++
	in := customeract.SendBookingNotificationInput{
		BookingID: w.in.BookingID, Event: event, Sequence: w.notifications[event], CustomerID: w.in.CustomerID,
		Email: w.contact.Email, Phone: w.contact.Phone, Language: w.in.Language,
		Data: map[string]string{"pnr": w.st.PNR, "status": string(w.st.Status), "total": formatMoney(w.st.Total)},
	}
	if err := workflow.ExecuteActivity(saga.Notify(ctx, queues.Customer), w.ca.SendBookingNotification, in).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("notification failed", "event", event, "error", err)
	}
}

// notifyAsync sends a notification without delaying the caller; the
// workflow waits for it before completing.
func (w *wf) notifyAsync(ctx workflow.Context, event string) {
	w.notifying++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { w.notifying-- }()
		w.notify(ctx, event)
	})
}

// PassengerCounts counts passengers by type as a fare is priced (adults,
// children, infants); the booking API prices changes with it too.
func PassengerCounts(ps []booking.Passenger) flightact.PassengerCounts {
	var c flightact.PassengerCounts
	for _, p := range ps {
		switch p.Type {
		case booking.Child:
			c.Children++
		case booking.Infant:
			c.Infants++
		default:
			c.Adults++
		}
	}
	return c
}

func formatMoney(m money.Money) string { return m.String() }

// isType reports whether err carries an application error of type t.
func isType(err error, t string) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == t
}

// isNonRetryable reports a business refusal (the step certainly did not
// happen), as opposed to a timeout or exhausted retries (it may have).
func isNonRetryable(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}

// declinedPaymentID is the intent a CreateAndAuthorizePayment decline
// names (its second detail), or "" (the undo then finds it by its key).
func declinedPaymentID(err error) string {
	var appErr *temporal.ApplicationError
	var code, pid string
	if errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(&code, &pid) == nil {
		return pid
	}
	return ""
}

func declineCode(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.HasDetails() {
		var code string
		if appErr.Details(&code) == nil && code != "" {
			return code
		}
	}
	return "declined"
}

// refusal turns a failed reserve step into the update's error: the
// business refusal's type (SeatUnavailable, QuoteExpired, InvalidBooking…)
// with its details, so the API can answer it precisely.
func refusal(err error) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return temporal.NewNonRetryableApplicationError("reserve failed", ErrTypeFailed, err)
	}
	if appErr.Type() == bookingact.ErrTypeInvalidBooking && appErr.HasDetails() {
		var fields []booking.FieldError
		if appErr.Details(&fields) == nil {
			return temporal.NewNonRetryableApplicationError(appErr.Message(), appErr.Type(), nil, fields)
		}
	}
	if appErr.Type() == "" {
		return temporal.NewNonRetryableApplicationError("reserve failed", ErrTypeFailed, err)
	}
	return temporal.NewNonRetryableApplicationError(appErr.Message(), appErr.Type(), nil)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
