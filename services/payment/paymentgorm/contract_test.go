package paymentgorm_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymentgorm"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

// eachStore runs the contract suite on every available database: SQLite
// always, PostgreSQL (production) and MariaDB when configured.
func eachStore(t *testing.T, fn func(t *testing.T, db *sqldb.DB, s *paymentgorm.Store)) {
	for name, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(name, func(t *testing.T) {
			db := paymenttest.OpenDB(t, dsn(t))
			fn(t, db, paymentgorm.New(db))
		})
	}
}

var t0 = testdate.At(0, 10, 0)

func intent(id string) payment.Intent {
	return payment.Intent{ID: id, BookingID: "bk-" + id, CustomerID: "c1", Provider: "sandbox", Status: payment.StatusRequiresPaymentMethod,
		Amount: money.New(45990, "EUR"), Version: 1, CreatedAt: t0, UpdatedAt: t0}
}

func TestStore_IntentsRoundTripAndOptimisticLock(t *testing.T) {
	eachStore(t, func(t *testing.T, _ *sqldb.DB, s *paymentgorm.Store) {
		ctx := context.Background()
		in := intent("pay_1")
		require.NoError(t, s.CreateIntent(ctx, in, "system"))
		got, err := s.GetIntent(ctx, "pay_1")
		require.NoError(t, err)
		require.Equal(t, in, got)
		_, err = s.GetIntent(ctx, "pay_missing")
		require.ErrorIs(t, err, payment.ErrNotFound)

		next := got
		next.Status, next.Brand, next.Last4, next.ProviderRef, next.Token = payment.StatusAuthorized, "visa", "4242", "ch_1", "tok_visa"
		next.UpdatedAt = t0.Add(time.Minute)
		require.NoError(t, s.UpdateIntent(ctx, next, "system"))
		stale := got
		stale.Status = payment.StatusFailed
		require.ErrorIs(t, s.UpdateIntent(ctx, stale, "system"), payment.ErrVersionConflict, "an update at an old version loses")
		got, err = s.GetIntent(ctx, "pay_1")
		require.NoError(t, err)
		require.Equal(t, payment.StatusAuthorized, got.Status)
		require.Equal(t, int64(2), got.Version, "got version %d, want 2", got.Version)
		require.Equal(t, "4242", got.Last4)
		require.Equal(t, t0.Add(time.Minute), got.UpdatedAt)

		over := got
		over.Captured = in.Amount.Amount + 1
		require.Error(t, s.UpdateIntent(ctx, over, "system"), "a CHECK keeps captured within the amount")
		over = got
		over.Status = "bogus"
		require.Error(t, s.UpdateIntent(ctx, over, "system"), "a CHECK keeps status in the state machine")
	})
}

func TestStore_ConcurrentUpdatesOneWinsPerVersion(t *testing.T) {
	eachStore(t, func(t *testing.T, _ *sqldb.DB, s *paymentgorm.Store) {
		ctx := context.Background()
		in := intent("pay_race")
		require.NoError(t, s.CreateIntent(ctx, in, "system"))
		const n = 8
		var wg sync.WaitGroup
		wins := make([]bool, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next := in
				next.Status = payment.StatusAuthorized
				next.Brand = fmt.Sprint(i)
				wins[i] = s.UpdateIntent(ctx, next, "system") == nil
			}()
		}
		wg.Wait()
		won := 0
		for _, w := range wins {
			if w {
				won++
			}
		}
		require.Equal(t, 1, won, "got %d winners at one version, want 1", won)
	})
}

func TestStore_P2_OperationsAreUniqueByKey(t *testing.T) {
	eachStore(t, func(t *testing.T, _ *sqldb.DB, s *paymentgorm.Store) {
		ctx := context.Background()
		op := payment.Operation{Key: "bk1/capture", Kind: "capture", PaymentID: "pay_1", RequestHash: "h1", State: payment.OpInFlight, LeaseUntil: t0.Add(time.Minute), CreatedAt: t0}
		const n = 8
		var wg sync.WaitGroup
		created := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, created[i], errs[i] = s.BeginOperation(ctx, op)
			}()
		}
		wg.Wait()
		count := 0
		for i, c := range created {
			require.NoError(t, errs[i])
			if c {
				count++
			}
		}
		require.Equal(t, 1, count, "got %d begins, want 1", count)

		existing, c, err := s.BeginOperation(ctx, op)
		require.NoError(t, err)
		require.False(t, c)
		require.Equal(t, op, existing)

		won, err := s.TakeOverOperation(ctx, op.Key, t0, t0.Add(2*time.Minute))
		require.NoError(t, err)
		require.False(t, won, "a take-over with the wrong lease loses")
		won, err = s.TakeOverOperation(ctx, op.Key, op.LeaseUntil, t0.Add(2*time.Minute))
		require.NoError(t, err)
		require.True(t, won)

		require.NoError(t, s.FinishOperation(ctx, op.Key, "pay_1", "card_declined"))
		existing, _, err = s.BeginOperation(ctx, op)
		require.NoError(t, err)
		require.Equal(t, payment.OpDone, existing.State)
		require.Equal(t, "card_declined", existing.DeclineCode)
		require.NoError(t, s.AbandonOperation(ctx, op.Key))
		_, c, err = s.BeginOperation(ctx, op)
		require.NoError(t, err)
		require.False(t, c, "a finished operation is never abandoned")

		other := op
		other.Key = "bk2/capture"
		_, c, err = s.BeginOperation(ctx, other)
		require.NoError(t, err)
		require.True(t, c)
		require.NoError(t, s.AbandonOperation(ctx, other.Key))
		_, c, err = s.BeginOperation(ctx, other)
		require.NoError(t, err)
		require.True(t, c, "an abandoned key can begin again")
	})
}

func TestStore_W3_EventsAreStoredOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, _ *sqldb.DB, s *paymentgorm.Store) {
		ctx := context.Background()
		ev := payment.WebhookEvent{ID: "evt_1", Type: payment.EventAuthorized, PaymentID: "pay_1", Payload: "{}", ReceivedAt: t0, Outcome: payment.OutcomeApplied}
		ok, err := s.InsertEvent(ctx, ev)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.InsertEvent(ctx, ev)
		require.NoError(t, err)
		require.False(t, ok)
		// Inside a transaction a duplicate must not abort it (PostgreSQL).
		require.NoError(t, s.Tx(ctx, func(tx payment.Store) error {
			ok, err := tx.InsertEvent(ctx, ev)
			require.False(t, ok)
			if err != nil {
				return err
			}
			_, err = tx.GetIntent(ctx, "pay_none")
			require.ErrorIs(t, err, payment.ErrNotFound)
			return nil
		}))
	})
}

func TestStore_W5_PendingSignals(t *testing.T) {
	eachStore(t, func(t *testing.T, _ *sqldb.DB, s *paymentgorm.Store) {
		ctx := context.Background()
		for i, at := range []time.Time{t0.Add(2 * time.Second), t0, t0.Add(time.Hour)} {
			require.NoError(t, s.InsertSignal(ctx, payment.PendingSignal{EventID: fmt.Sprintf("evt_%d", i), BookingID: "bk", PaymentID: "pay", Type: "payment.authorized", Status: payment.StatusAuthorized, NextAttemptAt: at}))
		}
		due, err := s.DueSignals(ctx, t0.Add(time.Minute), 10)
		require.NoError(t, err)
		require.Len(t, due, 2)
		require.Equal(t, "evt_1", due[0].EventID, "oldest first")
		claimed, err := s.ClaimSignal(ctx, due[0].EventID, due[0].NextAttemptAt, t0.Add(30*time.Minute))
		require.NoError(t, err)
		require.True(t, claimed)
		claimed, err = s.ClaimSignal(ctx, due[0].EventID, due[0].NextAttemptAt, t0.Add(30*time.Minute))
		require.NoError(t, err)
		require.False(t, claimed, "a signal is claimed once")

		delivered := t0.Add(time.Minute)
		sig := due[1]
		sig.Attempts, sig.DeliveredAt = 1, &delivered
		require.NoError(t, s.UpdateSignal(ctx, sig))
		got, err := s.Signal(ctx, sig.EventID)
		require.NoError(t, err)
		require.Equal(t, delivered, *got.DeliveredAt)
		due, err = s.DueSignals(ctx, t0.Add(2*time.Hour), 10)
		require.NoError(t, err)
		require.Len(t, due, 2, "delivered signals are not due")
	})
}

func TestStore_AuditChainUnderConcurrentAppends(t *testing.T) {
	eachStore(t, func(t *testing.T, _ *sqldb.DB, s *paymentgorm.Store) {
		ctx := context.Background()
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.AppendAudit(ctx, payment.AuditEntry{At: t0.Add(time.Duration(i) * time.Microsecond), Actor: "user:a", Action: "payment.refund", PaymentID: "pay_1", Reason: fmt.Sprint("r", i), Before: "{}", After: "{}"})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		head, err := s.AuditHead(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(n), head.Seq)
		rep, err := payment.VerifyAudit(ctx, s)
		require.NoError(t, err)
		require.True(t, rep.OK, "got %+v", rep)
		require.Equal(t, int64(n), rep.Checked)
	})
}

func TestStore_SandboxState(t *testing.T) {
	eachStore(t, func(t *testing.T, _ *sqldb.DB, s *paymentgorm.Store) {
		ctx := context.Background()
		at := t0.Add(3 * time.Second)
		ch := sandbox.Charge{ID: "ch_1", PaymentID: "pay_1", Token: sandbox.TokenProcessingDelay, Amount: money.New(100, "EUR"), Status: sandbox.ChargeProcessing,
			Brand: "visa", Last4: "1881", CompleteAt: &at, CreatedAt: t0, UpdatedAt: t0}
		require.NoError(t, s.CreateCharge(ctx, ch))
		got, err := s.LatestChargeForPayment(ctx, "pay_1")
		require.NoError(t, err)
		require.Equal(t, ch, got)
		due, err := s.DueCompletions(ctx, t0, 10)
		require.NoError(t, err)
		require.Empty(t, due)
		due, err = s.DueCompletions(ctx, at, 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
		ch.Status, ch.CompleteAt = sandbox.ChargeAuthorized, nil
		require.NoError(t, s.UpdateCharge(ctx, ch))
		got, err = s.GetCharge(ctx, "ch_1")
		require.NoError(t, err)
		require.Equal(t, sandbox.ChargeAuthorized, got.Status)
		require.Nil(t, got.CompleteAt)

		req := sandbox.Request{Key: "k", Op: "authorize", RequestHash: "h", ChargeID: "ch_1", Response: `{"ref":"ch_1"}`, CreatedAt: t0}
		ok, err := s.InsertRequest(ctx, req)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.InsertRequest(ctx, req)
		require.NoError(t, err)
		require.False(t, ok)
		stored, found, err := s.GetRequest(ctx, "k", "authorize")
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, req, stored)

		require.NoError(t, s.EnqueueWebhook(ctx, sandbox.Webhook{EventID: "evt_1", Payload: "{}", NextAttemptAt: t0}))
		hooks, err := s.DueWebhooks(ctx, t0, 10)
		require.NoError(t, err)
		require.Len(t, hooks, 1)
		done := t0.Add(time.Second)
		hooks[0].Attempts, hooks[0].DeliveredAt = 1, &done
		require.NoError(t, s.UpdateWebhook(ctx, hooks[0]))
		hooks, err = s.DueWebhooks(ctx, t0.Add(time.Hour), 10)
		require.NoError(t, err)
		require.Empty(t, hooks)
	})
}
