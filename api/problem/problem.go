// Package problem is SkyFly's HTTP error model: RFC 9457 problem details with
// a stable machine-readable code, plus the Gin middleware that answers 404,
// 405 and panics in that shape.
package problem

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// ContentType is the media type of every error response.
const ContentType = "application/problem+json"

// RequestIDHeader carries the request id set by the gateway.
const RequestIDHeader = "X-Request-Id"

// Stable error codes. Clients switch on these, never on titles.
const (
	CodeInvalidRequest      = "invalid_request"
	CodeNotFound            = "not_found"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeUnauthorized        = "unauthorized"
	CodeForbidden           = "forbidden"
	CodeConflict            = "conflict"
	CodeIdempotencyConflict = "idempotency_conflict"
	CodeIdempotencyInFlight = "idempotency_in_flight"
	CodeRateLimited         = "rate_limited"
	CodeInternal            = "internal"
	CodeUnavailable         = "unavailable"
	CodeSeatUnavailable     = "seat_unavailable"
	CodeQuoteExpired        = "quote_expired"
	CodePaymentDeclined     = "payment_declined"
	// CodeUnknownField: a closed request body carries a member its
	// contract does not define (a typo, or a field of another version).
	CodeUnknownField = "unknown_field"
)

// FieldError names one invalid input field.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Problem is an RFC 9457 problem details object. It implements error so
// handlers can return it.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	Code      string         `json:"code"`
	RequestID string         `json:"requestId,omitempty"`
	Errors    []FieldError   `json:"errors,omitempty"`
	Extra     map[string]any `json:"-"`
	// RetryAfter, when positive, is sent as the Retry-After header.
	RetryAfter time.Duration `json:"-"`
}

// New builds a problem with the given status, stable code and detail.
func New(status int, code, detail string) *Problem {
	return &Problem{
		Type:   "https://skyfly.dev/problems/" + code,
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
		Code:   code,
	}
}

// Newf is New with a formatted detail.
func Newf(status int, code, format string, args ...any) *Problem {
	return New(status, code, fmt.Sprintf(format, args...))
}

// Validation builds a 400 invalid_request listing each bad field.
func Validation(fields ...FieldError) *Problem {
	p := New(http.StatusBadRequest, CodeInvalidRequest, "the request has invalid fields")
	p.Errors = fields
	return p
}

// With adds an extension member (serialised beside the standard ones).
func (p *Problem) With(key string, value any) *Problem {
	if p.Extra == nil {
		p.Extra = map[string]any{}
	}
	p.Extra[key] = value
	return p
}

// Error implements error.
func (p *Problem) Error() string {
	return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Detail)
}

// body merges the extension members into the standard ones.
func (p *Problem) body() map[string]any {
	m := map[string]any{
		"type":   p.Type,
		"title":  p.Title,
		"status": p.Status,
		"code":   p.Code,
	}
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	if p.Instance != "" {
		m["instance"] = p.Instance
	}
	if p.RequestID != "" {
		m["requestId"] = p.RequestID
	}
	if len(p.Errors) > 0 {
		m["errors"] = p.Errors
	}
	for k, v := range p.Extra {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return m
}

// Write sends p as the response and aborts the Gin chain.
func Write(c *gin.Context, p *Problem) {
	cp := *p
	if cp.RequestID == "" {
		cp.RequestID = RequestID(c)
	}
	if cp.Instance == "" && c.Request != nil {
		cp.Instance = c.Request.URL.Path
	}
	if cp.RetryAfter > 0 {
		secs := int((cp.RetryAfter + time.Second - 1) / time.Second)
		c.Header("Retry-After", strconv.Itoa(secs))
	}
	c.Header("Content-Type", ContentType)
	c.AbortWithStatusJSON(cp.Status, cp.body())
}

// Error answers err: a *Problem (anywhere in the chain) as itself, anything
// else as a generic 500 after logging it once with the request id.
func Error(c *gin.Context, log *slog.Logger, err error) {
	var p *Problem
	if errors.As(err, &p) {
		Write(c, p)
		return
	}
	if log != nil {
		log.ErrorContext(c.Request.Context(), "unhandled error", "err", err, "request_id", RequestID(c), "path", c.Request.URL.Path)
	}
	Write(c, New(http.StatusInternalServerError, CodeInternal, "an unexpected error occurred; quote the request id when contacting support"))
}

// RequestID returns the request id of c (from the header the gateway sets).
func RequestID(c *gin.Context) string {
	if v, ok := c.Get("request_id"); ok {
		if s, ok := v.(string); ok {
			return s
		}
	}
	if c.Request != nil {
		return c.Request.Header.Get(RequestIDHeader)
	}
	return ""
}

// Recovery turns a panic into a logged 500 problem.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, rec any) {
		Error(c, log, fmt.Errorf("panic: %v", rec))
	})
}

// NoRoute answers unknown paths with a 404 problem.
func NoRoute(c *gin.Context) {
	Write(c, Newf(http.StatusNotFound, CodeNotFound, "no route for %s %s", c.Request.Method, c.Request.URL.Path))
}

// NoMethod answers a known path with the wrong method with a 405 problem.
func NoMethod(c *gin.Context) {
	Write(c, Newf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method %s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
}

// BindJSON decodes the body into v, answering a 400 problem (and returning
// false) when the body is not valid JSON for v or fails its binding tags.
// Request contracts are closed: a member v does not define is 400
// unknown_field naming it (its path, e.g. passengers[0].nickname), not
// silently dropped. Members of map-typed fields stay open.
func BindJSON(c *gin.Context, v any) bool {
	if p := decodeStrict(c.Request, v); p != nil {
		Write(c, p)
		return false
	}
	return true
}

// UnknownField is the 400 unknown_field problem naming each member (a
// JSON path) the closed contract does not define.
func UnknownField(paths ...string) *Problem {
	p := New(http.StatusBadRequest, CodeUnknownField, "the request has members its contract does not define")
	for _, f := range paths {
		p.Errors = append(p.Errors, FieldError{Field: f, Reason: "is not a known field"})
	}
	return p
}

// NewEngine returns a Gin engine with SkyFly's error handling installed:
// problem+json for 404, 405 and panics.
func NewEngine(log *slog.Logger) *gin.Engine {
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.Use(Recovery(log))
	e.NoRoute(NoRoute)
	e.NoMethod(NoMethod)
	return e
}
