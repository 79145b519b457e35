package payment_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

// signed returns a webhook body and its signature header for an event.
func signed(t *testing.T, env *paymenttest.Env, ev payment.EventPayload) (string, []byte) {
	t.Helper()
	body, err := json.Marshal(ev)
	require.NoError(t, err)
	key, err := env.Keys.Current(context.Background(), secrets.KeyWebhookSecret)
	require.NoError(t, err)
	return payment.Sign(env.Clock.Now(), body, key.Material), body
}

func event(id, typ string, in payment.Intent, status payment.Status) payment.EventPayload {
	return payment.EventPayload{ID: id, Type: typ, Data: payment.EventData{PaymentID: in.ID, ProviderRef: in.ProviderRef, Status: status}}
}

func threeDS(t *testing.T, env *paymenttest.Env, key string) payment.Intent {
	t.Helper()
	in := createIntent(t, env, key)
	out, err := env.Service.Authorize(context.Background(), payment.AuthorizeInput{IdempotencyKey: key + "/authorize", PaymentID: in.ID, Token: sandbox.TokenThreeDSecureRequired})
	require.NoError(t, err)
	return out
}

func TestWebhook_W1_RefusesBadSignatures(t *testing.T) {
	ctx := context.Background()
	env := paymenttest.New(t, testenv.SQLiteDSN(t), paymenttest.Options{})
	in := threeDS(t, env, "w1")
	header, body := signed(t, env, event("evt_w1", payment.EventAuthorized, in, payment.StatusAuthorized))

	_, err := env.Service.HandleWebhook(ctx, "", body)
	require.ErrorIs(t, err, payment.ErrSignature)
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = ' '
	_, err = env.Service.HandleWebhook(ctx, header, tampered)
	require.ErrorIs(t, err, payment.ErrSignature)
	got, err := env.Service.Get(ctx, in.ID)
	require.NoError(t, err)
	require.Equal(t, payment.StatusRequiresAction, got.Status, "a refused webhook has no effect")

	// Rotation: a webhook signed with the previous secret still verifies.
	old, err := env.Keys.Current(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	_, err = env.Keys.Rotate(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	res, err := env.Service.HandleWebhook(ctx, payment.Sign(env.Clock.Now(), body, old.Material), body)
	require.NoError(t, err)
	require.Equal(t, payment.OutcomeApplied, res.Outcome)
}

func TestWebhook_W2_RefusesStaleAndFutureTimestamps(t *testing.T) {
	ctx := context.Background()
	env := paymenttest.New(t, testenv.SQLiteDSN(t), paymenttest.Options{})
	in := threeDS(t, env, "w2")
	header, body := signed(t, env, event("evt_w2", payment.EventAuthorized, in, payment.StatusAuthorized))
	env.Clock.Advance(301 * time.Second)
	_, err := env.Service.HandleWebhook(ctx, header, body)
	require.ErrorIs(t, err, payment.ErrTimestamp)
	env.Clock.Advance(-301*time.Second - 61*time.Second)
	_, err = env.Service.HandleWebhook(ctx, header, body)
	require.ErrorIs(t, err, payment.ErrTimestamp)
}

func TestWebhook_W3_DuplicatesHaveOneEffect(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		env := paymenttest.New(t, dsn(t), paymenttest.Options{})

		t.Run("in sequence", func(t *testing.T) {
			in := threeDS(t, env, "w3-seq")
			header, body := signed(t, env, event("evt_w3_seq", payment.EventAuthorized, in, payment.StatusAuthorized))
			first, err := env.Service.HandleWebhook(ctx, header, body)
			require.NoError(t, err)
			require.Equal(t, payment.OutcomeApplied, first.Outcome)
			second, err := env.Service.HandleWebhook(ctx, header, body)
			require.NoError(t, err)
			require.Equal(t, payment.OutcomeDuplicate, second.Outcome)
			require.Equal(t, []string{"payment.create", "payment.authorize", "webhook.payment.authorized"}, auditActions(t, env, in.ID))
		})

		t.Run("in parallel", func(t *testing.T) {
			in := threeDS(t, env, "w3-par")
			header, body := signed(t, env, event("evt_w3_par", payment.EventAuthorized, in, payment.StatusAuthorized))
			const n = 6
			var wg sync.WaitGroup
			outcomes := make([]string, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var res payment.WebhookResult
					res, errs[i] = env.Service.HandleWebhook(ctx, header, body)
					outcomes[i] = res.Outcome
				}()
			}
			wg.Wait()
			applied := 0
			for i := range n {
				require.NoError(t, errs[i], "delivery %d must be acknowledged", i)
				if outcomes[i] == payment.OutcomeApplied {
					applied++
				}
			}
			require.Equal(t, 1, applied, "got %d applied deliveries, want 1 (outcomes %v)", applied, outcomes)
			require.Equal(t, []string{"payment.create", "payment.authorize", "webhook.payment.authorized"}, auditActions(t, env, in.ID))
			got, err := env.Service.Get(ctx, in.ID)
			require.NoError(t, err)
			require.Equal(t, payment.StatusAuthorized, got.Status)
		})
	})
}

func TestWebhook_W4_OutOfOrderEventsEndInTheRightState(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		env := paymenttest.New(t, dsn(t), paymenttest.Options{})
		tests := []struct {
			name  string
			order []payment.Status
			want  payment.Status
		}{
			{"captured before authorized", []payment.Status{payment.StatusCaptured, payment.StatusAuthorized}, payment.StatusCaptured},
			{"refunded before captured before authorized", []payment.Status{payment.StatusRefunded, payment.StatusCaptured, payment.StatusAuthorized}, payment.StatusRefunded},
			{"authorized then a late requires_action", []payment.Status{payment.StatusAuthorized, payment.StatusRequiresAction}, payment.StatusAuthorized},
			{"canceled then a late authorized", []payment.Status{payment.StatusCanceled, payment.StatusAuthorized}, payment.StatusCanceled},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := threeDS(t, env, "w4-"+string(rune('a'+i)))
				for j, st := range tt.order {
					header, body := signed(t, env, event(in.ID+"-evt-"+string(rune('0'+j)), "payment."+string(st), in, st))
					_, err := env.Service.HandleWebhook(ctx, header, body)
					require.NoError(t, err)
				}
				got, err := env.Service.Get(ctx, in.ID)
				require.NoError(t, err)
				require.Equal(t, tt.want, got.Status, "got %s, want %s", got.Status, tt.want)
				if tt.want == payment.StatusRefunded {
					require.Equal(t, got.Amount.Amount, got.Refunded)
				}
			})
		}
	})
}

func TestWebhook_W5_SignalFailsThenRetryDelivers(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		env := paymenttest.New(t, dsn(t), paymenttest.Options{})
		in := threeDS(t, env, "w5")
		env.Signaler.SetFail(errors.New("workflow booking/bk_w5 not found"))

		header, body := signed(t, env, event("evt_w5", payment.EventAuthorized, in, payment.StatusAuthorized))
		res, err := env.Service.HandleWebhook(ctx, header, body)
		require.NoError(t, err, "the webhook is acknowledged although the signal failed")
		require.Equal(t, payment.StatusAuthorized, res.Status)
		require.Empty(t, env.Signaler.Delivered())
		sig, err := env.Store.Signal(ctx, "evt_w5")
		require.NoError(t, err)
		require.Nil(t, sig.DeliveredAt)
		require.Equal(t, 1, sig.Attempts)

		n, err := env.Service.DeliverPendingSignals(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "not due before its backoff")

		env.Signaler.SetFail(nil) // the workers are back
		env.Clock.Advance(time.Minute)
		n, err = env.Service.DeliverPendingSignals(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		want := payment.BookingEvent{EventID: "evt_w5", PaymentID: in.ID, BookingID: in.BookingID, Type: payment.EventAuthorized, Status: payment.StatusAuthorized}
		require.Equal(t, []payment.BookingEvent{want}, env.Signaler.Delivered())

		env.Clock.Advance(time.Hour)
		n, err = env.Service.DeliverPendingSignals(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "a delivered signal is not sent again")
	})
}

func TestAudit_VerifyCleanEditedAndDeleted(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		tests := []struct {
			name    string
			tamper  string
			wantBad int64
		}{
			{"a clean chain verifies", "", 0},
			{"an edited row is reported", "UPDATE payment_audit_log SET reason = 'nothing to see' WHERE seq = 3", 3},
			{"an edited amount is reported", "UPDATE payment_audit_log SET after_state = REPLACE(after_state, '45990', '1') WHERE seq = 2", 2},
			{"a deleted row is reported", "DELETE FROM payment_audit_log WHERE seq = 4", 4},
			{"a deleted last row is reported", "DELETE FROM payment_audit_log WHERE seq = 6", 6},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				env := paymenttest.New(t, dsn(t), paymenttest.Options{})
				in := authorized(t, env, "audit")
				_, err := env.Service.Capture(ctx, payment.CaptureInput{IdempotencyKey: "audit/capture", PaymentID: in.ID})
				require.NoError(t, err)
				part := eur(1000)
				_, err = env.Service.Refund(ctx, payment.RefundInput{IdempotencyKey: "audit/refund-1", PaymentID: in.ID, Amount: &part, Reason: "goodwill by agent"})
				require.NoError(t, err)
				_, err = env.Service.Refund(ctx, payment.RefundInput{IdempotencyKey: "audit/refund-2", PaymentID: in.ID, Amount: &part, Reason: "second goodwill"})
				require.NoError(t, err)
				_, err = env.Service.Refund(ctx, payment.RefundInput{IdempotencyKey: "audit/refund-3", PaymentID: in.ID, Reason: "cancelled"})
				require.NoError(t, err)

				if tt.tamper != "" {
					res := env.DB.WithContext(ctx).Exec(tt.tamper)
					require.NoError(t, res.Error)
					require.Equal(t, int64(1), res.RowsAffected)
				}
				rep, err := payment.VerifyAudit(ctx, env.Store)
				require.NoError(t, err)
				if tt.wantBad == 0 {
					require.True(t, rep.OK, "got %+v", rep)
					require.Equal(t, int64(6), rep.Checked)
					return
				}
				require.False(t, rep.OK)
				require.Equal(t, tt.wantBad, rep.BadSeq, "got first bad row %d (%s), want %d", rep.BadSeq, rep.Reason, tt.wantBad)
			})
		}
	})
}
