package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/skyfly/skyfly/api/auditapi"
	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/gateway"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/policy"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/auth/authgorm"
)

// devOnlyRoutes exist only in development mode (not wired here).
var devOnlyRoutes = []string{"/api/v1/auth/dev-oidc/*path", "/api/v1/dev/outbox"}

// TestAuditTrail_A5_EveryStaffRouteIsRecordedOnce walks every route of the
// gateway's table with every recorded role (agent, supervisor, admin,
// auditor) against the five domains as `skyfly service` wires them, and
// proves each request left exactly one entry in its domain's chain with the
// right actor, role, action, subject and outcome (refusals included). A
// staff route added without the domain's middleware fails here.
func TestAuditTrail_A5_EveryStaffRouteIsRecordedOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := map[string]string{"SKYFLY_DATA_DIR": dir, "SKYFLY_CUSTOMER_DSN": testenv.FerretDB(t, "sqlite"), "SKYFLY_MONGO_WRITE_CONCERN": "1", "SKYFLY_PAYMENT_SANDBOX": "true"}
	cfg, _, err := loadConfig("test", nil, func(k string) string { return env[k] }, io.Discard, nil)
	require.NoError(t, err)
	p, err := newPlatform(ctx, cfg, io.Discard)
	require.NoError(t, err)
	t.Cleanup(p.close)
	// A client that never reaches a server: workflow calls fail fast, and
	// are recorded like any other failure.
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	signer := authapi.NewSigner(p.secrets, cfg.JWTIssuer, cfg.JWTAudience, accessTokenTTL)
	verifier := authn.NewVerifier(authn.VerifierConfig{Keys: signer, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience})
	d := p.deps(tc, verifier)

	handlers := map[string]http.Handler{}
	for _, dom := range domains() {
		require.NoError(t, dom.migrate(ctx, d), dom.name)
		w, err := dom.wire(ctx, d)
		require.NoError(t, err, dom.name)
		t.Cleanup(func() {
			if w.close != nil {
				_ = w.close()
			}
		})
		handlers[dom.name] = w.handler
	}

	// One staff user and live session per recorded role.
	authDB, err := sqldb.Open(ctx, sqldb.Config{DSN: cfg.AuthDSN})
	require.NoError(t, err)
	t.Cleanup(func() { _ = authDB.Close() })
	store := authgorm.New(authDB)
	now := time.Now()
	tokens := map[string]string{}
	for _, role := range auditapi.RecordedRoles {
		u := auth.User{ID: "walker-" + role, Issuer: "skyfly", Subject: "walker-" + role, Email: role + "@walk.example", Roles: []string{role}, CreatedAt: now, UpdatedAt: now}
		require.NoError(t, store.CreateUser(ctx, u))
		sid := "sess-" + role
		require.NoError(t, store.CreateSession(ctx, auth.Session{ID: sid, UserID: u.ID, Method: "password", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			auth.RefreshToken{Hash: "rt-" + role, SessionID: sid, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
		tokens[role], err = signer.AccessToken(ctx, u, sid, now)
		require.NoError(t, err)
	}

	logs := map[string]audit.Log{}
	for _, name := range []string{"auth", "flight", "booking", "customer", "payment"} {
		l, closeLog, err := openAuditLog(ctx, cfg, d.log, name)
		require.NoError(t, err)
		t.Cleanup(closeLog)
		logs[name] = l
	}

	routes := gateway.Routes()
	// Logout revokes the caller's session: walk it last.
	slices.SortStableFunc(routes, func(a, b gateway.Route) int {
		return boolInt(a.Path == "/api/v1/auth/logout") - boolInt(b.Path == "/api/v1/auth/logout")
	})
	param := regexp.MustCompile(`:([A-Za-z]+)`)
	pol := policy.MustNew(nil)
	var walked, refused int
	for _, r := range routes {
		if slices.Contains(devOnlyRoutes, r.Path) {
			continue
		}
		for _, role := range auditapi.RecordedRoles {
			n := walked + 1
			path := param.ReplaceAllStringFunc(r.Path, func(m string) string { return fmt.Sprintf("walk%d%s", n, m[1:]) })
			t.Run(r.Method+" "+r.Path+" as "+role, func(t *testing.T) {
				reqID := fmt.Sprintf("walk-%d", n)
				rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				var body io.Reader
				if r.Method != http.MethodGet {
					body = strings.NewReader(`{}`)
				}
				req := httptest.NewRequestWithContext(rctx, r.Method, path, body)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tokens[role])
				req.Header.Set("Idempotency-Key", reqID)
				req.Header.Set(problem.RequestIDHeader, reqID)
				req.Header.Set(auditapi.ReasonHeader, "walking "+reqID)
				rec := httptest.NewRecorder()
				handlers[r.Domain].ServeHTTP(rec, req)

				got := entriesOf(t, logs[r.Domain], reqID)
				require.Len(t, got, 1, "got %d entries for %s as %s (status %d), want exactly one", len(got), r.Path, role, rec.Code)
				e := got[0]
				require.Equal(t, "walker-"+role, e.Actor)
				require.Equal(t, role, e.ActorRole)
				require.Equal(t, r.Method+" "+r.Path, e.Action)
				require.Equal(t, r.Domain, e.Domain)
				require.Equal(t, "walking "+reqID, e.Reason)
				require.Equal(t, rec.Code, e.Status, "the entry records the status answered")
				require.Equal(t, audit.OutcomeOf(rec.Code), e.Outcome)
				for _, m := range param.FindAllStringSubmatch(r.Path, -1) {
					require.Contains(t, e.Resources, m[1]+"="+fmt.Sprintf("walk%d%s", n, m[1]), "the path parameter is a subject")
				}
				allowed := pol.Decide(ctx, policy.Request{Layer: "test", Method: r.Method, Route: r.Path, Subject: policy.Subject{ID: e.Actor, Roles: []string{role}}}).Allow
				if !allowed {
					require.Equal(t, http.StatusForbidden, rec.Code, "a refused staff call is answered 403")
					require.Equal(t, audit.OutcomeRefused, e.Outcome)
					refused++
				}
			})
			walked++
		}
	}
	require.Greater(t, walked, 4*40, "every route with every role")
	require.Greater(t, refused, 20, "refusals are walked too")
	for name, l := range logs {
		rep, err := audit.Verify(ctx, l)
		require.NoError(t, err)
		require.True(t, rep.OK, "%s: %s", name, rep.Reason)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func entriesOf(t *testing.T, l audit.Log, requestID string) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	after := int64(0)
	for {
		page, err := l.Page(context.Background(), after, 500)
		require.NoError(t, err)
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			if e.RequestID == requestID {
				out = append(out, e)
			}
			after = e.Seq
		}
	}
}
