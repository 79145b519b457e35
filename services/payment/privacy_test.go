package payment_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
)

// TestService_G2_ErasureKeepsTheAccountingRecordOnly: the export shows the
// customer's own intents with token, brand and last4; erasure removes the
// token and last4 of that customer's intents only, keeps the amounts, is
// audited with its legal basis, and a second run changes nothing.
func TestService_G2_ErasureKeepsTheAccountingRecordOnly(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn func(t testing.TB) string) {
		ctx := context.Background()
		env := paymenttest.New(t, dsn(t), paymenttest.Options{})
		mine := authorized(t, env, "g2-mine")
		theirs, err := env.Service.CreateIntent(ctx, payment.CreateIntentInput{
			IdempotencyKey: "g2-theirs", BookingID: "bk_theirs", CustomerID: "cust_2", Amount: eur(100), Provider: mine.Provider, Actor: "service:test",
		})
		require.NoError(t, err)

		ex, err := env.Service.ExportPayments(ctx, "cust_1", []string{mine.ID, theirs.ID, "pay_unknown"})
		require.NoError(t, err)
		require.Len(t, ex, 1, "another customer's payment and unknown ids are left out")
		require.Equal(t, mine.ID, ex[0].ID)
		require.NotEmpty(t, ex[0].Token)
		require.NotEmpty(t, ex[0].Last4)

		n, err := env.Service.ErasePersonalData(ctx, "cust_1", []string{mine.ID, theirs.ID})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		got, err := env.Store.GetIntent(ctx, mine.ID)
		require.NoError(t, err)
		require.Empty(t, got.Token)
		require.Empty(t, got.Last4)
		require.Equal(t, mine.Amount, got.Amount, "amounts are kept by law")
		require.Equal(t, mine.Status, got.Status)
		require.Contains(t, auditActions(t, env, mine.ID), "payment.erase_personal_data")

		n, err = env.Service.ErasePersonalData(ctx, "cust_1", []string{mine.ID})
		require.NoError(t, err)
		require.Zero(t, n, "a second erasure changes nothing")
		rep, err := payment.VerifyAudit(ctx, env.Store)
		require.NoError(t, err)
		require.True(t, rep.OK, "the audit chain still verifies: %+v", rep)
	})
}
