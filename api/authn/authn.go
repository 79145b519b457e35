// Package authn verifies SkyFly access tokens (EdDSA JWTs issued by the auth
// service, published in its JWKS) and enforces roles on Gin routes. The
// gateway and every service use it, so a token is checked at each edge.
package authn

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/skyfly/skyfly/api/problem"
)

// Roles.
const (
	RoleCustomer   = "customer"
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
	RoleService    = "service"
	// RoleAuditor reads the staff audit trail and nothing else.
	RoleAuditor = "auditor"
)

// StaffRoles are the roles of airline staff.
var StaffRoles = []string{RoleAgent, RoleSupervisor, RoleAdmin}

// AccessTokenType is the JOSE "typ" header of access tokens (RFC 9068); ID
// tokens and other JWTs carry another and are refused as access tokens.
const AccessTokenType = "at+jwt"

// Algorithm is the only accepted signing algorithm.
const Algorithm = "EdDSA"

// Claims are the claims of a SkyFly access token.
type Claims struct {
	jwt.RegisteredClaims
	SessionID string   `json:"sid"`
	Roles     []string `json:"roles"`
	Email     string   `json:"email,omitempty"`
}

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID    string
	SessionID string
	Roles     []string
	Email     string
	ExpiresAt time.Time
	// Audience is the token's aud: the user audience, or for a service
	// token the one service it was minted for.
	Audience []string
}

// Has reports whether the principal holds any of roles.
func (p Principal) Has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// IsStaff reports whether the principal is airline staff.
func (p Principal) IsStaff() bool { return p.Has(StaffRoles...) }

// KeySource resolves a key id to an Ed25519 public key.
type KeySource interface {
	PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error)
}

// Revocations tells whether a session was revoked before its tokens expire.
type Revocations interface {
	Revoked(ctx context.Context, sessionID string) (bool, error)
}

// Errors returned by Verify.
var (
	ErrNoToken      = errors.New("authn: no bearer token")
	ErrInvalidToken = errors.New("authn: invalid token")
	ErrRevoked      = errors.New("authn: session revoked")
	ErrUnknownKey   = errors.New("authn: unknown signing key")
	// ErrWrongAudience: the token was minted for another edge (a service
	// token for another service, or a user token presented as a service's).
	ErrWrongAudience = errors.New("authn: token minted for another audience")
)

// Verifier checks access tokens with the algorithm, issuer and audience pinned.
type Verifier struct {
	keys     KeySource
	issuer   string
	audience string
	// serviceAudiences are the audiences a service-only token must name one
	// of here: the service itself at its edge; none refuses service tokens.
	serviceAudiences []string
	revocations      Revocations
	now              func() time.Time
	leeway           time.Duration
	cache            *verifiedCache
}

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	Keys     KeySource
	Issuer   string
	Audience string
	// ServiceAudiences are the audiences a service token (role service and
	// nothing else) must name one of: a service's edge sets its own name,
	// so a token the auth service minted for another service is refused
	// here. Empty refuses every service token; see ForService.
	ServiceAudiences []string
	// Revocations is consulted for every token when set.
	Revocations Revocations
	// Now defaults to time.Now.
	Now func() time.Time
	// Leeway tolerates clock skew (default 30s).
	Leeway time.Duration
}

// NewVerifier returns a verifier.
func NewVerifier(cfg VerifierConfig) *Verifier {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	return &Verifier{keys: cfg.Keys, issuer: cfg.Issuer, audience: cfg.Audience, serviceAudiences: cfg.ServiceAudiences,
		revocations: cfg.Revocations, now: cfg.Now, leeway: cfg.Leeway, cache: newVerifiedCache(10000)}
}

// ForService returns a verifier like v (same keys, revocations and cache)
// that admits service tokens minted for one of audiences only: a domain's
// edge passes its own name, the gateway every service it routes to.
func (v *Verifier) ForService(audiences ...string) *Verifier {
	cp := *v
	cp.serviceAudiences = slices.Clone(audiences)
	return &cp
}

// checkAudience admits a user token minted for the user audience and a
// service-only token minted for one of the service audiences, nothing else:
// a service token is never good for the user audience, nor a user token
// for a service's.
func (v *Verifier) checkAudience(p Principal) error {
	if isServiceOnly(p.Roles) {
		for _, a := range v.serviceAudiences {
			if slices.Contains(p.Audience, a) {
				return nil
			}
		}
		return fmt.Errorf("%w: service token for %v, this edge admits %v", ErrWrongAudience, p.Audience, v.serviceAudiences)
	}
	if v.audience != "" && !slices.Contains(p.Audience, v.audience) {
		return fmt.Errorf("%w: token for %v, want %q", ErrWrongAudience, p.Audience, v.audience)
	}
	return nil
}

// Verify parses and validates a raw access token (ACCEPTANCE A2, A4).
func (v *Verifier) Verify(ctx context.Context, raw string) (Principal, error) {
	// A token whose signature and claims were checked before is not checked
	// again while it is valid: signature verification is most of the
	// gateway's cost per request. Revocation is still checked every time.
	if p, ok := v.cache.get(raw, v.now(), v.leeway); ok {
		if err := v.checkAudience(p); err != nil {
			return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
		}
		return p, v.checkRevoked(ctx, p)
	}
	var claims Claims
	tok, err := jwt.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != AccessTokenType {
			return nil, fmt.Errorf("token type %q is not an access token", typ)
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no kid")
		}
		key, err := v.keys.PublicKey(ctx, kid)
		if err != nil {
			return nil, err
		}
		return key, nil
	},
		jwt.WithValidMethods([]string{Algorithm}),
		jwt.WithIssuer(v.issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.leeway),
		jwt.WithTimeFunc(v.now),
	)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
		}
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if !tok.Valid || claims.Subject == "" || claims.SessionID == "" {
		return Principal{}, fmt.Errorf("%w: missing subject or session", ErrInvalidToken)
	}
	p := Principal{UserID: claims.Subject, SessionID: claims.SessionID, Roles: claims.Roles, Email: claims.Email, ExpiresAt: claims.ExpiresAt.Time,
		Audience: claims.Audience}
	// The audience is checked here, not by the parser: which audience is
	// right depends on whether this is a service token.
	if err := v.checkAudience(p); err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	var notBefore time.Time
	if claims.NotBefore != nil {
		notBefore = claims.NotBefore.Time
	}
	if err := v.checkRevoked(ctx, p); err != nil {
		return Principal{}, err
	}
	v.cache.put(raw, p, notBefore)
	return p, nil
}

// checkRevoked consults the revocation list. Service tokens are machine
// credentials minted for minutes, not user sessions: nothing revokes them,
// and the revocation poller itself authenticates with one, so checking them
// would deadlock it.
func (v *Verifier) checkRevoked(ctx context.Context, p Principal) error {
	if v.revocations == nil || isServiceOnly(p.Roles) {
		return nil
	}
	revoked, err := v.revocations.Revoked(ctx, p.SessionID)
	if err != nil {
		return fmt.Errorf("authn: revocation check: %w", err)
	}
	if revoked {
		return ErrRevoked
	}
	return nil
}

func isServiceOnly(roles []string) bool {
	return len(roles) == 1 && roles[0] == RoleService
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal stored in ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// PrincipalFrom returns the authenticated principal of a Gin request.
func PrincipalFrom(c *gin.Context) (Principal, bool) {
	return FromContext(c.Request.Context())
}

// Authenticate verifies the bearer token when one is present and stores the
// principal. A present but invalid token is always 401; an absent one passes
// through so that Require can decide (public routes need no token).
func Authenticate(v *Verifier) gin.HandlerFunc {
	return func(c *gin.Context) {
		raw, err := bearer(c.Request)
		if errors.Is(err, ErrNoToken) {
			c.Next()
			return
		}
		if err != nil {
			problem.Write(c, problem.New(http.StatusUnauthorized, problem.CodeUnauthorized, err.Error()))
			return
		}
		p, err := v.Verify(c.Request.Context(), raw)
		if err != nil {
			c.Header("WWW-Authenticate", `Bearer error="invalid_token"`)
			detail := "the access token is invalid or expired"
			if errors.Is(err, ErrRevoked) {
				detail = "the session of this access token was revoked"
			}
			problem.Write(c, problem.New(http.StatusUnauthorized, problem.CodeUnauthorized, detail))
			return
		}
		c.Request = c.Request.WithContext(WithPrincipal(c.Request.Context(), p))
		c.Set("principal", p)
		c.Next()
	}
}

// Require answers 401 without a principal and 403 when the principal holds
// none of roles. With no roles any authenticated principal passes.
func Require(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := PrincipalFrom(c)
		if !ok {
			c.Header("WWW-Authenticate", "Bearer")
			problem.Write(c, problem.New(http.StatusUnauthorized, problem.CodeUnauthorized, "a bearer access token is required"))
			return
		}
		if len(roles) > 0 && !p.Has(roles...) {
			problem.Write(c, problem.Newf(http.StatusForbidden, problem.CodeForbidden, "this operation needs one of the roles %v", roles))
			return
		}
		c.Next()
	}
}

func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", ErrNoToken
	}
	// HTTP Basic is a client's credential (the service-token endpoint's
	// client secret), not an access token: no principal, and routes that
	// need one refuse without it.
	const basic = "Basic "
	if len(h) > len(basic) && equalFold(h[:len(basic)], basic) {
		return "", ErrNoToken
	}
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !equalFold(h[:len(prefix)], prefix) {
		return "", errors.New("the Authorization header must be a Bearer token")
	}
	return h[len(prefix):], nil
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
