// Package inproc provides an http.RoundTripper that serves requests with an
// http.Handler in the same process. `skyfly dev` uses it for the platform's
// own back-channel calls (OIDC code exchange, JWKS, revocation polling), so
// they never travel through the public gateway and never count against a
// client's rate limits.
package inproc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// Transport serves each request with Handler, in process. The request's
// host is not dialled; Transport only checks it against Host when Host is
// set, so a misrouted call fails loudly instead of reaching the wrong
// handler.
type Transport struct {
	// Handler serves the requests.
	Handler http.Handler
	// Host, when set, is the only host (host:port) this transport answers.
	Host string
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Handler == nil {
		return nil, errors.New("inproc: no handler")
	}
	if t.Host != "" && !strings.EqualFold(req.URL.Host, t.Host) {
		return nil, fmt.Errorf("inproc: %s %s: host %s is not served in process (want %s)", req.Method, req.URL.Redacted(), req.URL.Host, t.Host)
	}
	in := req.Clone(req.Context())
	in.RequestURI = in.URL.RequestURI()
	in.Host = req.URL.Host
	if in.RemoteAddr == "" {
		// Handlers that key on the peer (ClientIP) see loopback, as a
		// same-host call would.
		in.RemoteAddr = "127.0.0.1:0"
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	w := &recorder{header: http.Header{}}
	t.Handler.ServeHTTP(w, in)
	if in.Body != nil {
		_ = in.Body.Close()
	}
	w.WriteHeader(http.StatusOK) // a handler that wrote nothing answered 200
	status := w.status
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}

// recorder is the http.ResponseWriter a Transport hands its handler.
type recorder struct {
	header      http.Header
	sent        http.Header // header as it was when the status was written
	status      int
	body        bytes.Buffer
	wroteHeader bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.wroteHeader {
		return
	}
	r.wroteHeader, r.status = true, status
	r.sent = r.header.Clone()
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// Late is an http.Handler whose handler is set after construction (the
// gateway's verifier is built before the auth service it reads). Until Set
// it answers 503.
type Late struct {
	h atomic.Pointer[http.Handler]
}

// Set makes h serve every later request.
func (l *Late) Set(h http.Handler) { l.h.Store(&h) }

// ServeHTTP implements http.Handler.
func (l *Late) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := l.h.Load()
	if h == nil {
		http.Error(w, "inproc: handler not ready", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}
