package flightgorm

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/flight"
)

// TestStore_SeatEventsOncePerTransition: a hold writes seats.held with its
// seats, then seats.committed and seats.released, each in the transaction
// that moved the seats and exactly once, even when the release is raced by
// a second release and by the expiry (I6); a refused hold writes nothing.
func TestStore_SeatEventsOncePerTransition(t *testing.T) {
	ctx := context.Background()
	eachStore(t, func(t *testing.T, s *Store, db *sqldb.DB) {
		f1, f2 := seedFlights(t, s, 10)
		ob := outbox.NewStore(db)
		_, created, err := s.CreateHold(ctx, hold("h_ev", "q_ev", 2, t0.Add(time.Hour), f1, f2))
		require.NoError(t, err)
		require.True(t, created)
		_, _, err = s.CreateHold(ctx, hold("h_ev", "q_ev", 2, t0.Add(time.Hour), f1, f2))
		require.NoError(t, err, "a retried hold")
		_, _, err = s.CreateHold(ctx, hold("h_too_many", "q_x", 99, t0.Add(time.Hour), f1))
		require.ErrorIs(t, err, flight.ErrSeatUnavailable)

		_, err = s.CommitHold(ctx, "h_ev", t0.Add(-30*time.Minute))
		require.NoError(t, err)
		_, err = s.CommitHold(ctx, "h_ev", t0.Add(-29*time.Minute))
		require.NoError(t, err, "a retried commit")

		var wg sync.WaitGroup
		for range 4 {
			wg.Add(2)
			go func() { defer wg.Done(); _, _, _ = s.ReleaseHold(ctx, "h_ev", "cancelled", t0) }()
			go func() { defer wg.Done(); _, _ = s.ExpireHold(ctx, "h_ev", t0.Add(2*time.Hour)) }()
		}
		wg.Wait()

		recs, err := ob.Pending(ctx, 100)
		require.NoError(t, err)
		var types []string
		for _, r := range recs {
			require.Equal(t, "skyfly.flight.v1", r.Topic)
			require.Equal(t, "h_ev", r.Key)
			types = append(types, r.Type)
		}
		require.Equal(t, []string{flight.EventSeatsHeld, flight.EventSeatsCommitted, flight.EventSeatsReleased}, types)
		e, err := recs[0].Event()
		require.NoError(t, err)
		require.Contains(t, string(e.Data), `"seats":2`)
		require.Contains(t, string(e.Data), f2.ID, "the event names every flight the hold takes seats on")
	})
}
