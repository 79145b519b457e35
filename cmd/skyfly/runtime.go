package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"golang.org/x/sync/errgroup"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/gateway"
	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/eventbus"
	"github.com/skyfly/skyfly/internal/platform/observability"
	"github.com/skyfly/skyfly/internal/platform/policy"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/temporal/codec"
	"github.com/skyfly/skyfly/workers"
)

// platform holds what every long-running command builds from config.
type platform struct {
	cfg     *config.Config
	log     *slog.Logger
	metrics *observability.Metrics
	// refusals logs and counts refused logins; the gateway and the auth
	// service of one process share it (one metric per registry).
	refusals *observability.LoginRefusals
	tracing  *observability.Tracing
	secrets  secrets.Provider
	redis    *redis.Client
	bus      *eventbus.Publisher
	policy   *policy.Engine
	closers  []func() error

	// codec is the process's one payload codec, so a Shred through it
	// invalidates every key cache of the process at once.
	codec *codec.Codec
}

func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer, overrides func(*config.Config)) (*config.Config, []string, error) {
	cfg, rest, err := config.Load("skyfly "+name, args, getenv, stderr)
	if err != nil {
		return nil, nil, err
	}
	if overrides != nil {
		overrides(cfg)
	}
	return cfg, rest, nil
}

// newPlatform sets up logging, metrics, secrets and Redis.
func newPlatform(ctx context.Context, cfg *config.Config, stderr io.Writer) (*platform, error) {
	gin.SetMode(gin.ReleaseMode)
	log, err := observability.NewLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return nil, err
	}
	p := &platform{cfg: cfg, log: log, metrics: observability.NewMetrics()}
	p.refusals, err = observability.NewLoginRefusals(log, p.metrics.Registry)
	if err != nil {
		return nil, err
	}
	p.policy, err = policy.New(ctx, policy.Options{Log: log.With("component", "policy"), Registerer: p.metrics.Registry})
	if err != nil {
		return nil, err
	}
	p.tracing, err = observability.NewTracing(ctx, cfg.OTLPEndpoint, "skyfly")
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, func() error { return p.tracing.Shutdown(context.Background()) })
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	p.secrets, err = openSecrets(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if c, ok := p.secrets.(io.Closer); ok {
		p.closers = append(p.closers, c.Close)
	}
	if p.codec, err = codec.New(p.secrets); err != nil {
		return nil, err
	}
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("SKYFLY_REDIS_URL: %w", err)
		}
		p.redis = redis.NewClient(opts)
		p.closers = append(p.closers, p.redis.Close)
	}
	return p, nil
}

// connectBus connects the outbox relays' producer to SKYFLY_KAFKA_BROKERS
// (nothing when empty).
func (p *platform) connectBus() error {
	brokers := eventbus.ParseBrokers(p.cfg.KafkaBrokers)
	if len(brokers) == 0 {
		return nil
	}
	bus, err := eventbus.NewPublisher(brokers, "skyfly")
	if err != nil {
		return fmt.Errorf("SKYFLY_KAFKA_BROKERS: %w", err)
	}
	p.bus = bus
	p.closers = append(p.closers, func() error { bus.Close(); return nil })
	return nil
}

func openSecrets(ctx context.Context, cfg *config.Config, log *slog.Logger) (secrets.Provider, error) {
	if cfg.VaultAddr != "" {
		return openVault(ctx, cfg, log)
	}
	k, err := secrets.NewKeyring(filepath.Join(cfg.DataDir, "keyring.json"), time.Now)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return k, nil
}

func (p *platform) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		if err := p.closers[i](); err != nil {
			p.log.Warn("close", "err", err)
		}
	}
}

// deps builds the dependencies handed to every domain's wiring.
func (p *platform) deps(tc client.Client, verifier *authn.Verifier) deps {
	return deps{cfg: p.cfg, log: p.log, now: time.Now, secrets: p.secrets, codec: p.codec, temporal: tc, verifier: verifier, redis: p.redis, metrics: p.metrics.Registry, refusals: p.refusals, bus: p.bus, policy: p.policy}
}

// forDomain is d for one domain's wiring: its edge admits service tokens
// minted for it and no other service.
func (d deps) forDomain(name string) deps {
	if d.verifier != nil {
		d.verifier = d.verifier.ForService(name)
	}
	return d
}

// migrateDomains applies the migrations of the named domains (all when
// names is empty) and returns the names it migrated.
func migrateDomains(ctx context.Context, d deps, names ...string) ([]string, error) {
	var done []string
	for _, dd := range domains() {
		if len(names) > 0 && !contains(names, dd.name) {
			continue
		}
		if err := dd.migrate(ctx, d); err != nil {
			return done, fmt.Errorf("migrate %s: %w", dd.name, err)
		}
		done = append(done, dd.name)
	}
	return done, nil
}

// startDomains migrates and wires the named domains (all when names is
// empty); closeAll releases them.
func startDomains(ctx context.Context, d deps, names ...string) (doms []*domain, closeAll func(), err error) {
	if _, err := migrateDomains(ctx, d, names...); err != nil {
		return nil, nil, err
	}
	doms, err = wireDomains(ctx, d, names...)
	if err != nil {
		return nil, nil, err
	}
	return doms, func() {
		for _, dom := range doms {
			closeDomain(d.log, dom)
		}
	}, nil
}

// wireDomains builds the named domains (all when names is empty).
func wireDomains(ctx context.Context, d deps, names ...string) ([]*domain, error) {
	var out []*domain
	for _, dd := range domains() {
		if len(names) > 0 && !contains(names, dd.name) {
			continue
		}
		dom, err := dd.wire(ctx, d.forDomain(dd.name))
		if err != nil {
			for _, o := range out {
				closeDomain(d.log, o)
			}
			return nil, fmt.Errorf("%s: %w", dd.name, err)
		}
		out = append(out, dom)
	}
	return out, nil
}

func closeDomain(log *slog.Logger, d *domain) {
	if d.close != nil {
		if err := d.close(); err != nil {
			log.Warn("close domain", "domain", d.name, "err", err)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// startWorkers starts one Temporal worker per task queue the domains
// register on, and returns a function stopping them.
func startWorkers(tc client.Client, log *slog.Logger, doms []*domain) (func(), error) {
	regs := map[string][]func(worker.Registry){}
	for _, d := range doms {
		for q, r := range d.workers {
			regs[q] = append(regs[q], r)
		}
	}
	queues := make([]string, 0, len(regs))
	for q := range regs {
		queues = append(queues, q)
	}
	sort.Strings(queues)
	var started []worker.Worker
	stop := func() {
		for _, w := range started {
			w.Stop()
		}
	}
	for _, q := range queues {
		rs := regs[q]
		w := workers.New(tc, q, func(reg worker.Registry) {
			for _, r := range rs {
				r(reg)
			}
		}, workers.Options{Log: log})
		if err := w.Start(); err != nil {
			stop()
			return nil, fmt.Errorf("start worker %s: %w", q, err)
		}
		log.Info("worker started", "task_queue", q)
		started = append(started, w)
	}
	return stop, nil
}

// serve runs an HTTP server until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, log *slog.Logger, name, addr string, h http.Handler, grace time.Duration, ready chan<- string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: listen %s: %w", name, addr, err)
	}
	return serveOn(ctx, log, name, ln, h, grace, ready)
}

// serveTLS is serve with TLS (the service side of mTLS).
func serveTLS(ctx context.Context, log *slog.Logger, name, addr string, h http.Handler, grace time.Duration, ready chan<- string, cfg *tls.Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: listen %s: %w", name, addr, err)
	}
	return serveOn(ctx, log, name, tls.NewListener(ln, cfg), h, grace, ready)
}

// serveOn is serve on a listener opened earlier.
func serveOn(ctx context.Context, log *slog.Logger, name string, ln net.Listener, h http.Handler, grace time.Duration, ready chan<- string) error {
	// Slow clients: headers in 10 s, the whole request in 30 s, no write
	// timeout (event streams stay open), 16 KiB of headers at most.
	t := gateway.DefaultServerTimeouts()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, IdleTimeout: t.Idle, MaxHeaderBytes: 16 << 10}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("%s: %w", name, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	log.Info("shutting down", "server", name)
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: shutdown: %w", name, err)
	}
	return nil
}

// awaitRevocations waits (bounded) until the revocation list can answer, so
// a process announces itself ready only when it accepts user tokens.
func awaitRevocations(ctx context.Context, r authn.Revocations, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		_, err := r.Revoked(ctx, "readiness-probe")
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("revocation list not available after %s: %w", within, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runBackground runs the domains' background jobs until ctx ends.
func runBackground(ctx context.Context, log *slog.Logger, g *errgroup.Group, doms []*domain) {
	for _, d := range doms {
		for _, job := range d.background {
			g.Go(func() error {
				if err := job(ctx); err != nil && !errors.Is(err, context.Canceled) {
					log.Error("background job stopped", "domain", d.name, "err", err)
				}
				return nil
			})
		}
	}
}

// seedAll runs every domain's seed hook and collects what they print.
func seedAll(ctx context.Context, doms []*domain) ([]string, error) {
	var lines []string
	for _, d := range doms {
		if d.seed == nil {
			continue
		}
		l, err := d.seed(ctx)
		if err != nil {
			return nil, fmt.Errorf("seed %s: %w", d.name, err)
		}
		lines = append(lines, l...)
	}
	return lines, nil
}

// checksOf gathers the domains' health checks.
func checksOf(doms []*domain) map[string]func(context.Context) error {
	out := map[string]func(context.Context) error{}
	for _, d := range doms {
		for n, c := range d.checks {
			out[n] = c
		}
	}
	return out
}

// printBox prints a framed block of lines.
func printBox(w io.Writer, title string, lines []string) {
	fmt.Fprintf(w, "\n== %s %s\n", title, strings.Repeat("=", max(0, 60-len(title))))
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}
	fmt.Fprintln(w, strings.Repeat("=", 64))
}

func observabilityTemporal(p *platform) client.MetricsHandler {
	return observability.NewTemporalMetrics(p.metrics.Registry)
}
