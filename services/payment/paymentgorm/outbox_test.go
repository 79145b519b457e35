package paymentgorm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymentgorm"
)

// TestStore_IntentChangesWriteTheirEventsInTheSameTransaction: creating an
// intent and every status or refund change writes one payment event with
// the change; a lost optimistic-lock race writes none; no event carries the
// token or card digits.
func TestStore_IntentChangesWriteTheirEventsInTheSameTransaction(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres") {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn(t)})
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			require.NoError(t, paymentgorm.Migrate(ctx, db))
			s, ob := paymentgorm.New(db), outbox.NewStore(db)
			now := time.Now().UTC().Truncate(time.Second)

			in := payment.Intent{ID: "pay_ev", BookingID: "bk_1", CustomerID: "cust-1", Provider: "sandbox", Status: payment.StatusRequiresPaymentMethod,
				Amount: money.New(45990, "EUR"), Version: 1, CreatedAt: now, UpdatedAt: now}
			require.NoError(t, s.CreateIntent(ctx, in, "system"))
			step := func(actor string, mut func(*payment.Intent)) {
				mut(&in)
				require.NoError(t, s.UpdateIntent(ctx, in, actor))
				in.Version++
			}
			saga := "workflow:booking-bk_1"
			step(saga, func(i *payment.Intent) { i.Token, i.Brand, i.Last4 = "tok_visa_secret", "visa", "4242" }) // no event
			step(saga, func(i *payment.Intent) { i.Status = payment.StatusAuthorized })
			step(saga, func(i *payment.Intent) { i.Status, i.Captured = payment.StatusCaptured, 45990 })
			step("user:staff-7", func(i *payment.Intent) { i.Status, i.Refunded = payment.StatusPartiallyRefunded, 5000 })

			stale := in
			stale.Version--
			stale.Status, stale.Refunded = payment.StatusRefunded, 45990
			require.ErrorIs(t, s.UpdateIntent(ctx, stale, "system"), payment.ErrVersionConflict)

			recs, err := ob.Pending(ctx, 100)
			require.NoError(t, err)
			var types []string
			for _, r := range recs {
				require.Equal(t, "skyfly.payment.v1", r.Topic)
				require.Equal(t, "pay_ev", r.Key)
				for _, secret := range []string{"tok_visa_secret", "4242", "visa"} {
					require.False(t, strings.Contains(string(r.Payload), secret), "event carries %q", secret)
				}
				types = append(types, r.Type)
			}
			require.Equal(t, []string{payment.BusEventCreated, payment.BusEventAuthorized, payment.BusEventCaptured, payment.BusEventRefunded}, types)

			// Each event names who made its change, and a refund what it gave
			// back: consumers tell a saga's refund from a staff one by it.
			var actors []string
			var refund payment.BusEventData
			for _, r := range recs {
				var e struct {
					Data payment.BusEventData `json:"data"`
				}
				require.NoError(t, json.Unmarshal(r.Payload, &e), "%s", r.Payload)
				actors = append(actors, e.Data.Actor)
				refund = e.Data
			}
			require.Equal(t, []string{"system", saga, saga, "user:staff-7"}, actors)
			require.Equal(t, int64(0), refund.PreviousRefunded)
			require.Equal(t, int64(5000), refund.Refunded)
		})
	}
}
