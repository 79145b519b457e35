package gateway_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/gateway"
	"github.com/skyfly/skyfly/internal/platform/observability"
)

// Issue #17: a login the gateway throttles answers 429 with Retry-After and
// is logged once and counted as a throttled refusal; other throttled routes
// are not logins and are not reported.
func TestGateway_17_ThrottledLoginsAreLoggedAndCounted(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	refusals, err := observabilityRefusals(&logs, reg)
	require.NoError(t, err)
	h, err := gateway.New(gateway.Config{Targets: allTargets(), Limits: gateway.DefaultLimits(2), Refusals: refusals}) // auth 1/s burst 2
	require.NoError(t, err)
	do := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = "203.0.113.9:1234"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	var last *httptest.ResponseRecorder
	for range 3 {
		last = do("/api/v1/auth/public/google/callback?code=secret-code&state=s")
	}
	require.Equal(t, http.StatusTooManyRequests, last.Code)
	require.NotEmpty(t, last.Header().Get("Retry-After"))
	require.Equal(t, "rate_limited", problemCode(t, last))
	for range 10 {
		do("/api/v1/flights/search") // search 2/s burst 4: throttled, but no login
	}

	out := strings.TrimSpace(logs.String())
	require.Equal(t, 1, strings.Count(out, "\n")+1, "one line for the one throttled login:\n%s", out)
	require.Contains(t, out, `msg="login refused"`)
	require.Contains(t, out, "flow=customer")
	require.Contains(t, out, "reason=throttled")
	require.Contains(t, out, "request_id="+last.Header().Get("X-Request-Id"))
	require.NotContains(t, out, "secret-code")

	families, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, families, 1)
	require.Len(t, families[0].GetMetric(), 1)
	require.Equal(t, 1.0, families[0].GetMetric()[0].GetCounter().GetValue())
}

func TestGateway_17_LoginFlowsOfRoutes(t *testing.T) {
	var logs bytes.Buffer
	refusals, err := observabilityRefusals(&logs, prometheus.NewRegistry())
	require.NoError(t, err)
	h, err := gateway.New(gateway.Config{Targets: allTargets(), Limits: gateway.DefaultLimits(2), Refusals: refusals})
	require.NoError(t, err)
	for range 3 {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/corp/login/init", strings.NewReader(`{}`))
		req.RemoteAddr = "203.0.113.10:1"
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	require.Contains(t, logs.String(), "flow=staff")
}

func observabilityRefusals(w *bytes.Buffer, reg prometheus.Registerer) (*observability.LoginRefusals, error) {
	return observability.NewLoginRefusals(slog.New(slog.NewTextHandler(w, nil)), reg)
}
