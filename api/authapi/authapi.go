// Package authapi is the auth service's HTTP API on Gin: the customer OIDC
// start/callback, token refresh and logout, the staff corp login with TOTP
// MFA, the JWKS, the revocation list for token verifiers and, in development
// mode only, the built-in OpenID provider. It also provides the revocation
// checkers the gateway plugs into authn.Verifier.
package authapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/auditapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/observability"
	"github.com/skyfly/skyfly/internal/platform/policy"
	"github.com/skyfly/skyfly/services/auth"
)

// Stable problem codes of the auth API.
const (
	CodeInvalidCredentials  = "invalid_credentials"
	CodeLoginFlowInvalid    = "login_flow_invalid"
	CodeInvalidCode         = "invalid_code"
	CodeInvalidRefreshToken = "invalid_refresh_token"
	CodeInvalidState        = "invalid_state"
	CodeIdentityRejected    = "identity_rejected"
	CodeLoginHintRefused    = "login_hint_refused"
	CodeAccountDisabled     = "account_disabled"
)

// Prefix is the path prefix of every auth route.
const Prefix = "/api/v1/auth"

// DevOIDCPrefix is where the development OpenID provider is mounted.
const DevOIDCPrefix = Prefix + "/dev-oidc"

// Config configures the router.
type Config struct {
	// Policy decides who may call each route; nil compiles the embedded one.
	Policy *policy.Engine
	// DevOIDC, when set, is mounted under DevOIDCPrefix. Pass it in
	// development mode only.
	DevOIDC http.Handler
	// TrustedProxies may set X-Forwarded-For (the gateway's addresses or
	// networks); nil trusts DefaultTrustedProxies. Throttling keys on the
	// client IP, so the gateway must be trusted or every caller shares its
	// address.
	TrustedProxies []string
	// Refusals logs and counts every refused customer or staff login; nil
	// does neither.
	Refusals *observability.LoginRefusals
	// Audit records staff requests (fail-closed) and serves the domain's
	// audit route to auditors; nil records nothing (unit tests only).
	Audit *auditapi.Recorder
	// ServiceClients are the SkyFly processes the token endpoint
	// (ServiceTokenPath) issues service tokens to.
	ServiceClients ServiceClients
}

// DefaultTrustedProxies are loopback and the private networks a gateway
// runs in (docker-compose, Kubernetes).
func DefaultTrustedProxies() []string {
	return []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}
}

// Handler serves the auth API.
type Handler struct {
	log      *slog.Logger
	svc      *auth.Service
	signer   *Signer
	refusals *observability.LoginRefusals
	clients  ServiceClients
}

// New returns the auth router. signer publishes the JWKS; verifier checks
// the Bearer tokens of logout and of the revocation list (role service).
func New(log *slog.Logger, svc *auth.Service, signer *Signer, verifier *authn.Verifier, cfg Config) (*gin.Engine, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{log: log, svc: svc, signer: signer, refusals: cfg.Refusals, clients: cfg.ServiceClients}
	if h.clients.Grants == nil {
		h.clients.Grants = DefaultServiceGrants()
	}
	e := problem.NewEngine(log)
	proxies := cfg.TrustedProxies
	if proxies == nil {
		proxies = DefaultTrustedProxies()
	}
	if err := e.SetTrustedProxies(proxies); err != nil {
		return nil, err
	}
	pol := cfg.Policy
	if pol == nil {
		pol = policy.MustNew(log)
	}
	e.Use(authn.Authenticate(verifier), cfg.Audit.Middleware(), authn.Authorize(pol, "auth"))
	cfg.Audit.Routes(e.Group("/api/v1"))
	g := e.Group(Prefix)
	g.GET("/public/google/start", h.start)
	g.GET("/public/google/callback", h.callback)
	g.POST("/token/refresh", h.refresh)
	g.POST("/logout", h.logout)
	g.POST("/corp/login/init", h.loginInit)
	g.POST("/corp/login/verify", h.loginVerify)
	g.POST("/corp/mfa/challenge", h.mfaChallenge)
	g.POST("/corp/mfa/verify", h.mfaVerify)
	g.GET("/.well-known/jwks.json", h.jwks)
	g.GET("/internal/revocations", h.revocations)
	g.POST("/internal/token", h.serviceToken)
	h.mountGovernance(e)
	if cfg.DevOIDC != nil {
		dev := gin.WrapH(http.StripPrefix(DevOIDCPrefix, cfg.DevOIDC))
		g.GET("/dev-oidc/*path", dev)
		g.POST("/dev-oidc/*path", dev)
	}
	return e, nil
}

// tokenResponse is the token shape of API.md.
type tokenResponse struct {
	AccessToken  string       `json:"accessToken"`
	RefreshToken string       `json:"refreshToken"`
	TokenType    string       `json:"tokenType"`
	ExpiresIn    int          `json:"expiresIn"`
	User         userResponse `json:"user"`
}

type userResponse struct {
	ID    string   `json:"id"`
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

func (h *Handler) tokens(c *gin.Context, t auth.Tokens) {
	roles := t.User.Roles
	if roles == nil {
		roles = []string{}
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.JSON(http.StatusOK, tokenResponse{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: "Bearer",
		ExpiresIn: int(t.ExpiresIn / time.Second),
		User:      userResponse{ID: t.User.ID, Email: t.User.Email, Roles: roles},
	})
}

func (h *Handler) start(c *gin.Context) {
	url, err := h.svc.BeginOIDC(c.Request.Context(), c.Query("redirectUri"), c.Query("login_hint"))
	if err != nil {
		h.refuse(c, observability.FlowCustomer, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, url)
}

func (h *Handler) callback(c *gin.Context) {
	if e := c.Query("error"); e != "" {
		h.refusals.Refused(c.Request.Context(), observability.Refusal{Flow: observability.FlowCustomer, Reason: observability.RefusedIdentityRejected,
			RequestID: problem.RequestID(c), Detail: "the identity provider answered " + strconv.Quote(e) + ": " + strconv.Quote(c.Query("error_description"))})
		problem.Write(c, problem.Newf(http.StatusUnauthorized, CodeIdentityRejected, "the identity provider answered %q", e))
		return
	}
	t, err := h.svc.CompleteOIDC(c.Request.Context(), c.Query("code"), c.Query("state"), c.ClientIP())
	if err != nil {
		h.refuse(c, observability.FlowCustomer, err)
		return
	}
	h.tokens(c, t)
}

type refreshRequest struct {
	RefreshToken string `json:"refreshToken" binding:"required"`
}

func (h *Handler) refresh(c *gin.Context) {
	var req refreshRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	t, err := h.svc.Refresh(c.Request.Context(), req.RefreshToken, c.ClientIP())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.tokens(c, t)
}

func (h *Handler) logout(c *gin.Context) {
	p, _ := authn.PrincipalFrom(c)
	if err := h.svc.Logout(c.Request.Context(), p.SessionID, p.UserID, c.ClientIP()); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type loginInitRequest struct {
	Email string `json:"email" binding:"required,email,max=320"`
}

type loginInitResponse struct {
	LoginID string   `json:"loginId"`
	Methods []string `json:"methods"`
}

func (h *Handler) loginInit(c *gin.Context) {
	var req loginInitRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	id, err := h.svc.StartStaffLogin(c.Request.Context(), req.Email)
	if err != nil {
		h.refuse(c, observability.FlowStaff, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, loginInitResponse{LoginID: id, Methods: []string{auth.MethodPassword}})
}

type loginVerifyRequest struct {
	LoginID  string `json:"loginId" binding:"required"`
	Password string `json:"password" binding:"required,max=1024"`
}

type loginVerifyResponse struct {
	MFARequired bool     `json:"mfaRequired"`
	MFAToken    string   `json:"mfaToken"`
	Methods     []string `json:"methods"`
}

func (h *Handler) loginVerify(c *gin.Context) {
	var req loginVerifyRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	token, err := h.svc.VerifyStaffPassword(c.Request.Context(), req.LoginID, req.Password, c.ClientIP())
	if err != nil {
		h.refuse(c, observability.FlowStaff, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, loginVerifyResponse{MFARequired: true, MFAToken: token, Methods: []string{auth.MethodTOTP}})
}

type mfaChallengeRequest struct {
	MFAToken string `json:"mfaToken" binding:"required"`
	Method   string `json:"method" binding:"required,oneof=totp"`
}

type mfaChallengeResponse struct {
	ChallengeID string    `json:"challengeId"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

func (h *Handler) mfaChallenge(c *gin.Context) {
	var req mfaChallengeRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	id, exp, err := h.svc.StartMFAChallenge(c.Request.Context(), req.MFAToken, req.Method)
	if err != nil {
		h.refuse(c, observability.FlowStaff, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, mfaChallengeResponse{ChallengeID: id, ExpiresAt: exp.UTC()})
}

type mfaVerifyRequest struct {
	ChallengeID string `json:"challengeId" binding:"required"`
	Code        string `json:"code" binding:"required,max=32"` // a TOTP or a recovery code
}

func (h *Handler) mfaVerify(c *gin.Context) {
	var req mfaVerifyRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	t, err := h.svc.VerifyMFA(c.Request.Context(), req.ChallengeID, req.Code, c.ClientIP())
	if err != nil {
		h.refuse(c, observability.FlowStaff, err)
		return
	}
	h.tokens(c, t)
}

func (h *Handler) jwks(c *gin.Context) {
	set, err := h.signer.JWKS(c.Request.Context())
	if err != nil {
		problem.Error(c, h.log, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=60")
	c.JSON(http.StatusOK, set)
}

// RevocationsResponse is the body of GET /api/v1/auth/internal/revocations.
type RevocationsResponse struct {
	Revocations []RevocationEntry `json:"revocations"`
	// Now is the auth service's clock in Unix milliseconds; pass it (less
	// a little overlap) as the next since.
	Now int64 `json:"now"`
}

// RevocationEntry is one revoked session; times are Unix milliseconds.
type RevocationEntry struct {
	SessionID string `json:"sessionId"`
	RevokedAt int64  `json:"revokedAt"`
	ExpiresAt int64  `json:"expiresAt"`
}

func (h *Handler) revocations(c *gin.Context) {
	var since time.Time
	if s := c.Query("since"); s != "" {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil || ms < 0 {
			problem.Write(c, problem.Validation(problem.FieldError{Field: "since", Reason: "must be Unix milliseconds"}))
			return
		}
		since = time.UnixMilli(ms)
	}
	revs, now, err := h.svc.Revocations(c.Request.Context(), since)
	if err != nil {
		problem.Error(c, h.log, err)
		return
	}
	out := RevocationsResponse{Revocations: make([]RevocationEntry, len(revs)), Now: now.UnixMilli()}
	for i, r := range revs {
		out.Revocations[i] = RevocationEntry{SessionID: r.SessionID, RevokedAt: r.RevokedAt.UnixMilli(), ExpiresAt: r.ExpiresAt.UnixMilli()}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// refuse logs and counts a refused login of flow (once, with the request id
// and the reason the provider or the check gave), then answers it as fail
// does. Errors that are not refusals (a store outage) are only answered.
func (h *Handler) refuse(c *gin.Context, flow string, err error) {
	if reason := refusalReason(err); reason != "" {
		// Domain errors name the check, never the code, token or password.
		h.refusals.Refused(c.Request.Context(), observability.Refusal{Flow: flow, Reason: reason, RequestID: problem.RequestID(c), Detail: err.Error()})
	}
	h.fail(c, err)
}

// refusalReason is the skyfly_login_refusals_total reason of err, or ""
// when err does not refuse a login.
func refusalReason(err error) string {
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		return observability.RefusedThrottled
	case errors.Is(err, auth.ErrInvalidState):
		return observability.RefusedInvalidState
	case errors.Is(err, auth.ErrIdentityRejected):
		return observability.RefusedIdentityRejected
	case errors.Is(err, auth.ErrProviderUnavailable):
		return observability.RefusedProviderDown
	case errors.Is(err, auth.ErrInvalidCredentials):
		return observability.RefusedInvalidCredentials
	case errors.Is(err, auth.ErrInvalidLoginFlow):
		return observability.RefusedInvalidFlow
	case errors.Is(err, auth.ErrInvalidCode), errors.Is(err, auth.ErrCodeReused):
		return observability.RefusedInvalidCode
	case errors.Is(err, auth.ErrUserDisabled):
		return observability.RefusedAccountDisabled
	case errors.Is(err, auth.ErrLoginHintRefused):
		return observability.RefusedLoginHint
	}
	return ""
}

// fail translates domain errors into problems, once.
func (h *Handler) fail(c *gin.Context, err error) {
	var throttled *auth.ThrottledError
	var weak *auth.PasswordError
	switch {
	case errors.As(err, &throttled):
		p := problem.New(http.StatusTooManyRequests, problem.CodeRateLimited, "too many failed attempts; wait before trying again")
		p.RetryAfter = throttled.RetryAfter
		problem.Write(c, p)
	case errors.As(err, &weak):
		problem.Write(c, problem.Validation(problem.FieldError{Field: "password", Reason: weak.Reason}))
	case errors.Is(err, auth.ErrInvalidCredentials):
		problem.Write(c, problem.New(http.StatusUnauthorized, CodeInvalidCredentials, "the email or password is wrong"))
	case errors.Is(err, auth.ErrInvalidLoginFlow):
		problem.Write(c, problem.New(http.StatusUnauthorized, CodeLoginFlowInvalid, "the login step is unknown, used or expired; start again"))
	case errors.Is(err, auth.ErrInvalidCode), errors.Is(err, auth.ErrCodeReused):
		problem.Write(c, problem.New(http.StatusUnauthorized, CodeInvalidCode, "the code is wrong, expired or already used"))
	case errors.Is(err, auth.ErrRefreshTokenReused):
		problem.Write(c, problem.New(http.StatusUnauthorized, CodeInvalidRefreshToken, "the refresh token was already used; the session is revoked"))
	case errors.Is(err, auth.ErrInvalidRefreshToken), errors.Is(err, auth.ErrSessionEnded):
		problem.Write(c, problem.New(http.StatusUnauthorized, CodeInvalidRefreshToken, "the refresh token is invalid or its session ended"))
	case errors.Is(err, auth.ErrUserDisabled):
		problem.Write(c, problem.New(http.StatusForbidden, CodeAccountDisabled, "the account is disabled"))
	case errors.Is(err, auth.ErrInvalidState):
		problem.Write(c, problem.New(http.StatusBadRequest, CodeInvalidState, "the login state is missing, unknown, used or expired; start again"))
	case errors.Is(err, auth.ErrIdentityRejected):
		problem.Write(c, problem.New(http.StatusUnauthorized, CodeIdentityRejected, "the identity provider's answer was rejected"))
	case errors.Is(err, auth.ErrProviderUnavailable):
		p := problem.New(http.StatusServiceUnavailable, problem.CodeUnavailable, "the identity provider is unavailable; retry the login")
		p.RetryAfter = time.Second
		problem.Write(c, p)
	case errors.Is(err, auth.ErrInvalidRedirect):
		problem.Write(c, problem.Validation(problem.FieldError{Field: "redirectUri", Reason: "is not an allowed redirect URI"}))
	case errors.Is(err, auth.ErrLoginHintRefused):
		problem.Write(c, problem.New(http.StatusBadRequest, CodeLoginHintRefused, "login_hint is accepted in development mode only"))
	case errors.Is(err, auth.ErrUnsupportedMethod):
		problem.Write(c, problem.Validation(problem.FieldError{Field: "method", Reason: "must be one of totp"}))
	default:
		problem.Error(c, h.log, err)
	}
}
