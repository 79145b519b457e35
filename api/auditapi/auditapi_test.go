package auditapi_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/auditapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/policy"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

// failingLog is an audit.Log whose appends fail (the database is down).
type failingLog struct{ audit.Log }

func (failingLog) Append(context.Context, audit.Entry) (audit.Entry, error) {
	return audit.Entry{}, errors.New("database is down")
}

type fixture struct {
	engine *gin.Engine
	log    audit.Log
	rec    *auditapi.Recorder
	priv   ed25519.PrivateKey
	ran    int
}

func newFixture(t *testing.T, l audit.Log) *fixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	now := testdate.At(0, 0, 0)
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{"k": pub}, Issuer: "iss", Audience: "aud", Now: func() time.Time { return now }})
	f := &fixture{log: l, priv: priv}
	f.rec = auditapi.NewRecorder(l, "booking", nil, func() time.Time { return now })
	e := problem.NewEngine(nil)
	v1 := e.Group("/api/v1", authn.Authenticate(v), f.rec.Middleware(), authn.Authorize(policy.MustNew(nil), "booking"))
	f.rec.Routes(v1)
	v1.GET("/bookings/:bookingId", func(c *gin.Context) {
		f.ran++
		auditapi.SetCustomer(c, "cust-9")
		c.JSON(http.StatusOK, gin.H{"secret": "customer data"})
	})
	v1.POST("/bookings/:bookingId/cancel", func(c *gin.Context) {
		f.ran++
		var body struct{ Reason string }
		require.NoError(t, c.ShouldBindJSON(&body))
		c.JSON(http.StatusAccepted, gin.H{"echo": body.Reason})
	})
	v1.POST("/bookings/:bookingId/resolve", func(c *gin.Context) { f.ran++; c.Status(http.StatusNoContent) })
	f.engine = e
	return f
}

func (f *fixture) token(t *testing.T, sub string, roles ...string) string {
	t.Helper()
	now := testdate.At(0, 0, 0)
	tok, err := authn.Sign(f.priv, "k", authn.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: sub, Issuer: "iss", Audience: jwt.ClaimStrings{"aud"},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))},
		SessionID: "s", Roles: roles,
	})
	require.NoError(t, err)
	return tok
}

func (f *fixture) do(t *testing.T, method, path, token, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set(problem.RequestIDHeader, "req-1")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.engine.ServeHTTP(rec, req)
	return rec
}

func sqliteLog(t *testing.T) audit.Log {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, audit.Migrate(ctx, db))
	l, err := audit.NewGormLog(ctx, db, "booking")
	require.NoError(t, err)
	return l
}

func entries(t *testing.T, l audit.Log) []audit.Entry {
	t.Helper()
	es, err := l.Page(context.Background(), 0, 100)
	require.NoError(t, err)
	return es
}

func TestRecord_A5_StaffLookupIsRecordedOnceWithSubjectAndReason(t *testing.T) {
	f := newFixture(t, sqliteLog(t))
	rec := f.do(t, "GET", "/api/v1/bookings/bk_1", f.token(t, "agent-7", "agent"), "", auditapi.ReasonHeader, "customer called")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "customer data")
	es := entries(t, f.log)
	require.Len(t, es, 1)
	got := es[0]
	require.Equal(t, "agent-7", got.Actor)
	require.Equal(t, "agent", got.ActorRole)
	require.Equal(t, "GET /api/v1/bookings/:bookingId", got.Action)
	require.Equal(t, "cust-9", got.CustomerID)
	require.Equal(t, []string{"bookingId=bk_1"}, got.Resources)
	require.Equal(t, "customer called", got.Reason)
	require.Equal(t, "req-1", got.RequestID)
	require.Equal(t, audit.OutcomeSuccess, got.Outcome)
	require.Equal(t, http.StatusOK, got.Status)
}

func TestRecord_A5_ReasonFromTheBodyAndTheBodyStillReachesTheHandler(t *testing.T) {
	f := newFixture(t, sqliteLog(t))
	rec := f.do(t, "POST", "/api/v1/bookings/bk_2/cancel", f.token(t, "sup-1", "supervisor"), `{"reason":"duplicate booking"}`)
	require.Equal(t, http.StatusAccepted, rec.Code)
	require.Contains(t, rec.Body.String(), "duplicate booking", "the handler read the whole body")
	es := entries(t, f.log)
	require.Len(t, es, 1)
	require.Equal(t, "duplicate booking", es[0].Reason)
	require.Equal(t, "supervisor", es[0].ActorRole)
}

func TestRecord_A5_RefusalIsRecorded(t *testing.T) {
	f := newFixture(t, sqliteLog(t))
	rec := f.do(t, "POST", "/api/v1/bookings/bk_3/resolve", f.token(t, "agent-1", "agent"), "")
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Zero(t, f.ran, "the handler did not run")
	es := entries(t, f.log)
	require.Len(t, es, 1)
	require.Equal(t, audit.OutcomeRefused, es[0].Outcome)
	require.Equal(t, http.StatusForbidden, es[0].Status)
}

func TestRecord_A5_CustomersAreNotRecorded(t *testing.T) {
	f := newFixture(t, sqliteLog(t))
	f.do(t, "GET", "/api/v1/bookings/bk_1", f.token(t, "cust-1", "customer"), "")
	f.do(t, "GET", "/api/v1/bookings/bk_1", "", "")
	require.Empty(t, entries(t, f.log))
}

func TestRecord_A5_FailClosedWhenTheEntryCannotBeWritten(t *testing.T) {
	f := newFixture(t, failingLog{sqliteLog(t)})
	rec := f.do(t, "GET", "/api/v1/bookings/bk_1", f.token(t, "agent-7", "agent"), "")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), `"code":"audit_unavailable"`)
	require.NotContains(t, rec.Body.String(), "customer data", "the unaudited lookup's data is withheld")
	require.Equal(t, problem.ContentType, rec.Header().Get("Content-Type"))
	require.Equal(t, int64(1), f.rec.Failures())
}

func TestAuditorRoute_A5_ListsBySubjectForAuditorsOnly(t *testing.T) {
	f := newFixture(t, sqliteLog(t))
	f.do(t, "GET", "/api/v1/bookings/bk_1", f.token(t, "agent-7", "agent"), "")
	f.do(t, "GET", "/api/v1/bookings/bk_2", f.token(t, "agent-7", "agent"), "")

	rec := f.do(t, "GET", "/api/v1/staff/audit/booking?subject=bk_2", f.token(t, "aud-1", "auditor"), "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), `"resources":["bookingId=bk_2"]`)
	require.NotContains(t, rec.Body.String(), "bk_1")
	require.Contains(t, rec.Body.String(), `"nextAfter":null`)

	require.Equal(t, http.StatusForbidden, f.do(t, "GET", "/api/v1/staff/audit/booking?subject=bk_2", f.token(t, "agent-7", "agent"), "").Code)
	bad := f.do(t, "GET", "/api/v1/staff/audit/booking?limit=0&after=x", f.token(t, "aud-1", "auditor"), "")
	require.Equal(t, http.StatusBadRequest, bad.Code)
	require.Contains(t, bad.Body.String(), `"code":"invalid_request"`)
	for _, field := range []string{`"field":"limit"`, `"field":"after"`, `"field":"subject"`} {
		require.Contains(t, bad.Body.String(), field)
	}
	es := entries(t, f.log)
	require.Len(t, es, 5, "two lookups, the auditor's two reads and the agent's refused read")
	require.Equal(t, "auditor", es[2].ActorRole)
	require.Equal(t, audit.OutcomeRefused, es[3].Outcome)
	require.Equal(t, audit.OutcomeFailed, es[4].Outcome)
}

// selfServiceEngine mounts a customer's own export route behind the staff
// Middleware and SelfService, as the customer router does.
func selfServiceEngine(f *fixture, v *authn.Verifier) {
	e := problem.NewEngine(nil)
	v1 := e.Group("/api/v1", authn.Authenticate(v), f.rec.Middleware())
	v1.POST("/users/me/export", f.rec.SelfService(), func(c *gin.Context) {
		f.ran++
		c.JSON(http.StatusAccepted, gin.H{"exportId": "exp_1"})
	})
	v1.GET("/users/me", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"name": "Ada"}) })
	f.engine = e
}

func newSelfServiceFixture(t *testing.T, l audit.Log) *fixture {
	t.Helper()
	f := newFixture(t, l)
	now := testdate.At(0, 0, 0)
	v := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{"k": f.priv.Public().(ed25519.PublicKey)}, Issuer: "iss", Audience: "aud", Now: func() time.Time { return now }})
	selfServiceEngine(f, v)
	return f
}

func TestSelfService_CustomersOwnExportIsRecordedWithThemAsActorAndSubject(t *testing.T) {
	f := newSelfServiceFixture(t, sqliteLog(t))
	rec := f.do(t, "POST", "/api/v1/users/me/export", f.token(t, "cust-1", "customer"), "")
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), "exp_1")
	require.Equal(t, http.StatusOK, f.do(t, "GET", "/api/v1/users/me", f.token(t, "cust-1", "customer"), "").Code)

	es := entries(t, f.log)
	require.Len(t, es, 1, "the export request only: a customer reading their profile is not recorded")
	got := es[0]
	require.Equal(t, "cust-1", got.Actor)
	require.Equal(t, authn.RoleCustomer, got.ActorRole)
	require.Equal(t, "cust-1", got.CustomerID)
	require.Equal(t, "POST /api/v1/users/me/export", got.Action)
	require.Equal(t, http.StatusAccepted, got.Status)
	require.Equal(t, "req-1", got.RequestID)
}

func TestSelfService_AStaffRequestOnTheRouteIsRecordedOnce(t *testing.T) {
	f := newSelfServiceFixture(t, sqliteLog(t))
	require.Equal(t, http.StatusAccepted, f.do(t, "POST", "/api/v1/users/me/export", f.token(t, "agent-2", "agent"), "").Code)
	es := entries(t, f.log)
	require.Len(t, es, 1)
	require.Equal(t, "agent", es[0].ActorRole)
}

func TestSelfService_FailClosed(t *testing.T) {
	f := newSelfServiceFixture(t, failingLog{sqliteLog(t)})
	rec := f.do(t, "POST", "/api/v1/users/me/export", f.token(t, "cust-1", "customer"), "")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), `"code":"audit_unavailable"`)
	require.NotContains(t, rec.Body.String(), "exp_1")
	require.Equal(t, int64(1), f.rec.Failures())
}
