package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/problem"
)

// Problem codes of the edge protection.
const (
	CodePayloadTooLarge      = "payload_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeOverloaded           = "overloaded"
)

// EdgeConfig bounds what a client may send and how much of a service it
// may hold. Zero values take the defaults noted.
type EdgeConfig struct {
	// MaxBody caps a request body (default 64 KiB; SkyFly's largest
	// legitimate body, a nine-passenger reservation, is under 8 KiB).
	MaxBody int64
	// MaxHeaderBytes caps the request line and headers (default 16 KiB;
	// applied by the HTTP server: see ServerTimeouts).
	MaxHeaderBytes int
	// MaxJSONDepth and MaxJSONValues bound a JSON body's nesting and its
	// number of values (defaults 16 and 2,000).
	MaxJSONDepth  int
	MaxJSONValues int
	// Concurrency caps the requests in flight per domain (default 256);
	// the adaptive limit starts there and shrinks when the domain slows
	// down or fails, growing back as it recovers.
	Concurrency int
	// SlowLatency is the smoothed latency above which a domain's limit
	// shrinks (default 10 s: a confirm waits for its saga, seconds under
	// load, so only a domain in real trouble crosses it); a 5xx rate above
	// FailureRate (default 0.5) shrinks it too.
	SlowLatency time.Duration
	FailureRate float64
	// MinConcurrency is the floor of the adaptive limit (default 16).
	MinConcurrency int
}

func (c EdgeConfig) withDefaults() EdgeConfig {
	if c.MaxBody <= 0 {
		c.MaxBody = 64 << 10
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 16 << 10
	}
	if c.MaxJSONDepth <= 0 {
		c.MaxJSONDepth = 16
	}
	if c.MaxJSONValues <= 0 {
		c.MaxJSONValues = 2000
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 256
	}
	if c.SlowLatency <= 0 {
		c.SlowLatency = 10 * time.Second
	}
	if c.FailureRate <= 0 {
		c.FailureRate = 0.5
	}
	if c.MinConcurrency <= 0 {
		c.MinConcurrency = 16
	}
	return c
}

// ServerTimeouts are the slow-client limits of the gateway's HTTP server:
// headers within 10 s, a whole request within 30 s, idle connections for
// 2 minutes. There is no write timeout: event streams stay open.
type ServerTimeouts struct {
	ReadHeader time.Duration
	Read       time.Duration
	Idle       time.Duration
}

// DefaultServerTimeouts returns the gateway's slow-client timeouts.
func DefaultServerTimeouts() ServerTimeouts {
	return ServerTimeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Idle: 2 * time.Minute}
}

// formRoutes take HTML form posts (the development OIDC provider's login
// page, the sandbox's 3-D Secure page); every other body is JSON.
var formRoutes = map[string]bool{
	"POST /api/v1/auth/dev-oidc/*path":                   true,
	"POST /api/v1/payments/sandbox/challenge/:paymentId": true,
}

// bodyCheck enforces the body limits of one route: size (413), media type
// (415) and, for JSON, nesting depth and number of values (400), each as
// problem+json before anything reaches a service.
func bodyCheck(cfg EdgeConfig, r Route) gin.HandlerFunc {
	form := formRoutes[r.Method+" "+r.Path]
	return func(c *gin.Context) {
		req := c.Request
		if req.Body == nil || req.Body == http.NoBody || req.ContentLength == 0 {
			c.Next()
			return
		}
		if req.ContentLength > cfg.MaxBody {
			tooLarge(c, cfg.MaxBody)
			return
		}
		mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
		want := "application/json"
		if form {
			want = "application/x-www-form-urlencoded"
		}
		jsonType := mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) // merge-patch+json
		ok := (!form && jsonType) || (form && (mt == want || mt == "multipart/form-data"))
		if err != nil || !ok {
			problem.Write(c, problem.Newf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
				"this route takes %s bodies (Content-Type %q)", want, req.Header.Get("Content-Type")))
			return
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, cfg.MaxBody+1))
		if err != nil {
			problem.Write(c, problem.New(http.StatusBadRequest, problem.CodeInvalidRequest, "the request body could not be read"))
			return
		}
		if int64(len(body)) > cfg.MaxBody {
			tooLarge(c, cfg.MaxBody)
			return
		}
		if !form {
			if err := jsonShape(body, cfg.MaxJSONDepth, cfg.MaxJSONValues); err != nil {
				problem.Write(c, problem.New(http.StatusBadRequest, problem.CodeInvalidRequest, err.Error()))
				return
			}
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		c.Next()
	}
}

func tooLarge(c *gin.Context, max int64) {
	problem.Write(c, problem.Newf(http.StatusRequestEntityTooLarge, CodePayloadTooLarge, "the request body is over %d bytes", max))
}

// jsonShape checks that body is one JSON value nested at most depth deep
// with at most values values. Malformed JSON is left to the handler, which
// names the field; only the shape is judged here.
func jsonShape(body []byte, depth, values int) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	level, count := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // malformed: the service's decoder answers it with the field
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			level++
			if level > depth {
				return fmt.Errorf("the JSON body nests deeper than %d levels", depth)
			}
		case json.Delim('}'), json.Delim(']'):
			level--
		}
		count++
		if count > values {
			return fmt.Errorf("the JSON body has more than %d values", values)
		}
	}
}

// domainGate is the adaptive concurrency limit of one domain: requests in
// flight beyond the limit are refused at once with 503 and Retry-After
// (never queued), and the limit follows the domain's health: halved when
// its smoothed latency or 5xx rate is too high, one more per healthy answer.
type domainGate struct {
	mu       sync.Mutex
	cfg      EdgeConfig
	limit    float64
	inFlight int
	latency  float64 // EWMA, seconds
	failures float64 // EWMA of 5xx, 0..1
	shrunk   time.Time
	now      func() time.Time
}

func newDomainGate(cfg EdgeConfig, now func() time.Time) *domainGate {
	return &domainGate{cfg: cfg, limit: float64(cfg.Concurrency), now: now}
}

func (g *domainGate) acquire() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inFlight >= int(g.limit) {
		return false
	}
	g.inFlight++
	return true
}

func (g *domainGate) release(took time.Duration, failed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	const alpha = 0.1
	f := 0.0
	if failed {
		f = 1
	}
	g.latency += alpha * (took.Seconds() - g.latency)
	g.failures += alpha * (f - g.failures)
	now := g.now()
	unhealthy := g.latency > g.cfg.SlowLatency.Seconds() || g.failures > g.cfg.FailureRate
	switch {
	case unhealthy && now.Sub(g.shrunk) > time.Second:
		// at most one cut a second, so one slow burst is not cut to the floor
		g.limit = max(float64(g.cfg.MinConcurrency), g.limit/2)
		g.shrunk = now
	case !unhealthy && g.limit < float64(g.cfg.Concurrency):
		g.limit = min(float64(g.cfg.Concurrency), g.limit+1)
	}
}

// Limit reports the current limit (tests and metrics).
func (g *domainGate) Limit() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return int(g.limit)
}

// gates holds one adaptive gate per domain.
type gates struct {
	cfg EdgeConfig
	log *slog.Logger
	now func() time.Time
	mu  sync.Mutex
	by  map[string]*domainGate
}

func newGates(cfg EdgeConfig, log *slog.Logger, now func() time.Time) *gates {
	return &gates{cfg: cfg, log: log, now: now, by: map[string]*domainGate{}}
}

func (gs *gates) gate(domain string) *domainGate {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	g, ok := gs.by[domain]
	if !ok {
		g = newDomainGate(gs.cfg, gs.now)
		gs.by[domain] = g
	}
	return g
}

// concurrency admits a request to its domain within the adaptive limit.
// Event streams are exempt: they are long-lived by design and hold no
// service worker.
func (gs *gates) concurrency(r Route) gin.HandlerFunc {
	if strings.HasSuffix(r.Path, "/events") {
		return func(c *gin.Context) { c.Next() }
	}
	g := gs.gate(r.Domain)
	return func(c *gin.Context) {
		if !g.acquire() {
			gs.log.WarnContext(c.Request.Context(), "domain overloaded; request refused", "domain", r.Domain, "limit", g.Limit(),
				"route", r.Method+" "+r.Path, "request_id", c.GetString("request_id"))
			p := problem.Newf(http.StatusServiceUnavailable, CodeOverloaded, "the %s service is at its limit; retry in a second", r.Domain)
			p.RetryAfter = time.Second
			problem.Write(c, p)
			return
		}
		start := gs.now()
		defer func() { g.release(gs.now().Sub(start), c.Writer.Status() >= 500) }()
		c.Next()
	}
}
