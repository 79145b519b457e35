package customerapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/customerapi"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/mongodb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
	"github.com/skyfly/skyfly/services/customer/customermongo"
	"github.com/skyfly/skyfly/services/customer/customertest"
)

const (
	issuer   = "skyfly-auth"
	audience = "skyfly-api"
	kid      = "test-key"
)

type server struct {
	t      *testing.T
	url    string
	priv   ed25519.PrivateKey
	outbox *customerchannel.Outbox
	clock  *customertest.Clock
}

func newServer(t *testing.T, dev bool, limits customer.Limits) *server {
	t.Helper()
	gin.SetMode(gin.TestMode)
	ctx := context.Background()
	c, err := mongodb.Connect(ctx, mongodb.Config{DSN: testenv.FerretDB(t, "sqlite"), WriteConcern: "majority"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	_, err = customermongo.EnsureIndexes(ctx, c.DB)
	require.NoError(t, err)

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	// Tokens are minted at the real time; the domain runs on a manual clock.
	clock := customertest.NewClock(time.Now().UTC().Truncate(time.Millisecond))
	store := customermongo.New(c.DB)
	outbox := customerchannel.NewOutbox(100, clock.Now)
	ts, err := customer.NewTemplates(customer.Catalog())
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n := customer.NewNotifier(customer.NotifierConfig{Log: log, Store: store, Templates: ts, Limits: limits, Now: clock.Now,
		Senders: map[customer.Channel]customer.Sender{customer.ChannelEmail: outbox, customer.ChannelSMS: outbox, customer.ChannelPush: outbox}})
	svc := customer.NewService(log, store, n, customertest.NewSecrets(), customer.DefaultVerificationPolicy(), clock.Now)
	cfg := customerapi.Config{
		Log: log, Service: svc, Notifier: n, Now: clock.Now,
		Verifier:    authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience}).ForService("customer"),
		Idempotency: customermongo.NewIdempotencyStore(c.DB, clock.Now),
	}
	if dev {
		cfg.Outbox = outbox
	}
	srv := httptest.NewServer(customerapi.NewRouter(cfg))
	t.Cleanup(srv.Close)
	return &server{t: t, url: srv.URL, priv: priv, outbox: outbox, clock: clock}
}

func (s *server) token(sub, email string, roles ...string) string {
	s.t.Helper()
	now := time.Now()
	aud := audience
	if slices.Equal(roles, []string{authn.RoleService}) {
		aud = "customer" // the auth service mints service tokens for one target
	}
	tok, err := authn.Sign(s.priv, kid, authn.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{aud}, Subject: sub,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute))},
		SessionID: "sess-" + sub, Roles: roles, Email: email,
	})
	require.NoError(s.t, err)
	return tok
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (s *server) do(method, path, token, contentType, body string, headers ...string) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewBufferString(body))
	require.NoError(s.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

func fields(r response) []string {
	var out []string
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

func TestMe_A5_ACustomerOnlyEverSeesTheirOwnProfile(t *testing.T) {
	s := newServer(t, false, customer.DefaultLimits())
	alice := s.token("user-alice", "alice@example.com", authn.RoleCustomer)
	bob := s.token("user-bob", "bob@example.com", authn.RoleCustomer)

	r := s.do("PATCH", "/api/v1/users/me", alice, "application/merge-patch+json", `{"givenName":"Alice","phone":"+4915112345678"}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)

	r = s.do("GET", "/api/v1/users/me", bob, "", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Equal(t, "user-bob", r.body["userId"])
	require.Equal(t, "bob@example.com", r.body["email"])
	require.Equal(t, "", r.body["givenName"], "got another customer's data")
	require.Equal(t, "", r.body["phone"])

	r = s.do("PATCH", "/api/v1/users/me", bob, "application/merge-patch+json", `{"givenName":"Bob"}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	r = s.do("GET", "/api/v1/users/me", alice, "", "")
	require.Equal(t, "Alice", r.body["givenName"], "got alice's name after bob's patch")

	r = s.do("PATCH", "/api/v1/users/me", bob, "application/merge-patch+json", `{"userId":"user-alice"}`)
	require.Equal(t, http.StatusBadRequest, r.status, "a patch naming another user id")
	require.Equal(t, []string{"userId"}, fields(r))

	for _, path := range []string{"/api/v1/users/user-alice", "/api/v1/users/me/../user-alice", "/api/v1/users?id=user-alice"} {
		r = s.do("GET", path, bob, "", "")
		require.Equal(t, http.StatusNotFound, r.status, "GET %s: got %d, want 404", path, r.status)
	}

	r = s.do("GET", "/api/v1/users/me", "", "", "")
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Equal(t, "unauthorized", r.body["code"])
	r = s.do("GET", "/api/v1/users/me", alice+"x", "", "")
	require.Equal(t, http.StatusUnauthorized, r.status, "a forged token")
}

func TestPatchMe_MergePatchSemantics(t *testing.T) {
	s := newServer(t, false, customer.DefaultLimits())
	tok := s.token("u1", "ada@example.com", authn.RoleCustomer)

	r := s.do("PATCH", "/api/v1/users/me", tok, "application/merge-patch+json", `{
		"givenName":"Ada","familyName":"Lovelace","phone":"+442071234567",
		"preferences":{"seat":"window","meal":"VGML","language":"de","channels":["email","sms"],"optOuts":["marketing"]},
		"travellers":[{"type":"ADT","givenName":"Charles","familyName":"Babbage","dateOfBirth":"1791-12-26",
		  "document":{"type":"PASSPORT","number":"X1234567","issuingCountry":"GB","expiryDate":"`+testdate.YearsFrom(testdate.Today(), 5)+`"}}]}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	prefs := r.body["preferences"].(map[string]any)
	require.Equal(t, "de", prefs["language"])
	travellers := r.body["travellers"].([]any)
	require.Len(t, travellers, 1)
	require.NotEmpty(t, travellers[0].(map[string]any)["id"], "a saved traveller gets an id")

	// A nested member changes alone; null removes; plain JSON is accepted.
	r = s.do("PATCH", "/api/v1/users/me", tok, "application/json", `{"preferences":{"seat":null},"familyName":null}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	prefs = r.body["preferences"].(map[string]any)
	require.Equal(t, "", prefs["seat"])
	require.Equal(t, "VGML", prefs["meal"], "a member the patch did not name changed")
	require.Equal(t, "de", prefs["language"])
	require.Equal(t, "", r.body["familyName"])
	require.Equal(t, "Ada", r.body["givenName"])

	// Arrays are replaced whole.
	r = s.do("PATCH", "/api/v1/users/me", tok, "application/merge-patch+json", `{"travellers":[]}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Empty(t, r.body["travellers"])

	got := s.do("GET", "/api/v1/users/me", tok, "", "")
	require.Equal(t, r.body, got.body, "got a stored profile different from the PATCH answer")
}

func TestPatchMe_Validation(t *testing.T) {
	s := newServer(t, false, customer.DefaultLimits())
	tok := s.token("u1", "ada@example.com", authn.RoleCustomer)
	tests := []struct {
		name, body string
		code       string
		fields     []string
	}{
		{"a phone that is not E.164", `{"phone":"0151 123"}`, problem.CodeInvalidRequest, []string{"phone"}},
		{"an unknown preference value", `{"preferences":{"seat":"wing","language":"xx"}}`, problem.CodeInvalidRequest, []string{"preferences.seat", "preferences.language"}},
		{"an unknown preference is an unknown field", `{"preferences":{"colour":"blue"}}`, problem.CodeUnknownField, []string{"preferences.colour"}},
		{"read-only members", `{"email":"eve@example.com","phoneVerified":true}`, problem.CodeInvalidRequest, []string{"email", "phoneVerified"}},
		{"read-only and unknown members are an unknown field naming both", `{"email":"eve@example.com","phoneVerified":true,"isAdmin":true}`, problem.CodeUnknownField, []string{"email", "isAdmin", "phoneVerified"}},
		{"a name with digits", `{"givenName":"4da"}`, problem.CodeInvalidRequest, []string{"givenName"}},
		{"a wrong type", `{"givenName":42}`, problem.CodeInvalidRequest, []string{"givenName"}},
		{"a traveller without names", `{"travellers":[{"type":"ADT","dateOfBirth":"2000-01-01"}]}`, problem.CodeInvalidRequest, []string{"travellers[0].givenName", "travellers[0].familyName"}},
		{"an unknown traveller member is named by its path", `{"travellers":[{"type":"ADT","givenName":"A","familyName":"B","dateOfBirth":"2000-01-01","ssn":"1"}]}`, problem.CodeUnknownField, []string{"travellers[0].ssn"}},
		{"an unknown document member is named by its path", `{"travellers":[{"type":"ADT","givenName":"A","familyName":"B","dateOfBirth":"2000-01-01","document":{"type":"PASSPORT","number":"X1","issuingCountry":"GB","expiryDate":"` + testdate.YearsFrom(testdate.Today(), 5) + `","chip":"x"}}]}`, problem.CodeUnknownField, []string{"travellers[0].document.chip"}},
		{"a body that is not an object", `["givenName"]`, problem.CodeInvalidRequest, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("PATCH", "/api/v1/users/me", tok, "application/merge-patch+json", tt.body)
			require.Equal(t, http.StatusBadRequest, r.status, r.raw)
			require.Equal(t, tt.code, r.body["code"])
			require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
			require.Equal(t, tt.fields, fields(r), "got invalid fields, want")
		})
	}
	r := s.do("PATCH", "/api/v1/users/me", tok, "text/plain", `{"givenName":"Ada"}`)
	require.Equal(t, http.StatusUnsupportedMediaType, r.status)
	require.Equal(t, "unsupported_media_type", r.body["code"])

	r = s.do("GET", "/api/v1/users/me", tok, "", "")
	require.Equal(t, "", r.body["givenName"], "a refused patch changed the profile")
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

func (s *server) codeFor(phone string) string {
	s.t.Helper()
	r := s.do("GET", "/api/v1/dev/outbox?to="+phone+"&channel=sms&limit=1", "", "", "")
	require.Equal(s.t, http.StatusOK, r.status, r.raw)
	msgs := r.body["messages"].([]any)
	require.NotEmpty(s.t, msgs, "no SMS to %s in the outbox", phone)
	m := sixDigits.FindStringSubmatch(msgs[0].(map[string]any)["text"].(string))
	require.NotNil(s.t, m)
	return m[1]
}

func TestMobileVerification_CodeFromOutboxVerifiesThePhone(t *testing.T) {
	s := newServer(t, true, customer.DefaultLimits())
	tok := s.token("u1", "ada@example.com", authn.RoleCustomer)
	const phone = "+4915112345678"

	r := s.do("POST", "/api/v1/users/me/mobile/verify/request", tok, "application/json", `{"phone":"`+phone+`"}`)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	exp, err := time.Parse(time.RFC3339, r.body["expiresAt"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, s.clock.Now().Add(10*time.Minute), exp, time.Second)
	code := s.codeFor("%2B4915112345678")

	wrongCode := "000000"
	if code == wrongCode {
		wrongCode = "000001"
	}
	r = s.do("POST", "/api/v1/users/me/mobile/verify/confirm", tok, "application/json", `{"code":"`+wrongCode+`"}`)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Equal(t, "verification_code_invalid", r.body["code"])
	require.Equal(t, float64(4), r.body["attemptsLeft"])

	r = s.do("POST", "/api/v1/users/me/mobile/verify/confirm", tok, "application/json", `{"code":"12345"}`)
	require.Equal(t, http.StatusBadRequest, r.status, "a 5-digit code")
	require.Equal(t, []string{"code"}, fields(r))

	r = s.do("POST", "/api/v1/users/me/mobile/verify/confirm", tok, "application/json", `{"code":"`+code+`"}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Equal(t, true, r.body["phoneVerified"])
	require.Equal(t, phone, r.body["phone"])

	r = s.do("POST", "/api/v1/users/me/mobile/verify/confirm", tok, "application/json", `{"code":"`+code+`"}`)
	require.Equal(t, http.StatusConflict, r.status, "the same code twice")
	require.Equal(t, "verification_used", r.body["code"])

	r = s.do("POST", "/api/v1/users/me/mobile/verify/request", tok, "application/json", `{"phone":"`+phone+`"}`)
	require.Equal(t, http.StatusTooManyRequests, r.status, "a second code within a minute")
	require.Equal(t, "rate_limited", r.body["code"])
	require.Equal(t, "60", r.header.Get("Retry-After"))

	other := s.token("u2", "bob@example.com", authn.RoleCustomer)
	r = s.do("POST", "/api/v1/users/me/mobile/verify/confirm", other, "application/json", `{"code":"`+code+`"}`)
	require.Equal(t, http.StatusConflict, r.status, "another customer used the code")
	require.Equal(t, "verification_not_requested", r.body["code"])
}

func TestMobileVerification_ExpiredCode(t *testing.T) {
	s := newServer(t, true, customer.DefaultLimits())
	tok := s.token("u1", "", authn.RoleCustomer)
	r := s.do("POST", "/api/v1/users/me/mobile/verify/request", tok, "application/json", `{"phone":"+14155550123"}`)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	code := s.codeFor("%2B14155550123")
	s.clock.Advance(10*time.Minute + time.Second)
	r = s.do("POST", "/api/v1/users/me/mobile/verify/confirm", tok, "application/json", `{"code":"`+code+`"}`)
	require.Equal(t, http.StatusConflict, r.status)
	require.Equal(t, "verification_expired", r.body["code"])
}

func TestNotifications_RolesTemplatesAndIdempotency(t *testing.T) {
	s := newServer(t, true, customer.DefaultLimits())
	agent := s.token("agent-1", "agent@skyfly.dev", authn.RoleAgent)
	service := s.token("svc-booking", "", authn.RoleService)
	cust := s.token("u1", "ada@example.com", authn.RoleCustomer)

	body := `{"to":"ada@example.com","templateId":"booking_confirmed","data":{"pnr":"K7QX2M","givenName":"<i>Ada</i>"}}`
	r := s.do("POST", "/api/v1/notifications/email", "", "application/json", body)
	require.Equal(t, http.StatusUnauthorized, r.status)
	r = s.do("POST", "/api/v1/notifications/email", cust, "application/json", body)
	require.Equal(t, http.StatusForbidden, r.status, "a customer sent a notification")
	require.Equal(t, "forbidden", r.body["code"])

	r = s.do("POST", "/api/v1/notifications/email", agent, "application/json", body, "Idempotency-Key", "k-1")
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	require.Equal(t, "sent", r.body["status"])
	id := r.body["notificationId"].(string)
	require.NotEmpty(t, id)

	again := s.do("POST", "/api/v1/notifications/email", agent, "application/json", body, "Idempotency-Key", "k-1")
	require.Equal(t, http.StatusAccepted, again.status)
	require.Equal(t, id, again.body["notificationId"], "a replay sent a new message")
	require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	r = s.do("POST", "/api/v1/notifications/email", agent, "application/json", `{"to":"bob@example.com","templateId":"booking_confirmed","data":{"pnr":"K7QX2M"}}`, "Idempotency-Key", "k-1")
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "the same key with another body")
	require.Equal(t, "idempotency_conflict", r.body["code"])

	msgs := s.outbox.Messages(customerchannel.OutboxFilter{To: "ada@example.com"})
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0].HTML, "Hello &lt;i&gt;Ada&lt;/i&gt;,", "HTML data was not escaped")

	r = s.do("POST", "/api/v1/notifications/sms", service, "application/json", `{"to":"+4915112345678","templateId":"booking_held","data":{"pnr":"K7QX2M"},"language":"de"}`)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	sms := s.outbox.Messages(customerchannel.OutboxFilter{To: "+4915112345678"})
	require.Len(t, sms, 1)
	require.Contains(t, sms[0].Short, "Plätze für Buchung K7QX2M reserviert")
}

func TestNotifications_RefusalsAreProblems(t *testing.T) {
	s := newServer(t, true, customer.DefaultLimits())
	agent := s.token("agent-1", "agent@skyfly.dev", authn.RoleSupervisor)
	tests := []struct {
		name, channel, body string
		status              int
		code                string
	}{
		{"an unknown template", "email", `{"to":"a@example.com","templateId":"crypto_giveaway","data":{}}`, 422, "template_unknown"},
		{"missing template data", "email", `{"to":"a@example.com","templateId":"booking_confirmed","data":{}}`, 422, "template_data_missing"},
		{"a template on the wrong channel", "email", `{"to":"a@example.com","templateId":"phone_verification","data":{"code":"1","minutes":"1"}}`, 422, "template_channel_mismatch"},
		{"both userId and to", "email", `{"userId":"u1","to":"a@example.com","templateId":"booking_held","data":{"pnr":"X"}}`, 400, "invalid_request"},
		{"neither userId nor to", "email", `{"templateId":"booking_held","data":{"pnr":"X"}}`, 400, "invalid_request"},
		{"no template id", "email", `{"to":"a@example.com"}`, 400, "invalid_request"},
		{"an unknown user", "email", `{"userId":"ghost","templateId":"booking_held","data":{"pnr":"X"}}`, 404, "not_found"},
		{"a bad address", "sms", `{"to":"555-1234","templateId":"booking_held","data":{"pnr":"X"}}`, 400, "invalid_request"},
		{"an unsupported language", "email", `{"to":"a@example.com","templateId":"booking_held","data":{"pnr":"X"},"language":"fr"}`, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("POST", "/api/v1/notifications/"+tt.channel, agent, "application/json", tt.body)
			require.Equal(t, tt.status, r.status, r.raw)
			require.Equal(t, tt.code, r.body["code"])
		})
	}
	r := s.do("POST", "/api/v1/notifications/email", agent, "application/json", `{"to":"a@example.com","templateId":"booking_confirmed","data":{}}`)
	require.Equal(t, []string{"data.pnr"}, fields(r))
	require.Empty(t, s.outbox.Messages(customerchannel.OutboxFilter{}), "a refused request sent something")
}

func TestNotifications_RateLimitIs429(t *testing.T) {
	s := newServer(t, true, customer.Limits{PerRecipient: customer.Rate{Max: 2, Per: time.Hour}})
	agent := s.token("agent-1", "", authn.RoleAgent)
	body := `{"to":"a@example.com","templateId":"booking_held","data":{"pnr":"X"}}`
	for range 2 {
		r := s.do("POST", "/api/v1/notifications/email", agent, "application/json", body)
		require.Equal(t, http.StatusAccepted, r.status, r.raw)
	}
	r := s.do("POST", "/api/v1/notifications/email", agent, "application/json", body)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Equal(t, "rate_limited", r.body["code"])
	require.Equal(t, "per-recipient", r.body["limit"])
	require.Equal(t, "1800", r.header.Get("Retry-After"))
}

func TestNotifications_OptedOutUserIsSuppressed(t *testing.T) {
	s := newServer(t, true, customer.DefaultLimits())
	cust := s.token("u1", "ada@example.com", authn.RoleCustomer)
	r := s.do("PATCH", "/api/v1/users/me", cust, "application/merge-patch+json", `{"preferences":{"optOuts":["marketing"]}}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	agent := s.token("agent-1", "", authn.RoleAgent)
	r = s.do("POST", "/api/v1/notifications/email", agent, "application/json", `{"userId":"u1","templateId":"marketing_offer","data":{"headline":"Lisbon","body":"49 EUR"}}`)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	require.Equal(t, "suppressed", r.body["status"])
	r = s.do("POST", "/api/v1/notifications/email", agent, "application/json", `{"userId":"u1","templateId":"booking_cancelled","data":{"pnr":"K7QX2M"}}`)
	require.Equal(t, http.StatusAccepted, r.status, r.raw)
	require.Equal(t, "sent", r.body["status"], "a transactional message was suppressed")
}

func TestDevOutbox_OnlyInDevelopmentMode(t *testing.T) {
	s := newServer(t, false, customer.DefaultLimits())
	r := s.do("GET", "/api/v1/dev/outbox", "", "", "")
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, "not_found", r.body["code"])

	d := newServer(t, true, customer.DefaultLimits())
	r = d.do("GET", "/api/v1/dev/outbox?limit=0", "", "", "")
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Equal(t, []string{"limit"}, fields(r))
	r = d.do("GET", "/api/v1/dev/outbox", "", "", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, []any{}, r.body["messages"])
}
