package idempotency_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

type server struct {
	engine   *gin.Engine
	executed atomic.Int32
	fail     atomic.Bool
	release  chan struct{}
}

func newServer(t *testing.T, dsn string, opts idempotency.Options) *server {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, idempotency.Migrate(ctx, db))
	s := &server{engine: problem.NewEngine(nil)}
	s.engine.POST("/api/v1/things", idempotency.Middleware(idempotency.NewGormStore(db), opts), func(c *gin.Context) {
		n := s.executed.Add(1)
		if s.release != nil {
			<-s.release
		}
		if s.fail.Load() {
			problem.Write(c, problem.New(http.StatusServiceUnavailable, problem.CodeUnavailable, "try later"))
			return
		}
		c.JSON(http.StatusCreated, gin.H{"execution": n})
	})
	return s
}

func (s *server) post(key, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/api/v1/things", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(idempotency.Header, key)
	}
	rec := httptest.NewRecorder()
	s.engine.ServeHTTP(rec, req)
	return rec
}

func eachDB(t *testing.T, f func(t *testing.T, dsn string)) {
	for name, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(name, func(t *testing.T) { f(t, dsn(t)) })
	}
}

func TestIdempotency_P1_ReplayReturnsFirstResponse(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		s := newServer(t, dsn, idempotency.Options{})
		first := s.post("k1", `{"a":1}`)
		require.Equal(t, http.StatusCreated, first.Code)
		again := s.post("k1", `{"a":1}`)
		require.Equal(t, http.StatusCreated, again.Code)
		require.Equal(t, first.Body.String(), again.Body.String())
		require.Equal(t, "true", again.Header().Get(idempotency.ReplayedHeader))
		require.Equal(t, int32(1), s.executed.Load(), "the handler ran once")

		other := s.post("k2", `{"a":1}`)
		require.Equal(t, http.StatusCreated, other.Code)
		require.Equal(t, int32(2), s.executed.Load(), "a new key is a new request")
	})
}

func TestIdempotency_P1_SameKeyDifferentBodyIs422(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		s := newServer(t, dsn, idempotency.Options{})
		require.Equal(t, http.StatusCreated, s.post("k", `{"amount":100}`).Code)
		rec := s.post("k", `{"amount":999}`)
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		require.Contains(t, rec.Body.String(), `"code":"idempotency_conflict"`)
		require.Equal(t, int32(1), s.executed.Load())
	})
}

// TestIdempotency_P2_ConcurrentDuplicates: one executes; the others wait and
// get its response, or 409 when it takes longer than the wait.
func TestIdempotency_P2_ConcurrentDuplicates(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		s := newServer(t, dsn, idempotency.Options{Wait: 5 * time.Second})
		s.release = make(chan struct{})
		const n = 8
		codes := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() { defer wg.Done(); codes <- s.post("same", `{"x":1}`).Code }()
		}
		require.Eventually(t, func() bool { return s.executed.Load() == 1 }, 5*time.Second, 10*time.Millisecond)
		time.Sleep(100 * time.Millisecond) // let the duplicates reach their wait loop
		close(s.release)
		wg.Wait()
		close(codes)
		for c := range codes {
			require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, c)
		}
		require.Equal(t, int32(1), s.executed.Load(), "exactly one execution")
	})
}

func TestIdempotency_InFlightBeyondWaitIs409(t *testing.T) {
	s := newServer(t, testenv.SQLiteDSN(t), idempotency.Options{Wait: 100 * time.Millisecond})
	s.release = make(chan struct{})
	done := make(chan int)
	go func() { done <- s.post("slow", `{}`).Code }()
	require.Eventually(t, func() bool { return s.executed.Load() == 1 }, 5*time.Second, 5*time.Millisecond)
	rec := s.post("slow", `{}`)
	require.Equal(t, http.StatusConflict, rec.Code)
	require.Contains(t, rec.Body.String(), `"code":"idempotency_in_flight"`)
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
	close(s.release)
	require.Equal(t, http.StatusCreated, <-done)
}

func TestIdempotency_ServerErrorsAreNotRecorded(t *testing.T) {
	s := newServer(t, testenv.SQLiteDSN(t), idempotency.Options{})
	s.fail.Store(true)
	require.Equal(t, http.StatusServiceUnavailable, s.post("k", `{}`).Code)
	s.fail.Store(false)
	rec := s.post("k", `{}`)
	require.Equal(t, http.StatusCreated, rec.Code, "a retry after a 5xx executes again")
	require.Equal(t, int32(2), s.executed.Load())
}

func TestIdempotency_RequiredKey(t *testing.T) {
	s := newServer(t, testenv.SQLiteDSN(t), idempotency.Options{Required: true})
	rec := s.post("", `{}`)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), "Idempotency-Key")
	require.Equal(t, int32(0), s.executed.Load())
}

func TestIdempotency_ExpiredKeyIsReusable(t *testing.T) {
	now := time.Now()
	s := newServer(t, testenv.SQLiteDSN(t), idempotency.Options{TTL: time.Hour, Now: func() time.Time { return now }})
	require.Equal(t, http.StatusCreated, s.post("k", `{"a":1}`).Code)
	now = now.Add(2 * time.Hour)
	require.Equal(t, http.StatusCreated, s.post("k", `{"a":2}`).Code, "after the TTL the key is free")
	require.Equal(t, int32(2), s.executed.Load())
}

func TestIdempotency_PanicReleasesTheKey(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, idempotency.Migrate(ctx, db))
	e := problem.NewEngine(nil)
	var calls atomic.Int32
	e.POST("/p", idempotency.Middleware(idempotency.NewGormStore(db), idempotency.Options{Wait: 100 * time.Millisecond}), func(c *gin.Context) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		c.JSON(http.StatusCreated, gin.H{"ok": true})
	})
	post := func() int {
		req := httptest.NewRequest("POST", "/p", strings.NewReader(`{}`))
		req.Header.Set(idempotency.Header, "k")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Code
	}
	require.Equal(t, http.StatusInternalServerError, post())
	require.Equal(t, http.StatusCreated, post(), "the retry runs instead of waiting on a key the panic left in flight")
}

func TestIdempotency_InFlightRecordOfACrashedProcessExpires(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, idempotency.Migrate(ctx, db))
	store := idempotency.NewGormStore(db)
	now := time.Now()
	_, created, err := store.Begin(ctx, idempotency.Record{ScopeKey: "k", RequestHash: "h", State: idempotency.StateInFlight, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)})
	require.NoError(t, err)
	require.True(t, created)
	_, created, err = store.Begin(ctx, idempotency.Record{ScopeKey: "k", RequestHash: "h", State: idempotency.StateInFlight, CreatedAt: now.Add(time.Minute), ExpiresAt: now.Add(24 * time.Hour)})
	require.NoError(t, err)
	require.False(t, created, "within the lease the first request still owns the key")
	later := now.Add(idempotency.InFlightLease + time.Minute)
	_, created, err = store.Begin(ctx, idempotency.Record{ScopeKey: "k", RequestHash: "h", State: idempotency.StateInFlight, CreatedAt: later, ExpiresAt: later.Add(24 * time.Hour)})
	require.NoError(t, err)
	require.True(t, created, "past the lease a crashed request's key is taken over")
}
