package codec

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/converter"

	"github.com/skyfly/skyfly/api/problem"
)

// NamespaceHeader is the header the Temporal UI and CLI send with the
// namespace whose payloads they want encoded or decoded.
const NamespaceHeader = "X-Namespace"

// ServerConfig configures the codec server.
type ServerConfig struct {
	// Token is the bearer token operators present. Required.
	Token string
	// AllowedOrigin is the Temporal UI origin (e.g. http://127.0.0.1:8233)
	// allowed to call from a browser; empty disables CORS.
	AllowedOrigin string
	// Namespaces, when set, are the only X-Namespace values served (a
	// request without the header is served too).
	Namespaces []string
	// MaxBodyBytes bounds a request body (default 8 MiB).
	MaxBodyBytes int64
	// Logger records refused requests (default: discarded).
	Logger *slog.Logger
	// SessionTTL is the lifetime of a browser session cookie (default 12h).
	SessionTTL time.Duration
	// Now is the clock of session cookies (default time.Now).
	Now func() time.Time
}

// SessionCookie is the cookie a browser session carries. The Temporal UI
// can send cookies to the codec endpoint (TEMPORAL_CODEC_INCLUDE_CREDENTIALS)
// but cannot add an Authorization header of its own, so an operator opens
// /session once, enters the token, and the UI's requests carry the cookie.
const SessionCookie = "skyfly_codec_session"

// Server serves the Temporal codec server protocol: POST .../encode and
// POST .../decode with a JSON {"payloads":[...]} body, behind a bearer token
// (or a session cookie obtained with it at /session) and CORS for the UI's
// origin. It answers GET /healthz without a token.
type Server struct {
	codec      http.Handler
	tokenHash  [sha256.Size]byte
	origin     string
	namespaces map[string]bool
	maxBody    int64
	log        *slog.Logger
	sessionTTL time.Duration
	now        func() time.Time
}

// NewServer returns the codec server over codecs (applied in order on
// encode, in reverse on decode, as converter.NewCodecDataConverter does).
func NewServer(cfg ServerConfig, codecs ...converter.PayloadCodec) (*Server, error) {
	if cfg.Token == "" {
		return nil, errors.New("codec server: empty token")
	}
	if len(codecs) == 0 {
		return nil, errors.New("codec server: no codec")
	}
	s := &Server{
		codec:      converter.NewPayloadCodecHTTPHandler(codecs...),
		tokenHash:  sha256.Sum256([]byte(cfg.Token)),
		origin:     strings.TrimSuffix(cfg.AllowedOrigin, "/"),
		maxBody:    cfg.MaxBodyBytes,
		log:        cfg.Logger,
		sessionTTL: cfg.SessionTTL,
		now:        cfg.Now,
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = 12 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = 8 << 20
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Namespaces) > 0 {
		s.namespaces = map[string]bool{}
		for _, ns := range cfg.Namespaces {
			s.namespaces[ns] = true
		}
	}
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
		return
	}
	if r.URL.Path == "/session" {
		s.session(w, r)
		return
	}
	isCodecPath := strings.HasSuffix(r.URL.Path, "/encode") || strings.HasSuffix(r.URL.Path, "/decode")
	if !isCodecPath {
		s.problem(w, r, problem.New(http.StatusNotFound, problem.CodeNotFound, "the codec server serves /encode and /decode"))
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if s.origin == "" || origin != s.origin {
			s.problem(w, r, problem.New(http.StatusForbidden, problem.CodeForbidden, "origin not allowed"))
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", s.origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
	}
	switch r.Method {
	case http.MethodOptions:
		// A preflight carries no credentials; it only learns what the
		// real request may send.
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, "+NamespaceHeader)
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "POST, OPTIONS")
		s.problem(w, r, problem.New(http.StatusMethodNotAllowed, problem.CodeMethodNotAllowed, "use POST"))
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="skyfly-codec"`)
		s.problem(w, r, problem.New(http.StatusUnauthorized, problem.CodeUnauthorized, "a valid bearer token is required"))
		return
	}
	// The namespace check catches a UI pointed at the wrong codec server; it
	// is not a security boundary (the token is), so clients that send no
	// X-Namespace are served.
	if ns := r.Header.Get(NamespaceHeader); ns != "" && s.namespaces != nil && !s.namespaces[ns] {
		s.problem(w, r, problem.Newf(http.StatusForbidden, problem.CodeForbidden, "namespace %q is not served here", ns))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	s.codec.ServeHTTP(w, r)
}

// authorized accepts the bearer token or a valid session cookie.
func (s *Server) authorized(r *http.Request) bool {
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return s.tokenMatches(strings.TrimSpace(token))
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return s.sessionValid(c.Value)
	}
	return false
}

// tokenMatches compares in constant time: hashing both sides first also
// hides the expected token's length.
func (s *Server) tokenMatches(token string) bool {
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], s.tokenHash[:]) == 1
}

// sessionValue is "<expiry unix>.<hex HMAC-SHA256(token hash, expiry)>": it
// proves knowledge of the token without containing it, and expires.
func (s *Server) sessionValue(expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + hex.EncodeToString(s.sessionMAC(exp))
}

func (s *Server) sessionMAC(exp string) []byte {
	m := hmac.New(sha256.New, s.tokenHash[:])
	m.Write([]byte("skyfly-codec-session:" + exp))
	return m.Sum(nil)
}

func (s *Server) sessionValid(v string) bool {
	exp, mac, ok := strings.Cut(v, ".")
	if !ok {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !s.now().Before(time.Unix(unix, 0)) {
		return false
	}
	got, err := hex.DecodeString(mac)
	return err == nil && hmac.Equal(got, s.sessionMAC(exp))
}

var sessionPage = template.Must(template.New("session").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SkyFly codec server</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>SkyFly codec server</h1>
{{if .OK}}<p>Signed in until {{.Until}}. The Temporal UI can now decode payloads
(its codec endpoint must send credentials).</p>
{{else}}<p>Enter the codec token (SKYFLY_CODEC_TOKEN) to let this browser decode
workflow payloads in the Temporal UI.</p>
{{if .Failed}}<p style="color: #b00">That token is not valid.</p>{{end}}
<form method="post" action="/session"><input type="password" name="token" autocomplete="off" autofocus size="50">
<button type="submit">Sign in</button></form>{{end}}
</body></html>`))

// session serves the sign-in form (GET) and exchanges the token for a
// session cookie (POST, form field "token").
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	type page struct {
		OK, Failed bool
		Until      string
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch r.Method {
	case http.MethodGet:
		_ = sessionPage.Execute(w, page{})
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if err := r.ParseForm(); err != nil || !s.tokenMatches(r.PostForm.Get("token")) {
			s.log.Info("codec server refused a session", "remote", r.RemoteAddr)
			w.WriteHeader(http.StatusUnauthorized)
			_ = sessionPage.Execute(w, page{Failed: true})
			return
		}
		expires := s.now().Add(s.sessionTTL)
		http.SetCookie(w, &http.Cookie{
			Name:     SessionCookie,
			Value:    s.sessionValue(expires),
			Path:     "/",
			Expires:  expires,
			HttpOnly: true,
			Secure:   r.TLS != nil,
			// The UI and the codec server are the same site (ports do
			// not count), so Strict still lets the UI's fetches send it.
			SameSite: http.SameSiteStrictMode,
		})
		_ = sessionPage.Execute(w, page{OK: true, Until: expires.UTC().Format(time.RFC1123)})
	default:
		w.Header().Set("Allow", "GET, POST")
		s.problem(w, r, problem.New(http.StatusMethodNotAllowed, problem.CodeMethodNotAllowed, "use GET or POST"))
	}
}

func (s *Server) problem(w http.ResponseWriter, r *http.Request, p *problem.Problem) {
	s.log.Info("codec server refused a request", "method", r.Method, "path", r.URL.Path, "status", p.Status, "code", p.Code, "remote", r.RemoteAddr)
	p.Instance = r.URL.Path
	p.RequestID = r.Header.Get(problem.RequestIDHeader)
	body, err := json.Marshal(p)
	if err != nil {
		http.Error(w, p.Detail, p.Status)
		return
	}
	w.Header().Set("Content-Type", problem.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}
