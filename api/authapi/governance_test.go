package authapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/services/auth"
)

// do sends a JSON request (payload nil: no body).
func (e *env) do(method, path, bearer string, payload any) *http.Response {
	e.t.Helper()
	var body *strings.Reader
	if payload == nil {
		body = strings.NewReader("")
	} else {
		b, err := json.Marshal(payload)
		require.NoError(e.t, err)
		body = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.browser.Do(req)
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// staffLogin signs a staff member in over HTTP with password and code (a
// TOTP or a recovery code) and returns the verify answer.
func (e *env) staffLogin(email, password, code string) *http.Response {
	e.t.Helper()
	resp := e.post(authapi.Prefix+"/corp/login/init", "", map[string]string{"email": email})
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	loginID := decode[struct {
		LoginID string `json:"loginId"`
	}](e.t, resp).LoginID
	resp = e.post(authapi.Prefix+"/corp/login/verify", "", map[string]string{"loginId": loginID, "password": password})
	if resp.StatusCode != http.StatusOK {
		return resp
	}
	mfa := decode[struct {
		MFAToken string `json:"mfaToken"`
	}](e.t, resp).MFAToken
	resp = e.post(authapi.Prefix+"/corp/mfa/challenge", "", map[string]string{"mfaToken": mfa, "method": "totp"})
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	ch := decode[struct {
		ChallengeID string `json:"challengeId"`
	}](e.t, resp).ChallengeID
	return e.post(authapi.Prefix+"/corp/mfa/verify", "", map[string]string{"challengeId": ch, "code": code})
}

// staffToken creates a staff account and signs it in with its first
// recovery code (so TOTP steps stay free for the test).
func (e *env) staffToken(email, role string) (auth.StaffEnrollment, string) {
	e.t.Helper()
	enr, err := e.svc.CreateStaff(context.Background(), email, role, "")
	require.NoError(e.t, err)
	resp := e.staffLogin(email, enr.Password, enr.RecoveryCodes[0])
	return enr, expect[tokenBody](e.t, resp, http.StatusOK).AccessToken
}

type accountBody struct {
	ID                string   `json:"id"`
	Email             string   `json:"email"`
	Roles             []string `json:"roles"`
	Disabled          bool     `json:"disabled"`
	RecoveryCodesLeft int      `json:"recoveryCodesLeft"`
}

type enrollmentBody struct {
	Account       accountBody `json:"account"`
	Password      string      `json:"password"`
	TOTPSecret    string      `json:"totpSecret"`
	TOTPURI       string      `json:"totpUri"`
	RecoveryCodes []string    `json:"recoveryCodes"`
}

// expect requires status and decodes the body (shown when the status is
// wrong).
func expect[T any](t *testing.T, resp *http.Response, status int) T {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, status, resp.StatusCode, "body: %s", b)
	var v T
	require.NoError(t, json.Unmarshal(b, &v), "body: %s", b)
	return v
}

// refused requires a problem with status and code.
func refused(t *testing.T, resp *http.Response, status int, code, what string) {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, "%s: %s", what, "status")
	require.Equal(t, code, problemCode(t, resp), what)
}

func TestStaffAccounts_AdminManagesAccountsOverHTTP(t *testing.T) {
	e := newEnv(t, envOptions{})
	admin, tok := e.staffToken("admin@skyfly.test", auth.RoleAdmin)
	accounts := authapi.StaffAccountsPath

	resp := e.do("POST", accounts, tok, map[string]string{"email": "new@skyfly.test", "role": "agent", "reason": "hired"})
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	created := expect[enrollmentBody](t, resp, http.StatusCreated)
	require.Equal(t, "new@skyfly.test", created.Account.Email)
	require.Equal(t, []string{"agent"}, created.Account.Roles)
	require.Contains(t, created.TOTPURI, "otpauth://totp/SkyFly:new@skyfly.test")
	require.NotEmpty(t, created.TOTPSecret)
	require.NotEmpty(t, created.Password)
	require.Len(t, created.RecoveryCodes, auth.RecoveryCodeCount)

	refused(t, e.do("POST", accounts, tok, map[string]string{"email": "new@skyfly.test", "role": "agent"}), 409, problem.CodeConflict, "the same email twice")
	refused(t, e.do("POST", accounts, tok, map[string]string{"email": "x@skyfly.test", "role": "pilot"}), 400, problem.CodeInvalidRequest, "an unknown role")
	refused(t, e.do("POST", accounts, tok, map[string]string{"email": "not-an-email", "role": "agent"}), 400, problem.CodeInvalidRequest, "a bad email")

	resp = e.do("GET", accounts, tok, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	list := decode[struct {
		Accounts []accountBody `json:"accounts"`
	}](t, resp).Accounts
	require.Len(t, list, 2)
	require.Equal(t, "admin@skyfly.test", list[0].Email)
	require.Equal(t, auth.RecoveryCodeCount-1, list[0].RecoveryCodesLeft, "the admin spent one code to sign in")

	// The new agent signs in with one of the codes handed over.
	resp = e.staffLogin(created.Account.Email, created.Password, created.RecoveryCodes[0])
	agentTok := expect[tokenBody](t, resp, http.StatusOK).AccessToken
	refused(t, e.do("GET", accounts, agentTok, nil), 403, problem.CodeForbidden, "an agent lists accounts")
	refused(t, e.do("GET", accounts, "", nil), 401, problem.CodeUnauthorized, "without a token")

	one := accounts + "/" + created.Account.ID
	refused(t, e.do("PATCH", one, tok, map[string]any{"role": "supervisor"}), 400, problem.CodeInvalidRequest, "a role change without a reason")
	refused(t, e.do("PATCH", one, tok, map[string]any{"disabled": true}), 400, problem.CodeInvalidRequest, "disabling without a reason")
	refused(t, e.do("PATCH", one, tok, map[string]any{"role": "pilot", "reason": "x"}), 400, problem.CodeInvalidRequest, "an unknown role")
	refused(t, e.do("PATCH", one, tok, map[string]any{"reason": "x"}), 400, problem.CodeInvalidRequest, "nothing to change")
	refused(t, e.do("PATCH", accounts+"/nobody", tok, map[string]any{"disabled": true, "reason": "x"}), 404, problem.CodeNotFound, "an unknown account")
	refused(t, e.do("PATCH", accounts+"/"+admin.User.ID, tok, map[string]any{"disabled": true, "reason": "x"}), 409, authapi.CodeSelfLockout, "disable oneself")
	refused(t, e.do("PATCH", accounts+"/"+admin.User.ID, tok, map[string]any{"role": "agent", "reason": "x"}), 409, authapi.CodeSelfLockout, "demote oneself")

	resp = e.do("PATCH", one, tok, map[string]any{"role": "supervisor", "reason": "promoted"})
	require.Equal(t, []string{"supervisor"}, expect[accountBody](t, resp, http.StatusOK).Roles)
	refused(t, e.do("GET", authapi.Prefix+"/corp/recovery-codes", agentTok, nil), 401, problem.CodeUnauthorized, "a token with the old role")

	resp = e.staffLogin(created.Account.Email, created.Password, created.RecoveryCodes[1])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	agentTok = decode[tokenBody](t, resp).AccessToken
	resp = e.do("PATCH", one, tok, map[string]any{"disabled": true, "reason": "left the company"})
	require.True(t, expect[accountBody](t, resp, http.StatusOK).Disabled)
	refused(t, e.do("GET", authapi.Prefix+"/corp/recovery-codes", agentTok, nil), 401, problem.CodeUnauthorized, "a disabled account's token at once")
	refused(t, e.staffLogin(created.Account.Email, created.Password, created.RecoveryCodes[2]), 401, authapi.CodeInvalidCredentials, "a disabled account's login")

	resp = e.do("PATCH", one, tok, map[string]any{"disabled": false})
	require.False(t, expect[accountBody](t, resp, http.StatusOK).Disabled, "enabling needs no reason")
	require.Equal(t, http.StatusOK, e.staffLogin(created.Account.Email, created.Password, created.RecoveryCodes[2]).StatusCode)
}

func TestStaffAccounts_LastAdminStaysWhenTwoDisableEachOther(t *testing.T) {
	e := newEnv(t, envOptions{})
	a, aTok := e.staffToken("a@skyfly.test", auth.RoleAdmin)
	b, bTok := e.staffToken("b@skyfly.test", auth.RoleAdmin)
	resps := make([]*http.Response, 2)
	var wg sync.WaitGroup
	for i, call := range []struct{ tok, target string }{{aTok, b.User.ID}, {bTok, a.User.ID}} {
		wg.Go(func() {
			resps[i] = e.do("PATCH", authapi.StaffAccountsPath+"/"+call.target, call.tok, map[string]any{"disabled": true, "reason": "coup"})
		})
	}
	wg.Wait()
	var ok, last int
	for _, r := range resps {
		switch r.StatusCode {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			require.Equal(t, authapi.CodeLastAdmin, problemCode(t, r))
			last++
		case http.StatusUnauthorized:
			last++ // the winner disabled the loser first: its token is revoked
		default:
			t.Errorf("unexpected %d: %s", r.StatusCode, body(r))
		}
	}
	require.Equal(t, 1, ok, "exactly one admin is disabled")
	require.Equal(t, 1, last)
}

// clock is a settable clock for the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func TestMFAReset_TwoPersonRuleOverHTTP(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newEnv(t, envOptions{now: clk.Now, mfaResetTTL: time.Minute})
	_, aTok := e.staffToken("a@skyfly.test", auth.RoleAdmin)
	_, bTok := e.staffToken("b@skyfly.test", auth.RoleAdmin)
	c, cTok := e.staffToken("c@skyfly.test", auth.RoleAgent)
	reset := authapi.StaffAccountsPath + "/" + c.User.ID + "/mfa-reset"
	approve := func(id string) string { return authapi.StaffAccountsPath + "/mfa-reset/" + id + "/approve" }

	refused(t, e.do("POST", reset, aTok, map[string]string{}), 400, problem.CodeInvalidRequest, "a reset without a reason")
	refused(t, e.do("POST", authapi.StaffAccountsPath+"/nobody/mfa-reset", aTok, map[string]string{"reason": "x"}), 404, problem.CodeNotFound, "an unknown account")
	refused(t, e.do("POST", reset, cTok, map[string]string{"reason": "x"}), 403, problem.CodeForbidden, "an agent")
	resp := e.do("POST", reset, aTok, map[string]string{"reason": "lost phone"})
	req := expect[struct {
		RequestID string `json:"requestId"`
		AccountID string `json:"accountId"`
		Status    string `json:"status"`
	}](t, resp, http.StatusAccepted)
	require.Equal(t, c.User.ID, req.AccountID)
	require.Equal(t, "pending", req.Status)

	refused(t, e.do("POST", approve(req.RequestID), aTok, nil), 403, authapi.CodeSelfApproval, "the requester approves")
	refused(t, e.do("POST", approve("nope"), bTok, nil), 404, problem.CodeNotFound, "an unknown request")
	resp = e.do("POST", approve(req.RequestID), bTok, nil)
	got := expect[enrollmentBody](t, resp, http.StatusOK)
	require.NotEqual(t, c.TOTPSecret, got.TOTPSecret)
	require.Empty(t, got.Password, "a reset hands over no password")
	require.Len(t, got.RecoveryCodes, auth.RecoveryCodeCount)
	refused(t, e.do("POST", approve(req.RequestID), bTok, nil), 409, authapi.CodeMFAResetUsed, "approved twice")
	refused(t, e.do("GET", authapi.Prefix+"/corp/recovery-codes", cTok, nil), 401, problem.CodeUnauthorized, "the reset account's old session")
	refused(t, e.staffLogin(c.User.Email, c.Password, c.RecoveryCodes[1]), 401, authapi.CodeInvalidCode, "an old recovery code")
	require.Equal(t, http.StatusOK, e.staffLogin(c.User.Email, c.Password, got.RecoveryCodes[0]).StatusCode, "a new one")

	resp = e.do("POST", reset, aTok, map[string]string{"reason": "lost it again"})
	late := expect[struct {
		RequestID string `json:"requestId"`
	}](t, resp, http.StatusAccepted).RequestID
	clk.Add(2 * time.Minute)
	refused(t, e.do("POST", approve(late), bTok, nil), 409, authapi.CodeMFAResetExpired, "approved after its expiry")
}

func TestRecoveryCodes_OwnerSeesAndRegeneratesOverHTTP(t *testing.T) {
	e := newEnv(t, envOptions{dev: true})
	enr, tok := e.staffToken("agent@skyfly.test", auth.RoleAgent)
	codes := authapi.Prefix + "/corp/recovery-codes"
	left := func(tok string) int {
		resp := e.do("GET", codes, tok, nil)
		return expect[struct {
			Remaining int `json:"remaining"`
		}](t, resp, http.StatusOK).Remaining
	}
	require.Equal(t, auth.RecoveryCodeCount-1, left(tok))
	refused(t, e.staffLogin(enr.User.Email, enr.Password, enr.RecoveryCodes[0]), 401, authapi.CodeInvalidCode, "a recovery code twice")
	require.Equal(t, auth.RecoveryCodeCount-1, left(tok), "a failed reuse spends nothing")

	resp := e.do("POST", codes, tok, nil)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	fresh := expect[struct {
		Remaining     int      `json:"remaining"`
		RecoveryCodes []string `json:"recoveryCodes"`
	}](t, resp, http.StatusOK)
	require.Len(t, fresh.RecoveryCodes, auth.RecoveryCodeCount)
	require.Equal(t, auth.RecoveryCodeCount, left(tok))
	refused(t, e.staffLogin(enr.User.Email, enr.Password, enr.RecoveryCodes[1]), 401, authapi.CodeInvalidCode, "an old code after regeneration")
	require.Equal(t, http.StatusOK, e.staffLogin(enr.User.Email, enr.Password, fresh.RecoveryCodes[1]).StatusCode)

	cust := e.customer("ada@example.com")
	refused(t, e.do("GET", codes, cust.AccessToken, nil), 403, problem.CodeForbidden, "a customer")
	refused(t, e.do("POST", codes, cust.AccessToken, nil), 403, problem.CodeForbidden, "a customer")
}
