package paymentapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/paymentapi"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymenttest"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

type api struct {
	env  *paymenttest.Env
	srv  *httptest.Server
	priv ed25519.PrivateKey
}

func newAPI(t testing.TB, dsn string) *api {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	env := paymenttest.New(t, dsn, paymenttest.Options{
		WebhookURL:   srv.URL + "/api/v1/payments/webhooks/provider",
		ChallengeURL: srv.URL + "/api/v1/payments/sandbox/challenge/",
	})
	verifier := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{"k1": pub}, Issuer: "skyfly-test", Audience: "skyfly"}).ForService("payment")
	handler, err = paymentapi.NewHandler(paymentapi.Config{
		Service: env.Service, Verifier: verifier, Idempotency: idempotency.NewGormStore(env.DB), Sandbox: env.Sandbox,
	})
	require.NoError(t, err)
	return &api{env: env, srv: srv, priv: priv}
}

func (a *api) token(t testing.TB, user string, roles ...string) string {
	t.Helper()
	now := time.Now()
	aud := "skyfly"
	if slices.Equal(roles, []string{authn.RoleService}) {
		aud = "payment" // the auth service mints service tokens for one target
	}
	tok, err := authn.Sign(a.priv, "k1", authn.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: "skyfly-test", Audience: jwt.ClaimStrings{aud}, Subject: user,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))},
		SessionID: "sess-" + user, Roles: roles,
	})
	require.NoError(t, err)
	return tok
}

type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a *api) do(t *testing.T, method, path, token, key string, body any) resp {
	t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set(idempotency.Header, key)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) resp {
	t.Helper()
	out, err := trySend(req)
	require.NoError(t, err)
	return out
}

// trySend is send for goroutines, which must not call t.FailNow.
func trySend(req *http.Request) (resp, error) {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return resp{}, err
	}
	out := resp{status: res.StatusCode, header: res.Header, raw: buf.String()}
	_ = json.Unmarshal(buf.Bytes(), &out.body)
	return out, nil
}

func intentBody(booking string) map[string]any {
	return map[string]any{"bookingId": booking, "amount": map[string]any{"amount": 45990, "currency": "EUR"}, "provider": "sandbox"}
}

func TestAPI_SandboxTokensGiveTheDocumentedOutcome(t *testing.T) {
	for name, dsn := range paymenttest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			a := newAPI(t, dsn(t))
			svc := a.token(t, "svc-booking", authn.RoleService)
			tests := []struct {
				token      string
				wantCode   int
				wantStatus string
				wantProb   string
				wantLast4  string
			}{
				{sandbox.TokenVisa, 200, "authorized", "", "4242"},
				{sandbox.TokenMastercard, 200, "authorized", "", "4444"},
				{sandbox.TokenChargeDeclined, 402, "", "payment_declined", ""},
				{sandbox.TokenInsufficientFunds, 402, "", "payment_declined", ""},
				{sandbox.TokenThreeDSecureRequired, 200, "requires_action", "", "3184"},
				{sandbox.TokenProcessingDelay, 200, "requires_action", "", "1881"},
			}
			for _, tt := range tests {
				t.Run(tt.token, func(t *testing.T) {
					created := a.do(t, "POST", "/api/v1/payments/intent", svc, "create-"+tt.token, intentBody("bk-"+tt.token))
					require.Equal(t, http.StatusCreated, created.status, created.raw)
					require.Equal(t, "requires_payment_method", created.body["status"])
					id := created.body["paymentId"].(string)
					got := a.do(t, "POST", "/api/v1/payments/"+id+"/authorize", svc, "auth-"+tt.token, map[string]any{"token": tt.token})
					require.Equal(t, tt.wantCode, got.status, got.raw)
					if tt.wantProb != "" {
						require.Equal(t, tt.wantProb, got.body["code"])
						require.NotEmpty(t, got.body["declineCode"])
						require.Equal(t, "application/problem+json", got.header.Get("Content-Type"))
						return
					}
					require.Equal(t, tt.wantStatus, got.body["status"])
					require.Equal(t, tt.wantLast4, got.body["last4"])
				})
			}
		})
	}
}

func TestAPI_ThreeDSecureCompletesAfterTheChallengePage(t *testing.T) {
	ctx := context.Background()
	a := newAPI(t, testenv.SQLiteDSN(t))
	agent := a.token(t, "agent-1", authn.RoleAgent)
	created := a.do(t, "POST", "/api/v1/payments/intent", agent, "k1", intentBody("bk-3ds"))
	require.Equal(t, http.StatusCreated, created.status, created.raw)
	id := created.body["paymentId"].(string)
	auth := a.do(t, "POST", "/api/v1/payments/"+id+"/authorize", agent, "k2", map[string]any{"token": sandbox.TokenThreeDSecureRequired})
	require.Equal(t, http.StatusOK, auth.status, auth.raw)
	require.Equal(t, "requires_action", auth.body["status"])
	require.Equal(t, "PAYMENT_PENDING", auth.body["bookingStatus"])
	next := auth.body["nextAction"].(map[string]any)
	require.Equal(t, "redirect", next["type"])
	challengeURL := next["url"].(string)
	require.Equal(t, a.srv.URL+"/api/v1/payments/sandbox/challenge/"+id, challengeURL)

	res, err := http.Get(challengeURL)
	require.NoError(t, err)
	var page bytes.Buffer
	_, _ = page.ReadFrom(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, page.String(), "Approve")
	require.Contains(t, page.String(), "Fail")

	res, err = http.PostForm(challengeURL, url.Values{"outcome": {"approve"}})
	require.NoError(t, err)
	page.Reset()
	_, _ = page.ReadFrom(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, page.String(), "Authentication complete")

	// The sandbox delivers its signed webhook over HTTP to the API.
	n, err := a.env.Sandbox.DeliverDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	got := a.do(t, "GET", "/api/v1/payments/"+id, agent, "", nil)
	require.Equal(t, http.StatusOK, got.status, got.raw)
	require.Equal(t, "authorized", got.body["status"])
	require.Len(t, a.env.Signaler.Delivered(), 1, "the booking workflow is signalled")

	captured := a.do(t, "POST", "/api/v1/payments/"+id+"/capture", agent, "k3", nil)
	require.Equal(t, http.StatusOK, captured.status, captured.raw)
	require.Equal(t, "captured", captured.body["status"])
	require.Equal(t, "CONFIRMED", captured.body["bookingStatus"])

	missing := a.do(t, "POST", "/api/v1/payments/"+id+"/refund", agent, "k4", map[string]any{"amount": map[string]any{"amount": 1000, "currency": "EUR"}})
	require.Equal(t, http.StatusBadRequest, missing.status, "a staff refund needs a reason: %s", missing.raw)
	refund := a.do(t, "POST", "/api/v1/payments/"+id+"/refund", agent, "k5", map[string]any{"amount": map[string]any{"amount": 1000, "currency": "EUR"}, "reason": "delayed flight goodwill"})
	require.Equal(t, http.StatusOK, refund.status, refund.raw)
	require.Equal(t, "partially_refunded", refund.body["status"])

	page2, err := a.env.Store.AuditPage(ctx, 0, 100)
	require.NoError(t, err)
	last := page2[len(page2)-1]
	require.Equal(t, "payment.refund", last.Action)
	require.Equal(t, "user:agent-1", last.Actor)
	require.Equal(t, "delayed flight goodwill", last.Reason)
	rep, err := payment.VerifyAudit(ctx, a.env.Store)
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep)
}

func TestAPI_P1_IdempotencyKey(t *testing.T) {
	a := newAPI(t, testenv.SQLiteDSN(t))
	svc := a.token(t, "svc", authn.RoleService)
	first := a.do(t, "POST", "/api/v1/payments/intent", svc, "same", intentBody("bk-p1"))
	require.Equal(t, http.StatusCreated, first.status, first.raw)
	again := a.do(t, "POST", "/api/v1/payments/intent", svc, "same", intentBody("bk-p1"))
	require.Equal(t, http.StatusCreated, again.status)
	require.Equal(t, first.body["paymentId"], again.body["paymentId"])
	require.Equal(t, "true", again.header.Get(idempotency.ReplayedHeader))
	other := a.do(t, "POST", "/api/v1/payments/intent", svc, "same", intentBody("bk-other"))
	require.Equal(t, http.StatusUnprocessableEntity, other.status)
	require.Equal(t, "idempotency_conflict", other.body["code"])
	none := a.do(t, "POST", "/api/v1/payments/intent", svc, "", intentBody("bk-p1"))
	require.Equal(t, http.StatusBadRequest, none.status)
}

func TestAPI_P2_ConcurrentCapturesWithOneKey(t *testing.T) {
	a := newAPI(t, testenv.SQLiteDSN(t))
	svc := a.token(t, "svc", authn.RoleService)
	created := a.do(t, "POST", "/api/v1/payments/intent", svc, "c", intentBody("bk-p2"))
	id := created.body["paymentId"].(string)
	require.Equal(t, http.StatusOK, a.do(t, "POST", "/api/v1/payments/"+id+"/authorize", svc, "a", map[string]any{"token": "tok_visa"}).status)
	const n = 6
	var wg sync.WaitGroup
	results := make([]resp, n)
	errs := make([]error, n)
	for i := range n {
		req, err := http.NewRequest("POST", a.srv.URL+"/api/v1/payments/"+id+"/capture", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+svc)
		req.Header.Set(idempotency.Header, "cap")
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = trySend(req)
		}()
	}
	wg.Wait()
	for i, r := range results {
		require.NoError(t, errs[i])
		require.Contains(t, []int{http.StatusOK, http.StatusConflict}, r.status, "request %d: %s", i, r.raw)
	}
	page, err := a.env.Store.AuditPage(context.Background(), 0, 100)
	require.NoError(t, err)
	captures := 0
	for _, e := range page {
		if e.Action == "payment.capture" {
			captures++
		}
	}
	require.Equal(t, 1, captures, "got %d captures, want 1", captures)
}

func TestAPI_A5_RolesAndPublicRoutes(t *testing.T) {
	a := newAPI(t, testenv.SQLiteDSN(t))
	customer := a.token(t, "cust", authn.RoleCustomer)
	require.Equal(t, http.StatusUnauthorized, a.do(t, "POST", "/api/v1/payments/intent", "", "k", intentBody("b")).status)
	require.Equal(t, http.StatusForbidden, a.do(t, "POST", "/api/v1/payments/intent", customer, "k", intentBody("b")).status)
	require.Equal(t, http.StatusForbidden, a.do(t, "GET", "/api/v1/payments/pay_x", customer, "", nil).status)
	require.Equal(t, http.StatusUnauthorized, a.do(t, "GET", "/api/v1/payments/pay_x", "garbage", "", nil).status)
	nf := a.do(t, "GET", "/api/v1/payments/pay_x", a.token(t, "sup", authn.RoleSupervisor), "", nil)
	require.Equal(t, http.StatusNotFound, nf.status)
	require.Equal(t, "not_found", nf.body["code"])
	require.Equal(t, http.StatusNotFound, a.do(t, "GET", "/api/v1/payments/sandbox/challenge/pay_x", "", "", nil).status)
}

func TestAPI_C1_CardNumbersAreRefused(t *testing.T) {
	a := newAPI(t, testenv.SQLiteDSN(t))
	svc := a.token(t, "svc", authn.RoleService)
	created := a.do(t, "POST", "/api/v1/payments/intent", svc, "c", intentBody("bk-c1"))
	id := created.body["paymentId"].(string)
	for _, body := range []string{
		`{"token":"4242424242424242"}`,
		`{"token":"tok_visa","returnUrl":"https://x.test/?card=4242 4242 4242 4242"}`,
		`{"token":"tok_visa","card":{"number":"5555-5555-5555-4444","cvc":"123"}}`,
	} {
		got := a.do(t, "POST", "/api/v1/payments/"+id+"/authorize", svc, "k-"+body, body)
		require.Equal(t, http.StatusBadRequest, got.status, got.raw)
		require.Equal(t, paymentapi.CodeCardDataRejected, got.body["code"])
		require.NotContains(t, got.raw, "4242424242424242")
	}
}

func TestAPI_W1_W3_Webhooks(t *testing.T) {
	ctx := context.Background()
	a := newAPI(t, testenv.SQLiteDSN(t))
	svc := a.token(t, "svc", authn.RoleService)
	created := a.do(t, "POST", "/api/v1/payments/intent", svc, "c", intentBody("bk-w"))
	id := created.body["paymentId"].(string)
	require.Equal(t, http.StatusOK, a.do(t, "POST", "/api/v1/payments/"+id+"/authorize", svc, "a", map[string]any{"token": sandbox.TokenThreeDSecureRequired}).status)

	body, err := json.Marshal(payment.EventPayload{ID: "evt_api", Type: payment.EventAuthorized, Data: payment.EventData{PaymentID: id, Status: payment.StatusAuthorized}})
	require.NoError(t, err)
	key, err := a.env.Keys.Current(ctx, secrets.KeyWebhookSecret)
	require.NoError(t, err)
	newReq := func(header string, body []byte) *http.Request {
		req, err := http.NewRequest("POST", a.srv.URL+"/api/v1/payments/webhooks/provider", bytes.NewReader(body))
		require.NoError(t, err)
		if header != "" {
			req.Header.Set(payment.SignatureHeader, header)
		}
		return req
	}
	post := func(header string, body []byte) resp { return send(t, newReq(header, body)) }
	bad := post("", body)
	require.Equal(t, http.StatusBadRequest, bad.status)
	require.Equal(t, paymentapi.CodeInvalidSignature, bad.body["code"])
	wrong := post(payment.Sign(a.env.Clock.Now(), body, bytes.Repeat([]byte{1}, 32)), body)
	require.Equal(t, http.StatusBadRequest, wrong.status)

	header := payment.Sign(a.env.Clock.Now(), body, key.Material)
	var wg sync.WaitGroup
	results := make([]resp, 4)
	errs := make([]error, len(results))
	for i := range results {
		req := newReq(header, body)
		wg.Add(1)
		go func() { defer wg.Done(); results[i], errs[i] = trySend(req) }()
	}
	wg.Wait()
	applied := 0
	for i, r := range results {
		require.NoError(t, errs[i])
		require.Equal(t, http.StatusOK, r.status, r.raw)
		if r.body["outcome"] == payment.OutcomeApplied {
			applied++
		}
	}
	require.Equal(t, 1, applied)
	got := a.do(t, "GET", "/api/v1/payments/"+id, svc, "", nil)
	require.Equal(t, "authorized", got.body["status"])
	require.True(t, strings.HasPrefix(got.body["paymentId"].(string), "pay_"))
}
