package queues_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/skyfly/skyfly/temporal/devserver"
	"github.com/skyfly/skyfly/temporal/queues"
)

func TestWorkflowIDsAreBusinessKeys(t *testing.T) {
	require.Equal(t, "booking/b1", queues.BookingWorkflowID("b1"))
	require.Equal(t, "cancel/b1", queues.CancelWorkflowID("b1"))
	require.Equal(t, "change/b1/c2", queues.ChangeWorkflowID("b1", "c2"))
}

// TestRegisterSearchAttributes_OnABareCluster registers SkyFly's attributes
// on a server started without them, then again (a no-op).
func TestRegisterSearchAttributes_OnABareCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Config{Headless: true})
	require.NoError(t, err)
	defer func() { _ = srv.Stop() }()
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace()})
	require.NoError(t, err)
	defer c.Close()

	added, err := queues.RegisterSearchAttributes(ctx, c, srv.Namespace())
	require.NoError(t, err)
	sort.Strings(added)
	require.Equal(t, sortedCopy([]string{queues.AttrPNR, queues.AttrBookingStatus, queues.AttrCustomerID, queues.AttrFlightID}), added)

	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: srv.Namespace()})
	require.NoError(t, err)
	for name := range queues.SearchAttributes() {
		require.Contains(t, list.GetCustomAttributes(), name)
	}
	again, err := queues.RegisterSearchAttributes(ctx, c, srv.Namespace())
	require.NoError(t, err)
	require.Empty(t, again, "a second run adds nothing")
}

func sortedCopy(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}
