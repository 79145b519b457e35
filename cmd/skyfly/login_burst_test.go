package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/auth"
)

// clientFrom is an HTTP client whose connections leave from the loopback
// address ip (127.0.0.0/8 is all local on Linux), so the gateway sees a
// distinct client per address.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

type loginAnswer struct {
	status    int
	header    http.Header
	body      []byte
	requestID string
}

func (a loginAnswer) code(t *testing.T) string {
	t.Helper()
	var p struct {
		Code string `json:"code"`
	}
	require.NoError(t, json.Unmarshal(a.body, &p), string(a.body))
	return p.Code
}

func call(t *testing.T, c *http.Client, method, u string, payload any) loginAnswer {
	t.Helper()
	var r io.Reader
	if payload != nil {
		b, err := json.Marshal(payload)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, r)
	require.NoError(t, err)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return loginAnswer{status: resp.StatusCode, header: resp.Header, body: b, requestID: resp.Header.Get("X-Request-Id")}
}

// customerLogin signs email in through the dev provider, following every
// redirect from c's address; it returns the final answer.
func customerLogin(c *http.Client, gateway, email string) (int, string, error) {
	resp, err := c.Get(gateway + "/api/v1/auth/public/google/start?login_hint=" + url.QueryEscape(email))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	var tok struct {
		AccessToken string `json:"accessToken"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &tok); err != nil {
			return resp.StatusCode, "", fmt.Errorf("%s: %w", b, err)
		}
		return resp.StatusCode, tok.AccessToken, nil
	}
	return resp.StatusCode, "", fmt.Errorf("%s %s", resp.Status, b)
}

// staffLogin runs the corp login (init, password, MFA challenge, TOTP) from
// c and returns the answer of the first step that did not succeed, or the
// token answer.
func staffLogin(t *testing.T, c *http.Client, gateway, email, password, totpSecret string) loginAnswer {
	t.Helper()
	a := call(t, c, http.MethodPost, gateway+"/api/v1/auth/corp/login/init", map[string]string{"email": email})
	if a.status != http.StatusOK {
		return a
	}
	var init struct {
		LoginID string `json:"loginId"`
	}
	require.NoError(t, json.Unmarshal(a.body, &init))
	a = call(t, c, http.MethodPost, gateway+"/api/v1/auth/corp/login/verify", map[string]string{"loginId": init.LoginID, "password": password})
	if a.status != http.StatusOK || totpSecret == "" {
		return a
	}
	var v struct {
		MFAToken string `json:"mfaToken"`
	}
	require.NoError(t, json.Unmarshal(a.body, &v))
	a = call(t, c, http.MethodPost, gateway+"/api/v1/auth/corp/mfa/challenge", map[string]string{"mfaToken": v.MFAToken, "method": "totp"})
	if a.status != http.StatusOK {
		return a
	}
	var ch struct {
		ChallengeID string `json:"challengeId"`
	}
	require.NoError(t, json.Unmarshal(a.body, &ch))
	code, err := auth.TOTPCode(totpSecret, time.Now())
	require.NoError(t, err)
	return call(t, c, http.MethodPost, gateway+"/api/v1/auth/corp/mfa/verify", map[string]string{"challengeId": ch.ChallengeID, "code": code})
}

// refusalCount reads skyfly_login_refusals_total{flow,reason} from /metrics.
func refusalCount(t *testing.T, gateway, flow, reason string) float64 {
	t.Helper()
	a := call(t, http.DefaultClient, http.MethodGet, gateway+"/metrics", nil)
	require.Equal(t, http.StatusOK, a.status)
	series := fmt.Sprintf(`skyfly_login_refusals_total{flow=%q,reason=%q} `, flow, reason)
	for _, l := range strings.Split(string(a.body), "\n") {
		if v, ok := strings.CutPrefix(l, series); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(t, err, l)
			return f
		}
	}
	return 0
}

// TestDev_17_LoginBurstOfDistinctCustomers is issue #17's acceptance on the
// real binary with the shipped rate limits: a burst of 100 customers from
// 100 addresses all get tokens within 10 s (the platform's own back-channel
// calls no longer share a loopback rate-limit bucket); one abusive address
// is throttled with 429 and Retry-After; a forged state is logged once at
// warn with its request id and counted; a staff agent throttled from one
// address still signs in from another, and another staff user is unaffected.
func TestDev_17_LoginBurstOfDistinctCustomers(t *testing.T) {
	d := startDev(t, "SKYFLY_RATE_LIMIT_RPS=") // the default limits
	gw := "http://" + d.gateway

	// 100 distinct customers in a burst, each from its own address.
	const customers = 100
	type result struct {
		status int
		token  string
		err    error
	}
	results := make([]result, customers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 25)
	start := time.Now()
	for i := range customers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c := clientFrom(fmt.Sprintf("127.0.3.%d", i+1))
			status, tok, err := customerLogin(c, gw, fmt.Sprintf("burst-%03d@example.com", i))
			results[i] = result{status, tok, err}
		}(i)
	}
	wg.Wait()
	took := time.Since(start)
	t.Logf("%d customer logins from %d addresses took %s", customers, customers, took.Round(time.Millisecond))
	failed := 0
	for i, r := range results {
		if r.status != http.StatusOK || r.token == "" {
			failed++
			if failed <= 5 {
				t.Errorf("customer %d: status %d: %v", i, r.status, r.err)
			}
		}
	}
	require.Zero(t, failed, "every customer of the burst gets tokens")
	require.Less(t, took, 10*time.Second, "the burst signs in within 10 s")
	require.Zero(t, refusalCount(t, gw, "customer", "identity_rejected"), "no login of the burst was refused")

	// One abusive address is throttled: 429 with Retry-After, not 401.
	abuser := clientFrom("127.0.5.1")
	var last loginAnswer
	for range 60 {
		last = call(t, abuser, http.MethodGet, gw+"/api/v1/auth/public/google/start?login_hint=abuser@example.com", nil)
		if last.status == http.StatusTooManyRequests {
			break
		}
	}
	require.Equal(t, http.StatusTooManyRequests, last.status, string(last.body))
	require.Equal(t, "application/problem+json", last.header.Get("Content-Type"))
	require.Equal(t, "rate_limited", last.code(t))
	ra, err := strconv.Atoi(last.header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After is whole seconds")
	require.GreaterOrEqual(t, ra, 1)
	require.GreaterOrEqual(t, refusalCount(t, gw, "customer", "throttled"), 1.0)
	status, _, err := customerLogin(clientFrom("127.0.5.2"), gw, "neighbour@example.com")
	require.Equal(t, http.StatusOK, status, "another address is not throttled: %v", err)

	// A forged state is refused, logged once at warn with its request id
	// and the reason, and counted.
	forged := call(t, clientFrom("127.0.6.1"), http.MethodGet, gw+"/api/v1/auth/public/google/callback?code=forged-code-value&state=forged-state-value", nil)
	require.Equal(t, http.StatusBadRequest, forged.status, string(forged.body))
	require.Equal(t, "invalid_state", forged.code(t))
	require.NotEmpty(t, forged.requestID)
	require.Eventually(t, func() bool {
		return strings.Contains(d.output.String(), "request_id="+forged.requestID)
	}, 5*time.Second, 50*time.Millisecond, "the refusal is logged")
	var lines []string
	for _, l := range strings.Split(d.output.String(), "\n") {
		if strings.Contains(l, "request_id="+forged.requestID) {
			lines = append(lines, l)
		}
	}
	require.Len(t, lines, 1, "logged once: %q", lines)
	for _, want := range []string{"level=WARN", `msg="login refused"`, "flow=customer", "reason=invalid_state"} {
		require.Contains(t, lines[0], want)
	}
	require.Equal(t, 1.0, refusalCount(t, gw, "customer", "invalid_state"))
	require.NotContains(t, d.output.String(), "forged-code-value", "codes are never logged")

	// Staff: the agent is throttled from one address, still signs in from
	// another, and the supervisor signing in from the throttled address is
	// unaffected.
	b, err := os.ReadFile(filepath.Join(d.dataDir, "demo-staff.json"))
	require.NoError(t, err)
	var creds map[string]demoCredential
	require.NoError(t, json.Unmarshal(b, &creds))
	agent, supervisor := creds["agent@skyfly.dev"], creds["supervisor@skyfly.dev"]
	require.NotEmpty(t, agent.Password)
	require.NotEmpty(t, supervisor.Password)

	office := clientFrom("127.0.7.1")
	var throttled loginAnswer
	for range 8 {
		throttled = staffLogin(t, office, gw, agent.Email, "not-the-password", "")
		if throttled.status == http.StatusTooManyRequests {
			break
		}
		require.Equal(t, http.StatusUnauthorized, throttled.status, string(throttled.body))
	}
	require.Equal(t, http.StatusTooManyRequests, throttled.status, "the guessed-at agent is throttled from that address: %s", throttled.body)
	require.Equal(t, "rate_limited", throttled.code(t))
	require.NotEmpty(t, throttled.header.Get("Retry-After"))
	require.GreaterOrEqual(t, refusalCount(t, gw, "staff", "throttled"), 1.0)
	require.GreaterOrEqual(t, refusalCount(t, gw, "staff", "invalid_credentials"), 1.0)

	a := staffLogin(t, clientFrom("127.0.7.2"), gw, agent.Email, agent.Password, agent.TOTPSecret)
	require.Equal(t, http.StatusOK, a.status, "the agent signs in from another address: %s", a.body)
	a = staffLogin(t, office, gw, supervisor.Email, supervisor.Password, supervisor.TOTPSecret)
	require.Equal(t, http.StatusOK, a.status, "another staff user is unaffected, even from the throttled address: %s", a.body)

	d.stop(t)
}
