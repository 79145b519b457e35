package inproc_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/inproc"
)

func TestTransport_ServesTheHandlerWithoutANetwork(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
		w.Header().Set("X-Late", "ignored")
		_, _ = io.WriteString(w, r.Host+" "+r.RemoteAddr)
	})
	// Nothing listens on this port: the answer can only come in process.
	c := &http.Client{Transport: &inproc.Transport{Handler: h, Host: "127.0.0.1:1"}}
	resp, err := c.Get("http://127.0.0.1:1/a/b?x=1")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusTeapot, resp.StatusCode)
	require.Equal(t, "/a/b", resp.Header.Get("X-Path"))
	require.Empty(t, resp.Header.Get("X-Late"), "headers set after the status are not sent")
	require.Equal(t, "127.0.0.1:1 127.0.0.1:0", string(b))

	_, err = c.Get("http://example.com/")
	require.Error(t, err, "a host the transport does not serve is refused")
}

func TestLate_AnswersUnavailableUntilSet(t *testing.T) {
	var late inproc.Late
	c := &http.Client{Transport: &inproc.Transport{Handler: &late}}
	resp, err := c.Get("http://auth.internal/x")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)

	late.Set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	resp, err = c.Get("http://auth.internal/x")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
}
