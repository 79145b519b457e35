package flightgorm

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/flight"
)

// TestStore_ApplySale_OncePerEvent is the route-sales part of the contract:
// concurrent redeliveries of the same events add each once, on every dialect.
func TestStore_ApplySale_OncePerEvent(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store, _ *sqldb.DB) {
		ctx := context.Background()
		sale := flight.SaleDelta{Origin: "AAA", Destination: "BBB", Currency: "EUR", Confirmed: 1, Seats: 2, Revenue: 1000}
		var applied atomic.Int64
		var wg sync.WaitGroup
		for w := range 4 { // four consumers racing over the same ten events
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 10 {
					ok, err := s.ApplySale(ctx, flight.SalesConsumer, fmt.Sprintf("bk-%d/3", (i+w)%10), sale, t0)
					if err != nil {
						t.Errorf("apply: %v", err)
						return
					}
					if ok {
						applied.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		require.Equal(t, int64(10), applied.Load(), "each event applied exactly once")

		ok, err := s.ApplySale(ctx, flight.SalesConsumer, "bk-0/5", flight.SaleDelta{Origin: "AAA", Destination: "BBB", Currency: "EUR", Cancelled: 1, Seats: -2, Revenue: -1000}, t0)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.ApplySale(ctx, flight.SalesConsumer, "bk-9/3", sale, t0)
		require.NoError(t, err)
		require.False(t, ok, "an applied event is not applied again")
		ok, err = s.ApplySale(ctx, "another-consumer", "bk-9/3", flight.SaleDelta{Origin: "BBB", Destination: "CCC", Currency: "USD", Confirmed: 1, Seats: 1, Revenue: 700}, t0)
		require.NoError(t, err)
		require.True(t, ok, "dedupe is per consumer")

		got, err := s.RouteSales(ctx)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, flight.RouteSales{Origin: "AAA", Destination: "BBB", Currency: "EUR", Confirmed: 10, Cancelled: 1, SeatsSold: 18, Revenue: 9000, UpdatedAt: t0}, got[0], "busiest route first")
		require.Equal(t, "BBB", got[1].Origin)
	})
}
