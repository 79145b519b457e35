package customeract_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
	"github.com/skyfly/skyfly/temporal/queues"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopTemporal()
	os.Exit(code)
}

// notifyTwice runs SendBookingNotification twice with one input, as a
// retried or duplicated activity would.
func notifyTwice(ctx workflow.Context, in customeract.SendBookingNotificationInput) ([]customeract.SendBookingNotificationResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           queues.Customer,
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3},
	})
	var a *customeract.Activities
	out := make([]customeract.SendBookingNotificationResult, 2)
	for i := range out {
		if err := workflow.ExecuteActivity(ctx, a.SendBookingNotification, in).Get(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TestSendBookingNotification_T4_OnDevServer runs the activity twice through
// a real Temporal dev server and the "customer" worker: one email.
func TestSendBookingNotification_T4_OnDevServer(t *testing.T) {
	srv := testenv.TemporalServer(t)
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.Address, Namespace: srv.Namespace})
	require.NoError(t, err)
	defer c.Close()

	w := worker.New(c, queues.Customer, worker.Options{})
	w.RegisterWorkflow(notifyTwice)
	w.RegisterActivity(f.acts)
	require.NoError(t, w.Start())
	defer w.Stop()

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "customer-test/" + t.Name(), TaskQueue: queues.Customer}, notifyTwice, confirmed())
	require.NoError(t, err)
	var got []customeract.SendBookingNotificationResult
	require.NoError(t, run.Get(ctx, &got))
	require.False(t, got[0].Duplicate)
	require.True(t, got[1].Duplicate, "the second run was not recognised as a duplicate")
	require.Equal(t, got[0].NotificationIDs, got[1].NotificationIDs)
	require.Len(t, f.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"}), 1, "got emails, want 1")
}
