package observability_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/observability"
)

func TestLoginRefusals_LogsOnceAtWarnAndCountsByFlowAndReason(t *testing.T) {
	var buf bytes.Buffer
	reg := prometheus.NewRegistry()
	r, err := observability.NewLoginRefusals(slog.New(slog.NewTextHandler(&buf, nil)), reg)
	require.NoError(t, err)

	r.Refused(context.Background(), observability.Refusal{Flow: observability.FlowCustomer, Reason: observability.RefusedInvalidState, RequestID: "req-1", Detail: "unknown state"})
	r.Refused(context.Background(), observability.Refusal{Flow: observability.FlowStaff, Reason: observability.RefusedThrottled, RequestID: "req-2"})
	r.Refused(context.Background(), observability.Refusal{Flow: observability.FlowStaff, Reason: observability.RefusedThrottled, RequestID: "req-3"})

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3, "one line per refusal")
	for _, want := range []string{"level=WARN", `msg="login refused"`, "flow=customer", "reason=invalid_state", "request_id=req-1", `detail="unknown state"`} {
		require.Contains(t, lines[0], want)
	}
	families, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, families, 1)
	require.Equal(t, "skyfly_login_refusals_total", families[0].GetName())
	got := map[string]float64{}
	for _, m := range families[0].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		got[labels["flow"]+"/"+labels["reason"]] = m.GetCounter().GetValue()
	}
	require.Equal(t, map[string]float64{"customer/invalid_state": 1, "staff/throttled": 2}, got)

	_, err = observability.NewLoginRefusals(nil, reg)
	require.Error(t, err, "registering twice on one registry is an error, not a panic")

	var none *observability.LoginRefusals
	none.Refused(context.Background(), observability.Refusal{Flow: "customer", Reason: "x"}) // no panic
}
