package customer_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/skyfly/skyfly/services/customer"
)

// BenchmarkNotifier_Send measures one deduplicated, rate-limited, recorded
// email to the development outbox on FerretDB (SQLite handler).
func BenchmarkNotifier_Send(b *testing.B) {
	e := newEnv(b, customer.Limits{})
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		_, err := e.notifier.Send(ctx, customer.SendRequest{Channel: customer.ChannelEmail, To: fmt.Sprintf("u%d@example.com", i),
			TemplateID: customer.TemplateBookingConfirmed, Data: map[string]string{"pnr": "K7QX2M"}, DedupeKey: fmt.Sprintf("bench/%d", i)})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkService_Patch measures a profile merge (read, validate, versioned
// write) on FerretDB (SQLite handler).
func BenchmarkService_Patch(b *testing.B) {
	e := newEnv(b, customer.Limits{})
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		_, err := e.svc.Patch(ctx, "u1", "ada@example.com", func(ed customer.Editable) (customer.Editable, error) {
			ed.GivenName = fmt.Sprintf("Ada%c", 'a'+i%26)
			return ed, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
