package mtls_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/mtls"
)

// server starts an HTTPS server as identity name admitting allowed peers;
// it answers the caller's service name.
func server(t *testing.T, dir, name string, allowed ...string) *httptest.Server {
	t.Helper()
	id, err := mtls.Load(dir, name, nil)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = id.ServerConfig(allowed...)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func client(t *testing.T, dir, name string) *http.Client {
	t.Helper()
	id, err := mtls.Load(dir, name, nil)
	require.NoError(t, err)
	tr := id.Transport()
	tr.DisableKeepAlives = true // every call is a new handshake
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestMTLS_OnlyAllowedPeersWithACertificateOfTheCA(t *testing.T) {
	dir := t.TempDir()
	issued, err := mtls.Init(dir, time.Now(), mtls.Services...)
	require.NoError(t, err)
	require.ElementsMatch(t, mtls.Services, issued)
	again, err := mtls.Init(dir, time.Now(), mtls.Services...)
	require.NoError(t, err)
	require.Empty(t, again, "fresh certificates are kept")

	flight := server(t, dir, "flight", "gateway", "booking")
	who, err := get(client(t, dir, "gateway"), flight.URL)
	require.NoError(t, err)
	require.Equal(t, "gateway", who)

	_, err = get(client(t, dir, "customer"), flight.URL)
	require.Error(t, err, "a SkyFly service that is not an allowed peer is refused")

	_, err = get(&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}, flight.URL) //nolint:gosec // the attacker's client
	require.Error(t, err, "a client without a certificate is refused")

	other := t.TempDir()
	_, err = mtls.Init(other, time.Now(), "gateway")
	require.NoError(t, err)
	_, err = get(client(t, other, "gateway"), flight.URL)
	require.Error(t, err, "a certificate of another CA is refused, whatever it names")
}

func TestMTLS_RotationWithoutRestart(t *testing.T) {
	dir := t.TempDir()
	_, err := mtls.Init(dir, time.Now(), "gateway", "flight")
	require.NoError(t, err)
	flight := server(t, dir, "flight")
	c := client(t, dir, "gateway")
	_, err = get(c, flight.URL)
	require.NoError(t, err)
	serialOf := func() string {
		resp, err := c.Get(flight.URL)
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.String()
	}
	before := serialOf()

	ca, key, err := mtls.LoadCA(dir)
	require.NoError(t, err)
	require.NoError(t, mtls.Issue(dir, "flight", ca, key, time.Now(), time.Hour))
	// the identity looks at its files at most once a second
	var after atomic.Value
	require.Eventually(t, func() bool { s := serialOf(); after.Store(s); return s != before }, 5*time.Second, 100*time.Millisecond,
		"the running server presents its new certificate")

	// An expired client certificate is refused.
	require.NoError(t, mtls.Issue(dir, "gateway", ca, key, time.Now().Add(-2*time.Hour), time.Hour))
	require.Eventually(t, func() bool { _, err := get(client(t, dir, "gateway"), flight.URL); return err != nil }, 5*time.Second, 100*time.Millisecond)
	_, err = os.Stat(filepath.Join(dir, "ca-key.pem"))
	require.NoError(t, err)
}
