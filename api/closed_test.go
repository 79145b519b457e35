package api_test

import (
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/problem"
)

// openBodies are the JSON request bodies whose contract is open on purpose:
// a payment provider adds members to its events without asking us.
var openBodies = []string{"POST /api/v1/payments/webhooks/provider"}

// closedBody is one operation whose JSON request body is closed.
type closedBody struct {
	method, path string
	mediaType    string
	roles        []string
}

// closedBodies lists the operations of the spec tagged tag that take a JSON
// request body, in path order.
func closedBodies(t *testing.T, doc *openapi3.T, tag string) []closedBody {
	t.Helper()
	var out []closedBody
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			if op.RequestBody == nil || !slices.Contains(op.Tags, tag) || slices.Contains(openBodies, method+" "+path) {
				continue
			}
			for mt := range op.RequestBody.Value.Content {
				if !strings.HasSuffix(mt, "json") {
					continue
				}
				var roles []string
				if r, ok := op.Extensions["x-roles"].([]any); ok {
					for _, v := range r {
						roles = append(roles, fmt.Sprint(v))
					}
				}
				out = append(out, closedBody{method: method, path: path, mediaType: mt, roles: roles})
			}
		}
	}
	slices.SortFunc(out, func(a, b closedBody) int {
		return strings.Compare(a.method+a.path+a.mediaType, b.method+b.path+b.mediaType)
	})
	return out
}

// TestSpec_JSONRequestBodiesAreClosed: every JSON request body but the
// provider webhook's declares additionalProperties false, so the contract
// says what the services enforce (issue #14).
func TestSpec_JSONRequestBodiesAreClosed(t *testing.T) {
	doc, _ := loadSpec(t)
	n := 0
	for _, tag := range []string{"auth", "flight", "booking", "customer", "payment"} {
		for _, b := range closedBodies(t, doc, tag) {
			n++
			schema := doc.Paths.Value(b.path).GetOperation(b.method).RequestBody.Value.Content.Get(b.mediaType).Schema.Value
			ap := schema.AdditionalProperties
			if ap.Has == nil || *ap.Has || ap.Schema != nil {
				t.Errorf("%s %s (%s): the request body schema is open; declare additionalProperties: false or list it in openBodies", b.method, b.path, b.mediaType)
			}
		}
	}
	require.Greater(t, n, 20, "the closed bodies were found")
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// requireClosedBodiesRefuseUnknownMembers sends, through the gateway at
// srv, a body with a member its contract does not define to every
// operation tagged tag that takes a closed JSON body, and wants 400
// unknown_field naming the member. token gives a bearer token holding one
// of the operation's roles ("" for public operations); path parameters
// are ids that need not exist, since the body is read before anything is
// looked up.
func requireClosedBodiesRefuseUnknownMembers(t *testing.T, srv *httptest.Server, tag string, token func(roles []string) string) {
	t.Helper()
	doc, _ := loadSpec(t)
	bodies := closedBodies(t, doc, tag)
	require.NotEmpty(t, bodies, "operations tagged %s with a JSON body", tag)
	for _, b := range bodies {
		t.Run(fmt.Sprintf("%s %s (%s) refuses an unknown member", b.method, b.path, b.mediaType), func(t *testing.T) {
			path := pathParam.ReplaceAllString(b.path, "x_unknown_id")
			got, body := callAs(t, srv, b.method, path, token(b.roles), b.mediaType, `{"notInTheContract":true}`,
				"Idempotency-Key", "unknown-member-"+strings.ReplaceAll(path, "/", "-"))
			wantStatus(t, 400, got, body, b.method+" "+path)
			require.Equal(t, problem.CodeUnknownField, body["code"], "code: %v", body)
			errs, _ := body["errors"].([]any)
			require.Len(t, errs, 1, "errors: %v", body)
			first, _ := errs[0].(map[string]any)
			require.Equal(t, "notInTheContract", first["field"], "the member is named: %v", body)
		})
	}
}
