// Package oidcrp is the OpenID Connect relying party of the customer login:
// discovery, the authorization-code flow with PKCE S256, state and nonce,
// and ID-token verification (signature, issuer, audience, expiry, nonce),
// built on coreos/go-oidc and golang.org/x/oauth2. For Google it accepts
// both issuer spellings (https://accounts.google.com and accounts.google.com).
package oidcrp

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/skyfly/skyfly/services/auth"
)

// GoogleIssuer is Google's issuer URL.
const GoogleIssuer = "https://accounts.google.com"

// Config configures the relying party.
type Config struct {
	// Issuer is the provider's issuer URL; discovery reads
	// <Issuer>/.well-known/openid-configuration.
	Issuer string
	// DiscoveryURL, when set, is where discovery is read instead of the
	// issuer (tests of Google's issuer; providers behind another host).
	DiscoveryURL string
	// ClientID and ClientSecret registered at the provider.
	ClientID, ClientSecret string
	// Scopes default to openid, email and profile.
	Scopes []string
	// HTTPClient defaults to a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock ID-token expiry is checked against (time.Now).
	Now func() time.Time
}

// RelyingParty implements auth.IdentityProvider. Discovery happens on first
// use (and is retried until it succeeds), so a provider that starts after
// the relying party (the built-in dev provider) is fine.
type RelyingParty struct {
	cfg Config

	mu       sync.Mutex
	provider *oidc.Provider
}

var _ auth.IdentityProvider = (*RelyingParty)(nil)

// New returns a relying party.
func New(cfg Config) (*RelyingParty, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" {
		return nil, errors.New("oidcrp: issuer and client id are required")
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	return &RelyingParty{cfg: cfg}, nil
}

func (r *RelyingParty) discover(ctx context.Context) (*oidc.Provider, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.provider != nil {
		return r.provider, nil
	}
	dctx, at := oidc.ClientContext(ctx, r.cfg.HTTPClient), r.cfg.Issuer
	if r.cfg.DiscoveryURL != "" {
		dctx, at = oidc.InsecureIssuerURLContext(dctx, r.cfg.Issuer), r.cfg.DiscoveryURL
	}
	p, err := oidc.NewProvider(dctx, at)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery %s: %w", r.cfg.Issuer, err)
	}
	r.provider = p
	return p, nil
}

func (r *RelyingParty) oauth(p *oidc.Provider, redirectURI string) *oauth2.Config {
	return &oauth2.Config{ClientID: r.cfg.ClientID, ClientSecret: r.cfg.ClientSecret, Endpoint: p.Endpoint(), RedirectURL: redirectURI, Scopes: r.cfg.Scopes}
}

// AuthCodeURL implements auth.IdentityProvider.
func (r *RelyingParty) AuthCodeURL(ctx context.Context, req auth.AuthCodeRequest) (string, error) {
	p, err := r.discover(ctx)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(req.Nonce), oauth2.S256ChallengeOption(req.CodeVerifier)}
	if req.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", req.LoginHint))
	}
	return r.oauth(p, req.RedirectURI).AuthCodeURL(req.State, opts...), nil
}

// Exchange implements auth.IdentityProvider: it redeems the code with the
// PKCE verifier and verifies the ID token. A provider refusal or a token
// failing verification wraps auth.ErrIdentityRejected; a token endpoint
// answering 429 or 5xx wraps auth.ErrProviderUnavailable; transport failures
// wrap neither.
func (r *RelyingParty) Exchange(ctx context.Context, req auth.ExchangeRequest) (auth.Identity, error) {
	p, err := r.discover(ctx)
	if err != nil {
		return auth.Identity{}, err
	}
	hctx := oidc.ClientContext(ctx, r.cfg.HTTPClient)
	tok, err := r.oauth(p, req.RedirectURI).Exchange(hctx, req.Code, oauth2.VerifierOption(req.CodeVerifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == http.StatusTooManyRequests || re.Response.StatusCode >= 500) {
			// A throttled or failing provider did not reject the identity.
			return auth.Identity{}, fmt.Errorf("%w: token endpoint answered %s", auth.ErrProviderUnavailable, re.Response.Status)
		}
		if errors.As(err, &re) {
			return auth.Identity{}, fmt.Errorf("%w: token endpoint: %s %s", auth.ErrIdentityRejected, re.ErrorCode, re.ErrorDescription)
		}
		return auth.Identity{}, fmt.Errorf("oidc code exchange: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return auth.Identity{}, fmt.Errorf("%w: no id_token in the token response", auth.ErrIdentityRejected)
	}
	verifier := p.Verifier(&oidc.Config{ClientID: r.cfg.ClientID, Now: r.cfg.Now})
	idt, err := verifier.Verify(hctx, raw)
	if err != nil {
		return auth.Identity{}, fmt.Errorf("%w: id token: %w", auth.ErrIdentityRejected, err)
	}
	if req.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(req.Nonce)) != 1 {
		return auth.Identity{}, fmt.Errorf("%w: id token nonce does not match the flow", auth.ErrIdentityRejected)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return auth.Identity{}, fmt.Errorf("%w: at_hash: %w", auth.ErrIdentityRejected, err)
		}
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"` // Google has sent both bools and strings
		Name          string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return auth.Identity{}, fmt.Errorf("%w: id token claims: %w", auth.ErrIdentityRejected, err)
	}
	verified := claims.EmailVerified == true || claims.EmailVerified == "true"
	// The configured issuer keys the user, so Google's two spellings map to
	// one (issuer, subject).
	return auth.Identity{Issuer: r.cfg.Issuer, Subject: idt.Subject, Email: claims.Email, EmailVerified: verified, Name: claims.Name}, nil
}
