package payment_test

import (
	"context"
	"sync"
	"testing"
	"time"

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

func TestService_P2_DuplicateOfAStuckRequestGets409ThenTakesOverAfterItsLease(t *testing.T) {
	ctx := context.Background()
	env := paymenttest.New(t, testenv.SQLiteDSN(t), paymenttest.Options{})
	in := authorized(t, env, "stuck")
	// A first request took the key and died before finishing; its lease runs.
	_, created, err := env.Store.BeginOperation(ctx, payment.Operation{Key: "stuck/capture", Kind: "capture", PaymentID: in.ID,
		RequestHash: payment.RequestHash("capture", in.ID, "all"), State: payment.OpInFlight, CreatedAt: env.Clock.Now(), LeaseUntil: env.Clock.Now().Add(time.Minute)})
	require.NoError(t, err)
	require.True(t, created)
	svc, err := payment.NewService(payment.Config{Store: env.Store, Providers: map[string]payment.Provider{sandbox.Name: env.Sandbox}, Secrets: env.Keys,
		Now: env.Clock.Now, OperationWait: 100 * time.Millisecond})
	require.NoError(t, err)
	_, err = svc.Capture(ctx, payment.CaptureInput{IdempotencyKey: "stuck/capture", PaymentID: in.ID})
	require.ErrorIs(t, err, payment.ErrInFlight)

	env.Clock.Advance(2 * time.Minute)
	out, err := svc.Capture(ctx, payment.CaptureInput{IdempotencyKey: "stuck/capture", PaymentID: in.ID})
	require.NoError(t, err, "after its lease the key is taken over")
	require.Equal(t, payment.StatusCaptured, out.Status)
	require.Equal(t, []string{"payment.create", "payment.authorize", "payment.capture"}, auditActions(t, env, in.ID))
}
