package paymentact_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
	"github.com/skyfly/skyfly/temporal/queues"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopTemporal()
	os.Exit(code)
}

// awaitPayment stands in for the booking saga: it waits for one
// payment-event signal and returns it.
func awaitPayment(ctx workflow.Context) (paymentact.PaymentEvent, error) {
	var ev paymentact.PaymentEvent
	workflow.GetSignalChannel(ctx, paymentact.SignalPaymentEvent).Receive(ctx, &ev)
	return ev, nil
}

func TestSignaler_W5_WebhookWhileTheWorkflowIsAbsentCompletesWhenItReturns(t *testing.T) {
	srv := testenv.TemporalServer(t)
	tc, err := client.Dial(client.Options{HostPort: srv.Address, Namespace: srv.Namespace})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	ctx := context.Background()

	env := paymenttest.New(t, testenv.SQLiteDSN(t), paymenttest.Options{Signaler: paymentact.NewSignaler(tc)})
	bookingID := "bk-w5-" + payment.RandomID("t")
	in, err := env.Service.CreateIntent(ctx, payment.CreateIntentInput{IdempotencyKey: bookingID + "/create", BookingID: bookingID, Amount: money.New(45990, "EUR"), Provider: sandbox.Name})
	require.NoError(t, err)
	_, err = env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: bookingID + "/authorize", PaymentID: in.ID, Token: sandbox.TokenThreeDSecureRequired})
	require.NoError(t, err)

	// The provider's webhook arrives while no booking workflow runs.
	body, err := json.Marshal(payment.EventPayload{ID: "evt_" + bookingID, Type: payment.EventAuthorized, Data: payment.EventData{PaymentID: in.ID, Status: payment.StatusAuthorized}})
	require.NoError(t, err)
	key, err := env.Keys.Current(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	start := time.Now()
	res, err := env.Service.HandleWebhook(ctx, payment.Sign(env.Clock.Now(), body, key.Material), body)
	require.NoError(t, err, "the webhook is acknowledged")
	require.Less(t, time.Since(start), 3*time.Second, "and at once")
	require.Equal(t, payment.OutcomeApplied, res.Outcome)
	sig, err := env.Store.Signal(ctx, "evt_"+bookingID)
	require.NoError(t, err)
	require.Nil(t, sig.DeliveredAt)
	require.Contains(t, sig.LastError, "not found")

	// The workflow and its worker come back; the retrier delivers.
	taskQueue := "payment-signal-test-" + bookingID
	w := worker.New(tc, taskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(awaitPayment, workflow.RegisterOptions{Name: "AwaitPayment"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: queues.BookingWorkflowID(bookingID), TaskQueue: taskQueue}, "AwaitPayment")
	require.NoError(t, err)

	env.Clock.Advance(time.Minute)
	n, err := env.Service.DeliverPendingSignals(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var got paymentact.PaymentEvent
	require.NoError(t, run.Get(wctx, &got))
	want := paymentact.PaymentEvent{EventID: "evt_" + bookingID, PaymentID: in.ID, BookingID: bookingID, Type: payment.EventAuthorized, Status: "authorized"}
	require.Equal(t, want, got)
}
