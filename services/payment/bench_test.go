package payment_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

// BenchmarkService_CreateAuthorizeCapture measures one booking charge end to
// end (three idempotent operations, each with its audit row) per database.
func BenchmarkService_CreateAuthorizeCapture(b *testing.B) {
	dsns := map[string]func(testing.TB) string{"sqlite": testenv.SQLiteDSN}
	if os.Getenv(testenv.EnvPostgres) != "" {
		dsns["postgres"] = testenv.PostgresDSN
	}
	for name, dsn := range dsns {
		b.Run(name, func(b *testing.B) {
			env := paymenttest.New(b, dsn(b), paymenttest.Options{})
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				key := fmt.Sprintf("bench-%d", i)
				in, err := env.Service.CreateIntent(ctx, payment.CreateIntentInput{IdempotencyKey: key + "/create", BookingID: key, Amount: eur(45990), Provider: sandbox.Name})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := env.Service.Authorize(ctx, payment.AuthorizeInput{IdempotencyKey: key + "/authorize", PaymentID: in.ID, Token: sandbox.TokenVisa}); err != nil {
					b.Fatal(err)
				}
				if _, err := env.Service.Capture(ctx, payment.CaptureInput{IdempotencyKey: key + "/capture", PaymentID: in.ID}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
