// Package idempotency implements Idempotency-Key for state-changing POSTs:
// the first response for a key is recorded in the service's own database and
// replayed for retries; the same key with a different body is 422; a
// concurrent duplicate waits for the first and otherwise gets 409.
package idempotency

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
)

//go:embed migrations
var migrations embed.FS

// States of a record.
const (
	StateInFlight = "in_flight"
	StateDone     = "done"
)

// InFlightLease is how long an in-flight record protects its key: longer
// than any request runs, so an older one was left by a crashed process.
const InFlightLease = 2 * time.Minute

// Record is one idempotency key and, once done, the response it produced.
type Record struct {
	ScopeKey    string
	RequestHash string
	State       string
	StatusCode  int
	ContentType string
	Body        []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Store persists records.
type Store interface {
	// Begin inserts rec as in flight. When a live record with the same key
	// exists it returns that record and created=false.
	Begin(ctx context.Context, rec Record) (existing Record, created bool, err error)
	// Complete stores the response of an in-flight record.
	Complete(ctx context.Context, scopeKey string, status int, contentType string, body []byte) error
	// Abandon deletes an in-flight record so the request can be retried.
	Abandon(ctx context.Context, scopeKey string) error
	// Get returns the record for a key.
	Get(ctx context.Context, scopeKey string) (Record, bool, error)
}

// Migrate creates the idempotency table in a service database.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	if err := sqldb.Migrate(ctx, db, sub(), "idempotency_migrations"); err != nil {
		return fmt.Errorf("idempotency: %w", err)
	}
	return nil
}

func sub() fs.FS {
	s, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return s
}

// GormStore is the Store over a service's SQL database.
type GormStore struct {
	db *sqldb.DB
}

// NewGormStore returns a store on db (which Migrate has prepared).
func NewGormStore(db *sqldb.DB) *GormStore {
	return &GormStore{db: db}
}

type row struct {
	ScopeKey    string `gorm:"primaryKey;column:scope_key"`
	RequestHash string `gorm:"column:request_hash"`
	State       string `gorm:"column:state"`
	StatusCode  int    `gorm:"column:status_code"`
	ContentType string `gorm:"column:content_type"`
	Body        []byte `gorm:"column:body"`
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

func (row) TableName() string { return "idempotency_keys" }

func toRecord(r row) Record {
	return Record(r)
}

// Begin implements Store.
func (s *GormStore) Begin(ctx context.Context, rec Record) (Record, bool, error) {
	db := s.db.WithContext(ctx)
	now := rec.CreatedAt.UTC()
	// An expired record no longer protects its key (judged by the caller's
	// clock), nor does one left in flight by a process that died.
	if err := db.Where("scope_key = ? AND (expires_at < ? OR (state = ? AND created_at < ?))",
		rec.ScopeKey, now, StateInFlight, now.Add(-InFlightLease)).Delete(&row{}).Error; err != nil {
		return Record{}, false, fmt.Errorf("idempotency: purge expired %s: %w", rec.ScopeKey, err)
	}
	r := row(rec)
	r.CreatedAt, r.ExpiresAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC()
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
	if res.Error != nil && !errors.Is(res.Error, gorm.ErrDuplicatedKey) {
		return Record{}, false, fmt.Errorf("idempotency: begin %s: %w", rec.ScopeKey, res.Error)
	}
	if res.Error == nil && res.RowsAffected == 1 {
		return rec, true, nil
	}
	existing, ok, err := s.Get(ctx, rec.ScopeKey)
	if err != nil {
		return Record{}, false, err
	}
	if !ok {
		return Record{}, false, fmt.Errorf("idempotency: key %s vanished during begin", rec.ScopeKey)
	}
	return existing, false, nil
}

// Complete implements Store.
func (s *GormStore) Complete(ctx context.Context, scopeKey string, status int, contentType string, body []byte) error {
	err := s.db.WithContext(ctx).Model(&row{}).Where("scope_key = ? AND state = ?", scopeKey, StateInFlight).
		Updates(map[string]any{"state": StateDone, "status_code": status, "content_type": contentType, "body": body}).Error
	if err != nil {
		return fmt.Errorf("idempotency: complete %s: %w", scopeKey, err)
	}
	return nil
}

// Abandon implements Store.
func (s *GormStore) Abandon(ctx context.Context, scopeKey string) error {
	if err := s.db.WithContext(ctx).Where("scope_key = ? AND state = ?", scopeKey, StateInFlight).Delete(&row{}).Error; err != nil {
		return fmt.Errorf("idempotency: abandon %s: %w", scopeKey, err)
	}
	return nil
}

// Get implements Store.
func (s *GormStore) Get(ctx context.Context, scopeKey string) (Record, bool, error) {
	var r row
	err := s.db.WithContext(ctx).Where("scope_key = ?", scopeKey).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("idempotency: get %s: %w", scopeKey, err)
	}
	return toRecord(r), true, nil
}
