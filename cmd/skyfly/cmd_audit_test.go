package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

func TestAuditVerify_CleanThenEditedRow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "payment.db")
	env := paymenttest.New(t, dsn, paymenttest.Options{})
	in, err := env.Service.CreateIntent(ctx, payment.CreateIntentInput{IdempotencyKey: "k1", BookingID: "bk1", Amount: money.New(1000, "EUR"), Provider: sandbox.Name})
	require.NoError(t, err)
	_, err = env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: "k2", PaymentID: in.ID, Token: sandbox.TokenVisa})
	require.NoError(t, err)
	_, err = env.Service.Capture(ctx, payment.CaptureInput{IdempotencyKey: "k3", PaymentID: in.ID})
	require.NoError(t, err)

	getenv := func(k string) string {
		return map[string]string{"SKYFLY_DATA_DIR": dir, "SKYFLY_PAYMENT_DSN": dsn}[k]
	}
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"audit", "verify"}, getenv, &out, &errOut))
	require.Contains(t, out.String(), "audit chain OK: 3 rows verified")

	require.NoError(t, env.DB.Exec("UPDATE payment_audit_log SET actor = 'someone else' WHERE seq = 2").Error)
	out.Reset()
	err = run(ctx, []string{"audit", "verify"}, getenv, &out, &errOut)
	require.ErrorIs(t, err, errAuditBroken)
	require.Contains(t, out.String(), "audit chain BROKEN at row 2")
	require.Contains(t, out.String(), `actor="someone else"`)
}
