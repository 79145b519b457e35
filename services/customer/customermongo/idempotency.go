package customermongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/skyfly/skyfly/internal/platform/idempotency"
)

// IdempotencyStore keeps the customer service's Idempotency-Key records in
// its own MongoDB database (the platform's GORM store needs SQL).
type IdempotencyStore struct {
	db  *mongo.Database
	now func() time.Time
}

var _ idempotency.Store = (*IdempotencyStore)(nil)

// NewIdempotencyStore returns the store; now decides when records expire.
func NewIdempotencyStore(db *mongo.Database, now func() time.Time) *IdempotencyStore {
	return &IdempotencyStore{db: db, now: now}
}

type idemDoc struct {
	ScopeKey    string    `bson:"_id"`
	RequestHash string    `bson:"requestHash"`
	State       string    `bson:"state"`
	StatusCode  int       `bson:"statusCode"`
	ContentType string    `bson:"contentType"`
	Body        []byte    `bson:"body"`
	CreatedAt   time.Time `bson:"createdAt"`
	ExpiresAt   time.Time `bson:"expiresAt"`
}

func (s *IdempotencyStore) coll() *mongo.Collection { return s.db.Collection(CollIdempotency) }

// Begin implements idempotency.Store.
func (s *IdempotencyStore) Begin(ctx context.Context, rec idempotency.Record) (idempotency.Record, bool, error) {
	// An expired record no longer protects its key (the TTL index removes
	// it eventually; this makes expiry exact).
	if _, err := s.coll().DeleteOne(ctx, bson.M{"_id": rec.ScopeKey, "expiresAt": bson.M{"$lt": s.now().UTC()}}); err != nil {
		return idempotency.Record{}, false, fmt.Errorf("customermongo: idempotency purge %s: %w", rec.ScopeKey, err)
	}
	_, err := s.coll().InsertOne(ctx, idemDoc{
		ScopeKey: rec.ScopeKey, RequestHash: rec.RequestHash, State: rec.State, StatusCode: rec.StatusCode,
		ContentType: rec.ContentType, Body: rec.Body, CreatedAt: rec.CreatedAt.UTC(), ExpiresAt: rec.ExpiresAt.UTC(),
	})
	if err == nil {
		return rec, true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return idempotency.Record{}, false, fmt.Errorf("customermongo: idempotency begin %s: %w", rec.ScopeKey, err)
	}
	existing, ok, err := s.Get(ctx, rec.ScopeKey)
	if err != nil {
		return idempotency.Record{}, false, err
	}
	if !ok {
		return idempotency.Record{}, false, fmt.Errorf("customermongo: idempotency key %s vanished during begin", rec.ScopeKey)
	}
	return existing, false, nil
}

// Complete implements idempotency.Store.
func (s *IdempotencyStore) Complete(ctx context.Context, scopeKey string, status int, contentType string, body []byte) error {
	_, err := s.coll().UpdateOne(ctx, bson.M{"_id": scopeKey, "state": idempotency.StateInFlight},
		bson.M{"$set": bson.M{"state": idempotency.StateDone, "statusCode": status, "contentType": contentType, "body": body}})
	if err != nil {
		return fmt.Errorf("customermongo: idempotency complete %s: %w", scopeKey, err)
	}
	return nil
}

// Abandon implements idempotency.Store.
func (s *IdempotencyStore) Abandon(ctx context.Context, scopeKey string) error {
	if _, err := s.coll().DeleteOne(ctx, bson.M{"_id": scopeKey, "state": idempotency.StateInFlight}); err != nil {
		return fmt.Errorf("customermongo: idempotency abandon %s: %w", scopeKey, err)
	}
	return nil
}

// Get implements idempotency.Store.
func (s *IdempotencyStore) Get(ctx context.Context, scopeKey string) (idempotency.Record, bool, error) {
	var d idemDoc
	err := s.coll().FindOne(ctx, bson.M{"_id": scopeKey}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return idempotency.Record{}, false, nil
	}
	if err != nil {
		return idempotency.Record{}, false, fmt.Errorf("customermongo: idempotency get %s: %w", scopeKey, err)
	}
	return idempotency.Record{
		ScopeKey: d.ScopeKey, RequestHash: d.RequestHash, State: d.State, StatusCode: d.StatusCode,
		ContentType: d.ContentType, Body: d.Body, CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(),
	}, true, nil
}
