package codec

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

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
	// Namespaces, when set, are the only X-Namespace values served.
	Namespaces []string
	// MaxBodyBytes bounds a request body (default 8 MiB).
	MaxBodyBytes int64
	// Logger records refused requests (default: discarded).
	Logger *slog.Logger
}

// Server serves the Temporal codec server protocol: POST .../encode and
// POST .../decode with a JSON {"payloads":[...]} body, behind a bearer token
// and CORS for the UI's origin. It answers GET /healthz without a token.
type Server struct {
	codec      http.Handler
	tokenHash  [sha256.Size]byte
	origin     string
	namespaces map[string]bool
	maxBody    int64
	log        *slog.Logger
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
		codec:     converter.NewPayloadCodecHTTPHandler(codecs...),
		tokenHash: sha256.Sum256([]byte(cfg.Token)),
		origin:    strings.TrimSuffix(cfg.AllowedOrigin, "/"),
		maxBody:   cfg.MaxBodyBytes,
		log:       cfg.Logger,
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
	if ns := r.Header.Get(NamespaceHeader); s.namespaces != nil && !s.namespaces[ns] {
		s.problem(w, r, problem.Newf(http.StatusForbidden, problem.CodeForbidden, "namespace %q is not served here", ns))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	s.codec.ServeHTTP(w, r)
}

// authorized compares the bearer token in constant time: hashing both sides
// first also hides the expected token's length.
func (s *Server) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], s.tokenHash[:]) == 1
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
