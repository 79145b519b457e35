// Package gateway is SkyFly's single entry point: it gives every request an
// id, authenticates bearer tokens against the auth service's JWKS (algorithm,
// issuer and audience pinned), enforces each route's roles, rate-limits per
// principal and per IP, answers health, readiness and metrics, and forwards
// to the owning domain service (in process or through a reverse proxy).
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/observability"
	"github.com/skyfly/skyfly/internal/platform/policy"
)

// Check is a health check of one dependency.
type Check func(ctx context.Context) error

// Limits are the per-class limits applied per principal and per IP.
type Limits map[string]Limit

// DefaultLimits derives the class limits from the search rate: booking and
// payment get a quarter of it, auth endpoints half.
func DefaultLimits(searchRPS float64) Limits {
	if searchRPS <= 0 {
		searchRPS = 20
	}
	l := func(rps float64) Limit {
		burst := int(rps * 2)
		if burst < 1 {
			burst = 1
		}
		return Limit{Rate: rps, Burst: burst}
	}
	return Limits{
		ClassSearch:  l(searchRPS),
		ClassDefault: l(searchRPS),
		ClassAuth:    l(searchRPS / 2),
		ClassBooking: l(searchRPS / 4),
		ClassPayment: l(searchRPS / 4),
	}
}

// Config wires a gateway.
type Config struct {
	Log      *slog.Logger
	Verifier *authn.Verifier
	// Targets serve each domain's routes: in-process handlers or proxies.
	Targets map[string]http.Handler
	Limiter Limiter
	Limits  Limits
	// Checks are health checks by dependency name.
	Checks  map[string]Check
	Metrics *observability.Metrics
	// Tracing, when set, starts a span per request and propagates it.
	Tracing *observability.Tracing
	// Routes defaults to Routes().
	Routes []Route
	// Policy decides who may call each route; nil compiles the embedded
	// policy (a process shares one so its decision log and metric are one).
	Policy *policy.Engine
	// TrustedProxies may set X-Forwarded-For (a load balancer in front of
	// the gateway); by default nobody can, so a client cannot pick the IP
	// its rate limit is counted against.
	TrustedProxies []string
	// Refusals logs and counts the login requests the gateway throttles
	// (nil: neither); the auth service reports its own refusals.
	Refusals *observability.LoginRefusals
	// Edge bounds request bodies and each domain's requests in flight.
	Edge EdgeConfig
	// Web is the built web app (web.Dist()) served at / for every path no
	// route matches outside the API; nil serves none (unknown paths are
	// problem+json 404s). A tree without index.html serves a page saying the
	// app is not built.
	Web fs.FS
	// TemporalUI, when set, is the Temporal Web UI's base URL of the
	// namespace (…/namespaces/<ns>); the web app links staff to a booking's
	// workflows there (a <meta name="skyfly-temporal-ui"> in index.html).
	TemporalUI string
}

// New returns the gateway's HTTP handler.
func New(cfg Config) (*gin.Engine, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Routes == nil {
		cfg.Routes = Routes()
	}
	if cfg.Policy == nil {
		pe, err := policy.New(context.Background(), policy.Options{Log: cfg.Log})
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		cfg.Policy = pe
	}
	if err := policyCovers(cfg.Policy, cfg.Routes); err != nil {
		return nil, err
	}
	if cfg.Limits == nil {
		cfg.Limits = DefaultLimits(0)
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewMemoryLimiter(nil)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = observability.NewMetrics()
	}
	e := problem.NewEngine(cfg.Log)
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("gateway: trusted proxies: %w", err)
	}
	e.Use(RequestID(), cfg.Metrics.Middleware())
	if cfg.Tracing != nil {
		e.Use(cfg.Tracing.Middleware())
	}

	e.GET("/livez", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	health := healthHandler(cfg.Checks, cfg.Log)
	e.GET("/api/v1/health", health)
	e.GET("/readyz", health)
	e.GET("/metrics", gin.WrapH(cfg.Metrics.Handler()))

	authenticate := authn.Authenticate(cfg.Verifier)
	edge := cfg.Edge.withDefaults()
	inflight := newGates(edge, cfg.Log, time.Now)
	for _, r := range cfg.Routes {
		target, ok := cfg.Targets[r.Domain]
		if !ok {
			return nil, fmt.Errorf("gateway: no target for domain %s (route %s %s)", r.Domain, r.Method, r.Path)
		}
		limit, ok := cfg.Limits[r.Class]
		if !ok {
			return nil, fmt.Errorf("gateway: no limit for class %s", r.Class)
		}
		// The per-IP limit comes before token verification, so requests
		// with forged tokens are limited too; the per-principal one after.
		chain := []gin.HandlerFunc{
			rateLimitIP(cfg.Limiter, r.Class, limit, cfg.Log, cfg.Refusals),
			bodyCheck(edge, r),
			authenticate,
			rateLimitPrincipal(cfg.Limiter, r.Class, limit, cfg.Log, cfg.Refusals),
		}
		chain = append(chain, authn.Authorize(cfg.Policy, "gateway"), inflight.concurrency(r), forward(target))
		e.Handle(r.Method, r.Path, chain...)
	}
	if cfg.Web != nil {
		app, err := newWebApp(cfg.Web, cfg.TemporalUI)
		if err != nil {
			return nil, err
		}
		e.NoRoute(app.handle)
	}
	return e, nil
}

// policyCovers refuses a route table with a route the policy does not
// decide: such a route would answer 403 to everyone, which is a bug to find
// at start, not in production traffic.
func policyCovers(pe *policy.Engine, routes []Route) error {
	rules := pe.Rules()
	for _, r := range routes {
		if _, ok := rules[r.Method+" "+r.Path]; !ok {
			return fmt.Errorf("gateway: the policy has no decision for route %s %s", r.Method, r.Path)
		}
	}
	return nil
}

// forward hands the request to the domain's handler unchanged, except that
// X-Forwarded-For is replaced by the client address the gateway trusts, so
// services behind it (auth throttling per IP) cannot be fooled either.
func forward(target http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Header.Set("X-Forwarded-For", c.ClientIP())
		target.ServeHTTP(c.Writer, c.Request)
		c.Abort()
	}
}

// bufferPool reuses a proxy's copy buffers: without one, ReverseProxy
// allocates 32 KB for every response it copies.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte  { return *(b.p.Get().(*[]byte)) }
func (b *bufferPool) Put(v []byte) { b.p.Put(&v) }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { v := make([]byte, 32*1024); return &v }}}
}

// NewProxy returns a reverse proxy to a domain service at base. Errors
// reaching the service answer 502 problem+json.
func NewProxy(base *url.URL, log *slog.Logger) http.Handler { return NewProxyVia(base, log, nil) }

// NewProxyVia is NewProxy over transport (the gateway's mTLS identity in
// the split deployment); nil takes a plain pooled transport.
func NewProxyVia(base *url.URL, log *slog.Logger, transport http.RoundTripper) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if transport == nil {
		transport = &http.Transport{
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		}
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(base)
			pr.SetXForwarded()
			// Rewrite drops inbound X-Forwarded-For; keep the client address
			// the gateway established (forward sets it) rather than our peer.
			if v := pr.In.Header.Get("X-Forwarded-For"); v != "" {
				pr.Out.Header.Set("X-Forwarded-For", v)
			}
			pr.Out.Host = base.Host
		},
		Transport:  transport,
		BufferPool: newBufferPool(),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.ErrorContext(r.Context(), "proxy error", "target", base.String(), "path", r.URL.Path, "err", err, "request_id", r.Header.Get(problem.RequestIDHeader))
			p := problem.Newf(http.StatusBadGateway, problem.CodeUnavailable, "the %s service is unavailable", base.Host)
			p.RequestID = r.Header.Get(problem.RequestIDHeader)
			w.Header().Set("Content-Type", problem.ContentType)
			w.WriteHeader(http.StatusBadGateway)
			_, _ = fmt.Fprintf(w, `{"type":%q,"title":%q,"status":502,"detail":%q,"code":%q,"requestId":%q}`,
				p.Type, p.Title, p.Detail, p.Code, p.RequestID)
		},
	}
}

// RequestID keeps a well-formed incoming X-Request-Id or makes one, and sets
// it on the request (for services) and on the response.
func RequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(problem.RequestIDHeader)
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Request.Header.Set(problem.RequestIDHeader, id)
		c.Header(problem.RequestIDHeader, id)
		c.Set("request_id", id)
		c.Next()
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// rateLimitIP applies the class limit per client IP (ACCEPTANCE B2).
func rateLimitIP(l Limiter, class string, limit Limit, log *slog.Logger, refusals *observability.LoginRefusals) gin.HandlerFunc {
	return func(c *gin.Context) {
		if take(c, l, class+":ip:"+ipKey(c.ClientIP()), limit, log, refusals) {
			c.Next()
		}
	}
}

// ipKey is the address a per-IP limit counts against: IPv6 clients are
// counted per /64, since one subscriber usually holds a whole /64 and could
// otherwise take a fresh bucket per request.
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() || a.Is4In6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// rateLimitPrincipal applies the class limit per authenticated principal.
func rateLimitPrincipal(l Limiter, class string, limit Limit, log *slog.Logger, refusals *observability.LoginRefusals) gin.HandlerFunc {
	return func(c *gin.Context) {
		if p, ok := authn.PrincipalFrom(c); ok && !take(c, l, class+":sub:"+p.UserID, limit, log, refusals) {
			return
		}
		c.Next()
	}
}

// take takes a token for key, answering 429 with Retry-After when none is
// left. A limiter outage fails open: it must not take the API down. A
// throttled login is reported to refusals.
func take(c *gin.Context, l Limiter, key string, limit Limit, log *slog.Logger, refusals *observability.LoginRefusals) bool {
	ok, retry, err := l.Allow(c.Request.Context(), key, limit)
	if err != nil {
		log.WarnContext(c.Request.Context(), "rate limiter unavailable", "err", err)
		return true
	}
	if !ok {
		p := problem.New(http.StatusTooManyRequests, problem.CodeRateLimited, "too many requests; retry later")
		p.RetryAfter = retry
		if flow := loginFlow(c.FullPath()); flow != "" {
			refusals.Refused(c.Request.Context(), observability.Refusal{Flow: flow, Reason: observability.RefusedThrottled,
				RequestID: problem.RequestID(c), Detail: "gateway rate limit " + strings.SplitN(key, ":", 3)[1] + "; retry in " + retry.Round(time.Millisecond).String()})
		}
		problem.Write(c, p)
		return false
	}
	return true
}

// loginFlow is the login flow a route belongs to, or "" for other routes.
func loginFlow(route string) string {
	switch {
	case strings.HasPrefix(route, "/api/v1/auth/public/google/"), strings.HasPrefix(route, "/api/v1/auth/dev-oidc/"):
		return observability.FlowCustomer
	case strings.HasPrefix(route, "/api/v1/auth/corp/"):
		return observability.FlowStaff
	}
	return ""
}

type checkResult struct {
	Status string `json:"status"`
	TookMs int64  `json:"tookMs"`
}

// healthHandler runs every check concurrently with a timeout; any failure
// makes the answer "degraded" with 503. The endpoint is public, so a failing
// check's error (host names, users) goes to the log, not the answer.
func healthHandler(checks map[string]Check, log *slog.Logger) gin.HandlerFunc {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
		defer cancel()
		results := make(map[string]checkResult, len(names))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, n := range names {
			wg.Add(1)
			go func(name string, check Check) {
				defer wg.Done()
				start := time.Now()
				err := check(ctx)
				r := checkResult{Status: "ok", TookMs: time.Since(start).Milliseconds()}
				if err != nil {
					r.Status = "down"
					log.WarnContext(ctx, "health check failed", "check", name, "err", err)
				}
				mu.Lock()
				results[name] = r
				mu.Unlock()
			}(n, checks[n])
		}
		wg.Wait()
		status, code := "ok", http.StatusOK
		for _, r := range results {
			if r.Status != "ok" {
				status, code = "degraded", http.StatusServiceUnavailable
			}
		}
		c.JSON(code, gin.H{"status": status, "checks": results})
	}
}
