package paymentact_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

// T4/T5: CreateAndAuthorizePayment twice has one intent and one
// authorization; a decline is non-retryable and names the intent; a
// refused creation is non-retryable ErrTypeIntentRefused.
func TestActivities_T4_CreateAndAuthorizeTwiceHasOneEffect(t *testing.T) {
	for name, dsn := range paymenttest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, dsn(t))
			in := func(key, token string) paymentact.CreateAndAuthorizePaymentInput {
				return paymentact.CreateAndAuthorizePaymentInput{
					Intent: paymentact.CreatePaymentIntentInput{IdempotencyKey: key + "/intent", BookingID: key, CustomerID: "c1",
						Amount: money.New(45990, "EUR"), Provider: sandbox.Name},
					AuthorizeKey: key + "/authorize", Token: token,
				}
			}
			got := h.twice(t, a.CreateAndAuthorizePayment, in("bk1", sandbox.TokenVisa))
			require.Equal(t, "authorized", got.Status)
			require.Equal(t, []string{"payment.create", "payment.authorize"}, h.audit(t), "one intent, one authorization")
			found := h.twice(t, a.CreatePaymentIntent, in("bk1", sandbox.TokenVisa).Intent)
			require.Equal(t, got.PaymentID, found.PaymentID, "the intent's key finds the intent alone (the undo's lookup)")

			_, err := h.run(t, a.CreateAndAuthorizePayment, in("bk2", sandbox.TokenChargeDeclined))
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(err, &appErr), "got %v", err)
			require.Equal(t, paymentact.ErrTypePaymentDeclined, appErr.Type())
			require.True(t, appErr.NonRetryable())
			var code, pid string
			require.NoError(t, appErr.Details(&code, &pid))
			require.Equal(t, sandbox.DeclineCardDeclined, code)
			require.NotEmpty(t, pid)

			threeDS, err := h.run(t, a.CreateAndAuthorizePayment, in("bk3", sandbox.TokenThreeDSecureRequired))
			require.NoError(t, err)
			require.Equal(t, "requires_action", threeDS.Status)
			require.NotNil(t, threeDS.NextAction)

			bad := in("bk4", sandbox.TokenVisa)
			bad.Intent.Provider = "nope"
			_, err = h.run(t, a.CreateAndAuthorizePayment, bad)
			require.True(t, errors.As(err, &appErr), "got %v", err)
			require.Equal(t, paymentact.ErrTypeIntentRefused, appErr.Type())
			require.True(t, appErr.NonRetryable())
		})
	}
}
