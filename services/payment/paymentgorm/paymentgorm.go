// Package paymentgorm stores the payment domain (intents, idempotent
// operations, webhook events, pending signals, the audit chain) and the
// sandbox provider's state in a SQL database through GORM: PostgreSQL in
// production, SQLite by default, with migrations for every SkyFly dialect.
package paymentgorm

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

//go:embed migrations
var migrations embed.FS

// MigrationTable is the goose version table of the payment domain.
const MigrationTable = "payment_migrations"

// Migrate applies the payment schema to db.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("paymentgorm: migrations: %w", err)
	}
	if err := sqldb.Migrate(ctx, db, sub, MigrationTable); err != nil {
		return fmt.Errorf("paymentgorm: %w", err)
	}
	if err := outbox.Migrate(ctx, db); err != nil {
		return fmt.Errorf("paymentgorm: %w", err)
	}
	return nil
}

// Domain names the payment domain's outbox topic (skyfly.payment.v1).
const Domain = "payment"

// inTransaction runs fn in a transaction, or in the caller's.
func (s *Store) inTransaction(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.inTx {
		return fn(s.q(ctx))
	}
	return s.db.Transaction(ctx, func(tx *sqldb.DB) error { return fn(tx.DB.WithContext(ctx)) })
}

// appendEvent writes the event of an intent's change to the outbox inside
// tx, the transaction that stores the change.
func appendEvent(tx *gorm.DB, prev, next payment.Intent, actor string) error {
	de, ok := payment.EventOf(prev, next, actor)
	if !ok {
		return nil
	}
	e, err := outbox.New(de.ID, de.Type, outbox.Aggregate{Type: "payment", ID: next.ID}, de.At, de.Data)
	if err != nil {
		return err
	}
	return outbox.Append(tx, Domain, e)
}

// Store implements payment.Store and sandbox.Store.
type Store struct {
	db   *sqldb.DB
	inTx bool
}

// New returns a store on db (which Migrate has prepared).
func New(db *sqldb.DB) *Store { return &Store{db: db} }

var (
	_ payment.Store = (*Store)(nil)
	_ sandbox.Store = (*Store)(nil)
)

func (s *Store) q(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// Tx implements payment.Store.
func (s *Store) Tx(ctx context.Context, fn func(tx payment.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	return s.db.Transaction(ctx, func(tx *sqldb.DB) error { return fn(&Store{db: tx, inTx: true}) })
}

// SandboxTx implements sandbox.Store.
func (s *Store) SandboxTx(ctx context.Context, fn func(tx sandbox.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	return s.db.Transaction(ctx, func(tx *sqldb.DB) error { return fn(&Store{db: tx, inTx: true}) })
}

// ---- intents

type intentRow struct {
	ID            string `gorm:"primaryKey"`
	BookingID     string
	CustomerID    string
	Provider      string
	ProviderRef   string
	Status        string
	Amount        int64
	Currency      string
	Captured      int64
	Refunded      int64
	Token         string
	Brand         string
	Last4         string `gorm:"column:last4"`
	NextActionURL string `gorm:"column:next_action_url"`
	DeclineCode   string
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (intentRow) TableName() string { return "payment_intents" }

func fromIntent(in payment.Intent) intentRow {
	return intentRow{
		ID: in.ID, BookingID: in.BookingID, CustomerID: in.CustomerID, Provider: in.Provider, ProviderRef: in.ProviderRef,
		Status: string(in.Status), Amount: in.Amount.Amount, Currency: in.Amount.Currency, Captured: in.Captured, Refunded: in.Refunded,
		Token: in.Token, Brand: in.Brand, Last4: in.Last4, NextActionURL: in.NextActionURL, DeclineCode: in.DeclineCode,
		Version: in.Version, CreatedAt: in.CreatedAt.UTC(), UpdatedAt: in.UpdatedAt.UTC(),
	}
}

func toIntent(r intentRow) payment.Intent {
	return payment.Intent{
		ID: r.ID, BookingID: r.BookingID, CustomerID: r.CustomerID, Provider: r.Provider, ProviderRef: r.ProviderRef,
		Status: payment.Status(r.Status), Amount: money.New(r.Amount, r.Currency), Captured: r.Captured, Refunded: r.Refunded,
		Token: r.Token, Brand: r.Brand, Last4: r.Last4, NextActionURL: r.NextActionURL, DeclineCode: r.DeclineCode,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// CreateIntent implements payment.Store.
func (s *Store) CreateIntent(ctx context.Context, in payment.Intent, actor string) error {
	r := fromIntent(in)
	err := s.inTransaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return appendEvent(tx, payment.Intent{}, in, actor)
	})
	if err != nil {
		return fmt.Errorf("insert payment %s: %w", in.ID, err)
	}
	return nil
}

// GetIntent implements payment.Store.
func (s *Store) GetIntent(ctx context.Context, id string) (payment.Intent, error) {
	var r intentRow
	err := s.q(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return payment.Intent{}, fmt.Errorf("payment %s: %w", id, payment.ErrNotFound)
	}
	if err != nil {
		return payment.Intent{}, fmt.Errorf("select payment %s: %w", id, err)
	}
	return toIntent(r), nil
}

// UpdateIntent implements payment.Store with an optimistic lock on version;
// the change's event goes to the outbox in the same transaction.
func (s *Store) UpdateIntent(ctx context.Context, in payment.Intent, actor string) error {
	r := fromIntent(in)
	var conflict bool
	err := s.inTransaction(ctx, func(tx *gorm.DB) error {
		var prev intentRow
		if err := tx.Where("id = ?", in.ID).Take(&prev).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				conflict = true
				return payment.ErrVersionConflict
			}
			return err
		}
		res := tx.Model(&intentRow{}).Where("id = ? AND version = ?", in.ID, in.Version).Updates(map[string]any{
			"provider_ref": r.ProviderRef, "status": r.Status, "captured": r.Captured, "refunded": r.Refunded,
			"token": r.Token, "brand": r.Brand, "last4": r.Last4, "next_action_url": r.NextActionURL,
			"decline_code": r.DeclineCode, "version": in.Version + 1, "updated_at": r.UpdatedAt,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			conflict = true
			return payment.ErrVersionConflict
		}
		next := in
		next.Version = in.Version + 1
		return appendEvent(tx, toIntent(prev), next, actor)
	})
	if conflict {
		return fmt.Errorf("update payment %s at version %d: %w", in.ID, in.Version, payment.ErrVersionConflict)
	}
	if err != nil {
		return fmt.Errorf("update payment %s: %w", in.ID, err)
	}
	return nil
}

// ---- operations

type operationRow struct {
	IdempotencyKey string `gorm:"primaryKey"`
	Kind           string
	PaymentID      string
	RequestHash    string
	State          string
	DeclineCode    string
	LeaseUntil     time.Time
	CreatedAt      time.Time
}

func (operationRow) TableName() string { return "payment_operations" }

// BeginOperation implements payment.Store.
func (s *Store) BeginOperation(ctx context.Context, op payment.Operation) (payment.Operation, bool, error) {
	r := operationRow{IdempotencyKey: op.Key, Kind: op.Kind, PaymentID: op.PaymentID, RequestHash: op.RequestHash,
		State: op.State, DeclineCode: op.DeclineCode, LeaseUntil: op.LeaseUntil.UTC(), CreatedAt: op.CreatedAt.UTC()}
	res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
	if res.Error != nil && !errors.Is(res.Error, gorm.ErrDuplicatedKey) {
		return payment.Operation{}, false, fmt.Errorf("begin operation %s: %w", op.Key, res.Error)
	}
	if res.Error == nil && res.RowsAffected == 1 {
		return op, true, nil
	}
	var got operationRow
	if err := s.q(ctx).Where("idempotency_key = ?", op.Key).Take(&got).Error; err != nil {
		return payment.Operation{}, false, fmt.Errorf("read operation %s: %w", op.Key, err)
	}
	return payment.Operation{Key: got.IdempotencyKey, Kind: got.Kind, PaymentID: got.PaymentID, RequestHash: got.RequestHash,
		State: got.State, DeclineCode: got.DeclineCode, LeaseUntil: got.LeaseUntil.UTC(), CreatedAt: got.CreatedAt.UTC()}, false, nil
}

// TakeOverOperation implements payment.Store.
func (s *Store) TakeOverOperation(ctx context.Context, key string, oldLease, newLease time.Time) (bool, error) {
	res := s.q(ctx).Model(&operationRow{}).Where("idempotency_key = ? AND state = ? AND lease_until = ?", key, payment.OpInFlight, oldLease.UTC()).
		Update("lease_until", newLease.UTC())
	if res.Error != nil {
		return false, fmt.Errorf("take over operation %s: %w", key, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FinishOperation implements payment.Store.
func (s *Store) FinishOperation(ctx context.Context, key, paymentID, declineCode string) error {
	err := s.q(ctx).Model(&operationRow{}).Where("idempotency_key = ?", key).
		Updates(map[string]any{"state": payment.OpDone, "payment_id": paymentID, "decline_code": declineCode}).Error
	if err != nil {
		return fmt.Errorf("finish operation %s: %w", key, err)
	}
	return nil
}

// AbandonOperation implements payment.Store.
func (s *Store) AbandonOperation(ctx context.Context, key string) error {
	if err := s.q(ctx).Where("idempotency_key = ? AND state = ?", key, payment.OpInFlight).Delete(&operationRow{}).Error; err != nil {
		return fmt.Errorf("abandon operation %s: %w", key, err)
	}
	return nil
}

// ---- webhook events and signals

type eventRow struct {
	ID         string `gorm:"primaryKey"`
	Type       string
	PaymentID  string
	Payload    string
	Outcome    string
	ReceivedAt time.Time
}

func (eventRow) TableName() string { return "payment_webhook_events" }

// InsertEvent implements payment.Store.
func (s *Store) InsertEvent(ctx context.Context, ev payment.WebhookEvent) (bool, error) {
	r := eventRow{ID: ev.ID, Type: ev.Type, PaymentID: ev.PaymentID, Payload: ev.Payload, Outcome: ev.Outcome, ReceivedAt: ev.ReceivedAt.UTC()}
	res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
	if errors.Is(res.Error, gorm.ErrDuplicatedKey) {
		return false, nil
	}
	if res.Error != nil {
		return false, fmt.Errorf("insert webhook event %s: %w", ev.ID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

type signalRow struct {
	EventID       string `gorm:"primaryKey"`
	BookingID     string
	PaymentID     string
	Type          string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	DeliveredAt   *time.Time
	GaveUp        bool
	LastError     string
}

func (signalRow) TableName() string { return "payment_signals" }

func toSignal(r signalRow) payment.PendingSignal {
	return payment.PendingSignal{EventID: r.EventID, BookingID: r.BookingID, PaymentID: r.PaymentID, Type: r.Type,
		Status: payment.Status(r.Status), Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt.UTC(), DeliveredAt: utcPtr(r.DeliveredAt),
		GaveUp: r.GaveUp, LastError: r.LastError}
}

// InsertSignal implements payment.Store.
func (s *Store) InsertSignal(ctx context.Context, sig payment.PendingSignal) error {
	r := signalRow{EventID: sig.EventID, BookingID: sig.BookingID, PaymentID: sig.PaymentID, Type: sig.Type, Status: string(sig.Status),
		Attempts: sig.Attempts, NextAttemptAt: sig.NextAttemptAt.UTC(), DeliveredAt: utcPtr(sig.DeliveredAt), GaveUp: sig.GaveUp, LastError: sig.LastError}
	if err := s.q(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("insert signal %s: %w", sig.EventID, err)
	}
	return nil
}

// DueSignals implements payment.Store.
func (s *Store) DueSignals(ctx context.Context, now time.Time, limit int) ([]payment.PendingSignal, error) {
	var rows []signalRow
	err := s.q(ctx).Where("delivered_at IS NULL AND gave_up = ? AND next_attempt_at <= ?", false, now.UTC()).
		Order("next_attempt_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("select due signals: %w", err)
	}
	out := make([]payment.PendingSignal, len(rows))
	for i, r := range rows {
		out[i] = toSignal(r)
	}
	return out, nil
}

// ClaimSignal implements payment.Store.
func (s *Store) ClaimSignal(ctx context.Context, eventID string, prev, until time.Time) (bool, error) {
	res := s.q(ctx).Model(&signalRow{}).Where("event_id = ? AND delivered_at IS NULL AND next_attempt_at = ?", eventID, prev.UTC()).
		Update("next_attempt_at", until.UTC())
	if res.Error != nil {
		return false, fmt.Errorf("claim signal %s: %w", eventID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// UpdateSignal implements payment.Store.
func (s *Store) UpdateSignal(ctx context.Context, sig payment.PendingSignal) error {
	err := s.q(ctx).Model(&signalRow{}).Where("event_id = ?", sig.EventID).Updates(map[string]any{
		"attempts": sig.Attempts, "next_attempt_at": sig.NextAttemptAt.UTC(), "delivered_at": utcPtr(sig.DeliveredAt),
		"gave_up": sig.GaveUp, "last_error": truncate(sig.LastError, 1000),
	}).Error
	if err != nil {
		return fmt.Errorf("update signal %s: %w", sig.EventID, err)
	}
	return nil
}

// Signal returns the stored signal of an event (for tests and ops).
func (s *Store) Signal(ctx context.Context, eventID string) (payment.PendingSignal, error) {
	var r signalRow
	err := s.q(ctx).Where("event_id = ?", eventID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return payment.PendingSignal{}, fmt.Errorf("signal %s: %w", eventID, payment.ErrNotFound)
	}
	if err != nil {
		return payment.PendingSignal{}, fmt.Errorf("select signal %s: %w", eventID, err)
	}
	return toSignal(r), nil
}

// ---- audit

type auditRow struct {
	Seq         int64 `gorm:"primaryKey;autoIncrement:false"`
	At          time.Time
	Actor       string
	Action      string
	PaymentID   string
	Reason      string
	BeforeState string
	AfterState  string
	PrevHash    string
	Hash        string
}

func (auditRow) TableName() string { return "payment_audit_log" }

type auditHeadRow struct {
	ID   int `gorm:"primaryKey"`
	Seq  int64
	Hash string
}

func (auditHeadRow) TableName() string { return "payment_audit_head" }

// AppendAudit implements payment.Store. Bumping the head row first takes its
// row lock, so concurrent appenders queue and the chain never forks.
func (s *Store) AppendAudit(ctx context.Context, e payment.AuditEntry) (payment.AuditEntry, error) {
	if !s.inTx {
		var out payment.AuditEntry
		err := s.Tx(ctx, func(tx payment.Store) error {
			var err error
			out, err = tx.AppendAudit(ctx, e)
			return err
		})
		return out, err
	}
	db := s.q(ctx)
	if err := db.Model(&auditHeadRow{}).Where("id = ?", 1).Update("seq", gorm.Expr("seq + 1")).Error; err != nil {
		return payment.AuditEntry{}, fmt.Errorf("lock audit head: %w", err)
	}
	var head auditHeadRow
	if err := db.Where("id = ?", 1).Take(&head).Error; err != nil {
		return payment.AuditEntry{}, fmt.Errorf("read audit head: %w", err)
	}
	e.Seq, e.PrevHash = head.Seq, head.Hash
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash = e.ComputeHash()
	r := auditRow{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, PaymentID: e.PaymentID, Reason: truncate(e.Reason, 1000),
		BeforeState: e.Before, AfterState: e.After, PrevHash: e.PrevHash, Hash: e.Hash}
	if r.Reason != e.Reason {
		e.Reason = r.Reason
		e.Hash = e.ComputeHash()
		r.Hash = e.Hash
	}
	if err := db.Create(&r).Error; err != nil {
		return payment.AuditEntry{}, fmt.Errorf("insert audit row %d: %w", e.Seq, err)
	}
	if err := db.Model(&auditHeadRow{}).Where("id = ?", 1).Update("hash", e.Hash).Error; err != nil {
		return payment.AuditEntry{}, fmt.Errorf("advance audit head: %w", err)
	}
	return e, nil
}

// AuditHead implements payment.AuditReader.
func (s *Store) AuditHead(ctx context.Context) (payment.AuditHead, error) {
	var head auditHeadRow
	if err := s.q(ctx).Where("id = ?", 1).Take(&head).Error; err != nil {
		return payment.AuditHead{}, fmt.Errorf("read audit head: %w", err)
	}
	return payment.AuditHead{Seq: head.Seq, Hash: head.Hash}, nil
}

// AuditPage implements payment.AuditReader.
func (s *Store) AuditPage(ctx context.Context, afterSeq int64, limit int) ([]payment.AuditEntry, error) {
	var rows []auditRow
	if err := s.q(ctx).Where("seq > ?", afterSeq).Order("seq").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read audit after %d: %w", afterSeq, err)
	}
	out := make([]payment.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = payment.AuditEntry{Seq: r.Seq, At: r.At.UTC(), Actor: r.Actor, Action: r.Action, PaymentID: r.PaymentID, Reason: r.Reason,
			Before: r.BeforeState, After: r.AfterState, PrevHash: r.PrevHash, Hash: r.Hash}
	}
	return out, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
