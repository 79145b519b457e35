package flightapi_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/flightapi"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/services/flight/flightgorm"
	"github.com/skyfly/skyfly/services/flight/seeddata"
)

// BenchmarkAPI_Search measures GET /api/v1/flights/search through the
// flight router (Gin, authn, JSON encoding) over the 60-day demo network on
// SQLite, with the `skyfly bench` search mix; the first pass fills the
// caches, as steady-state traffic does.
func BenchmarkAPI_Search(b *testing.B) {
	ctx := context.Background()
	start := testdate.Day(1)
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(b)})
	require.NoError(b, err)
	b.Cleanup(func() { _ = db.Close() })
	require.NoError(b, flightgorm.Migrate(ctx, db))
	require.NoError(b, idempotency.Migrate(ctx, db))
	svc := flight.NewService(slog.New(slog.DiscardHandler), flightgorm.New(db), func() time.Time { return start }, nil, flight.Config{SearchCacheTTL: time.Hour})
	n, err := seeddata.Generate(start, 60, 1)
	require.NoError(b, err)
	_, err = svc.Seed(ctx, n.Airports, n.Flights)
	require.NoError(b, err)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(b, err)
	h := flightapi.NewRouter(flightapi.Config{Service: svc, Idempotency: idempotency.NewGormStore(db),
		Verifier: authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience})})
	qs := seeddata.SearchQueries(start, 500, 7)
	get := func(q string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/flights/search?"+q, nil))
		if w.Code != http.StatusOK {
			b.Fatalf("got %d %s", w.Code, w.Body.String())
		}
	}
	for _, q := range qs {
		get(q)
	}
	lat := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		t := time.Now()
		get(qs[i%len(qs)])
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds()), "p99-µs")
}
