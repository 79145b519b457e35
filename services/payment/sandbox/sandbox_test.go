package sandbox_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

func TestSandbox_P1_ProviderKeysAreIdempotent(t *testing.T) {
	ctx := context.Background()
	env := paymenttest.New(t, testenv.SQLiteDSN(t), paymenttest.Options{})
	req := payment.AuthorizeRequest{IdempotencyKey: "k1", PaymentID: "pay_a", Amount: money.New(100, "EUR"), Token: sandbox.TokenVisa}
	first, err := env.Sandbox.Authorize(ctx, req)
	require.NoError(t, err)
	again, err := env.Sandbox.Authorize(ctx, req)
	require.NoError(t, err)
	require.Equal(t, first, again, "the same key returns the same authorization")
	other := req
	other.Amount = money.New(200, "EUR")
	_, err = env.Sandbox.Authorize(ctx, other)
	require.ErrorIs(t, err, payment.ErrIdempotencyConflict)

	require.NoError(t, env.Sandbox.Capture(ctx, payment.CaptureRequest{IdempotencyKey: "k2", Ref: first.Ref, Amount: money.New(100, "EUR")}))
	require.NoError(t, env.Sandbox.Capture(ctx, payment.CaptureRequest{IdempotencyKey: "k2", Ref: first.Ref, Amount: money.New(100, "EUR")}))
	err = env.Sandbox.Capture(ctx, payment.CaptureRequest{IdempotencyKey: "k3", Ref: first.Ref, Amount: money.New(100, "EUR")})
	require.ErrorIs(t, err, payment.ErrInvalidTransition, "a second capture under a new key is refused")
}

func TestSandbox_SignedWebhooksSurviveARestart(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var headers []string
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		headers = append(headers, r.Header.Get(payment.SignatureHeader))
		bodies = append(bodies, b)
	}))
	t.Cleanup(srv.Close)
	env := paymenttest.New(t, testenv.SQLiteDSN(t), paymenttest.Options{WebhookURL: srv.URL})
	resp, err := env.Sandbox.Authorize(ctx, payment.AuthorizeRequest{IdempotencyKey: "k", PaymentID: "pay_slow", Amount: money.New(100, "EUR"), Token: sandbox.TokenProcessingDelay})
	require.NoError(t, err)
	require.Equal(t, payment.AuthPending, resp.Outcome)

	// A new process over the same database finishes the work.
	restarted, err := sandbox.New(sandbox.Config{Store: env.Store, Secrets: env.Keys, WebhookURL: srv.URL, Now: func() time.Time { return env.Clock.Now().Add(time.Minute) }})
	require.NoError(t, err)
	n, err := restarted.CompleteDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = restarted.DeliverDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 1)
	keys, err := env.Keys.Versions(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	require.NoError(t, payment.VerifySignature(headers[0], bodies[0], [][]byte{keys[0].Material}, env.Clock.Now().Add(time.Minute)))
	require.Contains(t, string(bodies[0]), `"paymentId":"pay_slow"`)
	require.Contains(t, string(bodies[0]), `"status":"authorized"`)
}
