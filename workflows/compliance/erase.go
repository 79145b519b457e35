package compliance

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/authact"
	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/temporal/queues"
)

// Erasure workflow names.
const (
	ErasureWorkflowName = "ErasureWorkflow"
	// UpdateRequest answers the erasure request: the status once the
	// checks passed, or an error of type ErrTypeBookingsInFlight,
	// ErrTypeAlreadyErased, ErrTypeUnknownUser or ErrTypeStaffNotErasable.
	UpdateRequest = "request"
	// UpdateCancel withdraws the request during the cooling-off period
	// (ErrTypeTooLate once erasure began).
	UpdateCancel = "cancel"
)

// Erasure ApplicationError types.
const (
	ErrTypeBookingsInFlight  = "ErasureBookingsInFlight"
	ErrTypeAlreadyErased     = "ErasureAlreadyErased"
	ErrTypeTooLate           = "ErasureTooLate"
	ErrTypeStaffNotErasable  = authact.ErrTypeStaffNotErasable
	defaultCoolingOff        = 7 * 24 * time.Hour
	bookingsRecheckAtMost    = 6 * time.Hour
	bookingsRecheckAtLeast   = time.Minute
	erasureStepRetryInterval = time.Minute
)

// Stages of an erasure.
const (
	EraseCoolingOff = "COOLING_OFF"
	EraseWaiting    = "WAITING_FOR_BOOKINGS"
	EraseErasing    = "ERASING"
	EraseErased     = "ERASED"
	EraseCancelled  = "CANCELLED"
	EraseRefused    = "REFUSED"
)

// ErasureWorkflowID is the business key of a user's erasure.
func ErasureWorkflowID(userID string) string { return "erase/" + userID }

// ErasureInput starts an erasure.
type ErasureInput struct {
	UserID      string        `json:"userId"`
	RequestedBy string        `json:"requestedBy"`
	CoolingOff  time.Duration `json:"coolingOff"`
}

// ErasureStatus is the erasure's progress (query, update answer, result).
type ErasureStatus struct {
	Stage       string             `json:"stage"`
	RequestedAt time.Time          `json:"requestedAt"`
	EraseAt     time.Time          `json:"eraseAt,omitzero"`
	ErasedAt    time.Time          `json:"erasedAt,omitzero"`
	BlockedBy   []booking.InFlight `json:"blockedBy,omitempty"`
	Report      *ErasureReport     `json:"report,omitempty"`
}

// ErasureReport says what each domain removed and what it kept, and why.
type ErasureReport struct {
	SessionsRevoked int                  `json:"sessionsRevoked"`
	Bookings        int                  `json:"bookingsPseudonymized"`
	Payments        int                  `json:"paymentsPseudonymized"`
	Customer        customer.EraseCounts `json:"customer"`
	KeyShredded     bool                 `json:"keyShredded"`
	Kept            []string             `json:"kept"`
}

func step(ctx workflow.Context, queue string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: queue, StartToCloseTimeout: time.Minute,
		// An erasure must finish: steps retry until they succeed (ops see a
		// failing one as a pending activity in the UI), except refusals.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: erasureStepRetryInterval,
			NonRetryableErrorTypes: []string{authact.ErrTypeUserNotFound, authact.ErrTypeStaffNotErasable, authact.ErrTypeInvalidInput}},
	})
}

// ErasureWorkflow erases a customer (G2): checks that the user exists, was
// not erased and has no booking in flight; waits the cooling-off period
// (cancellable); waits for bookings that started meanwhile to end; then
// revokes every session, pseudonymizes bookings and payments (keeping what
// the law requires), deletes the customer profile, shreds the customer's
// payload key and tombstones the identity. Every step is idempotent, so a
// repeated erasure changes nothing. Workflow id erase/{userId}.
func ErasureWorkflow(ctx workflow.Context, in ErasureInput) (ErasureStatus, error) {
	if in.CoolingOff <= 0 {
		in.CoolingOff = defaultCoolingOff
	}
	now := workflow.Now(ctx).UTC()
	st := ErasureStatus{Stage: EraseCoolingOff, RequestedAt: now, EraseAt: now.Add(in.CoolingOff)}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (ErasureStatus, error) { return st, nil }); err != nil {
		return st, err
	}
	checked, refusal := false, error(nil)
	if err := workflow.SetUpdateHandler(ctx, UpdateRequest, func(ctx workflow.Context) (ErasureStatus, error) {
		if err := workflow.Await(ctx, func() bool { return checked }); err != nil {
			return st, err
		}
		return st, refusal
	}); err != nil {
		return st, err
	}
	cancelled := false
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancel, func(ctx workflow.Context) (ErasureStatus, error) {
		cancelled = true
		st.Stage = EraseCancelled
		return st, nil
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context) error {
		if st.Stage != EraseCoolingOff {
			return temporal.NewApplicationError("erasure is "+st.Stage+"; it can only be cancelled while cooling off", ErrTypeTooLate)
		}
		return nil
	}}); err != nil {
		return st, err
	}

	user := authact.UserInput{UserID: in.UserID}
	var state authact.ErasureState
	err := workflow.ExecuteActivity(step(ctx, queues.Auth), authPrivacy.AuthErasureState, user).Get(ctx, &state)
	var blocked []booking.InFlight
	if err == nil && !state.Erased {
		err = workflow.ExecuteActivity(step(ctx, queues.Booking), bookingPrivacy.BookingsInFlight, bookingact.UserInput(user)).Get(ctx, &blocked)
	}
	switch {
	case err != nil:
		refusal = err
	case state.Erased:
		refusal = temporal.NewNonRetryableApplicationError("the user was erased already", ErrTypeAlreadyErased, nil)
	case len(blocked) > 0:
		st.BlockedBy = blocked
		refusal = temporal.NewNonRetryableApplicationError(fmt.Sprintf("%d booking(s) in flight; erasure can be requested when they end", len(blocked)),
			ErrTypeBookingsInFlight, nil, blocked)
	}
	checked = true
	if refusal != nil {
		st.Stage = EraseRefused
		return st, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	}

	// Cooling-off: a durable timer the customer can cut short by cancelling.
	tctx, stopTimer := workflow.WithCancel(ctx)
	timer := workflow.NewTimer(tctx, in.CoolingOff)
	if err := workflow.Await(ctx, func() bool { return cancelled || timer.IsReady() }); err != nil {
		return st, err
	}
	stopTimer()
	if cancelled {
		return st, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	}

	// Bookings made during the cooling-off period are waited for.
	for {
		blocked = nil
		if err := workflow.ExecuteActivity(step(ctx, queues.Booking), bookingPrivacy.BookingsInFlight, bookingact.UserInput(user)).Get(ctx, &blocked); err != nil {
			return st, err
		}
		if len(blocked) == 0 {
			break
		}
		st.Stage, st.BlockedBy = EraseWaiting, blocked
		if err := workflow.Sleep(ctx, recheckAfter(workflow.Now(ctx), blocked)); err != nil {
			return st, err
		}
	}
	st.Stage, st.BlockedBy = EraseErasing, nil

	rep := &ErasureReport{Kept: []string{
		"booking: ids, PNR, segments, tickets, fares, amounts and history (tax and aviation records)",
		"payment: intents with amounts, dates, status and provider reference: " + payment.LegalBasisRetention,
		"customer: notification delivery records without recipient, subject or data",
		"auth: the user id as a tombstone, so it is never reissued",
	}}
	var revoked authact.RevokeUserSessionsResult
	if err := workflow.ExecuteActivity(step(ctx, queues.Auth), authSessions.RevokeUserSessions,
		authact.RevokeUserSessionsInput{UserID: in.UserID, Reason: "user erased"}).Get(ctx, &revoked); err != nil {
		return st, err
	}
	rep.SessionsRevoked = revoked.Revoked
	var bk bookingact.EraseBookingResult
	if err := workflow.ExecuteActivity(step(ctx, queues.Booking), bookingPrivacy.EraseBookingData, bookingact.UserInput(user)).Get(ctx, &bk); err != nil {
		return st, err
	}
	rep.Bookings = bk.Bookings
	var pay paymentact.ErasePaymentResult
	if err := workflow.ExecuteActivity(step(ctx, queues.Payment), paymentPrivacy.ErasePaymentData,
		paymentact.PaymentsOfUserInput{UserID: in.UserID, PaymentIDs: bk.PaymentIDs}).Get(ctx, &pay); err != nil {
		return st, err
	}
	rep.Payments = pay.Payments
	if err := workflow.ExecuteActivity(step(ctx, queues.Customer), customerPrivacy.EraseCustomerData, customeract.UserInput(user)).Get(ctx, &rep.Customer); err != nil {
		return st, err
	}
	if err := workflow.ExecuteActivity(step(ctx, queues.Auth), authShredder.ShredCustomerKey, authact.ShredCustomerKeyInput{CustomerID: in.UserID}).Get(ctx, nil); err != nil {
		return st, err
	}
	rep.KeyShredded = true
	var au authact.EraseAuthResult
	if err := workflow.ExecuteActivity(step(ctx, queues.Auth), authPrivacy.EraseAuthData, user).Get(ctx, &au); err != nil {
		return st, err
	}
	st.Stage, st.ErasedAt, st.Report = EraseErased, workflow.Now(ctx).UTC(), rep
	return st, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// recheckAfter is when to look at the blocking bookings again: at the
// latest trip's end, between a minute and six hours from now.
func recheckAfter(now time.Time, blocked []booking.InFlight) time.Duration {
	wait := bookingsRecheckAtMost
	for _, b := range blocked {
		if !b.Until.IsZero() {
			if d := b.Until.Sub(now); d < wait {
				wait = d
			}
		} else if bookingsRecheckAtLeast*15 < wait {
			wait = bookingsRecheckAtLeast * 15 // a booking in progress ends within its hold
		}
	}
	if wait < bookingsRecheckAtLeast {
		wait = bookingsRecheckAtLeast
	}
	return wait
}
