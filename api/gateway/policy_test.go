package gateway_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/gateway"
	"github.com/skyfly/skyfly/internal/platform/policy"
)

// TestGateway_RouteTableAndPolicyAgree: the gateway routes exactly what the
// policy decides, no more and no less (a route without a decision would
// refuse everyone; a decision without a route is a stale rule).
func TestGateway_RouteTableAndPolicyAgree(t *testing.T) {
	rules := policy.MustNew(nil).Rules()
	routed := map[string]bool{}
	for _, r := range gateway.Routes() {
		key := r.Method + " " + r.Path
		routed[key] = true
		_, ok := rules[key]
		require.True(t, ok, "route %s has no policy decision", key)
	}
	for key := range rules {
		require.True(t, routed[key], "the policy decides %s, which the gateway does not route", key)
	}
}

// TestGateway_NewRefusesARouteThePolicyDoesNotDecide: the check is made at
// start, not left to the test above.
func TestGateway_NewRefusesARouteThePolicyDoesNotDecide(t *testing.T) {
	routes := append(gateway.Routes(), gateway.Route{Method: "DELETE", Path: "/api/v1/bookings/:bookingId", Domain: gateway.DomainBooking, Class: gateway.ClassBooking})
	_, err := gateway.New(gateway.Config{Targets: allTargets(), Routes: routes})
	require.ErrorContains(t, err, "the policy has no decision for route DELETE /api/v1/bookings/:bookingId")
}

// TestGateway_EveryPersonaOnEveryRoute: anonymous callers, customers, each
// staff role and the service identity call every route through the
// gateway. What they get is derived here from the rule's meaning (public,
// any token, or one of the roles), not from asking the engine again, so a
// wrong evaluation or a wrong wiring fails: allowed requests reach the
// domain, others get 401 or 403 problem+json and never reach it.
func TestGateway_EveryPersonaOnEveryRoute(t *testing.T) {
	f := newFixture(t, gateway.DefaultLimits(1_000_000), nil)
	rules := policy.MustNew(nil).Rules()
	personas := map[string]string{"anonymous": ""}
	for _, role := range []string{authn.RoleCustomer, authn.RoleAgent, authn.RoleSupervisor, authn.RoleAdmin, authn.RoleService} {
		personas[role] = f.token(t, func(c *authn.Claims) {
			c.Subject, c.Roles = role+"-1", []string{role}
			if role == authn.RoleService {
				c.Audience = jwt.ClaimStrings{gateway.DomainFlight} // service tokens name their target
			}
		})
	}
	checked := 0
	for _, r := range gateway.Routes() {
		rule := rules[r.Method+" "+r.Path]
		path := concrete(r.Path)
		for persona, token := range personas {
			want := http.StatusOK
			switch {
			case rule.Level == policy.LevelPublic:
			case token == "":
				want = http.StatusUnauthorized
			case rule.Level == policy.LevelAuthenticated:
			case !slices.Contains(rule.Roles, persona):
				want = http.StatusForbidden
			}
			before := f.hits[r.Domain]
			rec := f.do(r.Method, path, token)
			require.Equal(t, want, rec.Code, "%s %s as %s: %s", r.Method, r.Path, persona, rec.Body.String())
			if want == http.StatusOK {
				require.Equal(t, before+1, f.hits[r.Domain], "%s %s as %s reached the domain", r.Method, r.Path, persona)
			} else {
				require.Equal(t, before, f.hits[r.Domain], "%s %s as %s must not reach the domain", r.Method, r.Path, persona)
				code := map[int]string{http.StatusUnauthorized: "unauthorized", http.StatusForbidden: "forbidden"}[want]
				require.Equal(t, code, problemCode(t, rec))
			}
			checked++
		}
	}
	require.Equal(t, len(gateway.Routes())*len(personas), checked)
}

// concrete turns a route template into a path that matches it.
func concrete(tmpl string) string {
	parts := strings.Split(tmpl, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "x1"
		}
	}
	return strings.Join(parts, "/")
}
