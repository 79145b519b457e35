package policy_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/policy"
)

// TestRego runs the policy's own tests (rego/*_test.rego) the way `opa
// test` does; each test_ rule is a subtest.
func TestRego(t *testing.T) {
	src, err := policy.Modules()
	require.NoError(t, err)
	mods := map[string]*ast.Module{}
	tests := 0
	for name, s := range src {
		m, err := ast.ParseModuleWithOpts(name, s, ast.ParserOptions{RegoVersion: ast.RegoV1})
		require.NoError(t, err, name)
		mods[name] = m
		if strings.HasSuffix(name, "_test.rego") {
			tests++
		}
	}
	require.NotZero(t, tests, "the bundle has no _test.rego file")
	ch, err := tester.NewRunner().SetModules(mods).RunTests(context.Background(), nil)
	require.NoError(t, err)
	ran := 0
	for r := range ch {
		ran++
		t.Run(r.Name, func(t *testing.T) {
			if r.Error != nil {
				t.Fatalf("%s: %v", r.Location, r.Error)
			}
			if !r.Pass() {
				t.Fatalf("%s: failed", r.Location)
			}
		})
	}
	require.Greater(t, ran, 10, "too few policy tests ran")
}

func newEngine(t *testing.T, log *slog.Logger, reg prometheus.Registerer) *policy.Engine {
	t.Helper()
	e, err := policy.New(context.Background(), policy.Options{Log: log, Registerer: reg})
	require.NoError(t, err)
	return e
}

func TestDecide_RouteLevels(t *testing.T) {
	e := newEngine(t, nil, nil)
	ctx := context.Background()
	customer := policy.Subject{ID: "u-1", Roles: []string{"customer"}}
	agent := policy.Subject{ID: "s-1", Roles: []string{"agent"}}
	cases := []struct {
		method, route string
		who           policy.Subject
		allow         bool
		status        int
	}{
		{"GET", "/api/v1/flights/search", policy.Subject{}, true, 200},
		{"GET", "/api/v1/users/me", policy.Subject{}, false, http.StatusUnauthorized},
		{"GET", "/api/v1/users/me", customer, true, 200},
		{"GET", "/api/v1/staff/analytics/routes", customer, false, http.StatusForbidden},
		{"GET", "/api/v1/staff/analytics/routes", agent, true, 200},
		{"POST", "/api/v1/bookings/:bookingId/resolve", agent, false, http.StatusForbidden},
		{"PUT", "/api/v1/nowhere", agent, false, http.StatusForbidden},
	}
	for _, c := range cases {
		// Twice: the second answer comes from the memo and must not differ.
		for range 2 {
			d := e.Decide(ctx, policy.Request{Layer: "test", Method: c.method, Route: c.route, Subject: c.who})
			require.Equal(t, c.allow, d.Allow, "%s %s as %v", c.method, c.route, c.who)
			require.Equal(t, c.status, d.Status, "%s %s as %v", c.method, c.route, c.who)
			if !d.Allow {
				require.NotEmpty(t, d.Code)
				require.NotEmpty(t, d.Reason)
			}
		}
	}
}

func TestDecide_MemoKeepsRolesApart(t *testing.T) {
	e := newEngine(t, nil, nil)
	ctx := context.Background()
	r := policy.Request{Method: "POST", Route: "/api/v1/bookings/:bookingId/resolve"}
	r.Subject = policy.Subject{ID: "s", Roles: []string{"supervisor", "agent"}}
	require.True(t, e.Decide(ctx, r).Allow)
	r.Subject = policy.Subject{ID: "s", Roles: []string{"agent"}}
	require.False(t, e.Decide(ctx, r).Allow)
	r.Subject = policy.Subject{Roles: []string{"agent", "supervisor"}}
	require.Equal(t, http.StatusUnauthorized, e.Decide(ctx, r).Status)
}

func TestDecide_Actions(t *testing.T) {
	e := newEngine(t, nil, nil)
	ctx := context.Background()
	own := policy.Resource{Type: "booking", Owner: "u-1"}
	ask := func(action string, who policy.Subject) policy.Decision {
		return e.Decide(ctx, policy.Request{Action: action, Subject: who, Resource: own})
	}
	require.True(t, ask("booking.read", policy.Subject{ID: "u-1", Roles: []string{"customer"}}).Allow)
	d := ask("booking.read", policy.Subject{ID: "u-2", Roles: []string{"customer"}})
	require.False(t, d.Allow)
	require.Equal(t, http.StatusNotFound, d.Status)
	require.Equal(t, "no such booking", d.Reason)
	require.True(t, ask("booking.read", policy.Subject{ID: "s-1", Roles: []string{"agent"}}).Allow)
	require.False(t, ask("booking.waive_fee", policy.Subject{ID: "s-1", Roles: []string{"agent"}}).Allow)
	require.True(t, ask("booking.waive_fee", policy.Subject{ID: "s-2", Roles: []string{"supervisor"}}).Allow)
	// An action the policy does not know is refused.
	require.False(t, ask("booking.teleport", policy.Subject{ID: "s-3", Roles: []string{"admin"}}).Allow)
}

// TestDecide_DenialsAreLoggedAndCounted: the decision log has one warn line
// per denial with who, what and why, and the counter moves; allowed
// requests log nothing.
func TestDecide_DenialsAreLoggedAndCounted(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	reg := prometheus.NewRegistry()
	e := newEngine(t, log, reg)
	ctx := context.Background()
	agent := policy.Subject{ID: "s-1", Roles: []string{"agent"}}
	e.Decide(ctx, policy.Request{Layer: "gateway", RequestID: "req-9", Method: "GET", Route: "/api/v1/staff/analytics/routes", Subject: agent})
	require.Empty(t, buf.String(), "an allowed request is not a denial")
	for range 2 {
		e.Decide(ctx, policy.Request{Layer: "gateway", RequestID: "req-10", Method: "POST", Route: "/api/v1/bookings/:bookingId/resolve", Subject: agent})
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2, "one decision-log line per denial, memoized or not")
	for _, l := range lines {
		require.Contains(t, l, `"msg":"policy denied"`)
		require.Contains(t, l, `"level":"WARN"`)
		require.Contains(t, l, `"request_id":"req-10"`)
		require.Contains(t, l, `"subject":"s-1"`)
		require.Contains(t, l, `"code":"forbidden"`)
		require.Contains(t, l, `"route":"/api/v1/bookings/:bookingId/resolve"`)
	}
	c, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, c, 1)
	require.Equal(t, "skyfly_authz_denials_total", c[0].GetName())
	require.Len(t, c[0].GetMetric(), 1)
	m := c[0].GetMetric()[0]
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	require.Equal(t, map[string]string{"layer": "gateway", "code": "forbidden"}, labels)
	require.Equal(t, 2.0, m.GetCounter().GetValue())
}

func TestRules_ListEveryRoute(t *testing.T) {
	rules := newEngine(t, nil, nil).Rules()
	require.Equal(t, policy.Rule{Level: policy.LevelPublic}, rules["GET /api/v1/flights/search"])
	require.Equal(t, policy.Rule{Level: policy.LevelAuthenticated}, rules["GET /api/v1/users/me"])
	require.Equal(t, policy.Rule{Roles: []string{"admin", "supervisor"}}, rules["POST /api/v1/bookings/:bookingId/resolve"])
	require.Equal(t, policy.Rule{Roles: []string{"admin"}}, rules["PATCH /api/v1/staff/accounts/:accountId"])
}

// TestInternalRules_TheTokenEndpointIsServedBesideTheGateway: the service
// token endpoint authenticates its caller itself (certificate or client
// secret), and it is not in the gateway's table.
func TestInternalRules_TheTokenEndpointIsServedBesideTheGateway(t *testing.T) {
	e := newEngine(t, nil, nil)
	const key = "POST /api/v1/auth/internal/token"
	require.Equal(t, policy.Rule{Level: policy.LevelPublic}, e.InternalRules()[key])
	_, routed := e.Rules()[key]
	require.False(t, routed, "the token endpoint is not a gateway route")
	d := e.Decide(context.Background(), policy.Request{Layer: "auth", Method: "POST", Route: "/api/v1/auth/internal/token"})
	require.True(t, d.Allow, "the policy admits the caller to the endpoint, which authenticates it")
}

// BenchmarkDecide: a route decision (memoized after the first) and an
// action decision (evaluated by OPA every time: it depends on the resource).
func BenchmarkDecide(b *testing.B) {
	e, err := policy.New(context.Background(), policy.Options{})
	require.NoError(b, err)
	ctx := context.Background()
	who := policy.Subject{ID: "u-1", Roles: []string{"customer"}}
	b.Run("route", func(b *testing.B) {
		r := policy.Request{Method: "GET", Route: "/api/v1/bookings/:bookingId", Subject: who}
		for b.Loop() {
			if !e.Decide(ctx, r).Allow {
				b.Fatal("denied")
			}
		}
	})
	b.Run("action", func(b *testing.B) {
		r := policy.Request{Action: "booking.read", Subject: who, Resource: policy.Resource{Type: "booking", Owner: "u-1"}}
		for b.Loop() {
			if !e.Decide(ctx, r).Allow {
				b.Fatal("denied")
			}
		}
	})
}
