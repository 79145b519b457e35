package disruption_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workflows/disruption"
	"github.com/skyfly/skyfly/workflows/saga"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopTemporal()
	os.Exit(code)
}

// devClient connects to the package's Temporal dev server.
func devClient(t *testing.T) client.Client {
	t.Helper()
	srv := testenv.TemporalServer(t)
	tc, err := client.DialContext(context.Background(), client.Options{HostPort: srv.Address, Namespace: srv.Namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	return tc
}

// serve runs workers for the airline on every task queue the disruption
// and its rebookings use.
func (a *airline) serve(t *testing.T, tc client.Client) {
	t.Helper()
	for _, q := range []string{queues.BookingSaga, queues.Booking, queues.Flight, queues.Customer} {
		w := worker.New(tc, q, worker.Options{})
		a.register(w)
		require.NoError(t, w.Start())
		t.Cleanup(w.Stop)
	}
}

// TestDevServer_DisruptionWithAnAgentInTheLoop runs a disruption on a real
// Temporal dev server: two of four bookings fit on the alternative, the
// other two wait for an agent, who resolves one and, after adding seats,
// retries the other. With SKYFLY_RECORD_HISTORIES=1 it writes the
// histories the replay test (ACCEPTANCE T1) checks.
func TestDevServer_DisruptionWithAnAgentInTheLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: -short: no Temporal dev server")
	}
	ctx := context.Background()
	tc := devClient(t)

	a := newAirline(t, 2)
	flightID := a.FlightID("SF100") // the world's bookings are on it
	var ids []string
	for i := range 4 {
		ids = append(ids, a.ConfirmedBooking(t, fmt.Sprintf("bk_d%d_%d", i, time.Now().UnixNano())).ID)
	}
	a.serve(t, tc)
	seq := int(time.Now().UnixNano() % 1_000_000) // a fresh workflow id on a shared server
	id := disruption.WorkflowID(flightID, seq)
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queues.BookingSaga},
		disruption.WorkflowName, disruption.Input{FlightID: flightID, Seq: seq, Kind: "CANCELLED", Reason: "aircraft on ground", Actor: "sup-1", HoldTTL: time.Hour})
	require.NoError(t, err)
	var p disruption.Progress
	require.NoError(t, run.Get(ctx, &p))
	require.Equal(t, 2, p.Rebooked)
	require.Equal(t, 2, p.NeedsAttention)
	require.Len(t, p.Attention, 2)

	child := func(bookingID string) string {
		return "change/" + bookingID + "/" + disruption.ChangeID(bookingID, flightID, seq)
	}
	resolved, retried := p.Attention[0], p.Attention[1]
	for _, b := range p.Attention {
		require.Equal(t, booking.StatusNeedsAttention, a.status(t, b).Status)
	}
	require.NoError(t, tc.SignalWorkflow(ctx, child(resolved), "", saga.SignalResolve, saga.Resolution{Operator: "agent-1", Reason: "rebooked by phone"}))
	a.mu.Lock()
	a.alt = 1
	a.mu.Unlock()
	require.NoError(t, tc.SignalWorkflow(ctx, child(retried), "", saga.SignalRetry, nil))
	for _, b := range []string{resolved, retried} {
		require.NoError(t, tc.GetWorkflow(ctx, child(b), "").Get(ctx, nil))
	}
	require.Equal(t, booking.StatusConfirmed, a.status(t, resolved).Status)
	got := a.status(t, retried)
	require.Equal(t, booking.StatusConfirmed, got.Status)
	require.Equal(t, a.FlightID("SF102"), got.Segments[0].FlightID, "the retry found the seat added")

	if !testenv.RecordHistories() {
		return
	}
	var rebooked string
	for _, b := range ids {
		if b != resolved && b != retried {
			rebooked = b
		}
	}
	for name, wid := range map[string]string{
		"disruption_two_rebooked_two_queued": id,
		"change_protected_rebooked":          child(rebooked),
		"change_protected_resolved":          child(resolved),
		"change_protected_retried":           child(retried),
	} {
		testenv.WriteHistory(t, filepath.Join("..", "testdata"), name, testenv.History(t, tc, wid))
	}
}

// TestDevServer_DisruptionScale measures a disruption of
// SKYFLY_DISRUPTION_SIZE confirmed bookings on a real dev server, the
// domains being the saga test world (the orchestration's own cost:
// docs/BENCHMARKS.md). It is skipped unless the size is set.
func TestDevServer_DisruptionScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SKYFLY_DISRUPTION_SIZE"))
	if n <= 0 || testing.Short() {
		t.Skip("SKIPPED: set SKYFLY_DISRUPTION_SIZE to measure")
	}
	ctx := context.Background()
	tc := devClient(t)
	a := newAirline(t, n)
	for i := range n {
		a.ConfirmedBooking(t, fmt.Sprintf("bk_s%05d", i))
	}
	a.serve(t, tc)
	flightID, seq := a.FlightID("SF100"), int(time.Now().UnixNano()%1_000_000)
	start := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: disruption.WorkflowID(flightID, seq), TaskQueue: queues.BookingSaga},
		disruption.WorkflowName, disruption.Input{FlightID: flightID, Seq: seq, Kind: "CANCELLED", Reason: "scale", Actor: "sup-1", HoldTTL: time.Hour})
	require.NoError(t, err)
	var p disruption.Progress
	require.NoError(t, run.Get(ctx, &p))
	took := time.Since(start)
	require.Equal(t, n, p.Rebooked, "%+v", p)
	t.Logf("disruption of %d bookings: %s (%.1f rebookings/s), %d runs (continue-as-new)", n, took.Round(time.Millisecond), float64(n)/took.Seconds(), p.Runs)
}
