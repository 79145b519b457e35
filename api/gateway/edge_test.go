package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/gateway"
)

// edgeGateway routes every domain to target with the given edge limits.
func edgeGateway(t *testing.T, edge gateway.EdgeConfig, target http.Handler) http.Handler {
	t.Helper()
	targets := map[string]http.Handler{}
	for _, d := range []string{gateway.DomainAuth, gateway.DomainFlight, gateway.DomainBooking, gateway.DomainCustomer, gateway.DomainPayment} {
		targets[d] = target
	}
	h, err := gateway.New(gateway.Config{Verifier: authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{}}), Targets: targets,
		Limits: gateway.DefaultLimits(1e6), Edge: edge})
	require.NoError(t, err)
	return h
}

func post(h http.Handler, path, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestEdge_BodyLimitsAnswerProblemsBeforeTheService(t *testing.T) {
	var got [][]byte
	var mu sync.Mutex
	h := edgeGateway(t, gateway.EdgeConfig{MaxBody: 1024, MaxJSONDepth: 4, MaxJSONValues: 50}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	const quote = "/api/v1/pricing/quote"
	ok := []byte(`{"itineraryId":"SF1-DAY","fareId":"Y-M","passengers":{"adults":1}}`)

	rec := post(h, quote, "application/json", ok)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, [][]byte{ok}, got, "a good body reaches the service unchanged")

	cases := []struct {
		name, contentType string
		body              []byte
		status            int
		code              string
	}{
		{"a body over the limit", "application/json", append([]byte(`{"x":"`), append(bytes.Repeat([]byte("a"), 2000), '"', '}')...), 413, gateway.CodePayloadTooLarge},
		{"text instead of JSON", "text/plain", ok, 415, gateway.CodeUnsupportedMediaType},
		{"no Content-Type", "", ok, 415, gateway.CodeUnsupportedMediaType},
		{"a form on a JSON route", "application/x-www-form-urlencoded", []byte("a=b"), 415, gateway.CodeUnsupportedMediaType},
		{"nesting deeper than 4", "application/json", []byte(`{"a":{"b":{"c":{"d":{"e":1}}}}}`), 400, "invalid_request"},
		{"more than 50 values", "application/json", []byte(`[` + strings.Repeat(`1,`, 60) + `1]`), 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(h, quote, tc.contentType, tc.body)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Equal(t, tc.code, problemCode(t, rec))
		})
	}
	require.Len(t, got, 1, "no refused body reached the service")

	t.Run("JSON with a charset and the form routes pass", func(t *testing.T) {
		require.Equal(t, http.StatusOK, post(h, quote, "application/json; charset=utf-8", ok).Code)
		require.Equal(t, http.StatusOK, post(h, quote, "application/merge-patch+json", ok).Code, "a JSON media type")
		require.Equal(t, http.StatusOK, post(h, "/api/v1/auth/dev-oidc/login", "application/x-www-form-urlencoded", []byte("email=a%40b.c")).Code)
		require.Equal(t, http.StatusOK, post(h, "/api/v1/auth/token/refresh", "", nil).Code, "an empty body needs no Content-Type")
	})
}

func TestEdge_ADomainAtItsLimitAnswers503AtOnce(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	h := edgeGateway(t, gateway.EdgeConfig{Concurrency: 2}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	search := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/flights/search?origin=JFK", nil))
		return rec
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = search().Code }()
	}
	<-entered
	<-entered
	start := time.Now()
	rec := search()
	require.Less(t, time.Since(start), time.Second, "refused at once, not queued")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, gateway.CodeOverloaded, problemCode(t, rec))
	require.Equal(t, "1", rec.Header().Get("Retry-After"))

	other := httptest.NewRecorder()
	go func() { <-entered }()
	go func() { time.Sleep(50 * time.Millisecond); close(release) }()
	h.ServeHTTP(other, httptest.NewRequest(http.MethodGet, "/api/v1/bookings", nil))
	require.NotEqual(t, http.StatusServiceUnavailable, other.Code, "another domain has its own limit")
	wg.Wait()
	require.Equal(t, []int{200, 200}, codes)
	require.Equal(t, http.StatusOK, search().Code, "free again once they finished")
}
