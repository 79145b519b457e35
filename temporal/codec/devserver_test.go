package codec_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/temporal/codec"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopTemporal()
	os.Exit(code)
}

func greetPassenger(ctx context.Context, p passenger) (passenger, error) {
	p.GivenName += " (greeted)"
	return p, nil
}

func passengerWorkflow(ctx workflow.Context, p passenger) (passenger, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out passenger
	err := workflow.ExecuteActivity(ctx, greetPassenger, p).Get(ctx, &out)
	return out, err
}

// TestCodec_T12_HistoryOnDevServerHoldsNoPlaintext runs a workflow with PII
// input through a real dev server using the encrypting data converter, then
// reads the raw history without it: no PII may appear.
func TestCodec_T12_HistoryOnDevServerHoldsNoPlaintext(t *testing.T) {
	srv := testenv.TemporalServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dc, err := codec.NewDataConverter(newKeyring(t))
	require.NoError(t, err)

	c, err := client.DialContext(ctx, client.Options{HostPort: srv.Address, Namespace: srv.Namespace, DataConverter: dc})
	require.NoError(t, err)
	defer c.Close()
	const queue = "codec-test"
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(passengerWorkflow)
	w.RegisterActivity(greetPassenger)
	require.NoError(t, w.Start())
	defer w.Stop()

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "codec-test/" + t.Name(), TaskQueue: queue}, passengerWorkflow, alice)
	require.NoError(t, err)
	var got passenger
	require.NoError(t, run.Get(ctx, &got))
	require.Equal(t, "Alice (greeted)", got.GivenName, "the workflow round-trips through the codec")
	require.Equal(t, alice.Email, got.Email)

	raw, err := client.DialContext(ctx, client.Options{HostPort: srv.Address, Namespace: srv.Namespace})
	require.NoError(t, err)
	defer raw.Close()
	it := raw.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	events := 0
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		events++
		b, err := proto.Marshal(ev) // binary: payload bytes appear as they are stored
		require.NoError(t, err)
		for _, pii := range []string{alice.Email, alice.Passport, "Alice"} {
			require.NotContains(t, string(b), pii, "event %d (%s) reveals %q", ev.GetEventId(), ev.GetEventType(), pii)
		}
	}
	require.Greater(t, events, 5, "the history was read")
}
