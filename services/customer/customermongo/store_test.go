package customermongo_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/mongodb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customermongo"
	"github.com/skyfly/skyfly/services/customer/customertest"
)

// TestStore_Contract runs the customer.Store contract on FerretDB with each
// handler available (sqlite always; postgresql when PostgreSQL is set).
func TestStore_Contract(t *testing.T) {
	for _, handler := range testenv.FerretDBHandlers() {
		t.Run(handler, func(t *testing.T) {
			uri := testenv.FerretDB(t, handler)
			customertest.RunStoreContract(t, func(t *testing.T) customer.Store {
				return customermongo.New(freshDB(t, uri))
			})
		})
	}
}

// freshDB connects to a new database on the server of uri, with indexes.
func freshDB(t *testing.T, uri string) *mongo.Database {
	t.Helper()
	ctx := context.Background()
	c, err := mongodb.Connect(ctx, mongodb.Config{DSN: uri, WriteConcern: "majority"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	db := c.Database(c.DB.Name() + "_" + sanitize(t.Name()))
	_, err = customermongo.EnsureIndexes(ctx, db)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	return db
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) > 30 {
		b = b[len(b)-30:]
	}
	return string(b)
}

// TestIdempotencyStore_OneBeginWins: of concurrent requests with one
// Idempotency-Key exactly one executes (API.md); the others see its record.
func TestIdempotencyStore_OneBeginWins(t *testing.T) {
	for _, handler := range testenv.FerretDBHandlers() {
		t.Run(handler, func(t *testing.T) {
			ctx := context.Background()
			clock := customertest.NewClock(customertest.Epoch())
			s := customermongo.NewIdempotencyStore(freshDB(t, testenv.FerretDB(t, handler)), clock.Now)
			rec := idempotency.Record{ScopeKey: "u1|POST /x|k1", RequestHash: "h", State: idempotency.StateInFlight, CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)}

			var created atomic.Int32
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					_, ok, err := s.Begin(ctx, rec)
					if err != nil {
						t.Errorf("begin: %v", err)
					}
					if ok {
						created.Add(1)
					}
				})
			}
			wg.Wait()
			require.Equal(t, int32(1), created.Load(), "got %d executions for one key, want 1", created.Load())

			require.NoError(t, s.Complete(ctx, rec.ScopeKey, 202, "application/json", []byte(`{"ok":true}`)))
			got, ok, err := s.Get(ctx, rec.ScopeKey)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, idempotency.StateDone, got.State)
			require.Equal(t, 202, got.StatusCode)
			require.JSONEq(t, `{"ok":true}`, string(got.Body))

			clock.Advance(2 * time.Hour)
			_, ok, err = s.Begin(ctx, rec)
			require.NoError(t, err)
			require.True(t, ok, "an expired key protects nothing")

			require.NoError(t, s.Abandon(ctx, rec.ScopeKey))
			_, ok, err = s.Get(ctx, rec.ScopeKey)
			require.NoError(t, err)
			require.False(t, ok, "an abandoned in-flight key is gone")
		})
	}
}

// TestSweep_RemovesExpiredDocuments: FerretDB has no TTL indexes, so Sweep
// does their work.
func TestSweep_RemovesExpiredDocuments(t *testing.T) {
	ctx := context.Background()
	uri := testenv.FerretDB(t, "sqlite")
	c, err := mongodb.Connect(ctx, mongodb.Config{DSN: uri, WriteConcern: "majority"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	ttl, err := customermongo.EnsureIndexes(ctx, c.DB)
	require.NoError(t, err)
	require.False(t, ttl, "FerretDB 1.24 reported TTL index support; Sweep may be unnecessary now")

	s := customermongo.New(c.DB)
	ok, err := s.SwapLimiterState(ctx, "old", 0, 1, customertest.Epoch().Add(time.Minute))
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = s.SwapLimiterState(ctx, "live", 0, 1, customertest.Epoch().Add(time.Hour))
	require.NoError(t, err)
	require.True(t, ok)

	n, err := customermongo.Sweep(ctx, c.DB, customertest.Epoch().Add(10*time.Minute))
	require.NoError(t, err)
	require.Equal(t, int64(2), n, "got %d swept documents, want the expired key's head and version", n)
	_, v, err := s.LimiterState(ctx, "old")
	require.NoError(t, err)
	require.Equal(t, int64(0), v, "an expired limiter state survived the sweep")
	_, v, err = s.LimiterState(ctx, "live")
	require.NoError(t, err)
	require.Equal(t, int64(1), v)
}

// TestEnsureIndexes_IdempotentAcrossRestarts: `skyfly service customer`
// migrates on every start, so index creation must succeed on a database
// that already has the indexes, after the server restarted.
func TestEnsureIndexes_IdempotentAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "ferretdb")
	for run := range 2 {
		e, err := mongodb.StartEmbedded(ctx, mongodb.EmbeddedConfig{Handler: "sqlite", SQLiteDir: dir})
		require.NoError(t, err)
		c, err := mongodb.Connect(ctx, mongodb.Config{DSN: e.URI() + "skyfly", WriteConcern: "majority"})
		require.NoError(t, err)
		_, err = customermongo.EnsureIndexes(ctx, c.DB)
		require.NoError(t, err, "run %d", run+1)
		_, err = customermongo.EnsureIndexes(ctx, c.DB)
		require.NoError(t, err, "run %d, second call", run+1)
		s := customermongo.New(c.DB)
		err = s.InsertNotification(ctx, customer.Notification{ID: fmt.Sprintf("n%d", run), DedupeKey: "same", Data: map[string]string{}})
		if run == 0 {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, customer.ErrDuplicate, "the unique dedupe index did not survive the restart")
		}
		require.NoError(t, c.Close(ctx))
		e.Stop()
	}
}

// TestStore_LostHeadWriteIsFollowed: a profile read follows versions newer
// than the cached head, so a head write lost to a crash (or overtaken by a
// slower writer) never yields a stale profile.
func TestStore_LostHeadWriteIsFollowed(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, testenv.FerretDB(t, "sqlite"))
	s := customermongo.New(db)
	p := customer.Profile{UserID: "u1", Email: "a@example.com", Preferences: customer.DefaultPreferences(), Version: 1}
	require.NoError(t, s.CreateProfile(ctx, p))
	for v := int64(1); v <= 3; v++ {
		next := p
		next.GivenName = fmt.Sprintf("V%d", v+1)
		require.NoError(t, s.UpdateProfile(ctx, next, v))
	}
	_, err := db.Collection(customermongo.CollProfiles).UpdateOne(ctx, bson.M{"_id": "u1"}, bson.M{"$set": bson.M{"version": 2}})
	require.NoError(t, err)
	got, err := s.Profile(ctx, "u1")
	require.NoError(t, err)
	require.Equal(t, int64(4), got.Version, "got a stale version after the head fell behind")
	require.Equal(t, "V4", got.GivenName)

	_, err = db.Collection(customermongo.CollProfiles).DeleteOne(ctx, bson.M{"_id": "u1"})
	require.NoError(t, err)
	require.ErrorIs(t, s.CreateProfile(ctx, p), customer.ErrAlreadyExists, "a profile whose head is gone was created again")
}
