package payment_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

// forEachDialect runs fn against a fresh payment database per dialect.
func forEachDialect(t *testing.T, fn func(t *testing.T, dsn func(t testing.TB) string)) {
	for name, dsn := range paymenttest.Dialects(t) {
		t.Run(name, func(t *testing.T) { fn(t, dsn) })
	}
}

func eur(a int64) money.Money { return money.New(a, "EUR") }

func createIntent(t *testing.T, env *paymenttest.Env, key string) payment.Intent {
	t.Helper()
	in, err := env.Service.CreateIntent(context.Background(), payment.CreateIntentInput{
		IdempotencyKey: key, BookingID: "bk_" + key, CustomerID: "cust_1", Amount: eur(45990), Provider: sandbox.Name, Actor: "service:test",
	})
	require.NoError(t, err)
	return in
}

func authorized(t *testing.T, env *paymenttest.Env, key string) payment.Intent {
	t.Helper()
	in := createIntent(t, env, key)
	out, err := env.Service.Authorize(context.Background(), payment.AuthorizeInput{IdempotencyKey: key + "/authorize", PaymentID: in.ID, Token: sandbox.TokenVisa})
	require.NoError(t, err)
	require.Equal(t, payment.StatusAuthorized, out.Status)
	return out
}

func auditActions(t *testing.T, env *paymenttest.Env, paymentID string) []string {
	t.Helper()
	page, err := env.Store.AuditPage(context.Background(), 0, 1000)
	require.NoError(t, err)
	var out []string
	for _, e := range page {
		if e.PaymentID == paymentID {
			out = append(out, e.Action)
		}
	}
	return out
}

func TestService_P1_SameKeySameResultDifferentParamsError(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		env := paymenttest.New(t, dsn(t), paymenttest.Options{})
		svc := env.Service

		create := payment.CreateIntentInput{IdempotencyKey: "bk1/create", BookingID: "bk1", CustomerID: "c1", Amount: eur(10000), Provider: sandbox.Name}
		first, err := svc.CreateIntent(ctx, create)
		require.NoError(t, err)
		again, err := svc.CreateIntent(ctx, create)
		require.NoError(t, err)
		require.Equal(t, first.ID, again.ID, "got intent %s on retry, want %s", again.ID, first.ID)
		other := create
		other.Amount = eur(20000)
		_, err = svc.CreateIntent(ctx, other)
		require.ErrorIs(t, err, payment.ErrIdempotencyConflict)

		auth := payment.AuthorizeInput{IdempotencyKey: "bk1/authorize", PaymentID: first.ID, Token: sandbox.TokenVisa}
		a1, err := svc.Authorize(ctx, auth)
		require.NoError(t, err)
		a2, err := svc.Authorize(ctx, auth)
		require.NoError(t, err)
		require.Equal(t, a1, a2)
		_, err = svc.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "bk1/authorize", PaymentID: first.ID, Token: sandbox.TokenMastercard})
		require.ErrorIs(t, err, payment.ErrIdempotencyConflict)

		cap1, err := svc.Capture(ctx, payment.CaptureInput{IdempotencyKey: "bk1/capture", PaymentID: first.ID})
		require.NoError(t, err)
		cap2, err := svc.Capture(ctx, payment.CaptureInput{IdempotencyKey: "bk1/capture", PaymentID: first.ID})
		require.NoError(t, err)
		require.Equal(t, cap1, cap2)
		require.Equal(t, int64(10000), cap2.Captured)
		amt := eur(5000)
		_, err = svc.Capture(ctx, payment.CaptureInput{IdempotencyKey: "bk1/capture", PaymentID: first.ID, Amount: &amt})
		require.ErrorIs(t, err, payment.ErrIdempotencyConflict)

		part := eur(3000)
		r1, err := svc.Refund(ctx, payment.RefundInput{IdempotencyKey: "bk1/refund-1", PaymentID: first.ID, Amount: &part, Reason: "goodwill"})
		require.NoError(t, err)
		require.Equal(t, payment.StatusPartiallyRefunded, r1.Status)
		r2, err := svc.Refund(ctx, payment.RefundInput{IdempotencyKey: "bk1/refund-1", PaymentID: first.ID, Amount: &part, Reason: "goodwill"})
		require.NoError(t, err)
		require.Equal(t, int64(3000), r2.Refunded, "got refunded %d after a replay, want 3000", r2.Refunded)
		_, err = svc.Refund(ctx, payment.RefundInput{IdempotencyKey: "bk1/refund-1", PaymentID: first.ID, Reason: "goodwill"})
		require.ErrorIs(t, err, payment.ErrIdempotencyConflict)
		rest, err := svc.Refund(ctx, payment.RefundInput{IdempotencyKey: "bk1/refund-2", PaymentID: first.ID, Reason: "cancelled"})
		require.NoError(t, err)
		require.Equal(t, payment.StatusRefunded, rest.Status)
		require.Equal(t, int64(10000), rest.Refunded)

		require.Equal(t, []string{"payment.create", "payment.authorize", "payment.capture", "payment.refund", "payment.refund"}, auditActions(t, env, first.ID))
	})
}

func TestService_P2_ConcurrentSameKeyExecutesOnce(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		env := paymenttest.New(t, dsn(t), paymenttest.Options{Faults: sandbox.Faults{Latency: 50 * time.Millisecond}})
		in := authorized(t, env, "bk2")

		const n = 8
		var wg sync.WaitGroup
		results := make([]payment.Intent, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = env.Service.Capture(ctx, payment.CaptureInput{IdempotencyKey: "bk2/capture", PaymentID: in.ID})
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				require.ErrorIs(t, errs[i], payment.ErrInFlight, "request %d", i)
				continue
			}
			require.Equal(t, payment.StatusCaptured, results[i].Status)
			require.Equal(t, int64(45990), results[i].Captured)
		}
		got, err := env.Service.Get(ctx, in.ID)
		require.NoError(t, err)
		require.Equal(t, int64(45990), got.Captured)
		require.Equal(t, []string{"payment.create", "payment.authorize", "payment.capture"}, auditActions(t, env, in.ID), "one capture effect")

		// Concurrent creates with one key give one intent.
		ids := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := env.Service.CreateIntent(ctx, payment.CreateIntentInput{IdempotencyKey: "bk3/create", BookingID: "bk3", Amount: eur(100), Provider: sandbox.Name})
				if err == nil {
					ids[i] = out.ID
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			require.Equal(t, ids[0], ids[i], "got intent %s, want %s", ids[i], ids[0])
		}
	})
}

func TestService_SandboxTokens(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		env := paymenttest.New(t, dsn(t), paymenttest.Options{})
		tests := []struct {
			token       string
			wantStatus  payment.Status
			wantDecline string
			wantBrand   string
			wantLast4   string
			wantAction  bool
		}{
			{sandbox.TokenVisa, payment.StatusAuthorized, "", "visa", "4242", false},
			{sandbox.TokenMastercard, payment.StatusAuthorized, "", "mastercard", "4444", false},
			{sandbox.TokenChargeDeclined, payment.StatusFailed, sandbox.DeclineCardDeclined, "visa", "0002", false},
			{sandbox.TokenInsufficientFunds, payment.StatusFailed, sandbox.DeclineInsufficientFunds, "visa", "9995", false},
			{sandbox.TokenThreeDSecureRequired, payment.StatusRequiresAction, "", "visa", "3184", true},
			{sandbox.TokenProcessingDelay, payment.StatusRequiresAction, "", "visa", "1881", false},
		}
		for _, tt := range tests {
			t.Run(tt.token, func(t *testing.T) {
				in := createIntent(t, env, tt.token)
				key := tt.token + "/authorize"
				out, err := env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: key, PaymentID: in.ID, Token: tt.token})
				if tt.wantDecline != "" {
					var de *payment.DeclineError
					require.ErrorAs(t, err, &de)
					require.Equal(t, tt.wantDecline, de.Code)
					// A replay reports the same decline.
					_, err = env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: key, PaymentID: in.ID, Token: tt.token})
					require.ErrorAs(t, err, &de)
					require.Equal(t, tt.wantDecline, de.Code)
				} else {
					require.NoError(t, err)
				}
				require.Equal(t, tt.wantStatus, out.Status, "got %s, want %s", out.Status, tt.wantStatus)
				require.Equal(t, tt.wantDecline, out.DeclineCode)
				require.Equal(t, tt.wantBrand, out.Brand)
				require.Equal(t, tt.wantLast4, out.Last4)
				require.Equal(t, tt.wantAction, out.NextActionURL != "", "next action URL %q", out.NextActionURL)
				require.Equal(t, tt.token, out.Token)
			})
		}
		_, err := env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "x/authorize", PaymentID: createIntent(t, env, "x").ID, Token: "tok_unknown"})
		require.ErrorIs(t, err, payment.ErrInvalidInput)
	})
}

func TestService_C1_CardNumbersNeverEnter(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		env := paymenttest.New(t, dsn(t), paymenttest.Options{})
		in := createIntent(t, env, "c1")
		_, err := env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "c1/authorize", PaymentID: in.ID, Token: "4242424242424242"})
		require.ErrorIs(t, err, payment.ErrCardData)
		_, err = env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "c1/authorize", PaymentID: in.ID, Token: "tok_visa", ReturnURL: "https://x.test/?pan=4000 0566 5566 5556"})
		require.ErrorIs(t, err, payment.ErrCardData)
		_, err = env.Service.CreateIntent(ctx, payment.CreateIntentInput{IdempotencyKey: "c1b", BookingID: "5555555555554444", Amount: eur(1), Provider: sandbox.Name})
		require.ErrorIs(t, err, payment.ErrCardData)
		out, err := env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "c1/authorize-2", PaymentID: in.ID, Token: sandbox.TokenVisa})
		require.NoError(t, err)
		_, err = env.Service.Void(ctx, payment.VoidInput{IdempotencyKey: "c1/void", PaymentID: out.ID, Reason: "customer card 4111111111111111"})
		require.ErrorIs(t, err, payment.ErrCardData)

		// Nothing stored anywhere looks like a card number.
		for _, table := range []string{"payment_intents", "payment_operations", "payment_audit_log", "sandbox_charges", "sandbox_requests"} {
			rows, err := env.DB.WithContext(ctx).Table(table).Rows()
			require.NoError(t, err)
			cols, err := rows.Columns()
			require.NoError(t, err)
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				require.NoError(t, rows.Scan(ptrs...))
				for i, v := range vals {
					if strings.HasSuffix(cols[i], "hash") {
						// SHA-256 hex digests (the audit chain, request
						// fingerprints) of data scanned here itself: random hex
						// has a 13-digit Luhn-valid run now and then, so such a
						// column must hold a digest and nothing else.
						require.Regexp(t, `^([0-9a-f]{64})?$`, fmt.Sprint(v), "%s.%s", table, cols[i])
						continue
					}
					require.False(t, payment.LooksLikePAN(fmt.Sprint(v)), "%s.%s holds %v", table, cols[i], v)
				}
			}
			require.NoError(t, rows.Close())
		}
		require.Equal(t, "4242", out.Last4)
	})
}

func TestService_T8_VoidAndRefundWithNothingToUndo(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		env := paymenttest.New(t, dsn(t), paymenttest.Options{})
		in := createIntent(t, env, "t8")
		got, err := env.Service.Void(ctx, payment.VoidInput{IdempotencyKey: "t8/void", PaymentID: in.ID})
		require.NoError(t, err)
		require.Equal(t, payment.StatusRequiresPaymentMethod, got.Status)
		_, err = env.Service.Refund(ctx, payment.RefundInput{IdempotencyKey: "t8/refund", PaymentID: in.ID})
		require.ErrorIs(t, err, payment.ErrNothingToRefund)

		auth := authorized(t, env, "t8b")
		v1, err := env.Service.Void(ctx, payment.VoidInput{IdempotencyKey: "t8b/void", PaymentID: auth.ID, Reason: "hold expired"})
		require.NoError(t, err)
		require.Equal(t, payment.StatusCanceled, v1.Status)
		v2, err := env.Service.Void(ctx, payment.VoidInput{IdempotencyKey: "t8b/void-again", PaymentID: auth.ID})
		require.NoError(t, err)
		require.Equal(t, payment.StatusCanceled, v2.Status)
		_, err = env.Service.Capture(ctx, payment.CaptureInput{IdempotencyKey: "t8b/capture", PaymentID: auth.ID})
		require.ErrorIs(t, err, payment.ErrInvalidTransition)
	})
}

// webhookServer serves the service's webhook endpoint like paymentapi does.
func webhookServer(t *testing.T, svc func() *payment.Service) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := svc().HandleWebhook(r.Context(), r.Header.Get(payment.SignatureHeader), body)
		switch {
		case errors.Is(err, payment.ErrSignature), errors.Is(err, payment.ErrTimestamp):
			w.WriteHeader(http.StatusUnauthorized)
		case err != nil:
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestService_ThreeDSecureAndDelayedProcessingCompleteByWebhook(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		var env *paymenttest.Env
		srv := webhookServer(t, func() *payment.Service { return env.Service })
		env = paymenttest.New(t, dsn(t), paymenttest.Options{WebhookURL: srv.URL})

		tds := createIntent(t, env, "tds")
		out, err := env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "tds/authorize", PaymentID: tds.ID, Token: sandbox.TokenThreeDSecureRequired})
		require.NoError(t, err)
		require.Equal(t, payment.StatusRequiresAction, out.Status)
		require.Equal(t, "http://skyfly.test/api/v1/payments/sandbox/challenge/"+tds.ID, out.NextActionURL)
		_, err = env.Sandbox.CompleteChallenge(ctx, tds.ID, true)
		require.NoError(t, err)

		failing := createIntent(t, env, "tds-fail")
		_, err = env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "tds-fail/authorize", PaymentID: failing.ID, Token: sandbox.TokenThreeDSecureRequired})
		require.NoError(t, err)
		_, err = env.Sandbox.CompleteChallenge(ctx, failing.ID, false)
		require.NoError(t, err)

		delayed := createIntent(t, env, "delay")
		_, err = env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "delay/authorize", PaymentID: delayed.ID, Token: sandbox.TokenProcessingDelay})
		require.NoError(t, err)
		n, err := env.Sandbox.CompleteDue(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "nothing completes before the delay")
		env.Clock.Advance(3 * time.Second)
		n, err = env.Sandbox.CompleteDue(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)

		sent, err := env.Sandbox.DeliverDue(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, sent, "got %d webhooks delivered, want 3", sent)

		for id, want := range map[string]payment.Status{tds.ID: payment.StatusAuthorized, failing.ID: payment.StatusFailed, delayed.ID: payment.StatusAuthorized} {
			got, err := env.Service.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, want, got.Status, "payment %s: got %s, want %s", id, got.Status, want)
		}
		failed, err := env.Service.Get(ctx, failing.ID)
		require.NoError(t, err)
		require.Equal(t, sandbox.DeclineAuthenticationFailed, failed.DeclineCode)
		require.Len(t, env.Signaler.Delivered(), 3, "every webhook signals its booking")
	})
}

func TestService_SandboxWebhookRetriesWithBackoff(t *testing.T) {
	ctx := context.Background()
	var env *paymenttest.Env
	var mu sync.Mutex
	down := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if _, err := env.Service.HandleWebhook(r.Context(), r.Header.Get(payment.SignatureHeader), body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	env = paymenttest.New(t, testenv.SQLiteDSN(t), paymenttest.Options{WebhookURL: srv.URL})
	in := createIntent(t, env, "retry")
	_, err := env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "retry/authorize", PaymentID: in.ID, Token: sandbox.TokenThreeDSecureRequired})
	require.NoError(t, err)
	_, err = env.Sandbox.CompleteChallenge(ctx, in.ID, true)
	require.NoError(t, err)

	n, err := env.Sandbox.DeliverDue(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = env.Sandbox.DeliverDue(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a failed delivery waits for its backoff")
	mu.Lock()
	down = false
	mu.Unlock()
	env.Clock.Advance(time.Second)
	n, err = env.Sandbox.DeliverDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	got, err := env.Service.Get(ctx, in.ID)
	require.NoError(t, err)
	require.Equal(t, payment.StatusAuthorized, got.Status)
}
