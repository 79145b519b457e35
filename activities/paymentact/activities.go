package paymentact

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/temporal/queues"
)

// Error types of non-retryable refusals beyond the contract's.
const (
	ErrTypeIdempotencyConflict = "PaymentIdempotencyConflict"
	ErrTypeInvalidInput        = "PaymentInvalidInput"
)

// Activities are the payment domain's Temporal activities on task queue
// "payment": thin adapters from the saga's calls to payment.Service. Every
// side-effecting activity is idempotent on its input's IdempotencyKey
// (ACCEPTANCE T4).
type Activities struct {
	svc *payment.Service
	log *slog.Logger
}

// New returns the activities over a payment service.
func New(svc *payment.Service, log *slog.Logger) *Activities {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Activities{svc: svc, log: log}
}

// CreatePaymentIntent creates (or returns, on the same key) the intent for a
// booking charge.
func (a *Activities) CreatePaymentIntent(ctx context.Context, in CreatePaymentIntentInput) (PaymentResult, error) {
	out, err := a.svc.CreateIntent(ctx, payment.CreateIntentInput{
		IdempotencyKey: in.IdempotencyKey, BookingID: in.BookingID, CustomerID: in.CustomerID,
		Amount: in.Amount, Provider: in.Provider, Actor: actor(ctx),
	})
	if err != nil {
		return PaymentResult{}, translate("create payment intent", err)
	}
	return result(out), nil
}

// AuthorizePayment authorizes an intent with a provider token. A decline is
// a non-retryable ApplicationError of type PaymentDeclined whose one detail
// is the decline code string (card_declined, insufficient_funds, ...). 3-D Secure returns status requires_action with the
// NextAction; the outcome then arrives as a payment-event signal.
func (a *Activities) AuthorizePayment(ctx context.Context, in AuthorizePaymentInput) (PaymentResult, error) {
	out, err := a.svc.Authorize(ctx, payment.AuthorizeInput{
		IdempotencyKey: in.IdempotencyKey, PaymentID: in.PaymentID, Token: in.Token, ReturnURL: in.ReturnURL, Actor: actor(ctx),
	})
	if err != nil {
		return PaymentResult{}, translate("authorize payment", err)
	}
	return result(out), nil
}

// CreateAndAuthorizePayment creates (or finds, on the same key) the intent
// and authorizes it in one call: one task-queue round trip for the saga's
// payment step. A refused creation is a non-retryable ErrTypeIntentRefused
// (nothing exists to undo); a decline is a non-retryable PaymentDeclined
// whose details are the decline code and the payment id; 3-D Secure returns
// requires_action with the NextAction, as AuthorizePayment does.
func (a *Activities) CreateAndAuthorizePayment(ctx context.Context, in CreateAndAuthorizePaymentInput) (PaymentResult, error) {
	out, err := a.svc.CreateAndAuthorize(ctx, payment.CreateAndAuthorizeInput{
		Intent: payment.CreateIntentInput{
			IdempotencyKey: in.Intent.IdempotencyKey, BookingID: in.Intent.BookingID, CustomerID: in.Intent.CustomerID,
			Amount: in.Intent.Amount, Provider: in.Intent.Provider, Actor: actor(ctx),
		},
		AuthorizeKey: in.AuthorizeKey, Token: in.Token, ReturnURL: in.ReturnURL,
	})
	if err == nil {
		return result(out), nil
	}
	var de *payment.DeclineError
	var appErr *temporal.ApplicationError
	switch terr := translate("create and authorize payment", err); {
	case errors.As(err, &de):
		return PaymentResult{}, temporal.NewNonRetryableApplicationError(terr.Error(), ErrTypePaymentDeclined, err, de.Code, de.PaymentID)
	case out.ID == "" && errors.As(terr, &appErr) && appErr.NonRetryable():
		return PaymentResult{}, temporal.NewNonRetryableApplicationError(terr.Error(), ErrTypeIntentRefused, err)
	default:
		return PaymentResult{}, terr
	}
}

// GetPayment reads an intent.
func (a *Activities) GetPayment(ctx context.Context, in GetPaymentInput) (PaymentResult, error) {
	out, err := a.svc.Get(ctx, in.PaymentID)
	if err != nil {
		return PaymentResult{}, translate("get payment", err)
	}
	return result(out), nil
}

// CapturePayment captures an authorized intent.
func (a *Activities) CapturePayment(ctx context.Context, in CapturePaymentInput) (PaymentResult, error) {
	out, err := a.svc.Capture(ctx, payment.CaptureInput{IdempotencyKey: in.IdempotencyKey, PaymentID: in.PaymentID, Amount: in.Amount, Actor: actor(ctx)})
	if err != nil {
		return PaymentResult{}, translate("capture payment", err)
	}
	return result(out), nil
}

// VoidPayment cancels an intent before capture. An intent with nothing
// authorized is returned unchanged without error (ACCEPTANCE T8).
func (a *Activities) VoidPayment(ctx context.Context, in VoidPaymentInput) (PaymentResult, error) {
	out, err := a.svc.Void(ctx, payment.VoidInput{IdempotencyKey: in.IdempotencyKey, PaymentID: in.PaymentID, Reason: in.Reason, Actor: actor(ctx)})
	if err != nil {
		return PaymentResult{}, translate("void payment", err)
	}
	return result(out), nil
}

// RefundPayment refunds captured money. An intent with nothing captured
// left to refund is returned unchanged without error (ACCEPTANCE T8).
func (a *Activities) RefundPayment(ctx context.Context, in RefundPaymentInput) (PaymentResult, error) {
	out, err := a.svc.Refund(ctx, payment.RefundInput{IdempotencyKey: in.IdempotencyKey, PaymentID: in.PaymentID, Amount: in.Amount, Reason: in.Reason, Actor: actor(ctx)})
	if errors.Is(err, payment.ErrNothingToRefund) {
		return result(out), nil
	}
	if err != nil {
		return PaymentResult{}, translate("refund payment", err)
	}
	return result(out), nil
}

// actor names the workflow that runs the activity, for the audit log.
func actor(ctx context.Context) string {
	if activity.IsActivity(ctx) {
		return payment.ActorWorkflowPrefix + activity.GetInfo(ctx).WorkflowExecution.ID
	}
	return "service:payment-activities"
}

// translate maps domain sentinels to typed non-retryable Temporal errors;
// anything else (provider unavailable, database, in-flight duplicate) stays
// retryable.
func translate(op string, err error) error {
	msg := fmt.Sprintf("%s: %v", op, err)
	var de *payment.DeclineError
	switch {
	case errors.As(err, &de):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypePaymentDeclined, err, de.Code)
	case errors.Is(err, payment.ErrNotFound):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypePaymentNotFound, err)
	case errors.Is(err, payment.ErrInvalidTransition):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeInvalidTransition, err)
	case errors.Is(err, payment.ErrIdempotencyConflict):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeIdempotencyConflict, err)
	case errors.Is(err, payment.ErrInvalidInput), errors.Is(err, payment.ErrCardData), errors.Is(err, payment.ErrUnknownProvider):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeInvalidInput, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func result(in payment.Intent) PaymentResult {
	r := PaymentResult{
		PaymentID: in.ID, Status: string(in.Status), Amount: in.Amount, Captured: in.CapturedMoney(), Refunded: in.RefundedMoney(),
		Brand: in.Brand, Last4: in.Last4, DeclineCode: in.DeclineCode,
	}
	if in.Status == payment.StatusRequiresAction && in.NextActionURL != "" {
		r.NextAction = &NextAction{Type: "redirect", URL: in.NextActionURL}
	}
	return r
}

// Signaler delivers payment events to booking workflows as the
// SignalPaymentEvent signal; it implements payment.Signaler.
type Signaler struct {
	client client.Client
}

// NewSignaler returns a Signaler over a Temporal client.
func NewSignaler(c client.Client) *Signaler { return &Signaler{client: c} }

// SignalBooking implements payment.Signaler.
func (s *Signaler) SignalBooking(ctx context.Context, ev payment.BookingEvent) error {
	id := queues.BookingWorkflowID(ev.BookingID)
	err := s.client.SignalWorkflow(ctx, id, "", SignalPaymentEvent, PaymentEvent{
		EventID: ev.EventID, PaymentID: ev.PaymentID, BookingID: ev.BookingID, Type: ev.Type, Status: string(ev.Status),
	})
	if err != nil {
		return fmt.Errorf("signal %s %s: %w", id, SignalPaymentEvent, err)
	}
	return nil
}
