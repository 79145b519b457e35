package codec_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/temporal/codec"
	"github.com/skyfly/skyfly/temporal/devserver"
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
	c, err := codec.New(newKeyring(t))
	require.NoError(t, err)
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)

	tc, err := client.DialContext(ctx, client.Options{HostPort: srv.Address, Namespace: srv.Namespace, DataConverter: dc})
	require.NoError(t, err)
	defer tc.Close()
	const queue = "codec-test"
	w := worker.New(tc, queue, worker.Options{})
	w.RegisterWorkflow(passengerWorkflow)
	w.RegisterActivity(greetPassenger)
	require.NoError(t, w.Start())
	defer w.Stop()

	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "codec-test/" + t.Name(), TaskQueue: queue}, passengerWorkflow, alice)
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

	t.Run("the temporal CLI reads it through the codec server only with the token", func(t *testing.T) {
		srv2, err := codec.NewServer(codec.ServerConfig{Token: testToken, Namespaces: []string{srv.Namespace}}, c)
		require.NoError(t, err)
		cs := httptest.NewServer(srv2)
		defer cs.Close()
		show := func(extra ...string) (string, error) {
			args := append([]string{"workflow", "show", "--address", srv.Address, "--namespace", srv.Namespace,
				"--workflow-id", run.GetID(), "--output", "json", "--codec-endpoint", cs.URL}, extra...)
			out, err := exec.CommandContext(ctx, temporalCLI(t), args...).CombinedOutput()
			return string(out), err
		}

		// The JSON output carries payload bytes in base64.
		startInput := func(out string) string {
			var h struct {
				Events []struct {
					Attrs struct {
						Input struct {
							Payloads []struct {
								Data []byte `json:"data"`
							} `json:"payloads"`
						} `json:"input"`
					} `json:"workflowExecutionStartedEventAttributes"`
				} `json:"events"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &h), out)
			require.NotEmpty(t, h.Events)
			require.Len(t, h.Events[0].Attrs.Input.Payloads, 1)
			return string(h.Events[0].Attrs.Input.Payloads[0].Data)
		}

		out, err := show("--codec-auth", "Bearer "+testToken)
		require.NoError(t, err, out)
		require.Contains(t, startInput(out), alice.Email, "the operator sees the decrypted input")

		// A refused decode fails the command; the CLI retries it until the
		// command timeout.
		out, err = show("--codec-auth", "Bearer wrong", "--command-timeout", "2s")
		require.Error(t, err, "a wrong token is refused: %s", out)
		require.NotContains(t, out, alice.Email)

		out, err = show("--command-timeout", "2s")
		require.Error(t, err, "no token is refused: %s", out)
		require.NotContains(t, out, alice.Email)
	})
}

// temporalCLI locates the pinned temporal CLI the dev server runs from.
func temporalCLI(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("SKYFLY_TEMPORAL_BIN"); bin != "" {
		return bin
	}
	root, err := devserver.ModuleRoot()
	require.NoError(t, err)
	return filepath.Join(root, "bin", "temporal")
}
