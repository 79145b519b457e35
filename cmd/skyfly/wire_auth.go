package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/skyfly/skyfly/activities/authact"
	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/auth/authgorm"
	"github.com/skyfly/skyfly/services/auth/devoidc"
	"github.com/skyfly/skyfly/services/auth/oidcrp"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workers"
)

// devOIDCClientSecret is the client secret between SkyFly and its built-in
// development OpenID provider when SKYFLY_OIDC_CLIENT_SECRET is empty. The
// provider only exists in development mode.
const devOIDCClientSecret = "skyfly-dev-oidc-secret"

// authPurgeEvery is how often expired OIDC states, login steps, refresh
// tokens and throttle counters are deleted.
const authPurgeEvery = 10 * time.Minute

// openAuth opens the auth database and builds the service without its
// HTTP side (shared by wireAuth and `skyfly staff`).
func openAuth(ctx context.Context, d deps, idp auth.IdentityProvider, notifier auth.RevocationNotifier) (*auth.Service, *authapi.Signer, *authgorm.Store, *sqldb.DB, error) {
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: d.cfg.AuthDSN, Logger: d.log})
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("auth db: %w", err)
	}
	store := authgorm.New(db)
	signer := authapi.NewSigner(d.secrets, d.cfg.JWTIssuer, d.cfg.JWTAudience, accessTokenTTL)
	svc, err := auth.NewService(auth.Deps{Log: d.log.With("domain", "auth"), Store: store, Keys: d.secrets, Tokens: signer, IDP: idp, Notifier: notifier, Now: d.now},
		auth.Config{Dev: d.cfg.Dev, RedirectURIs: redirectURIs(d)})
	if err != nil {
		_ = db.Close()
		return nil, nil, nil, nil, err
	}
	return svc, signer, store, db, nil
}

// accessTokenTTL is the access-token lifetime (and how long Redis keeps a
// revoked session).
const accessTokenTTL = 15 * time.Minute

func authCallbackURL(d deps) string {
	return strings.TrimSuffix(d.cfg.PublicURL, "/") + authapi.Prefix + "/public/google/callback"
}

// webCallbackURL is the web app's sign-in callback page: the browser comes
// back there from the identity provider and the app redeems the code and
// state at the API callback (web/src/pages/SignIn.tsx).
func webCallbackURL(d deps) string {
	return strings.TrimSuffix(d.cfg.PublicURL, "/") + "/auth/callback"
}

// redirectURIs are the customer flow's allowed redirect URIs; the first,
// the API callback that answers the tokens as JSON, is the default.
func redirectURIs(d deps) []string {
	return []string{authCallbackURL(d), webCallbackURL(d)}
}

// wireAuth builds the auth domain: its API (with the development OpenID
// provider in dev mode when no issuer is configured), the RevokeUserSessions
// activity on task queue "auth", the purge job and the staff seed.
func wireAuth(ctx context.Context, d deps) (*domain, error) {
	log := d.log.With("domain", "auth")
	issuer, secret := d.cfg.OIDCIssuer, d.cfg.OIDCClientSecret
	var dev http.Handler
	var backChannel *http.Client // nil: the relying party's default client
	if issuer == "" && d.cfg.Dev {
		issuer = strings.TrimSuffix(d.cfg.PublicURL, "/") + authapi.DevOIDCPrefix
		if secret == "" {
			secret = devOIDCClientSecret
		}
		p, err := devoidc.New(devoidc.Config{Issuer: issuer, ClientID: d.cfg.OIDCClientID, ClientSecret: secret,
			RedirectURIs: redirectURIs(d), Log: log.With("component", "dev-oidc"), Now: d.now})
		if err != nil {
			return nil, err
		}
		dev = p
		// The code exchange and JWKS are served in process, not through the
		// gateway's rate-limited public routes (issue #17).
		backChannel = p.Client()
	}
	var idp auth.IdentityProvider
	if issuer != "" {
		rp, err := oidcrp.New(oidcrp.Config{Issuer: issuer, ClientID: d.cfg.OIDCClientID, ClientSecret: secret, HTTPClient: backChannel, Now: d.now})
		if err != nil {
			return nil, err
		}
		idp = rp
	} else {
		log.Warn("customer login disabled: set SKYFLY_OIDC_ISSUER (or SKYFLY_DEV=true for the built-in provider)")
	}
	var notifier auth.RevocationNotifier
	if d.redis != nil {
		notifier = authapi.NewRedisRevocations(d.redis)
	}
	svc, signer, store, db, err := openAuth(ctx, d, idp, notifier)
	if err != nil {
		return nil, err
	}
	// The auth service verifies its own tokens with its own keys and its
	// own database, so a revoked session is refused here at once.
	verifier := authn.NewVerifier(authn.VerifierConfig{Keys: signer, Issuer: d.cfg.JWTIssuer, Audience: d.cfg.JWTAudience, Revocations: svc, Now: d.now}).
		ForService("auth")
	rec, err := sqlAudit(ctx, d, db, "auth")
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	handler, err := authapi.New(log, svc, signer, verifier, authapi.Config{Policy: d.policy, DevOIDC: dev, TrustedProxies: config.List(d.cfg.AuthTrustedProxies), Refusals: d.refusals, Audit: rec,
		// Only this process holds the signing key: the others obtain their
		// service tokens here (mTLS certificate or client secret).
		ServiceClients: authapi.ServiceClients{Keys: d.secrets}})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	acts := authact.New(svc)
	return &domain{
		name:    "auth",
		handler: handler,
		workers: map[string]func(worker.Registry){queues.Auth: func(r worker.Registry) {
			workers.RegisterAuth(r, acts, authact.NewShredActivities(d.codec))
			r.RegisterActivity(authact.NewPrivacy(auth.NewPrivacy(store, store, d.now), store))
		}},
		checks: map[string]func(context.Context) error{"auth-db": db.Ping},
		background: d.withRelay("auth", db, func(ctx context.Context) error {
			return purgeAuth(ctx, d, store)
		}),
		seed: func(ctx context.Context) ([]string, error) {
			if !d.cfg.Dev {
				return []string{"staff: no demo accounts outside dev mode (create them with `skyfly staff create`)"}, nil
			}
			return seedStaff(ctx, d, svc)
		},
		close: db.Close,
	}, nil
}

func purgeAuth(ctx context.Context, d deps, store *authgorm.Store) error {
	t := time.NewTicker(authPurgeEvery)
	defer t.Stop()
	for {
		now := d.now()
		if err := store.Purge(ctx, now, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			d.log.Warn("auth purge", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// migrateAuth applies the auth domain's migrations.
func migrateAuth(ctx context.Context, d deps) error {
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: d.cfg.AuthDSN, Logger: d.log})
	if err != nil {
		return fmt.Errorf("auth db: %w", err)
	}
	defer db.Close()
	if err := authgorm.Migrate(ctx, db); err != nil {
		return err
	}
	return audit.Migrate(ctx, db)
}

// demoStaff lists the staff accounts the seed creates.
func demoStaff() []struct{ email, role string } {
	return []struct{ email, role string }{
		{"agent@skyfly.dev", auth.RoleAgent},
		{"supervisor@skyfly.dev", auth.RoleSupervisor},
		{"auditor@skyfly.dev", auth.RoleAuditor},
	}
}

// demoCredential is what the seed remembers of a demo account so every
// start can print it (the database keeps only the password hash).
type demoCredential struct {
	Email      string `json:"email"`
	Role       string `json:"role"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totpSecret"`
	TOTPURI    string `json:"totpUri"`
}

// seedStaff creates the demo agent, supervisor and auditor once, with generated
// passwords and TOTP secrets kept in <data>/demo-staff.json (0600), and
// returns their logins to print.
func seedStaff(ctx context.Context, d deps, svc *auth.Service) ([]string, error) {
	path := filepath.Join(d.cfg.DataDir, "demo-staff.json")
	creds := map[string]demoCredential{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &creds); err != nil {
			return nil, fmt.Errorf("seed staff: %s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("seed staff: %w", err)
	}
	var lines []string
	changed := false
	for _, s := range demoStaff() {
		_, err := svc.StaffUser(ctx, s.email)
		switch {
		case errors.Is(err, auth.ErrNotFound):
			e, err := svc.CreateStaff(ctx, s.email, s.role, "")
			if err != nil {
				return nil, fmt.Errorf("seed staff %s: %w", s.email, err)
			}
			creds[s.email] = demoCredential{Email: s.email, Role: s.role, Password: e.Password, TOTPSecret: e.TOTPSecret, TOTPURI: e.TOTPURI}
			changed = true
		case err != nil:
			return nil, fmt.Errorf("seed staff %s: %w", s.email, err)
		}
		c, ok := creds[s.email]
		if !ok {
			lines = append(lines, fmt.Sprintf("staff %s (%s): exists; its password is not known here (skyfly staff create makes new accounts)", s.email, s.role))
			continue
		}
		lines = append(lines,
			fmt.Sprintf("staff %s (%s)  password: %s  TOTP secret: %s", c.Email, c.Role, c.Password, c.TOTPSecret),
			"  authenticator app: "+c.TOTPURI,
			"  current code:      skyfly staff totp --email "+c.Email)
	}
	if changed {
		b, err := json.MarshalIndent(creds, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, fmt.Errorf("seed staff: %w", err)
		}
	}
	lines = append(lines, "customers sign in at "+strings.TrimSuffix(d.cfg.PublicURL, "/")+authapi.Prefix+"/public/google/start"+loginHintNote(d))
	return lines, nil
}

func loginHintNote(d deps) string {
	if d.cfg.Dev && d.cfg.OIDCIssuer == "" {
		return "?login_hint=you@example.com (dev provider)"
	}
	return ""
}
