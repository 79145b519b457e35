// Package outbox is the transactional outbox every SQL domain publishes its
// events through: a store writes an event row in the same transaction as the
// state change it describes (Append), and a Relay copies unsent rows to the
// event bus in commit order, marking them sent afterwards. A crash between
// publishing and marking gives a duplicate, never a loss; consumers
// deduplicate by event id.
package outbox

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
)

//go:embed migrations
var migrations embed.FS

// SchemaVersion is the envelope version every event carries; a consumer
// refuses versions it does not know.
const SchemaVersion = 1

// Topic is the Kafka topic of a domain's events: skyfly.<domain>.v1.
func Topic(domain string) string { return "skyfly." + domain + ".v1" }

// Aggregate names the entity an event is about; the bus keys by its id, so
// events of one aggregate keep their order.
type Aggregate struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Event is the envelope of every SkyFly domain event (api/events/ documents
// each type). Data holds ids, statuses and amounts, never card data or
// plaintext personal data.
type Event struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Aggregate  Aggregate       `json:"aggregate"`
	OccurredAt time.Time       `json:"occurredAt"`
	Version    int             `json:"version"`
	Data       json.RawMessage `json:"data"`
}

// New builds an event of type typ about aggregate with data marshalled as
// JSON. An empty id gets a random one; stores pass a deterministic id (the
// aggregate id and its history sequence) where they have one, so a retried
// transaction cannot publish the same change under two ids.
func New(id, typ string, agg Aggregate, at time.Time, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("outbox: event %s: %w", typ, err)
	}
	if id == "" {
		id = uuid.NewString()
	}
	return Event{ID: id, Type: typ, Aggregate: agg, OccurredAt: at.UTC(), Version: SchemaVersion, Data: raw}, nil
}

// Migrate creates the outbox tables in a service database.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := sqldb.Migrate(ctx, db, sub, "outbox_migrations"); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Migrations returns the per-dialect migrations (for dialect tests).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

type row struct {
	Seq         int64      `gorm:"primaryKey;autoIncrement;column:seq"`
	EventID     string     `gorm:"column:event_id"`
	Topic       string     `gorm:"column:topic"`
	AggregateID string     `gorm:"column:aggregate_id"`
	EventType   string     `gorm:"column:event_type"`
	Payload     []byte     `gorm:"column:payload"`
	OccurredAt  time.Time  `gorm:"column:occurred_at"`
	SentAt      *time.Time `gorm:"column:sent_at"`
	Attempts    int        `gorm:"column:attempts"`
}

func (row) TableName() string { return "outbox_events" }

type leaseRow struct {
	Name      string    `gorm:"primaryKey;column:name"`
	Owner     string    `gorm:"column:owner"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (leaseRow) TableName() string { return "outbox_leases" }

// Append writes events to domain's outbox inside tx, the transaction that
// makes the change they describe. It is a no-op without events.
func Append(tx *gorm.DB, domain string, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]row, 0, len(events))
	for _, e := range events {
		if e.Version == 0 {
			e.Version = SchemaVersion
		}
		payload, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("outbox: append %s: %w", e.Type, err)
		}
		rows = append(rows, row{EventID: e.ID, Topic: Topic(domain), AggregateID: e.Aggregate.ID, EventType: e.Type,
			Payload: payload, OccurredAt: e.OccurredAt.UTC()})
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("outbox: append %d events: %w", len(rows), err)
	}
	return nil
}

// Record is an outbox row as the relay and readers see it.
type Record struct {
	Seq     int64
	Topic   string
	Key     string
	Type    string
	Payload []byte // the JSON Event
	SentAt  *time.Time
}

// Event decodes the record's envelope.
func (r Record) Event() (Event, error) {
	var e Event
	if err := json.Unmarshal(r.Payload, &e); err != nil {
		return Event{}, fmt.Errorf("outbox: record %d: %w", r.Seq, err)
	}
	return e, nil
}

// Store reads and marks a domain's outbox.
type Store struct {
	db *gorm.DB
}

// NewStore returns the outbox store of db (which Migrate has prepared).
func NewStore(db *sqldb.DB) *Store { return &Store{db: db.DB} }

func toRecord(r row) Record {
	return Record{Seq: r.Seq, Topic: r.Topic, Key: r.AggregateID, Type: r.EventType, Payload: r.Payload, SentAt: r.SentAt}
}

// Pending returns up to limit unsent records in commit-safe sequence order.
func (s *Store) Pending(ctx context.Context, limit int) ([]Record, error) {
	var rows []row
	if err := s.db.WithContext(ctx).Where("sent_at IS NULL").Order("seq").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("outbox: pending: %w", err)
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = toRecord(r)
	}
	return out, nil
}

// MarkSent records that the events with these sequence numbers reached the
// bus.
func (s *Store) MarkSent(ctx context.Context, seqs []int64, at time.Time) error {
	if len(seqs) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Model(&row{}).Where("seq IN ?", seqs).Updates(map[string]any{"sent_at": at.UTC()}).Error
	if err != nil {
		return fmt.Errorf("outbox: mark %d sent: %w", len(seqs), err)
	}
	return nil
}

// MarkAttempt counts a failed publication of these records.
func (s *Store) MarkAttempt(ctx context.Context, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Model(&row{}).Where("seq IN ?", seqs).Update("attempts", gorm.Expr("attempts + 1")).Error
	if err != nil {
		return fmt.Errorf("outbox: count attempt: %w", err)
	}
	return nil
}

// ByAggregate returns the events of one aggregate after sequence after,
// oldest first, whether sent or not (the live progress stream reads them).
func (s *Store) ByAggregate(ctx context.Context, aggregateID string, after int64, limit int) ([]Record, error) {
	var rows []row
	err := s.db.WithContext(ctx).Where("aggregate_id = ? AND seq > ?", aggregateID, after).Order("seq").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("outbox: events of %s: %w", aggregateID, err)
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = toRecord(r)
	}
	return out, nil
}

// Backlog reports how many records are unsent and when the oldest of them
// happened (zero when none).
func (s *Store) Backlog(ctx context.Context) (n int64, oldest time.Time, err error) {
	q := s.db.WithContext(ctx).Model(&row{}).Where("sent_at IS NULL")
	if err := q.Count(&n).Error; err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox: backlog: %w", err)
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	var r row
	if err := s.db.WithContext(ctx).Where("sent_at IS NULL").Order("seq").Limit(1).Find(&r).Error; err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox: backlog: %w", err)
	}
	return n, r.OccurredAt, nil
}

// Acquire takes or renews the lease name for owner until now+ttl. It
// reports false while another owner holds an unexpired lease: one relay per
// domain database publishes at a time, so per-aggregate order holds with
// several processes of a domain.
func (s *Store) Acquire(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	db := s.db.WithContext(ctx)
	until := now.Add(ttl).UTC()
	res := db.Model(&leaseRow{}).Where("name = ? AND (owner = ? OR expires_at < ?)", name, owner, now.UTC()).
		Updates(map[string]any{"owner": owner, "expires_at": until})
	if res.Error != nil {
		return false, fmt.Errorf("outbox: lease %s: %w", name, res.Error)
	}
	if res.RowsAffected > 0 {
		return true, nil
	}
	err := db.Create(&leaseRow{Name: name, Owner: owner, ExpiresAt: until}).Error
	if err == nil {
		return true, nil
	}
	var n int64
	if cerr := db.Model(&leaseRow{}).Where("name = ?", name).Count(&n).Error; cerr == nil && n > 0 {
		return false, nil // another owner holds it
	}
	return false, fmt.Errorf("outbox: lease %s: %w", name, err)
}

type inboxRow struct {
	Consumer  string    `gorm:"primaryKey;column:consumer"`
	EventID   string    `gorm:"primaryKey;column:event_id"`
	AppliedAt time.Time `gorm:"column:applied_at"`
}

func (inboxRow) TableName() string { return "inbox_events" }

// ErrSeen is returned by Once when the consumer already applied the event.
var ErrSeen = errors.New("outbox: event already applied")

// Once records inside tx that consumer applies eventID, so the consumer's
// effect and its dedupe entry commit together. It returns ErrSeen when the
// event was applied before: roll back and acknowledge the delivery.
func Once(tx *gorm.DB, consumer, eventID string, at time.Time) error {
	var n int64
	if err := tx.Model(&inboxRow{}).Where("consumer = ? AND event_id = ?", consumer, eventID).Count(&n).Error; err != nil {
		return fmt.Errorf("outbox: inbox %s: %w", consumer, err)
	}
	if n > 0 {
		return ErrSeen
	}
	if err := tx.Create(&inboxRow{Consumer: consumer, EventID: eventID, AppliedAt: at.UTC()}).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) || strings.Contains(strings.ToLower(err.Error()), "unique") ||
			strings.Contains(strings.ToLower(err.Error()), "duplicate") {
			return ErrSeen // a concurrent delivery won
		}
		return fmt.Errorf("outbox: inbox %s: %w", consumer, err)
	}
	return nil
}
