package loadgen_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/loadgen"
)

func TestPercentile_NearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := loadgen.Summarize(ds)
	require.Equal(t, 50*time.Millisecond, s.P50)
	require.Equal(t, 99*time.Millisecond, s.P99)
	require.Equal(t, 100*time.Millisecond, s.Max)
	require.Equal(t, time.Duration(0), loadgen.Summarize(nil).P99)
}

func TestRun_OpenLoopCountsErrorsAndStops(t *testing.T) {
	res := loadgen.Run(context.Background(), loadgen.Config{Rate: 200, Duration: 300 * time.Millisecond}, func(_ context.Context, i int) error {
		if i%10 == 0 {
			return errors.New("boom")
		}
		return nil
	})
	require.InDelta(t, 60, res.Sent, 15, "about rate × duration requests started")
	require.Equal(t, res.Sent-res.Latencies.N, res.Errors)
	require.Greater(t, res.Errors, 0)
	require.Equal(t, "boom", res.FirstError)
}

func TestRun_DropsInsteadOfQueueingPastMaxInFlight(t *testing.T) {
	block := make(chan struct{})
	time.AfterFunc(150*time.Millisecond, func() { close(block) })
	res := loadgen.Run(context.Background(), loadgen.Config{Rate: 500, Duration: 100 * time.Millisecond, MaxInFlight: 3}, func(ctx context.Context, i int) error {
		<-block // every request hangs until after the run
		return nil
	})
	require.Equal(t, 3, res.Sent, "only MaxInFlight requests were started")
	require.Greater(t, res.Dropped, 20, "the other arrivals were dropped, not queued")
}
