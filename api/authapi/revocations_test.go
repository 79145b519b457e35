package authapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/internal/platform/testdate"
)

func TestPollingRevocations_A4_FailsClosedWhenStaleAndForgetsExpired(t *testing.T) {
	var mu sync.Mutex
	start := testdate.At(0, 10, 0)
	now := start
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var sinces []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "Bearer svc", r.Header.Get("Authorization"))
		mu.Lock()
		sinces = append(sinces, r.URL.Query().Get("since"))
		body := authapi.RevocationsResponse{Now: now.UnixMilli(), Revocations: []authapi.RevocationEntry{}}
		if len(sinces) == 1 { // the revocation is listed once, as a real server lists it only since its time
			body.Revocations = append(body.Revocations, authapi.RevocationEntry{SessionID: "s1", RevokedAt: now.UnixMilli(), ExpiresAt: now.Add(16 * time.Minute).UnixMilli()})
		}
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(body)
	}))
	defer srv.Close()
	p, err := authapi.NewPollingRevocations(authapi.RevocationCheckerConfig{
		URL: srv.URL, Token: func(context.Context) (string, error) { return "svc", nil }, Now: clock, MaxStaleness: time.Minute,
	})
	require.NoError(t, err)
	ctx := context.Background()

	_, err = p.Revoked(ctx, "s1")
	require.ErrorIs(t, err, authapi.ErrRevocationsStale, "before the first poll nothing is trusted")

	require.NoError(t, p.Poll(ctx))
	revoked, err := p.Revoked(ctx, "s1")
	require.NoError(t, err)
	require.True(t, revoked)
	revoked, err = p.Revoked(ctx, "s2")
	require.NoError(t, err)
	require.False(t, revoked)

	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	_, err = p.Revoked(ctx, "s1")
	require.ErrorIs(t, err, authapi.ErrRevocationsStale, "an old list fails closed")

	require.NoError(t, p.Poll(ctx))
	mu.Lock()
	require.Equal(t, "0", sinces[0])
	require.Equal(t, start.Add(-5*time.Second).UnixMilli(), mustInt(t, sinces[1]), "the next poll starts at the server's time less an overlap")
	mu.Unlock()
	revoked, err = p.Revoked(ctx, "s1")
	require.NoError(t, err)
	require.True(t, revoked, "remembered across polls until it expires")

	mu.Lock()
	now = now.Add(15 * time.Minute) // past the entry's expiry (+16 m from the first poll)
	mu.Unlock()
	require.NoError(t, p.Poll(ctx))
	revoked, err = p.Revoked(ctx, "s1")
	require.NoError(t, err)
	require.False(t, revoked, "forgotten once its access tokens have expired")
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, json.Unmarshal([]byte(s), &n))
	return n
}
