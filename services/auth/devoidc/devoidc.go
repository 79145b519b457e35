// Package devoidc is the development OpenID Provider that stands in for
// Google in `skyfly dev`. It is built on zitadel/oidc's op package (discovery,
// authorization with PKCE, code exchange, ID-token signing, JWKS) over a
// small in-memory storage. Its login page signs any email in; with
// login_hint=<email> it signs that user in without a form. It must only be
// mounted in development mode.
package devoidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/skyfly/skyfly/internal/platform/inproc"
)

// Config configures the provider.
type Config struct {
	// Issuer is the provider's public URL, e.g.
	// http://127.0.0.1:8080/api/v1/auth/dev-oidc. Requests reach the
	// handler with the issuer's path prefix stripped.
	Issuer string
	// ClientID and ClientSecret of the one registered client (SkyFly).
	ClientID, ClientSecret string
	// RedirectURIs the client may use.
	RedirectURIs []string
	// Log receives request errors; nil discards.
	Log *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// Provider is the development OpenID Provider, an http.Handler.
type Provider struct {
	cfg      Config
	op       *op.Provider
	storage  *storage
	mux      *http.ServeMux
	callback func(context.Context, string) string
}

// New builds a provider with a fresh RSA signing key.
func New(cfg Config) (*Provider, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("devoidc: issuer, client id and client secret are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if u, err := url.Parse(cfg.Issuer); err != nil || u.Host == "" {
		return nil, fmt.Errorf("devoidc: issuer %q is not an absolute URL", cfg.Issuer)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("devoidc: signing key: %w", err)
	}
	st := &storage{
		cfg:      cfg,
		key:      key,
		keyID:    uuid.NewString(),
		requests: map[string]*authRequest{},
		codes:    map[string]string{},
		tokens:   map[string]token{},
		users:    map[string]string{},
	}
	var crypto [32]byte
	if _, err := rand.Read(crypto[:]); err != nil {
		return nil, fmt.Errorf("devoidc: crypto key: %w", err)
	}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:          crypto,
		CodeMethodS256:     true,
		AuthMethodPost:     true,
		SupportedUILocales: []language.Tag{language.English},
	}, st, op.StaticIssuer(cfg.Issuer), op.WithAllowInsecure(), op.WithLogger(cfg.Log))
	if err != nil {
		return nil, fmt.Errorf("devoidc: provider: %w", err)
	}
	p := &Provider{cfg: cfg, op: provider, storage: st, mux: http.NewServeMux(), callback: op.AuthCallbackURL(provider)}
	p.mux.HandleFunc("GET /login", p.loginPage)
	p.mux.HandleFunc("POST /login", p.loginSubmit)
	p.mux.Handle("/", provider)
	return p, nil
}

// ServeHTTP serves the provider (paths relative to the issuer).
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// Client returns an HTTP client for the relying party's back channel
// (discovery, code exchange, JWKS) that serves the provider in process:
// requests under the issuer URL never reach the network, so they neither
// depend on the gateway being up nor count against its per-IP rate limits
// (issue #17). Requests to any other URL fail.
func (p *Provider) Client() *http.Client {
	u, err := url.Parse(p.cfg.Issuer)
	if err != nil { // New accepted the issuer; a URL that does not parse serves nothing
		u = &url.URL{}
	}
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &inproc.Transport{Host: u.Host, Handler: http.StripPrefix(u.Path, p)},
	}
}

// SubjectFor is the stable subject the provider gives an email address.
func SubjectFor(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "dev-" + hex.EncodeToString(sum[:12])
}

var loginForm = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SkyFly development sign-in</title></head>
<body><h1>SkyFly development identity provider</h1>
<p>Development only: any email address signs in, no password.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<label>Email <input type="email" name="email" required autofocus></label>
<button type="submit">Sign in</button></form></body></html>`))

func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	req, ok := p.storage.request(id)
	if !ok {
		http.Error(w, "unknown or finished authorization request", http.StatusBadRequest)
		return
	}
	if req.loginHint != "" {
		p.complete(w, r, id, req.loginHint)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := loginForm.Execute(w, map[string]string{"ID": id, "Action": p.cfg.Issuer + "/login"}); err != nil {
		p.cfg.Log.ErrorContext(r.Context(), "devoidc: render login", "err", err)
	}
}

func (p *Provider) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p.complete(w, r, r.PostForm.Get("authRequestID"), r.PostForm.Get("email"))
}

func (p *Provider) complete(w http.ResponseWriter, r *http.Request, id, email string) {
	addr, err := mail.ParseAddress(email)
	if err != nil {
		http.Error(w, "login_hint or email must be an email address", http.StatusBadRequest)
		return
	}
	if err := p.storage.signIn(id, strings.ToLower(addr.Address)); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx := op.ContextWithIssuer(r.Context(), p.cfg.Issuer)
	http.Redirect(w, r, p.callback(ctx, id), http.StatusFound)
}

// --- storage -----------------------------------------------------------------

type token struct {
	subject   string
	clientID  string
	scopes    []string
	expiresAt time.Time
}

type storage struct {
	cfg   Config
	key   *rsa.PrivateKey
	keyID string

	mu       sync.Mutex
	requests map[string]*authRequest
	codes    map[string]string // code -> request id
	tokens   map[string]token
	users    map[string]string // subject -> email
}

var _ op.Storage = (*storage)(nil)

var errNotFound = errors.New("devoidc: not found")

// requestTTL bounds how long an unfinished authorization request is kept.
const requestTTL = 10 * time.Minute

func (s *storage) request(id string) (authRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok || r.done {
		return authRequest{}, false
	}
	return *r, true
}

func (s *storage) signIn(id, email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok || r.done {
		return errors.New("unknown or finished authorization request")
	}
	r.subject = SubjectFor(email)
	r.done = true
	r.authTime = s.cfg.Now()
	s.users[r.subject] = email
	return nil
}

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	r := &authRequest{
		id: uuid.NewString(), clientID: req.ClientID, redirectURI: req.RedirectURI, state: req.State, nonce: req.Nonce,
		scopes: req.Scopes, responseType: req.ResponseType, responseMode: req.ResponseMode, loginHint: req.LoginHint,
		created: s.cfg.Now(),
	}
	if req.CodeChallenge != "" {
		r.challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Abandoned requests are dropped after requestTTL so memory stays bounded.
	for id, old := range s.requests {
		if r.created.Sub(old.created) > requestTTL {
			s.deleteAuthRequestLocked(id)
		}
	}
	s.requests[r.id] = r
	return r, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return nil, errNotFound
	}
	return r, nil
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.codes[code]
	if !ok {
		return nil, errNotFound
	}
	r, ok := s.requests[id]
	if !ok {
		return nil, errNotFound
	}
	return r, nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs after a code exchange: the code cannot be redeemed
// twice.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteAuthRequestLocked(id)
	return nil
}

// deleteAuthRequestLocked forgets a request and its codes; s.mu is held.
func (s *storage) deleteAuthRequestLocked(id string) {
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	id := uuid.NewString()
	exp := s.cfg.Now().Add(5 * time.Minute)
	var clientID string
	if a, ok := req.(*authRequest); ok {
		clientID = a.clientID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[id] = token{subject: req.GetSubject(), clientID: clientID, scopes: req.GetScopes(), expiresAt: exp}
	return id, exp, nil
}

func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, _ string) (string, string, time.Time, error) {
	id, exp, err := s.CreateAccessToken(ctx, req)
	return id, "", exp, err
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, tokenOrID)
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{id: s.keyID, key: s.key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{id: s.keyID, key: &s.key.PublicKey}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	if clientID != s.cfg.ClientID {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	return client{cfg: s.cfg}, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, clientID, secret string) error {
	if clientID != s.cfg.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		return oidc.ErrInvalidClient().WithDescription("invalid client credentials")
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, scopes []string) error {
	s.mu.Lock()
	email := s.users[userID]
	s.mu.Unlock()
	info.Subject = userID
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeEmail:
			info.Email = email
			info.EmailVerified = true
		case oidc.ScopeProfile:
			info.Name = strings.SplitN(email, "@", 2)[0]
		}
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || s.cfg.Now().After(t.expiresAt) {
		return errNotFound
	}
	return s.SetUserinfoFromScopes(ctx, info, t.subject, t.clientID, t.scopes)
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, _, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || s.cfg.Now().After(t.expiresAt) {
		return errNotFound
	}
	resp.Active = true
	resp.Subject = t.subject
	resp.ClientID = t.clientID
	resp.Scope = t.scopes
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("devoidc: JWT profile is not supported")
}

func (s *storage) ValidateJWTProfileScopes(_ context.Context, _ string, scopes []string) ([]string, error) {
	return scopes, nil
}

func (s *storage) Health(context.Context) error { return nil }

// --- op interfaces -----------------------------------------------------------

type authRequest struct {
	id, clientID, redirectURI, state, nonce, loginHint string
	scopes                                             []string
	responseType                                       oidc.ResponseType
	responseMode                                       oidc.ResponseMode
	challenge                                          *oidc.CodeChallenge
	created, authTime                                  time.Time
	subject                                            string
	done                                               bool
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"user"} }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

type client struct{ cfg Config }

func (c client) GetID() string                       { return c.cfg.ClientID }
func (c client) RedirectURIs() []string              { return c.cfg.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string    { return nil }
func (c client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c client) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c client) LoginURL(id string) string            { return c.cfg.Issuer + "/login?authRequestID=" + id }
func (c client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c client) IDTokenLifetime() time.Duration       { return 5 * time.Minute }
func (c client) DevMode() bool                        { return true }
func (c client) IsScopeAllowed(string) bool           { return false }
func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c client) ClockSkew() time.Duration             { return 0 }
func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	key *rsa.PublicKey
}

func (k publicKey) ID() string                         { return k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }
