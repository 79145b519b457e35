package codec_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/temporal/codec"
)

func greetCustomer(ctx context.Context, p customerPassenger) (customerPassenger, error) {
	p.GivenName += " (greeted)"
	return p, nil
}

func customerWorkflow(ctx workflow.Context, p customerPassenger) (customerPassenger, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out customerPassenger
	err := workflow.ExecuteActivity(ctx, greetCustomer, p).Get(ctx, &out)
	return out, err
}

// TestCodec_G2_HistoryOnDevServerNoLongerDecodesAfterShred runs two
// customers' workflows on a real dev server, decodes both histories (the
// plaintext is visible), shreds the first customer's key, and proves the
// same recorded history no longer decodes while the other customer's still
// does, through the codec the codec server serves.
func TestCodec_G2_HistoryOnDevServerNoLongerDecodesAfterShred(t *testing.T) {
	srv := testenv.TemporalServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	keys := newKeyring(t)
	c, err := codec.New(keys)
	require.NoError(t, err)
	tc, err := client.DialContext(ctx, client.Options{HostPort: srv.Address, Namespace: srv.Namespace, DataConverter: c.DataConverter()})
	require.NoError(t, err)
	defer tc.Close()
	const queue = "codec-shred-test"
	w := worker.New(tc, queue, worker.Options{})
	w.RegisterWorkflow(customerWorkflow)
	w.RegisterActivity(greetCustomer)
	require.NoError(t, w.Start())
	defer w.Stop()

	ids := map[string]string{}
	for _, p := range []customerPassenger{aliceOfA, bobOfB} {
		run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "codec-shred/" + t.Name() + "/" + p.CustomerID, TaskQueue: queue}, customerWorkflow, p)
		require.NoError(t, err)
		var got customerPassenger
		require.NoError(t, run.Get(ctx, &got))
		require.Equal(t, p.GivenName+" (greeted)", got.GivenName)
		ids[p.CustomerID] = run.GetID()
	}

	raw, err := client.DialContext(ctx, client.Options{HostPort: srv.Address, Namespace: srv.Namespace})
	require.NoError(t, err)
	defer raw.Close()
	history := map[string][]*commonpb.Payload{}
	for cus, id := range ids {
		history[cus] = testenv.HistoryPayloads(t, testenv.History(t, raw, id))
	}
	decodes := func(cus, email string) error {
		plain, err := c.Decode(history[cus])
		if err != nil {
			return err
		}
		seen := false
		for _, p := range plain {
			b, err := proto.Marshal(p)
			require.NoError(t, err)
			seen = seen || bytes.Contains(b, []byte(email))
		}
		require.True(t, seen, "the decoded history of %s shows %s", cus, email)
		return nil
	}
	for _, p := range history["cus-a"] {
		if string(p.Metadata[converter.MetadataEncoding]) == codec.EncodingEncrypted {
			require.Equal(t, "subject-cus-a/v1", string(p.Metadata[codec.MetadataKeyID]), "every encrypted payload of the history is under the customer's key")
			require.NotContains(t, string(p.Data), aliceOfA.Email)
		}
	}
	require.NoError(t, decodes("cus-a", aliceOfA.Email), "before erasure the history decodes")
	require.NoError(t, decodes("cus-b", bobOfB.Email))

	require.NoError(t, c.Shred(ctx, "cus-a"))

	require.ErrorIs(t, decodes("cus-a", aliceOfA.Email), codec.ErrShredded, "the same recorded history no longer decodes")
	require.NoError(t, decodes("cus-b", bobOfB.Email), "another customer's history still decodes")

	cs, err := codec.NewServer(codec.ServerConfig{Token: testToken, Namespaces: []string{srv.Namespace}}, c)
	require.NoError(t, err)
	ts := httptest.NewServer(cs)
	defer ts.Close()
	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: ts.URL,
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+testToken)
			return nil
		},
	})
	_, err = remote.Decode(history["cus-b"])
	require.NoError(t, err, "the codec server still decodes the other customer's history for the UI")
	_, err = remote.Decode(history["cus-a"])
	require.ErrorContains(t, err, "shredded", "the codec server cannot decode the shredded one")

	fresh, err := codec.New(keys)
	require.NoError(t, err)
	_, err = fresh.Decode(history["cus-a"])
	require.ErrorIs(t, err, codec.ErrShredded, "nor does it in a new process")
}
