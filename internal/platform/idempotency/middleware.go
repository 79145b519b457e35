package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
)

// Header is the request header carrying the key.
const Header = "Idempotency-Key"

// ReplayedHeader marks a replayed response.
const ReplayedHeader = "Idempotent-Replayed"

// Options configure the middleware.
type Options struct {
	// Required refuses state-changing requests without a key.
	Required bool
	// TTL keeps records this long (default 24h).
	TTL time.Duration
	// Wait is how long a concurrent duplicate waits for the first request
	// before getting 409 (default 5s).
	Wait time.Duration
	// Now defaults to time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Middleware makes the routes it wraps idempotent by Idempotency-Key. The key
// is scoped by caller and route, so two users cannot collide.
func Middleware(store Store, opts Options) gin.HandlerFunc {
	if opts.TTL == 0 {
		opts.TTL = 24 * time.Hour
	}
	if opts.Wait == 0 {
		opts.Wait = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return func(c *gin.Context) {
		key := c.GetHeader(Header)
		if key == "" {
			if opts.Required {
				problem.Write(c, problem.Validation(problem.FieldError{Field: Header, Reason: "is required"}))
				return
			}
			c.Next()
			return
		}
		if len(key) > 255 {
			problem.Write(c, problem.Validation(problem.FieldError{Field: Header, Reason: "must be at most 255 characters"}))
			return
		}
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			problem.Write(c, problem.New(http.StatusBadRequest, problem.CodeInvalidRequest, "could not read the request body"))
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		// Anonymous callers are scoped by address so they cannot probe or
		// replay each other's keys.
		scope := "anonymous:" + c.ClientIP()
		if p, ok := authn.PrincipalFrom(c); ok {
			scope = p.UserID
		}
		scopeKey := scope + "|" + c.Request.Method + " " + c.Request.URL.Path + "|" + key
		sum := sha256.Sum256(append([]byte(c.Request.Method+" "+c.Request.URL.Path+"\n"), body...))
		hash := hex.EncodeToString(sum[:])
		now := opts.Now().UTC()

		ctx := c.Request.Context()
		existing, created, err := store.Begin(ctx, Record{ScopeKey: scopeKey, RequestHash: hash, State: StateInFlight, CreatedAt: now, ExpiresAt: now.Add(opts.TTL)})
		if err != nil {
			problem.Error(c, opts.Logger, err)
			return
		}
		if !created {
			replay(c, store, existing, hash, opts)
			return
		}

		rec := &recorder{ResponseWriter: c.Writer}
		c.Writer = rec
		defer func() {
			// A panicking handler must not leave the key in flight for a day.
			if r := recover(); r != nil {
				actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if err := store.Abandon(actx, scopeKey); err != nil {
					opts.Logger.ErrorContext(ctx, "idempotency abandon after panic failed", "key", scopeKey, "err", err)
				}
				panic(r)
			}
		}()
		c.Next()

		// Record with a context that outlives a client disconnect.
		saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		status := rec.Status()
		if status >= 500 || status == http.StatusTooManyRequests {
			if err := store.Abandon(saveCtx, scopeKey); err != nil {
				opts.Logger.ErrorContext(ctx, "idempotency abandon failed", "key", scopeKey, "err", err)
			}
			return
		}
		if err := store.Complete(saveCtx, scopeKey, status, rec.Header().Get("Content-Type"), rec.buf.Bytes()); err != nil {
			opts.Logger.ErrorContext(ctx, "idempotency complete failed", "key", scopeKey, "err", err)
		}
	}
}

func replay(c *gin.Context, store Store, rec Record, hash string, opts Options) {
	if rec.RequestHash != hash {
		problem.Write(c, problem.New(http.StatusUnprocessableEntity, problem.CodeIdempotencyConflict,
			"this Idempotency-Key was already used with a different request"))
		return
	}
	deadline := opts.Now().Add(opts.Wait)
	for rec.State != StateDone {
		if opts.Now().After(deadline) {
			c.Header("Retry-After", "1")
			problem.Write(c, problem.New(http.StatusConflict, problem.CodeIdempotencyInFlight,
				"a request with this Idempotency-Key is still being processed"))
			return
		}
		select {
		case <-c.Request.Context().Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
		var ok bool
		var err error
		rec, ok, err = store.Get(c.Request.Context(), rec.ScopeKey)
		if err != nil {
			problem.Error(c, opts.Logger, err)
			return
		}
		if !ok {
			// The first request failed and was abandoned: let the client retry.
			c.Header("Retry-After", "1")
			problem.Write(c, problem.New(http.StatusConflict, problem.CodeIdempotencyInFlight,
				"the first request with this Idempotency-Key failed; retry"))
			return
		}
	}
	c.Header(ReplayedHeader, "true")
	ct := rec.ContentType
	if ct == "" {
		ct = "application/json"
	}
	c.Data(rec.StatusCode, ct, rec.Body)
	c.Abort()
}

type recorder struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteString(s string) (int, error) {
	r.buf.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}
