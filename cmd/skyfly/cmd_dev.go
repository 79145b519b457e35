package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/gateway"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/eventbus"
	"github.com/skyfly/skyfly/internal/platform/inproc"
	"github.com/skyfly/skyfly/internal/platform/mongodb"
	"github.com/skyfly/skyfly/internal/platform/mtls"
	"github.com/skyfly/skyfly/internal/platform/observability"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/temporal/codec"
	"github.com/skyfly/skyfly/temporal/devserver"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/temporal/tclient"
	"github.com/skyfly/skyfly/web"
)

// runDev runs the whole platform in one process on the embedded default:
// the Temporal dev server (child process, with its UI), embedded FerretDB,
// SQLite stores, every domain with its workers, and the gateway.
func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	started := time.Now()
	cfg, _, err := loadConfig("dev", args, getenv, stderr, func(c *config.Config) {
		c.Dev = true
		if getenv("SKYFLY_CODEC_CORS_ORIGIN") == "" {
			c.CodecCORSOrigin = c.TemporalUIURL
		}
	})
	if err != nil {
		return err
	}
	// Listen first: the gateway's address (port 0 picks one) is the public
	// URL, the OIDC issuer and the auth service's address in process.
	gwListener, err := net.Listen("tcp", cfg.GatewayAddr)
	if err != nil {
		return fmt.Errorf("gateway: listen %s: %w", cfg.GatewayAddr, err)
	}
	defer gwListener.Close()
	gwURL := "http://" + gwListener.Addr().String()
	if getenv("SKYFLY_PUBLIC_URL") == "" {
		cfg.PublicURL = gwURL
	}
	// The gateway reads the JWKS and polls revocations from the auth
	// service in process, not through its own public listener: those
	// platform calls must not share (and exhaust) a client's per-IP rate
	// limit (issue #17). authDirect serves the auth API once it is built.
	authDirect := &inproc.Late{}
	var authClient *http.Client // nil: SKYFLY_AUTH_URL / SKYFLY_JWKS_URL over the network
	if getenv("SKYFLY_AUTH_URL") == "" {
		// Every domain is served in process behind the gateway.
		cfg.AuthURL = gwURL
		if getenv("SKYFLY_JWKS_URL") == "" {
			cfg.JWKSURL = cfg.AuthURL + "/api/v1/auth/.well-known/jwks.json"
			authClient = &http.Client{Timeout: 5 * time.Second,
				Transport: &inproc.Transport{Handler: authDirect, Host: gwListener.Addr().String()}}
		}
	}
	p, err := newPlatform(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer fmt.Fprintln(stdout, "SkyFly stopped")
	defer p.close()
	log := p.log

	// Temporal dev server, persisted under the data dir.
	host, portStr, err := net.SplitHostPort(cfg.TemporalAddress)
	if err != nil {
		return fmt.Errorf("SKYFLY_TEMPORAL_ADDRESS: %w", err)
	}
	port, _ := strconv.Atoi(portStr)
	uiPort := 8233
	if u, err := url.Parse(cfg.TemporalUIURL); err == nil && u.Port() != "" {
		uiPort, _ = strconv.Atoi(u.Port())
	}
	tlog, err := os.OpenFile(filepath.Join(cfg.DataDir, "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("temporal log: %w", err)
	}
	defer tlog.Close()
	fmt.Fprintf(stdout, "starting the Temporal dev server on %s (UI :%d; log %s)\n", cfg.TemporalAddress, uiPort, tlog.Name())
	ds, err := devserver.Start(ctx, devserver.Config{
		DBFile: filepath.Join(cfg.DataDir, "temporal.db"), IP: host, Port: port, UIPort: uiPort,
		Namespace: cfg.TemporalNamespace, SearchAttributes: queues.SearchAttributes(), Output: tlog, Logger: log,
		UICodecEndpoint: codecEndpoint(cfg),
	})
	if err != nil {
		return err
	}
	defer func() { _ = ds.Stop() }()

	stopMongo, err := ensureCustomerDB(ctx, p)
	if err != nil {
		return err
	}
	defer stopMongo()
	stopKafka, err := ensureKafka(p)
	if err != nil {
		return err
	}
	defer stopKafka()

	tc, err := dialTemporal(ctx, p)
	if err != nil {
		return err
	}
	defer tc.Close()

	// One process, one client identity at the token endpoint: the same
	// path as the split deployment's, by client secret (dev has no mTLS).
	verifier, revocations, err := newVerifier(p, authClient, "gateway", nil)
	if err != nil {
		return err
	}
	doms, closeDomains, err := startDomains(ctx, p.deps(tc, verifier))
	if err != nil {
		return err
	}
	defer closeDomains()
	for _, dom := range doms {
		if dom.name == gateway.DomainAuth {
			authDirect.Set(dom.handler)
		}
	}
	fmt.Fprintln(stdout, "seeding demo data (first start takes longest)...")
	seedLines, err := seedAll(ctx, doms)
	if err != nil {
		return err
	}
	stopWorkers, err := startWorkers(tc, log, doms)
	if err != nil {
		return err
	}
	defer stopWorkers()

	targets := map[string]http.Handler{}
	for _, dom := range doms {
		targets[dom.name] = dom.handler
	}
	checks := checksOf(doms)
	checks["temporal"] = func(ctx context.Context) error {
		_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
	if p.redis != nil {
		checks["redis"] = func(ctx context.Context) error { return p.redis.Ping(ctx).Err() }
	}
	if p.bus != nil {
		checks["kafka"] = p.bus.Ping
	}
	gw, err := newGateway(p, verifier, targets, checks)
	if err != nil {
		return err
	}

	codecSrv, codecToken, err := newCodecServer(p)
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	runBackground(gctx, log, g, doms)
	g.Go(func() error { return revocations.Run(gctx) })
	g.Go(func() error { return serve(gctx, log, "codec-server", cfg.CodecAddr, codecSrv, cfg.ShutdownGrace, nil) })
	ready := make(chan string, 1)
	g.Go(func() error { return serveOn(gctx, log, "gateway", gwListener, gw, cfg.ShutdownGrace, ready) })
	select {
	case addr := <-ready:
		if err := awaitRevocations(gctx, revocations, 30*time.Second); err != nil {
			return err
		}
		lines := []string{
			"gateway      http://" + addr + "   (try: curl -s http://" + addr + "/api/v1/health)",
			"Temporal UI  " + ds.UIURL(),
			"Temporal     " + ds.Address() + " namespace " + ds.Namespace(),
			"Kafka        " + cfg.KafkaBrokers + "  (domain events on skyfly.<domain>.v1)",
			"codec        http://" + cfg.CodecAddr + "  (to read encrypted payloads in the UI, sign in once at http://" + cfg.CodecAddr + "/session with token " + codecToken + ")",
			"data dir     " + cfg.DataDir,
		}
		lines = append(lines, seedLines...)
		lines = append(lines, fmt.Sprintf("ready in %s; Ctrl-C stops everything", time.Since(started).Round(100*time.Millisecond)))
		printBox(stdout, "SkyFly is running", lines)
	case <-gctx.Done():
	}
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// embeddedBrokersFile is where skyfly dev writes the embedded Kafka
// cluster's address (its port is picked at start).
func embeddedBrokersFile(dataDir string) string { return filepath.Join(dataDir, "kafka", "brokers") }

// ensureKafka starts an embedded Kafka cluster (franz-go's kfake, the real
// wire protocol, its log under the data dir) when SKYFLY_KAFKA_BROKERS is
// empty, and connects the outbox relays' producer to it.
func ensureKafka(p *platform) (stop func(), err error) {
	stop = func() {}
	if p.cfg.KafkaBrokers == "" {
		kf, err := eventbus.StartEmbedded(eventbus.EmbeddedConfig{DataDir: filepath.Join(p.cfg.DataDir, "kafka")})
		if err != nil {
			return nil, err
		}
		p.cfg.KafkaBrokers = strings.Join(kf.Brokers(), ",")
		p.log.Info("embedded Kafka ready", "brokers", p.cfg.KafkaBrokers)
		// skyfly bench reads the embedded cluster's address from here.
		if err := os.WriteFile(embeddedBrokersFile(p.cfg.DataDir), []byte(p.cfg.KafkaBrokers+"\n"), 0o600); err != nil {
			kf.Stop()
			return nil, fmt.Errorf("embedded Kafka: write its address: %w", err)
		}
		stop = kf.Stop
	}
	if err := p.connectBus(); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// ensureCustomerDB starts an embedded FerretDB for the customer domain when
// no MongoDB URI is configured, and points the config at it.
func ensureCustomerDB(ctx context.Context, p *platform) (stop func(), err error) {
	cfg := p.cfg
	if cfg.CustomerDSN != "" {
		return func() {}, nil
	}
	fe, err := startEmbeddedCustomerDB(ctx, cfg, p.log)
	if err != nil {
		return nil, err
	}
	cfg.CustomerDSN = fe.URI() + "skyfly"
	p.log.Info("embedded FerretDB ready", "uri", fe.URI(), "handler", cfg.FerretDBHandler)
	return fe.Stop, nil
}

// startEmbeddedCustomerDB starts the embedded FerretDB the customer domain
// uses when no MongoDB URI is configured, under the data dir. FerretDB logs
// every error reply as a multi-line warning, so only its errors are kept.
func startEmbeddedCustomerDB(ctx context.Context, cfg *config.Config, log *slog.Logger) (*mongodb.Embedded, error) {
	fe, err := mongodb.StartEmbedded(ctx, mongodb.EmbeddedConfig{
		Handler: cfg.FerretDBHandler, SQLiteDir: filepath.Join(cfg.DataDir, "ferretdb"),
		PostgreSQLURL: cfg.FerretDBPostgres, Logger: observability.AtLeast(log.With("component", "ferretdb"), slog.LevelError),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded FerretDB: %w", err)
	}
	return fe, nil
}

// newCodecServer builds the in-process codec server of `skyfly dev`; an
// empty SKYFLY_CODEC_TOKEN is replaced by a generated one.
func newCodecServer(p *platform) (http.Handler, string, error) {
	token := p.cfg.CodecToken
	if token == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, "", fmt.Errorf("codec token: %w", err)
		}
		token = hex.EncodeToString(b)
	}
	srv, err := codec.NewServer(codec.ServerConfig{
		Token: token, AllowedOrigin: p.cfg.CodecCORSOrigin, Namespaces: []string{p.cfg.TemporalNamespace},
		Logger: p.log.With("component", "codec-server"),
	}, p.codec)
	if err != nil {
		return nil, "", err
	}
	return srv, token, nil
}

// codecEndpoint is the codec server URL the Temporal UI calls ("" when the
// codec server is not configured to run).
func codecEndpoint(cfg *config.Config) string {
	if cfg.CodecAddr == "" {
		return ""
	}
	return "http://" + cfg.CodecAddr
}

// dialTemporal connects to Temporal with the configured options, the
// payload encryption codec, SDK metrics and tracing.
func dialTemporal(ctx context.Context, p *platform) (client.Client, error) {
	dc := p.codec.DataConverter()
	tracing, err := p.tracing.TemporalInterceptor()
	if err != nil {
		return nil, err
	}
	return tclient.Dial(ctx, p.cfg, p.log, dc, func(o *client.Options) {
		o.MetricsHandler = observabilityTemporal(p)
		o.Interceptors = append(o.Interceptors, tracing)
	})
}

// newVerifier verifies access tokens against the auth service's JWKS and
// refuses tokens of revoked sessions (ACCEPTANCE A4): through Redis when
// configured, otherwise by polling the auth service's revocation list with a
// service token of the process name, obtained from the auth service's token
// endpoint (this process holds no signing key): authenticated by id's
// certificate under mTLS, by the process's client secret otherwise. The
// checker's Run must be started. client reaches the auth service (nil: a
// plain HTTP client to SKYFLY_AUTH_URL / SKYFLY_JWKS_URL). The verifier
// admits user tokens only; each edge narrows it with ForService.
func newVerifier(p *platform, client *http.Client, name string, id *mtls.Identity) (*authn.Verifier, authapi.RevocationChecker, error) {
	tc := authapi.ServiceTokenClientConfig{URL: strings.TrimSuffix(p.cfg.AuthURL, "/") + authapi.ServiceTokenPath, Client: name, HTTPClient: client}
	if id == nil {
		tc.Secret = func(ctx context.Context) (string, error) { return authapi.ClientSecret(ctx, p.secrets, name) }
	}
	tokens := authapi.NewServiceTokenClient(tc)
	rev, err := authapi.NewRevocationChecker(authapi.RevocationCheckerConfig{
		Redis:      p.redis,
		URL:        strings.TrimSuffix(p.cfg.AuthURL, "/") + "/api/v1/auth/internal/revocations",
		Token:      tokens.Source(gateway.DomainAuth),
		HTTPClient: client,
		Log:        p.log.With("component", "revocations"),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("revocation checker: %w", err)
	}
	v := authn.NewVerifier(authn.VerifierConfig{
		Keys:        authn.NewRemoteJWKS(p.cfg.JWKSURL, client),
		Issuer:      p.cfg.JWTIssuer,
		Audience:    p.cfg.JWTAudience,
		Revocations: rev,
	})
	return v, rev, nil
}

// processSecrets is what the process name may read of keys: the auth
// service everything it needs, every other process neither the access-token
// signing key nor another process's client secret, so a compromised
// customer-facing process cannot mint staff or other services' tokens.
func processSecrets(keys secrets.Provider, name string) secrets.Provider {
	if name == gateway.DomainAuth {
		return keys
	}
	own := authapi.ClientSecretKey(name)
	return secrets.Restrict(keys, func(key string) bool {
		switch {
		case key == secrets.KeyJWTSigning:
			return false
		case strings.HasPrefix(key, authapi.ClientSecretKey("")):
			return key == own
		}
		return true
	})
}

// serviceAudiences are the audiences of service tokens the gateway passes
// on: each is checked again, narrower, at its service's edge.
func serviceAudiences() []string {
	var out []string
	for _, dd := range domains() {
		out = append(out, dd.name)
	}
	return out
}

func newGateway(p *platform, verifier *authn.Verifier, targets map[string]http.Handler, checks map[string]func(context.Context) error) (http.Handler, error) {
	var limiter gateway.Limiter = gateway.NewMemoryLimiter(nil)
	if p.redis != nil {
		limiter = gateway.NewRedisLimiter(p.redis, "skyfly:rl:", nil)
	}
	app, err := web.Dist()
	if err != nil {
		return nil, err
	}
	gchecks := map[string]gateway.Check{}
	for n, c := range checks {
		gchecks[n] = c
	}
	return gateway.New(gateway.Config{
		Policy: p.policy,
		Log:    p.log, Verifier: verifier.ForService(serviceAudiences()...), Targets: targets, Limiter: limiter, TrustedProxies: config.List(p.cfg.TrustedProxies),
		Limits: gateway.DefaultLimits(p.cfg.RateLimitRPS), Checks: gchecks, Metrics: p.metrics, Tracing: p.tracing,
		Refusals: p.refusals, Web: app,
		TemporalUI: strings.TrimSuffix(p.cfg.TemporalUIURL, "/") + "/namespaces/" + p.cfg.TemporalNamespace,
	})
}

// runGateway runs the gateway alone, proxying to each service's URL.
func runGateway(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("gateway", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	p, err := newPlatform(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer p.close()
	urls := map[string]string{
		gateway.DomainAuth: cfg.AuthURL, gateway.DomainFlight: cfg.FlightURL, gateway.DomainBooking: cfg.BookingURL,
		gateway.DomainCustomer: cfg.CustomerURL, gateway.DomainPayment: cfg.PaymentURL,
	}
	targets := map[string]http.Handler{}
	checks := map[string]func(context.Context) error{}
	id, err := identity(cfg, "gateway")
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	var transport http.RoundTripper
	if id != nil {
		// mTLS to every service: they refuse a caller without a certificate
		transport = id.Transport()
		hc.Transport = transport
	}
	for name, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return fmt.Errorf("%s service URL %q is not a URL", name, raw)
		}
		targets[name] = gateway.NewProxyVia(u, p.log, transport)
		readyz := strings.TrimSuffix(raw, "/") + "/readyz"
		checks[name+"-service"] = func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, readyz, nil)
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("readyz: %s", resp.Status)
			}
			return nil
		}
	}
	if p.redis != nil {
		checks["redis"] = func(ctx context.Context) error { return p.redis.Ping(ctx).Err() }
	}
	p.secrets = processSecrets(p.secrets, "gateway")
	verifier, revocations, err := newVerifier(p, internalClient(id, 5*time.Second), "gateway", id)
	if err != nil {
		return err
	}
	gw, err := newGateway(p, verifier, targets, checks)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return revocations.Run(gctx) })
	ready := make(chan string, 1)
	g.Go(func() error { return serve(gctx, p.log, "gateway", cfg.GatewayAddr, gw, cfg.ShutdownGrace, ready) })
	select {
	case addr := <-ready:
		if err := awaitRevocations(gctx, revocations, 60*time.Second); err != nil {
			p.log.Warn("starting without a fresh revocation list: user tokens are refused until the auth service answers", "err", err)
		}
		fmt.Fprintf(stdout, "gateway listening on http://%s\n", addr)
	case <-gctx.Done():
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// runService runs one domain: migrations, its HTTP API with health and
// metrics, its Temporal workers and background jobs.
func runService(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: skyfly service <auth|flight|booking|customer|payment> [flags]")
	}
	name := args[0]
	var found bool
	for _, dd := range domains() {
		found = found || dd.name == name
	}
	if !found {
		return fmt.Errorf("unknown domain %q (want auth, flight, booking, customer or payment)", name)
	}
	cfg, _, err := loadConfig("service "+name, args[1:], getenv, stderr, nil)
	if err != nil {
		return err
	}
	p, err := newPlatform(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer p.close()
	if err := p.connectBus(); err != nil {
		return err
	}
	tc, err := dialTemporal(ctx, p)
	if err != nil {
		return err
	}
	defer tc.Close()
	id, err := identity(cfg, name)
	if err != nil {
		return err
	}
	p.secrets = processSecrets(p.secrets, name)
	verifier, revocations, err := newVerifier(p, internalClient(id, 5*time.Second), name, id)
	if err != nil {
		return err
	}
	doms, closeDomains, err := startDomains(ctx, p.deps(tc, verifier), name)
	if err != nil {
		return err
	}
	defer closeDomains()
	stopWorkers, err := startWorkers(tc, p.log, doms)
	if err != nil {
		return err
	}
	defer stopWorkers()

	checks := checksOf(doms)
	checks["temporal"] = func(ctx context.Context) error {
		_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
	if p.bus != nil {
		checks["kafka"] = p.bus.Ping
	}
	h := serviceHandler(p, doms[0].handler, checks)
	g, gctx := errgroup.WithContext(ctx)
	runBackground(gctx, p.log, g, doms)
	g.Go(func() error { return revocations.Run(gctx) })
	ready := make(chan string, 1)
	listening := "%s service listening on http://%s\n"
	if id != nil {
		listening = "%s service listening on https://%s (mTLS: callers need a SkyFly service certificate)\n"
		g.Go(func() error {
			return serveTLS(gctx, p.log, name, cfg.ServiceAddr, h, cfg.ShutdownGrace, ready, id.ServerConfig())
		})
	} else {
		g.Go(func() error { return serve(gctx, p.log, name, cfg.ServiceAddr, h, cfg.ShutdownGrace, ready) })
	}
	select {
	case addr := <-ready:
		fmt.Fprintf(stdout, listening, name, addr)
	case <-gctx.Done():
	}
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// serviceHandler adds /livez, /readyz and /metrics beside a domain's routes.
func serviceHandler(p *platform, domainHandler http.Handler, checks map[string]func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		for n, c := range checks {
			if err := c(ctx); err != nil {
				w.Header().Set("Content-Type", problem.ContentType)
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = fmt.Fprintf(w, `{"type":"https://skyfly.dev/problems/unavailable","title":"Service Unavailable","status":503,"code":"unavailable","detail":%q}`, n+": "+err.Error())
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.Handle("GET /metrics", p.metrics.Handler())
	mux.Handle("/", p.tracing.HTTPMiddleware(domainHandler))
	return mux
}

// runMigrate applies a domain's migrations (or all domains').
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: skyfly migrate <auth|flight|booking|customer|payment|all> [flags]")
	}
	name := args[0]
	cfg, _, err := loadConfig("migrate "+name, args[1:], getenv, stderr, nil)
	if err != nil {
		return err
	}
	p, err := newPlatform(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer p.close()
	var names []string
	if name != "all" {
		names = []string{name}
	}
	done, err := migrateDomains(ctx, p.deps(nil, nil), names...)
	for _, n := range done {
		fmt.Fprintf(stdout, "%s: migrations applied\n", n)
	}
	if err != nil {
		return err
	}
	if len(done) == 0 {
		return fmt.Errorf("unknown domain %q (want auth, flight, booking, customer, payment or all)", name)
	}
	return nil
}

func runConfig(stdout io.Writer) error {
	_, err := fmt.Fprint(stdout, config.MarkdownTable())
	return err
}
