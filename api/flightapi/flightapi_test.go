package flightapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/flightapi"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/services/flight/flightgorm"
	"github.com/skyfly/skyfly/services/flight/seeddata"
)

const (
	issuer   = "skyfly-auth"
	audience = "skyfly-api"
	kid      = "test-key"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// base is the first day of the seeded schedule and the day of the fixed
// clock (noon UTC): a December day ahead of the clock, so the local times
// asserted are on EST in New York and GMT in London.
var base = testdate.Winter(1)

// date is the ISO date day days after base.
func date(day int) string { return testdate.ISO(base.AddDate(0, 0, day)) }

// flightID is SF100 (JFK-LHR, a 777) departing New York the day after base.
var flightID = "SF100-" + testdate.Compact(base.AddDate(0, 0, 1))

type fixture struct {
	h     http.Handler
	priv  ed25519.PrivateKey
	clock *clock
	svc   *flight.Service
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, flightgorm.Migrate(ctx, db))
	require.NoError(t, idempotency.Migrate(ctx, db))
	c := &clock{t: base.Add(12 * time.Hour)}
	svc := flight.NewService(slog.New(slog.DiscardHandler), flightgorm.New(db), c.Now, nil, flight.Config{})
	n, err := seeddata.Generate(base, 5, 1)
	require.NoError(t, err)
	_, err = svc.Seed(ctx, n.Airports, n.Flights)
	require.NoError(t, err)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience}).ForService("flight")
	h := flightapi.NewRouter(flightapi.Config{Service: svc, Verifier: v, Idempotency: idempotency.NewGormStore(db),
		HoldTTL: 15 * time.Minute, StaffHoldTTL: 24 * time.Hour})
	return &fixture{h: h, priv: priv, clock: c, svc: svc}
}

func (f *fixture) token(t *testing.T, roles ...string) string {
	t.Helper()
	now := time.Now()
	aud := audience
	if slices.Equal(roles, []string{authn.RoleService}) {
		aud = "flight" // the auth service mints service tokens for one target
	}
	tok, err := authn.Sign(f.priv, kid, authn.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{aud}, Subject: "user-" + strings.Join(roles, "-"),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))},
		SessionID: "sess-1", Roles: roles,
	})
	require.NoError(t, err)
	return tok
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

func (f *fixture) do(t *testing.T, method, path, token string, body any, headers ...string) response {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(problem.RequestIDHeader, "req-1")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	out := response{status: w.Code, header: w.Header()}
	if w.Body.Len() > 0 {
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out.body), "body %s", w.Body.String())
	}
	return out
}

func requireProblem(t *testing.T, r response, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.status, "got %d %v, want %d", r.status, r.body, status)
	require.Equal(t, problem.ContentType, r.header.Get("Content-Type"))
	require.Equal(t, code, r.body["code"], "got %v", r.body)
	require.Equal(t, "req-1", r.body["requestId"])
}

func TestAPI_SearchIsPublicWithLocalTimes(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/api/v1/flights/search?origin=JFK&destination=LHR&date="+date(1)+"&adults=1&cabin=Y&maxStops=1&sort=departure", "", nil)
	require.Equal(t, http.StatusOK, r.status, "%v", r.body)
	its := r.body["itineraries"].([]any)
	require.NotEmpty(t, its)
	first := its[0].(map[string]any)
	seg := first["segments"].([]any)[0].(map[string]any)
	require.Equal(t, "JFK", seg["origin"])
	require.True(t, strings.HasSuffix(seg["departureTime"].(string), "-05:00"), "New York local time, got %s", seg["departureTime"])
	require.True(t, strings.HasSuffix(seg["arrivalTime"].(string), "Z"), "London local time in winter, got %s", seg["arrivalTime"])
	require.True(t, strings.HasPrefix(seg["departureTime"].(string), date(1)+"T"))
	fare := first["fares"].([]any)[0].(map[string]any)
	require.Contains(t, fare, "fareId")
	require.Contains(t, fare, "seatsLeft")
	require.Equal(t, "EUR", fare["price"].(map[string]any)["currency"])
	require.Contains(t, fare["conditions"], "checkedBags")

	r = f.do(t, "GET", "/api/v1/flights/search?origin=BOS&destination=DEL&date="+date(1)+"&limit=1", "", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.NotEmpty(t, r.body["nextCursor"], "more than one connection")
	page := r.body["itineraries"].([]any)[0].(map[string]any)
	require.EqualValues(t, 1, page["stops"])

	r = f.do(t, "GET", "/api/v1/flights/search?origin=JFK&destination=LHR&date=tomorrow&adults=x", "", nil)
	requireProblem(t, r, http.StatusBadRequest, problem.CodeInvalidRequest)
	require.NotEmpty(t, r.body["errors"])

	r = f.do(t, "GET", "/api/v1/flights/search?origin=JFK&destination=LHR&date="+date(1), "not-a-jwt", nil)
	requireProblem(t, r, http.StatusUnauthorized, problem.CodeUnauthorized)
}

func TestAPI_FlightAndAvailability(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "GET", "/api/v1/flights/"+flightID, "", nil)
	require.Equal(t, http.StatusOK, r.status, "%v", r.body)
	require.Equal(t, "SF100", r.body["flightNumber"])
	require.Equal(t, "America/New_York", r.body["origin"].(map[string]any)["timeZone"])
	require.Equal(t, "77W", r.body["aircraft"])

	requireProblem(t, f.do(t, "GET", "/api/v1/flights/SF1-"+testdate.Compact(base.AddDate(70, 0, 0)), "", nil), http.StatusNotFound, problem.CodeNotFound)

	pub := f.do(t, "GET", "/api/v1/flights/"+flightID+"/availability", "", nil)
	require.Equal(t, http.StatusOK, pub.status)
	cabins := pub.body["cabins"].([]any)
	require.Len(t, cabins, 4, "F, J, W, Y")
	y := cabins[3].(map[string]any)
	require.Equal(t, "Y", y["cabin"])
	require.EqualValues(t, 9, y["seatsLeft"], "capped for the public")
	require.NotContains(t, y, "seatsAvailable")

	staff := f.do(t, "GET", "/api/v1/flights/"+flightID+"/availability", f.token(t, authn.RoleAgent), nil)
	y = staff.body["cabins"].([]any)[3].(map[string]any)
	require.EqualValues(t, 268, y["seatsAvailable"], "exact for staff")
}

func quote(t *testing.T, f *fixture, pax map[string]int) map[string]any {
	t.Helper()
	r := f.do(t, "POST", "/api/v1/pricing/quote", "", map[string]any{"flightIds": []string{flightID}, "fareId": "Y-M", "passengers": pax})
	require.Equal(t, http.StatusCreated, r.status, "%v", r.body)
	return r.body
}

func TestAPI_QuoteHoldCommitRelease(t *testing.T) {
	f := newFixture(t)
	q := quote(t, f, map[string]int{"adults": 2, "children": 1})
	require.NotEmpty(t, q["quoteId"])
	require.Equal(t, date(0)+"T12:20:00Z", q["expiresAt"])
	require.NotEmpty(t, q["breakdown"])

	body := map[string]any{"quoteId": q["quoteId"], "seats": 3, "holdId": "hold-api-1"}
	requireProblem(t, f.do(t, "POST", "/api/v1/inventory/hold", "", body), http.StatusUnauthorized, problem.CodeUnauthorized)
	requireProblem(t, f.do(t, "POST", "/api/v1/inventory/hold", f.token(t, authn.RoleCustomer), body), http.StatusForbidden, problem.CodeForbidden)

	agent := f.token(t, authn.RoleAgent)
	h := f.do(t, "POST", "/api/v1/inventory/hold", agent, body, idempotency.Header, "k-1")
	require.Equal(t, http.StatusOK, h.status, "%v", h.body)
	require.Equal(t, "HELD", h.body["status"])
	require.Equal(t, date(1)+"T12:00:00Z", h.body["expiresAt"], "staff holds last the staff TTL")
	replay := f.do(t, "POST", "/api/v1/inventory/hold", agent, body, idempotency.Header, "k-1")
	require.Equal(t, "true", replay.header.Get(idempotency.ReplayedHeader))
	require.Equal(t, h.body, replay.body)
	other := f.do(t, "POST", "/api/v1/inventory/hold", agent, map[string]any{"quoteId": q["quoteId"], "seats": 2}, idempotency.Header, "k-1")
	requireProblem(t, other, http.StatusUnprocessableEntity, problem.CodeIdempotencyConflict)
	requireProblem(t, f.do(t, "POST", "/api/v1/inventory/hold", agent, map[string]any{"quoteId": q["quoteId"], "seats": 2}), http.StatusUnprocessableEntity, flightapi.CodeQuoteInvalid)

	svc := f.token(t, authn.RoleService)
	c := f.do(t, "POST", "/api/v1/inventory/commit", svc, map[string]any{"holdId": "hold-api-1"})
	require.Equal(t, http.StatusOK, c.status, "%v", c.body)
	require.Equal(t, "COMMITTED", c.body["status"])

	rel := f.do(t, "POST", "/api/v1/inventory/release", svc, map[string]any{"holdId": "hold-api-1", "reason": "cancelled"})
	require.Equal(t, http.StatusOK, rel.status)
	require.Equal(t, true, rel.body["released"])
	rel = f.do(t, "POST", "/api/v1/inventory/release", svc, map[string]any{"holdId": "hold-api-1"})
	require.Equal(t, false, rel.body["released"], "releasing twice is a no-op")
	requireProblem(t, f.do(t, "POST", "/api/v1/inventory/commit", svc, map[string]any{"holdId": "hold-api-1"}), http.StatusConflict, flightapi.CodeHoldExpired)
	requireProblem(t, f.do(t, "POST", "/api/v1/inventory/commit", svc, map[string]any{}), http.StatusBadRequest, problem.CodeInvalidRequest)
}

func TestAPI_ExpiredQuoteOffersAFreshOne(t *testing.T) {
	f := newFixture(t)
	q := quote(t, f, map[string]int{"adults": 1})
	f.clock.Add(21 * time.Minute)
	r := f.do(t, "POST", "/api/v1/inventory/hold", f.token(t, authn.RoleService), map[string]any{"quoteId": q["quoteId"]})
	requireProblem(t, r, http.StatusGone, problem.CodeQuoteExpired)
	fresh := r.body["freshQuote"].(map[string]any)
	require.NotEqual(t, q["quoteId"], fresh["quoteId"])
	require.Equal(t, q["total"], fresh["total"])

	requireProblem(t, f.do(t, "POST", "/api/v1/inventory/hold", f.token(t, authn.RoleService), map[string]any{"quoteId": "q_forged"}), http.StatusNotFound, problem.CodeNotFound)
	requireProblem(t, f.do(t, "POST", "/api/v1/pricing/quote", "", map[string]any{"flightIds": []string{flightID}, "fareId": "F-F", "passengers": map[string]int{"adults": 9}}),
		http.StatusConflict, problem.CodeSeatUnavailable)
	requireProblem(t, f.do(t, "POST", "/api/v1/pricing/quote", "", map[string]any{"flightIds": []string{flightID}, "passengers": map[string]int{"adults": 1}}),
		http.StatusBadRequest, problem.CodeInvalidRequest)
}

func TestAPI_RouteSalesAreForStaff(t *testing.T) {
	f := newFixture(t)
	requireProblem(t, f.do(t, "GET", "/api/v1/staff/analytics/routes", "", nil), http.StatusUnauthorized, "unauthorized")
	requireProblem(t, f.do(t, "GET", "/api/v1/staff/analytics/routes", f.token(t, "customer"), nil), http.StatusForbidden, "forbidden")

	r := f.do(t, "GET", "/api/v1/staff/analytics/routes", f.token(t, "agent"), nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, []any{}, r.body["routes"], "no sales yet is an empty list, not null")

	_, err := f.svc.RecordSale(context.Background(), "bk-1/3", "booking.confirmed",
		json.RawMessage(`{"origin":"JFK","destination":"LHR","seats":2,"paid":{"amount":90000,"currency":"EUR"}}`))
	require.NoError(t, err)
	r = f.do(t, "GET", "/api/v1/staff/analytics/routes", f.token(t, "supervisor"), nil)
	require.Equal(t, http.StatusOK, r.status)
	routes := r.body["routes"].([]any)
	require.Len(t, routes, 1)
	got := routes[0].(map[string]any)
	require.Equal(t, map[string]any{"origin": "JFK", "destination": "LHR", "currency": "EUR", "confirmed": 1.0, "cancelled": 0.0,
		"seatsSold": 2.0, "revenue": 90000.0, "updatedAt": got["updatedAt"]}, got)
}

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}
