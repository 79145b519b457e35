package payment_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

// switchRand is a fault-injection dice that rolls 0 (fail) until released.
type switchRand struct {
	mu   sync.Mutex
	fail bool
}

func (r *switchRand) set(fail bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fail
}

func (r *switchRand) roll() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return 0
	}
	return 0.99
}

func TestFaults_ProviderDownReleasesTheKeyForARetry(t *testing.T) {
	ctx := context.Background()
	dice := &switchRand{}
	env := paymenttest.New(t, testenv.SQLiteDSN(t), paymenttest.Options{Faults: sandbox.Faults{FailureRate: 0.5}, Rand: dice.roll})
	in := createIntent(t, env, "down")

	dice.set(true)
	_, err := env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "down/authorize", PaymentID: in.ID, Token: sandbox.TokenVisa})
	require.ErrorIs(t, err, payment.ErrProviderUnavailable)
	got, err := env.Service.Get(ctx, in.ID)
	require.NoError(t, err)
	require.Equal(t, payment.StatusRequiresPaymentMethod, got.Status, "a failed call changes nothing")

	dice.set(false)
	out, err := env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "down/authorize", PaymentID: in.ID, Token: sandbox.TokenVisa})
	require.NoError(t, err, "the same key runs again once the provider is back")
	require.Equal(t, payment.StatusAuthorized, out.Status)
}

func TestFaults_T8_AmbiguousFailureThenRetryHasOneEffect(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		dice := &switchRand{}
		env := paymenttest.New(t, dsn(t), paymenttest.Options{Faults: sandbox.Faults{AmbiguousRate: 0.5}, Rand: dice.roll})
		in := createIntent(t, env, "amb")
		_, err := env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "amb/authorize", PaymentID: in.ID, Token: sandbox.TokenVisa})
		require.NoError(t, err)

		// The capture happens at the provider but the answer is lost.
		dice.set(true)
		_, err = env.Service.Capture(ctx, payment.CaptureInput{IdempotencyKey: "amb/capture", PaymentID: in.ID})
		require.ErrorIs(t, err, payment.ErrProviderUnavailable)
		charge, err := env.Sandbox.Challenge(ctx, in.ID)
		require.NoError(t, err)
		require.Equal(t, sandbox.ChargeCaptured, charge.Status, "the provider did capture")

		// The retry with the same key records it once, without a second capture.
		dice.set(false)
		out, err := env.Service.Capture(ctx, payment.CaptureInput{IdempotencyKey: "amb/capture", PaymentID: in.ID})
		require.NoError(t, err)
		require.Equal(t, payment.StatusCaptured, out.Status)
		require.Equal(t, in.Amount.Amount, out.Captured)
		require.Equal(t, []string{"payment.create", "payment.authorize", "payment.capture"}, auditActions(t, env, in.ID))
	})
}
