package eventbus

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
)

// BenchmarkRelay_Drain measures the relay end to end: b.N events waiting in
// a SQLite outbox (100 aggregates) are read, published to the embedded Kafka
// with all-ISR acks and marked sent. It reports events/s.
func BenchmarkRelay_Drain(b *testing.B) {
	for _, batch := range []int{50, 200} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			e, db := embedded(b), openDB(b)
			const perTx = 100
			for i := 0; i < b.N; i += perTx {
				evs := make([]outbox.Event, 0, perTx)
				for j := i; j < min(i+perTx, b.N); j++ {
					ev, err := outbox.New(fmt.Sprintf("bk%d/%d", j%100, j), "booking.confirmed", outbox.Aggregate{Type: "booking", ID: fmt.Sprintf("bk%d", j%100)},
						time.Now(), map[string]int{"n": j})
					require.NoError(b, err)
					evs = append(evs, ev)
				}
				require.NoError(b, db.Transaction(ctx, func(tx *sqldb.DB) error { return outbox.Append(tx.DB, "booking", evs...) }))
			}
			pub, err := NewPublisher(e.Brokers(), "bench-relay")
			require.NoError(b, err)
			defer pub.Close()
			r := outbox.NewRelay(outbox.RelayConfig{Log: slog.New(slog.DiscardHandler), Store: outbox.NewStore(db), Publisher: pub, Domain: "booking", Batch: batch})
			b.ResetTimer()
			sent := 0
			for sent < b.N {
				n, err := r.RunOnce(ctx)
				require.NoError(b, err)
				if n == 0 {
					b.Fatalf("relay idle with %d of %d sent", sent, b.N)
				}
				sent += n
			}
			b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
