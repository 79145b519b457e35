package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api"
	"github.com/skyfly/skyfly/api/gateway"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/money"
)

// platformOps are the endpoints the gateway answers itself, outside Routes().
var platformOps = []string{
	"GET /api/v1/health",
	"GET /livez",
	"GET /readyz",
	"GET /metrics",
}

// idempotencyExceptions are the state-changing POSTs that do not take an
// Idempotency-Key, each with the reason it makes no sense there.
var idempotencyExceptions = map[string]string{
	"POST /api/v1/auth/token/refresh":                     "refresh tokens rotate: replaying a response would hand out a token already rotated away (A3)",
	"POST /api/v1/auth/logout":                            "revoking a revoked session is a no-op; naturally idempotent",
	"POST /api/v1/auth/corp/login/init":                   "login step: every call starts a new login flow by design",
	"POST /api/v1/auth/corp/login/verify":                 "login step: a replayed answer would bypass the per-account and per-IP throttle (M3)",
	"POST /api/v1/auth/corp/mfa/challenge":                "login step: a challenge is single-use",
	"POST /api/v1/auth/corp/mfa/verify":                   "login step: a TOTP code succeeds once (M2); a replay must fail, not repeat the tokens",
	"POST /api/v1/auth/dev-oidc/{path}":                   "the development OIDC provider's token endpoint follows OAuth 2.0, which has no such header",
	"POST /api/v1/payments/webhooks/provider":             "deduplicated by the provider's event id (W3), authenticated by its signature",
	"POST /api/v1/payments/sandbox/challenge/{paymentId}": "a browser form of the sandbox 3-D Secure page; the outcome is applied once per payment",
}

// specOps are the operations of the spec by "METHOD /path".
type specOps map[string]*openapi3.Operation

func loadSpec(t *testing.T) (*openapi3.T, specOps) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.Spec())
	require.NoError(t, err, "load api/openapi.yaml")
	require.NoError(t, doc.Validate(context.Background()), "validate api/openapi.yaml")
	ops := specOps{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}
	return doc, ops
}

// openAPIPath converts a gin path to OpenAPI: ":id" and "*rest" become
// "{id}" and "{rest}".
func openAPIPath(ginPath string) string {
	parts := strings.Split(ginPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// routeOps indexes gateway.Routes() by "METHOD /openapi/path".
func routeOps(t *testing.T) map[string]gateway.Route {
	t.Helper()
	out := map[string]gateway.Route{}
	for _, r := range gateway.Routes() {
		key := r.Method + " " + openAPIPath(r.Path)
		_, dup := out[key]
		require.False(t, dup, "gateway.Routes() lists %s twice", key)
		out[key] = r
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestSpec_IsValidOpenAPI31(t *testing.T) {
	doc, _ := loadSpec(t)
	if got, want := doc.OpenAPI, "3.1.0"; got != want {
		t.Fatalf("openapi version: got %q, want %q", got, want)
	}
	require.True(t, doc.IsOpenAPI31OrLater(), "kin-openapi must validate the document as 3.1 (JSON Schema 2020-12)")
	require.NotNil(t, doc.Components.SecuritySchemes["bearerAuth"], "bearerAuth security scheme")
	bearer := doc.Components.SecuritySchemes["bearerAuth"].Value
	if got, want := bearer.Type+"/"+bearer.Scheme+"/"+bearer.BearerFormat, "http/bearer/JWT"; got != want {
		t.Errorf("bearerAuth: got %s, want %s", got, want)
	}
}

// liveOps builds the gateway as it runs and returns every route its engine
// serves, as "METHOD /openapi/path".
func liveOps(t *testing.T) map[string]bool {
	t.Helper()
	g := newGateway(t, nil)
	out := map[string]bool{}
	for _, r := range g.Routes() {
		out[r.Method+" "+openAPIPath(r.Path)] = true
	}
	return out
}

func newGateway(t *testing.T, checks map[string]gateway.Check) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.TestMode)
	targets := map[string]http.Handler{}
	for _, d := range []string{gateway.DomainAuth, gateway.DomainFlight, gateway.DomainBooking, gateway.DomainCustomer, gateway.DomainPayment} {
		targets[d] = http.NotFoundHandler()
	}
	g, err := gateway.New(gateway.Config{Targets: targets, Checks: checks})
	require.NoError(t, err, "build the gateway")
	return g
}

// wantOps is gateway.Routes() (converted to OpenAPI paths) plus the platform
// endpoints.
func wantOps(t *testing.T) map[string]bool {
	t.Helper()
	want := map[string]bool{}
	for key := range routeOps(t) {
		want[key] = true
	}
	for _, key := range platformOps {
		want[key] = true
	}
	return want
}

// diffOps lists, sorted, the keys only in got and only in want.
func diffOps[V any](got map[string]V, want map[string]bool) (onlyGot, onlyWant []string) {
	for key := range got {
		if !want[key] {
			onlyGot = append(onlyGot, key)
		}
	}
	for key := range want {
		if _, ok := got[key]; !ok {
			onlyWant = append(onlyWant, key)
		}
	}
	sort.Strings(onlyGot)
	sort.Strings(onlyWant)
	return onlyGot, onlyWant
}

func TestSpec_OperationsEqualGatewayRoutes(t *testing.T) {
	_, ops := loadSpec(t)
	extra, missing := diffOps(ops, wantOps(t))
	if len(missing)+len(extra) > 0 {
		t.Fatalf("api/openapi.yaml and gateway.Routes() + platform endpoints differ:\n  routes without an operation in the spec:\n    %s\n  operations in the spec without a route:\n    %s",
			strings.Join(missing, "\n    "), strings.Join(extra, "\n    "))
	}
}

// TestSpec_GatewayServesExactlyRoutesAndPlatformEndpoints ties the test's
// list of platform endpoints to what the running gateway engine serves, so
// the spec is checked against the live routes, not only the table.
func TestSpec_GatewayServesExactlyRoutesAndPlatformEndpoints(t *testing.T) {
	extra, missing := diffOps(liveOps(t), wantOps(t))
	if len(missing)+len(extra) > 0 {
		t.Fatalf("the gateway engine's routes and gateway.Routes() + platformOps differ:\n  served but not listed:\n    %s\n  listed but not served:\n    %s",
			strings.Join(extra, "\n    "), strings.Join(missing, "\n    "))
	}
}

func TestSpec_OperationsCarryIdentityTagAndRateClass(t *testing.T) {
	_, ops := loadSpec(t)
	ids := map[string]string{}
	for _, key := range sortedKeys(ops) {
		op := ops[key]
		if op.OperationID == "" {
			t.Errorf("%s: no operationId", key)
		} else if prev, dup := ids[op.OperationID]; dup {
			t.Errorf("%s: operationId %q already used by %s", key, op.OperationID, prev)
		}
		ids[op.OperationID] = key
		if op.Summary == "" {
			t.Errorf("%s: no summary", key)
		}
	}
	for key, r := range routeOps(t) {
		op, ok := ops[key]
		if !ok {
			continue // reported by TestSpec_OperationsEqualGatewayRoutes
		}
		if got, want := op.Tags, []string{r.Domain}; !slices.Equal(got, want) {
			t.Errorf("%s tags: got %v, want %v", key, got, want)
		}
		if got, want := op.Extensions["x-rate-limit-class"], r.Class; got != want {
			t.Errorf("%s x-rate-limit-class: got %v, want %q", key, got, want)
		}
	}
	for _, key := range platformOps {
		if op, ok := ops[key]; ok {
			if got, want := op.Tags, []string{"platform"}; !slices.Equal(got, want) {
				t.Errorf("%s tags: got %v, want %v", key, got, want)
			}
		}
	}
}

// TestSpec_SecurityAndRolesMatchGatewayRoutes checks the contract side of
// the gateway's access rules (the behaviour itself, A4/A5, is proven in
// api/gateway and the domain APIs): public exactly when Routes() says so,
// bearerAuth otherwise, and x-roles equal to the route's roles.
func TestSpec_SecurityAndRolesMatchGatewayRoutes(t *testing.T) {
	_, ops := loadSpec(t)
	for _, key := range sortedKeys(routeOps(t)) {
		r := routeOps(t)[key]
		op, ok := ops[key]
		if !ok {
			continue
		}
		t.Run(key, func(t *testing.T) {
			require.NotNil(t, op.Security, "every operation states its security explicitly (public ones `security: []`)")
			public := r.Roles == nil
			if got, want := len(*op.Security) == 0, public; got != want {
				t.Fatalf("public (security: []): got %v, want %v", got, want)
			}
			if !public {
				for _, req := range *op.Security {
					if _, ok := req["bearerAuth"]; !ok {
						t.Errorf("security requirement %v does not name bearerAuth", req)
					}
				}
				requireProblemResponse(t, op, http.StatusUnauthorized)
			}
			if len(r.Roles) > 0 {
				requireProblemResponse(t, op, http.StatusForbidden)
			}

			raw, ok := op.Extensions["x-roles"]
			require.True(t, ok, "x-roles missing")
			items, ok := raw.([]any)
			require.True(t, ok, "x-roles: got %T, want a list", raw)
			got := make([]string, 0, len(items))
			for _, it := range items {
				got = append(got, fmt.Sprint(it))
			}
			want := slices.Clone(r.Roles)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("x-roles: got %v, want %v", got, want)
			}
		})
	}
	for _, key := range platformOps {
		if op, ok := ops[key]; ok {
			require.NotNil(t, op.Security, "%s: security must be explicit", key)
			if got := len(*op.Security); got != 0 {
				t.Errorf("%s: got %d security requirements, want none (platform endpoints are public)", key, got)
			}
		}
	}
}

// TestSpec_RateLimitedOperationsDeclare429WithRetryAfter: every gateway route
// is rate-limited (ACCEPTANCE B2), so every one documents 429 with Retry-After.
func TestSpec_RateLimitedOperationsDeclare429WithRetryAfter(t *testing.T) {
	_, ops := loadSpec(t)
	for _, key := range sortedKeys(routeOps(t)) {
		op, ok := ops[key]
		if !ok {
			continue
		}
		resp := op.Responses.Status(http.StatusTooManyRequests)
		if resp == nil || resp.Value == nil {
			t.Errorf("%s: no 429 response (every gateway route is rate-limited)", key)
			continue
		}
		if _, ok := resp.Value.Headers["Retry-After"]; !ok {
			t.Errorf("%s: 429 response without a Retry-After header", key)
		}
	}
}

// TestSpec_StateChangingPostsAcceptIdempotencyKey: the contract side of
// ACCEPTANCE I5 and P1. Every POST but the listed exceptions declares the
// header; bookings and money moves require it.
func TestSpec_StateChangingPostsAcceptIdempotencyKey(t *testing.T) {
	_, ops := loadSpec(t)
	for key := range idempotencyExceptions {
		if _, ok := ops[key]; !ok {
			t.Errorf("idempotency exception %s names no operation of the spec; remove it", key)
		}
	}
	for _, key := range sortedKeys(ops) {
		if !strings.HasPrefix(key, http.MethodPost+" ") {
			continue
		}
		p := headerParam(ops[key], "Idempotency-Key")
		_, exempt := idempotencyExceptions[key]
		switch {
		case exempt && p != nil:
			t.Errorf("%s: declares Idempotency-Key but is listed as an exception", key)
		case !exempt && p == nil:
			t.Errorf("%s: state-changing POST without the Idempotency-Key header parameter", key)
		}
	}
	// Money moves and bookings are never accepted without a key.
	for _, key := range []string{
		"POST /api/v1/bookings/reserve",
		"POST /api/v1/bookings/{bookingId}/confirm",
		"POST /api/v1/payments/intent",
		"POST /api/v1/payments/{paymentId}/authorize",
		"POST /api/v1/payments/{paymentId}/capture",
		"POST /api/v1/payments/{paymentId}/refund",
	} {
		op, ok := ops[key]
		require.True(t, ok, "%s missing", key)
		p := headerParam(op, "Idempotency-Key")
		require.NotNil(t, p, "%s: Idempotency-Key", key)
		if !p.Required {
			t.Errorf("%s: Idempotency-Key: got optional, want required", key)
		}
		requireProblemResponse(t, op, http.StatusUnprocessableEntity)
	}
}

// TestSpec_WebhookDeclaresSignatureHeader: the contract side of ACCEPTANCE W1
// and W2 (proven in services/payment).
func TestSpec_WebhookDeclaresSignatureHeader(t *testing.T) {
	_, ops := loadSpec(t)
	op, ok := ops["POST /api/v1/payments/webhooks/provider"]
	require.True(t, ok, "webhook operation missing")
	p := headerParam(op, "Skyfly-Signature")
	require.NotNil(t, p, "Skyfly-Signature header parameter")
	require.True(t, p.Required, "Skyfly-Signature must be required")
	require.NotNil(t, p.Schema, "Skyfly-Signature schema")
	require.NotEmpty(t, p.Schema.Value.Pattern, "Skyfly-Signature pattern")
	require.Contains(t, p.Description, "t=<unix>,v1=<hex>")
	requireProblemResponse(t, op, http.StatusBadRequest)
}

// notProblems are the error responses whose body is not a problem, with why.
var notProblems = map[string]string{
	"GET /api/v1/health 503": "a degraded health report is a Health, so probes see which check failed",
	"GET /readyz 503":        "a degraded health report is a Health, so probes see which check failed",
}

func TestSpec_ErrorResponsesAreProblems(t *testing.T) {
	_, ops := loadSpec(t)
	for _, key := range sortedKeys(ops) {
		for code, ref := range ops[key].Responses.Map() {
			if _, ok := notProblems[key+" "+code]; ok {
				continue
			}
			if code == "default" || code[0] == '4' || code[0] == '5' {
				if _, ok := ref.Value.Content[problem.ContentType]; !ok {
					t.Errorf("%s %s: error response without %s content", key, code, problem.ContentType)
				}
			}
		}
	}
}

func TestSpec_ProblemCodesCoverProblemPackage(t *testing.T) {
	doc, _ := loadSpec(t)
	code := doc.Components.Schemas["Problem"].Value.Properties["code"].Value
	got := map[string]bool{}
	for _, v := range code.Enum {
		got[fmt.Sprint(v)] = true
	}
	for _, c := range []string{
		problem.CodeInvalidRequest, problem.CodeNotFound, problem.CodeMethodNotAllowed,
		problem.CodeUnauthorized, problem.CodeForbidden, problem.CodeConflict,
		problem.CodeIdempotencyConflict, problem.CodeIdempotencyInFlight, problem.CodeRateLimited,
		problem.CodeInternal, problem.CodeUnavailable, problem.CodeSeatUnavailable,
		problem.CodeQuoteExpired, problem.CodePaymentDeclined,
	} {
		if !got[c] {
			t.Errorf("Problem.code enum lacks the stable code %q of api/problem", c)
		}
	}
}

// TestSpec_SchemasMatchServedJSON validates what the Go code really sends
// against the spec's schemas, so the contract cannot drift from the wire.
func TestSpec_SchemasMatchServedJSON(t *testing.T) {
	doc, _ := loadSpec(t)

	t.Run("a validation problem written by api/problem is a Problem", func(t *testing.T) {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodPost, "/api/v1/bookings/reserve", nil)
		c.Request.Header.Set(problem.RequestIDHeader, "req-1")
		problem.Write(c, problem.Validation(problem.FieldError{Field: "passengers[0].givenName", Reason: "is required"}))
		requireMatches(t, doc, "Problem", rec.Body.Bytes())
	})
	t.Run("a rate-limit problem with Retry-After is a Problem", func(t *testing.T) {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodGet, "/api/v1/flights/search", nil)
		p := problem.New(http.StatusTooManyRequests, problem.CodeRateLimited, "too many requests; retry later")
		p.RetryAfter = 1500 * time.Millisecond
		problem.Write(c, p)
		if got, want := rec.Header().Get("Retry-After"), "2"; got != want {
			t.Errorf("Retry-After: got %q, want %q", got, want)
		}
		requireMatches(t, doc, "Problem", rec.Body.Bytes())
	})
	t.Run("money is minor units and an ISO 4217 code", func(t *testing.T) {
		b, err := json.Marshal(money.New(45990, "EUR"))
		require.NoError(t, err)
		requireMatches(t, doc, "Money", b)
	})
	t.Run("the gateway's health answers are Health documents", func(t *testing.T) {
		g := newGateway(t, map[string]gateway.Check{
			"temporal": func(context.Context) error { return nil },
			"auth-db":  func(context.Context) error { return fmt.Errorf("dial: connection refused") },
		})
		for _, path := range []string{"/api/v1/health", "/readyz"} {
			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if got, want := rec.Code, http.StatusServiceUnavailable; got != want {
				t.Fatalf("%s status: got %d, want %d", path, got, want)
			}
			requireMatches(t, doc, "Health", rec.Body.Bytes())
		}
	})
	t.Run("the gateway's 404 for an unknown path is a Problem", func(t *testing.T) {
		g := newGateway(t, nil)
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/nowhere", nil))
		if got, want := rec.Code, http.StatusNotFound; got != want {
			t.Fatalf("status: got %d, want %d", got, want)
		}
		requireMatches(t, doc, "Problem", rec.Body.Bytes())
	})
	t.Run("the gateway's 401 for a protected route without a token is a Problem", func(t *testing.T) {
		g := newGateway(t, nil)
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/users/me", nil))
		if got, want := rec.Code, http.StatusUnauthorized; got != want {
			t.Fatalf("status: got %d, want %d", got, want)
		}
		requireMatches(t, doc, "Problem", rec.Body.Bytes())
	})
}

// TestSpec_ExamplesMatchTheirSchemas checks every JSON Schema `examples`
// entry and every media-type example, which kin-openapi's Validate leaves
// unchecked for 3.1 schema keywords.
func TestSpec_ExamplesMatchTheirSchemas(t *testing.T) {
	doc, ops := loadSpec(t)
	seen := map[*openapi3.Schema]bool{}
	checked := 0
	var walk func(where string, s *openapi3.SchemaRef)
	walk = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		seen[s.Value] = true
		for i, ex := range s.Value.Examples {
			checked++
			if err := doc.ValidateSchemaJSON(s.Value, ex); err != nil {
				t.Errorf("%s: examples[%d] does not match its schema: %v", where, i, err)
			}
		}
		for name, p := range s.Value.Properties {
			walk(where+"."+name, p)
		}
		walk(where+"[]", s.Value.Items)
		walk(where+"{}", s.Value.AdditionalProperties.Schema)
		for _, group := range []openapi3.SchemaRefs{s.Value.AllOf, s.Value.AnyOf, s.Value.OneOf} {
			for i, sub := range group {
				walk(fmt.Sprintf("%s/%d", where, i), sub)
			}
		}
	}
	content := func(where string, c openapi3.Content) {
		for mt, m := range c {
			walk(where+" "+mt, m.Schema)
			for name, ex := range m.Examples {
				checked++
				if err := doc.ValidateSchemaJSON(m.Schema.Value, ex.Value.Value); err != nil {
					t.Errorf("%s %s: example %q does not match its schema: %v", where, mt, name, err)
				}
			}
		}
	}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		walk("#/components/schemas/"+name, doc.Components.Schemas[name])
	}
	for path, item := range doc.Paths.Map() {
		for _, p := range item.Parameters {
			walk(path+" parameter "+p.Value.Name, p.Value.Schema)
		}
	}
	for _, key := range sortedKeys(ops) {
		op := ops[key]
		for _, p := range op.Parameters {
			walk(key+" parameter "+p.Value.Name, p.Value.Schema)
		}
		if op.RequestBody != nil {
			content(key+" request", op.RequestBody.Value.Content)
		}
		for code, r := range op.Responses.Map() {
			content(key+" "+code, r.Value.Content)
		}
	}
	require.Positive(t, checked, "no examples found to check")
}

func requireMatches(t *testing.T, doc *openapi3.T, schema string, body []byte) {
	t.Helper()
	ref, ok := doc.Components.Schemas[schema]
	require.True(t, ok, "schema %s missing", schema)
	var v any
	require.NoError(t, json.Unmarshal(body, &v), "decode %s", body)
	require.NoError(t, doc.ValidateSchemaJSON(ref.Value, v), "%s against schema %s", body, schema)
}

func headerParam(op *openapi3.Operation, name string) *openapi3.Parameter {
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInHeader && strings.EqualFold(p.Value.Name, name) {
			return p.Value
		}
	}
	return nil
}

func requireProblemResponse(t *testing.T, op *openapi3.Operation, status int) {
	t.Helper()
	resp := op.Responses.Status(status)
	require.NotNil(t, resp, "%s: no %d response", op.OperationID, status)
	require.NotNil(t, resp.Value.Content[problem.ContentType], "%s: %d is not %s", op.OperationID, status, problem.ContentType)
}
