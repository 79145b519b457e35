package payment_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

// P1/T4: create-and-authorize is one call with one effect per key; a
// retry returns the same intent and authorization, the intent is the one
// CreateIntent finds on its key, a decline carries the payment id, and
// 3-D Secure stops in requires_action.
func TestService_P1_CreateAndAuthorizeOnceWithTwoKeys(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		env := paymenttest.New(t, dsn(t), paymenttest.Options{})
		in := func(key, token string) payment.CreateAndAuthorizeInput {
			return payment.CreateAndAuthorizeInput{
				Intent: payment.CreateIntentInput{IdempotencyKey: key + "/intent", BookingID: "bk_" + key, CustomerID: "cust_1",
					Amount: eur(45990), Provider: sandbox.Name, Actor: "service:test"},
				AuthorizeKey: key + "/authorize", Token: token,
			}
		}

		t.Run("a card that needs no action is authorized once, also when retried", func(t *testing.T) {
			first, err := env.Service.CreateAndAuthorize(ctx, in("ca1", sandbox.TokenVisa))
			require.NoError(t, err)
			require.Equal(t, payment.StatusAuthorized, first.Status)
			again, err := env.Service.CreateAndAuthorize(ctx, in("ca1", sandbox.TokenVisa))
			require.NoError(t, err)
			require.Equal(t, first.ID, again.ID, "got intent %s, want %s", again.ID, first.ID)
			found, err := env.Service.CreateIntent(ctx, in("ca1", sandbox.TokenVisa).Intent)
			require.NoError(t, err)
			require.Equal(t, first.ID, found.ID, "the intent's key finds it alone")
			require.Equal(t, []string{"payment.create", "payment.authorize"}, auditActions(t, env, first.ID), "one create, one authorization")
		})
		t.Run("a decline fails the intent and names it", func(t *testing.T) {
			out, err := env.Service.CreateAndAuthorize(ctx, in("ca2", sandbox.TokenChargeDeclined))
			var de *payment.DeclineError
			require.ErrorAs(t, err, &de)
			require.Equal(t, sandbox.DeclineCardDeclined, de.Code)
			require.NotEmpty(t, out.ID)
			require.Equal(t, out.ID, de.PaymentID)
			require.Equal(t, payment.StatusFailed, out.Status)
		})
		t.Run("3-D Secure stops in requires_action with its next action", func(t *testing.T) {
			out, err := env.Service.CreateAndAuthorize(ctx, in("ca3", sandbox.TokenThreeDSecureRequired))
			require.NoError(t, err)
			require.Equal(t, payment.StatusRequiresAction, out.Status)
			require.NotEmpty(t, out.NextActionURL)
		})
		t.Run("a refused creation returns no intent", func(t *testing.T) {
			bad := in("ca4", sandbox.TokenVisa)
			bad.Intent.Provider = "nope"
			out, err := env.Service.CreateAndAuthorize(ctx, bad)
			require.ErrorIs(t, err, payment.ErrUnknownProvider)
			require.Empty(t, out.ID)
		})
		t.Run("the same keys with another token are a conflict, never a second authorization", func(t *testing.T) {
			_, err := env.Service.CreateAndAuthorize(ctx, in("ca1", sandbox.TokenMastercard))
			require.ErrorIs(t, err, payment.ErrIdempotencyConflict)
		})
	})
}
