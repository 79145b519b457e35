package paymentact_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

type harness struct {
	env  *paymenttest.Env
	tenv *testsuite.TestActivityEnvironment
}

func newHarness(t *testing.T, dsn string) *harness {
	env := paymenttest.New(t, dsn, paymenttest.Options{})
	var s testsuite.WorkflowTestSuite
	tenv := s.NewTestActivityEnvironment()
	tenv.RegisterActivity(paymentact.New(env.Service, nil))
	return &harness{env: env, tenv: tenv}
}

func (h *harness) run(t *testing.T, fn any, in any) (paymentact.PaymentResult, error) {
	t.Helper()
	v, err := h.tenv.ExecuteActivity(fn, in)
	if err != nil {
		return paymentact.PaymentResult{}, err
	}
	var out paymentact.PaymentResult
	require.NoError(t, v.Get(&out))
	return out, nil
}

// twice runs an activity twice with the same input and requires the same result.
func (h *harness) twice(t *testing.T, fn any, in any) paymentact.PaymentResult {
	t.Helper()
	first, err := h.run(t, fn, in)
	require.NoError(t, err)
	second, err := h.run(t, fn, in)
	require.NoError(t, err)
	require.Equal(t, first.PaymentID, second.PaymentID)
	require.Equal(t, first.Status, second.Status)
	return second
}

func (h *harness) audit(t *testing.T) []string {
	page, err := h.env.Store.AuditPage(context.Background(), 0, 1000)
	require.NoError(t, err)
	var out []string
	for _, e := range page {
		out = append(out, e.Action)
	}
	return out
}

var a *paymentact.Activities // method values name the activities

func TestActivities_T4_EveryPaymentActivityTwiceHasOneEffect(t *testing.T) {
	for name, dsn := range paymenttest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, dsn(t))
			eur := money.New(45990, "EUR")

			created := h.twice(t, a.CreatePaymentIntent, paymentact.CreatePaymentIntentInput{IdempotencyKey: "bk1/create-intent", BookingID: "bk1", CustomerID: "c1", Amount: eur, Provider: sandbox.Name})
			require.Equal(t, "requires_payment_method", created.Status)
			authz := h.twice(t, a.AuthorizePayment, paymentact.AuthorizePaymentInput{IdempotencyKey: "bk1/authorize", PaymentID: created.PaymentID, Token: sandbox.TokenVisa})
			require.Equal(t, "authorized", authz.Status)
			require.Equal(t, "4242", authz.Last4)
			got := h.twice(t, a.GetPayment, paymentact.GetPaymentInput{PaymentID: created.PaymentID})
			require.Equal(t, "authorized", got.Status)
			captured := h.twice(t, a.CapturePayment, paymentact.CapturePaymentInput{IdempotencyKey: "bk1/capture", PaymentID: created.PaymentID})
			require.Equal(t, eur, captured.Captured)
			part := money.New(1000, "EUR")
			refunded := h.twice(t, a.RefundPayment, paymentact.RefundPaymentInput{IdempotencyKey: "bk1/refund", PaymentID: created.PaymentID, Amount: &part, Reason: "change"})
			require.Equal(t, part, refunded.Refunded, "got refunded %v after two runs, want %v", refunded.Refunded, part)
			require.Equal(t, []string{"payment.create", "payment.authorize", "payment.capture", "payment.refund"}, h.audit(t))

			other := h.twice(t, a.CreatePaymentIntent, paymentact.CreatePaymentIntentInput{IdempotencyKey: "bk2/create-intent", BookingID: "bk2", Amount: eur, Provider: sandbox.Name})
			h.twice(t, a.AuthorizePayment, paymentact.AuthorizePaymentInput{IdempotencyKey: "bk2/authorize", PaymentID: other.PaymentID, Token: sandbox.TokenMastercard})
			voided := h.twice(t, a.VoidPayment, paymentact.VoidPaymentInput{IdempotencyKey: "bk2/void", PaymentID: other.PaymentID, Reason: "hold expired"})
			require.Equal(t, "canceled", voided.Status)
			actions := h.audit(t)
			require.Equal(t, []string{"payment.create", "payment.authorize", "payment.void"}, actions[len(actions)-3:])
		})
	}
}

func TestActivities_T8_CompensationsWithNothingToUndo(t *testing.T) {
	h := newHarness(t, testenv.SQLiteDSN(t))
	created, err := h.run(t, a.CreatePaymentIntent, paymentact.CreatePaymentIntentInput{IdempotencyKey: "bk/create", BookingID: "bk", Amount: money.New(100, "EUR"), Provider: sandbox.Name})
	require.NoError(t, err)
	voided, err := h.run(t, a.VoidPayment, paymentact.VoidPaymentInput{IdempotencyKey: "bk/void", PaymentID: created.PaymentID})
	require.NoError(t, err)
	require.Equal(t, "requires_payment_method", voided.Status)
	refunded, err := h.run(t, a.RefundPayment, paymentact.RefundPaymentInput{IdempotencyKey: "bk/refund", PaymentID: created.PaymentID})
	require.NoError(t, err)
	require.Equal(t, "requires_payment_method", refunded.Status)
}

func TestActivities_T5_DeclineIsNonRetryableWithCode(t *testing.T) {
	h := newHarness(t, testenv.SQLiteDSN(t))
	created, err := h.run(t, a.CreatePaymentIntent, paymentact.CreatePaymentIntentInput{IdempotencyKey: "bk/create", BookingID: "bk", Amount: money.New(100, "EUR"), Provider: sandbox.Name})
	require.NoError(t, err)
	for _, tt := range []struct{ token, code string }{
		{sandbox.TokenChargeDeclined, sandbox.DeclineCardDeclined},
		{sandbox.TokenInsufficientFunds, sandbox.DeclineInsufficientFunds},
	} {
		t.Run(tt.token, func(t *testing.T) {
			in := created
			if tt.token != sandbox.TokenChargeDeclined {
				in, err = h.run(t, a.CreatePaymentIntent, paymentact.CreatePaymentIntentInput{IdempotencyKey: "bk/create-2", BookingID: "bk", Amount: money.New(100, "EUR"), Provider: sandbox.Name})
				require.NoError(t, err)
			}
			_, err := h.run(t, a.AuthorizePayment, paymentact.AuthorizePaymentInput{IdempotencyKey: in.PaymentID + "/authorize", PaymentID: in.PaymentID, Token: tt.token})
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(err, &appErr), "got %v, want an ApplicationError", err)
			require.Equal(t, paymentact.ErrTypePaymentDeclined, appErr.Type())
			require.True(t, appErr.NonRetryable())
			var code string
			require.NoError(t, appErr.Details(&code))
			require.Equal(t, tt.code, code, "got decline code %q, want %q", code, tt.code)
		})
	}
	_, err = h.run(t, a.CapturePayment, paymentact.CapturePaymentInput{IdempotencyKey: "bk/capture", PaymentID: created.PaymentID})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.Equal(t, paymentact.ErrTypeInvalidTransition, appErr.Type())
	_, err = h.run(t, a.GetPayment, paymentact.GetPaymentInput{PaymentID: "pay_missing"})
	require.True(t, errors.As(err, &appErr))
	require.Equal(t, paymentact.ErrTypePaymentNotFound, appErr.Type())
}

func TestActivities_ThreeDSecureReturnsNextAction(t *testing.T) {
	h := newHarness(t, testenv.SQLiteDSN(t))
	created, err := h.run(t, a.CreatePaymentIntent, paymentact.CreatePaymentIntentInput{IdempotencyKey: "bk/create", BookingID: "bk", Amount: money.New(100, "EUR"), Provider: sandbox.Name})
	require.NoError(t, err)
	out, err := h.run(t, a.AuthorizePayment, paymentact.AuthorizePaymentInput{IdempotencyKey: "bk/authorize", PaymentID: created.PaymentID, Token: sandbox.TokenThreeDSecureRequired})
	require.NoError(t, err)
	require.Equal(t, "requires_action", out.Status)
	require.NotNil(t, out.NextAction)
	require.Equal(t, "redirect", out.NextAction.Type)
	require.Contains(t, out.NextAction.URL, created.PaymentID)
}
