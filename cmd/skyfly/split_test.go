package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/internal/platform/mtls"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

// TestSplit_ServicesRunAloneBehindTheGateway runs the production shape on
// one machine: `skyfly certs init`, `skyfly migrate all`, `skyfly seed`,
// then the auth and flight services and the gateway as separate processes
// speaking mTLS to each other, and searches through the gateway's reverse
// proxy; a caller without a service certificate cannot reach a service.
func TestSplit_ServicesRunAloneBehindTheGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: -short")
	}
	tsrv := testenv.TemporalServer(t)
	bin, _ := buildSkyfly(t)

	gateway, authAddr, flightAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	tlsDir := filepath.Join(t.TempDir(), "tls")
	env := append(os.Environ(),
		"SKYFLY_DATA_DIR="+t.TempDir(),
		"SKYFLY_TLS_DIR="+tlsDir,
		"SKYFLY_DEV=true",
		"SKYFLY_LOG_LEVEL=warn",
		"SKYFLY_REDIS_URL=",
		"SKYFLY_TEMPORAL_ADDRESS="+tsrv.Address,
		"SKYFLY_GATEWAY_ADDR="+gateway,
		"SKYFLY_PUBLIC_URL=http://"+gateway,
		"SKYFLY_AUTH_URL=https://"+authAddr,
		"SKYFLY_FLIGHT_URL=https://"+flightAddr,
	)
	run := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "skyfly %v: %s", args, out)
		return string(out)
	}
	require.Contains(t, run("certs", "init"), "issued [gateway auth flight booking customer payment]")
	require.Contains(t, run("migrate", "all"), "flight: migrations applied")
	require.Contains(t, run("seed"), "flights: 56 airports")

	start := func(extra []string, args ...string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(env, extra...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		require.NoError(t, cmd.Start())
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_, _ = cmd.Process.Wait()
		})
	}
	start([]string{"SKYFLY_SERVICE_ADDR=" + authAddr}, "service", "auth")
	start([]string{"SKYFLY_SERVICE_ADDR=" + flightAddr}, "service", "flight")
	start(nil, "gateway")

	date := time.Now().UTC().AddDate(0, 0, 5).Format("2006-01-02")
	require.Eventually(t, func() bool {
		resp, err := http.Get(fmt.Sprintf("http://%s/api/v1/flights/search?origin=JFK&destination=LHR&date=%s&adults=1", gateway, date))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(b), `"flightNumber"`)
	}, 60*time.Second, 250*time.Millisecond, "search answers through the gateway's proxy")

	// The services refuse a caller without a SkyFly certificate: plain
	// HTTP, and TLS without a client certificate.
	plain, err := http.Get("http://" + flightAddr + "/api/v1/flights/search?origin=JFK&destination=LHR&date=" + date + "&adults=1")
	require.NoError(t, err)
	b, _ := io.ReadAll(plain.Body)
	plain.Body.Close()
	require.Equal(t, http.StatusBadRequest, plain.StatusCode, "plain HTTP to a service gets the TLS server's refusal")
	require.NotContains(t, string(b), "flightNumber")
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the outsider
	_, err = insecure.Get("https://" + flightAddr + "/api/v1/flights/search?origin=JFK")
	require.Error(t, err, "TLS without a client certificate is refused")
	id, err := mtls.Load(tlsDir, "gateway", nil)
	require.NoError(t, err)
	resp, err := (&http.Client{Transport: id.Transport()}).Get("https://" + flightAddr + "/readyz")
	require.NoError(t, err, "the gateway's certificate gets in")
	resp.Body.Close()

	// The auth service alone issues tokens the gateway accepts (once the
	// gateway has fetched the revocation list: until then user tokens are
	// refused, so the first call may be a 401 and changes nothing).
	tok := login(t, "http://"+gateway, "solo@example.com")
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest("POST", "http://"+gateway+"/api/v1/auth/logout", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNoContent
	}, 10*time.Second, 100*time.Millisecond, "logout through the gateway")

	// Service identity (issue #14): the gateway got the token it polls
	// revocations with from the auth service (logout above needed a fresh
	// list). The flight process authenticates with its certificate and gets
	// tokens for the auth service only, good nowhere else and not as staff.
	flightID, err := mtls.Load(tlsDir, "flight", nil)
	require.NoError(t, err)
	asFlight := &http.Client{Transport: flightID.Transport(), Timeout: 5 * time.Second}
	tokens := authapi.NewServiceTokenClient(authapi.ServiceTokenClientConfig{URL: "https://" + authAddr + authapi.ServiceTokenPath, Client: "flight", HTTPClient: asFlight})
	flightTok, err := tokens.Token(context.Background(), "auth")
	require.NoError(t, err, "flight's certificate gets it a token for the auth service")
	_, err = tokens.Token(context.Background(), "booking")
	require.ErrorContains(t, err, authapi.CodeInvalidTarget, "but none for the booking service")
	bearer := func(c *http.Client, method, url, tok string) int {
		req, err := http.NewRequest(method, url, strings.NewReader(`{"quoteId":"q"}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "split-identity")
		resp, err := c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	asGateway := &http.Client{Transport: id.Transport(), Timeout: 5 * time.Second}
	require.Equal(t, http.StatusUnauthorized, bearer(asGateway, "POST", "https://"+flightAddr+"/api/v1/inventory/hold", flightTok),
		"a token minted for the auth service is refused at the flight service's own edge")
	require.Equal(t, http.StatusForbidden, bearer(asGateway, "GET", "https://"+authAddr+"/api/v1/staff/accounts", flightTok),
		"flight's token cannot act as staff")
	require.Equal(t, http.StatusNotFound, bearer(http.DefaultClient, "POST", "http://"+gateway+authapi.ServiceTokenPath, ""),
		"the token endpoint is not reachable through the gateway, where every caller would be the gateway")
}
