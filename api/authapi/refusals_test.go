package authapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/observability"
)

// syncBuffer is a log sink the handler goroutines may write concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// refusalCounts reads skyfly_login_refusals_total by "flow/reason".
func refusalCounts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "skyfly_login_refusals_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got[labels["flow"]+"/"+labels["reason"]] = m.GetCounter().GetValue()
		}
	}
	return got
}

// Issue #17: every refused login is logged once at warn with the request id
// and the reason, never the code, state or password, and counted by reason.
func TestRefusals_17_EveryRefusedLoginIsLoggedOnceAndCounted(t *testing.T) {
	var logs syncBuffer
	reg := prometheus.NewRegistry()
	refusals, err := observability.NewLoginRefusals(slog.New(slog.NewTextHandler(&logs, nil)), reg)
	require.NoError(t, err)
	e := newEnv(t, envOptions{dev: true, refusals: refusals})

	// A forged state.
	code, _ := e.authorize("ada@example.com")
	req, err := http.NewRequest(http.MethodGet, e.callback+"?code="+code+"&state=forged-state-value", nil)
	require.NoError(t, err)
	req.Header.Set("X-Request-Id", "req-forged")
	resp, err := e.browser.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// The provider refused.
	resp = e.get(e.callback + "?error=access_denied&error_description=user+cancelled")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// A staff account guessed at until it is throttled.
	enr, err := e.svc.CreateStaff(context.Background(), "agent@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	for range 5 {
		resp := e.post(authapi.Prefix+"/corp/login/init", "", map[string]string{"email": enr.User.Email})
		id := decode[struct {
			LoginID string `json:"loginId"`
		}](t, resp).LoginID
		e.post(authapi.Prefix+"/corp/login/verify", "", map[string]string{"loginId": id, "password": "not the password"})
	}

	got := refusalCounts(t, reg)
	require.Equal(t, 1.0, got["customer/invalid_state"], "%v", got)
	require.Equal(t, 1.0, got["customer/identity_rejected"], "%v", got)
	require.Equal(t, 4.0, got["staff/invalid_credentials"], "%v", got) // the pair key allows three free failures, the fourth is counted then delayed
	require.Equal(t, 1.0, got["staff/throttled"], "%v", got)

	out := logs.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 7, "one line per refusal:\n%s", out)
	for _, l := range lines {
		require.Contains(t, l, "level=WARN")
		require.Contains(t, l, `msg="login refused"`)
	}
	require.Contains(t, lines[0], "reason=invalid_state")
	require.Contains(t, lines[0], "request_id=req-forged")
	require.Contains(t, lines[1], "reason=identity_rejected")
	require.Contains(t, lines[1], "access_denied")
	for _, secret := range []string{code, "forged-state-value", "not the password"} {
		require.NotContains(t, out, secret, "no code, state or password is logged")
	}
}
