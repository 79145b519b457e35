package authapi

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/mtls"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/services/auth"
)

// ServiceTokenPath is the OAuth 2.0 client-credentials token endpoint
// (RFC 6749 §4.4) where SkyFly processes obtain their service tokens. Only
// the auth service holds the signing key; every other process asks here. It
// is served to the other processes directly, never through the gateway:
// behind the gateway every caller would present the gateway's certificate.
const ServiceTokenPath = Prefix + "/internal/token"

// ServiceTokenTTL is the lifetime of a service token: short, since nothing
// revokes one (see authn's checkRevoked).
const ServiceTokenTTL = 5 * time.Minute

// Problem codes of the token endpoint (RFC 6749 §5.2 and RFC 8707 names).
const (
	CodeInvalidClient        = "invalid_client"
	CodeUnsupportedGrantType = "unsupported_grant_type"
	CodeInvalidTarget        = "invalid_target"
)

// ServiceGrants says which audiences (target services) each SkyFly
// process may obtain a token for: the calls its work makes, nothing more.
type ServiceGrants map[string][]string

// DefaultServiceGrants: every process polls the revocation list of the auth
// service; the booking service, whose sagas call flight, payment and
// customer, may also ask for those.
func DefaultServiceGrants() ServiceGrants {
	return ServiceGrants{
		"gateway":  {"auth"},
		"auth":     {"auth"},
		"flight":   {"auth"},
		"customer": {"auth"},
		"payment":  {"auth"},
		"booking":  {"auth", "flight", "payment", "customer"},
	}
}

// ClientSecretKey names the secrets-provider key whose current version is
// the client secret of a SkyFly process, used to authenticate at the token
// endpoint when mTLS is off.
func ClientSecretKey(client string) string { return "service-client-" + client }

// ClientSecret reads client's secret from keys (created on first use).
func ClientSecret(ctx context.Context, keys secrets.Provider, client string) (string, error) {
	k, err := keys.Current(ctx, ClientSecretKey(client))
	if err != nil {
		return "", fmt.Errorf("client secret %s: %w", client, err)
	}
	return hex.EncodeToString(k.Material), nil
}

// ServiceToken mints an access token for the SkyFly process client (role
// service and nothing else), good at the audience service's edge only, for
// ServiceTokenTTL. It is not bound to a stored session.
func (s *Signer) ServiceToken(ctx context.Context, client, audience string, now time.Time) (string, error) {
	return s.mint(ctx, auth.User{ID: "service:" + client, Roles: []string{authn.RoleService}}, "service:"+client, audience, ServiceTokenTTL, now)
}

// ServiceClients configures the token endpoint.
type ServiceClients struct {
	// Grants are the audiences each client may ask for (nil: the defaults).
	Grants ServiceGrants
	// Keys holds the clients' secrets (ClientSecretKey); nil accepts
	// certificates only.
	Keys secrets.Provider
}

// serviceTokenResponse is RFC 6749 §5.1's.
type serviceTokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// serviceToken answers a client-credentials request: grant_type
// client_credentials and audience (a service name), the client
// authenticated by its verified mTLS certificate or, without one, by HTTP
// Basic client id and secret. The token's subject is the authenticated
// client whatever the request says, its only role is service.
func (h *Handler) serviceToken(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "", Reason: "the body must be application/x-www-form-urlencoded"}))
		return
	}
	client, ok := h.serviceClient(c)
	if !ok {
		c.Header("WWW-Authenticate", `Basic realm="skyfly-services"`)
		problem.Write(c, problem.New(http.StatusUnauthorized, CodeInvalidClient, "the client is not a SkyFly service with a valid certificate or secret"))
		return
	}
	if gt := c.Request.PostForm.Get("grant_type"); gt != "client_credentials" {
		problem.Write(c, problem.Newf(http.StatusBadRequest, CodeUnsupportedGrantType, "grant_type %q is not client_credentials", gt))
		return
	}
	aud := c.Request.PostForm.Get("audience")
	if !slices.Contains(h.clients.Grants[client], aud) {
		h.log.WarnContext(c.Request.Context(), "service token refused", "client", client, "audience", aud, "request_id", problem.RequestID(c))
		problem.Write(c, problem.Newf(http.StatusBadRequest, CodeInvalidTarget, "%s may not obtain a token for %q", client, aud))
		return
	}
	tok, err := h.signer.ServiceToken(c.Request.Context(), client, aud, time.Now())
	if err != nil {
		problem.Error(c, h.log, fmt.Errorf("service token %s for %s: %w", client, aud, err))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, serviceTokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(ServiceTokenTTL / time.Second)})
}

// serviceClient authenticates the caller of the token endpoint. Behind
// mTLS the certificate decides; a Basic credential naming anyone else is
// refused rather than preferred.
func (h *Handler) serviceClient(c *gin.Context) (string, bool) {
	id, secret, basic := c.Request.BasicAuth()
	if st := c.Request.TLS; st != nil && len(st.PeerCertificates) > 0 {
		name := mtls.PeerName(st.PeerCertificates[0])
		_, known := h.clients.Grants[name]
		return name, known && (!basic || id == name)
	}
	if !basic || h.clients.Keys == nil {
		return "", false
	}
	if _, known := h.clients.Grants[id]; !known {
		return "", false
	}
	want, err := ClientSecret(c.Request.Context(), h.clients.Keys, id)
	if err != nil {
		h.log.ErrorContext(c.Request.Context(), "client secret", "client", id, "err", err)
		return "", false
	}
	return id, subtle.ConstantTimeCompare([]byte(secret), []byte(want)) == 1
}

// ServiceTokenClientConfig configures a ServiceTokenClient.
type ServiceTokenClientConfig struct {
	// URL is the token endpoint (the auth service's ServiceTokenPath).
	URL string
	// Client is this process's service name.
	Client string
	// Secret returns the client secret; nil when the HTTP client presents
	// this process's mTLS certificate instead.
	Secret func(ctx context.Context) (string, error)
	// HTTPClient reaches the auth service (mTLS in the split deployment).
	HTTPClient *http.Client
	// Now defaults to time.Now.
	Now func() time.Time
}

// ServiceTokenClient obtains this process's service tokens from the auth
// service, one per audience, cached and renewed when a fifth of the
// lifetime is left (so a token in use never expires mid-request).
type ServiceTokenClient struct {
	cfg ServiceTokenClientConfig

	mu     sync.Mutex
	tokens map[string]cachedToken
}

type cachedToken struct {
	raw     string
	renewAt time.Time
}

// NewServiceTokenClient returns a client.
func NewServiceTokenClient(cfg ServiceTokenClientConfig) *ServiceTokenClient {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &ServiceTokenClient{cfg: cfg, tokens: map[string]cachedToken{}}
}

// Token returns a service token for audience, from the cache while fresh.
func (s *ServiceTokenClient) Token(ctx context.Context, audience string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	if t, ok := s.tokens[audience]; ok && now.Before(t.renewAt) {
		return t.raw, nil
	}
	raw, ttl, err := s.fetch(ctx, audience)
	if err != nil {
		return "", fmt.Errorf("service token for %s: %w", audience, err)
	}
	s.tokens[audience] = cachedToken{raw: raw, renewAt: now.Add(ttl - ttl/5)}
	return raw, nil
}

// Source is Token for one audience, in the shape RevocationCheckerConfig
// takes.
func (s *ServiceTokenClient) Source(audience string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) { return s.Token(ctx, audience) }
}

func (s *ServiceTokenClient) fetch(ctx context.Context, audience string) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "audience": {audience}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if s.cfg.Secret != nil {
		secret, err := s.cfg.Secret(ctx)
		if err != nil {
			return "", 0, err
		}
		req.SetBasicAuth(s.cfg.Client, secret)
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("token endpoint: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var p struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&p)
		return "", 0, fmt.Errorf("token endpoint: status %d %s: %s", resp.StatusCode, p.Code, p.Detail)
	}
	var body serviceTokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", 0, fmt.Errorf("token endpoint: decode: %w", err)
	}
	if body.AccessToken == "" || body.ExpiresIn <= 0 {
		return "", 0, fmt.Errorf("token endpoint: no token or lifetime in the answer")
	}
	return body.AccessToken, time.Duration(body.ExpiresIn) * time.Second, nil
}
