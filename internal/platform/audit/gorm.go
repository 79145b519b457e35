package audit

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Migrate creates the audit tables in a domain's SQL database (its own
// version table, audit_migrations, beside the domain's).
func Migrate(ctx context.Context, db *sqldb.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("audit: migrations: %w", err)
	}
	if err := sqldb.Migrate(ctx, db, sub, "audit_migrations"); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// GormLog is a Log in a SQL database, one chain of the audit_log table.
// Append takes the chain's head row first (UPDATE … SET seq = seq + 1) so
// concurrent appends, in this process or another, queue on that row lock
// instead of forking the chain; it needs no FOR UPDATE, so it is valid
// T-SQL too.
type GormLog struct {
	db    *gorm.DB
	chain string
}

var _ Log = (*GormLog)(nil)

// NewGormLog returns the chain named chain (usually the domain) in db,
// which Migrate has prepared, creating its head row when it has none.
func NewGormLog(ctx context.Context, db *sqldb.DB, chain string) (*GormLog, error) {
	l := NewGormLogWithGorm(db.DB, chain)
	if err := l.ensureHead(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// NewGormLogWithGorm wraps a GORM handle without touching the database (the
// SQL Server dry-run check uses it).
func NewGormLogWithGorm(db *gorm.DB, chain string) *GormLog {
	return &GormLog{db: db, chain: chain}
}

type logRow struct {
	Chain      string    `gorm:"column:chain;primaryKey"`
	Seq        int64     `gorm:"column:seq;primaryKey;autoIncrement:false"`
	At         time.Time `gorm:"column:at"`
	Actor      string    `gorm:"column:actor"`
	ActorRole  string    `gorm:"column:actor_role"`
	Action     string    `gorm:"column:action"`
	Domain     string    `gorm:"column:domain"`
	CustomerID string    `gorm:"column:customer_id"`
	Resources  string    `gorm:"column:resources"`
	Subjects   string    `gorm:"column:subjects"`
	Reason     string    `gorm:"column:reason"`
	RequestID  string    `gorm:"column:request_id"`
	Outcome    string    `gorm:"column:outcome"`
	Status     int       `gorm:"column:status"`
	Details    string    `gorm:"column:details"`
	PrevHash   string    `gorm:"column:prev_hash"`
	Hash       string    `gorm:"column:hash"`
}

func (logRow) TableName() string { return "audit_log" }

type headRow struct {
	Chain string `gorm:"column:chain;primaryKey"`
	Seq   int64  `gorm:"column:seq"`
	Hash  string `gorm:"column:hash"`
}

func (headRow) TableName() string { return "audit_head" }

func (l *GormLog) ensureHead(ctx context.Context) error {
	var n int64
	if err := l.db.WithContext(ctx).Model(&headRow{}).Where("chain = ?", l.chain).Count(&n).Error; err != nil {
		return fmt.Errorf("audit %s: read head: %w", l.chain, err)
	}
	if n > 0 {
		return nil
	}
	err := l.db.WithContext(ctx).Create(&headRow{Chain: l.chain}).Error
	if err != nil && !errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("audit %s: create head: %w", l.chain, err)
	}
	return nil
}

// Append implements Log.
func (l *GormLog) Append(ctx context.Context, e Entry) (Entry, error) {
	if err := validate(e); err != nil {
		return Entry{}, err
	}
	var out Entry
	step := func(tx *gorm.DB) error {
		res := tx.Model(&headRow{}).Where("chain = ?", l.chain).Update("seq", gorm.Expr("seq + 1"))
		if res.Error != nil {
			return fmt.Errorf("lock head: %w", res.Error)
		}
		if res.RowsAffected != 1 && !tx.DryRun { // a dry run (the T-SQL check) affects nothing
			return fmt.Errorf("lock head: the chain has no head row")
		}
		var head headRow
		if err := tx.Where("chain = ?", l.chain).Take(&head).Error; err != nil {
			return fmt.Errorf("read head: %w", err)
		}
		out = e.seal(Head{Seq: head.Seq - 1, Hash: head.Hash})
		if err := tx.Create(toRow(l.chain, out)).Error; err != nil {
			return fmt.Errorf("insert entry %d: %w", out.Seq, err)
		}
		if err := tx.Model(&headRow{}).Where("chain = ?", l.chain).Update("hash", out.Hash).Error; err != nil {
			return fmt.Errorf("advance head: %w", err)
		}
		return nil
	}
	if l.db.DryRun {
		return out, step(l.db.WithContext(ctx))
	}
	err := sqldb.Retry(ctx, sqldb.DefaultRetry(), func(ctx context.Context) error {
		return l.db.WithContext(ctx).Transaction(step)
	})
	if err != nil {
		return Entry{}, fmt.Errorf("audit %s: append: %w", l.chain, err)
	}
	return out, nil
}

// Head implements Log.
func (l *GormLog) Head(ctx context.Context) (Head, error) {
	var head headRow
	err := l.db.WithContext(ctx).Where("chain = ?", l.chain).Take(&head).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Head{}, nil
	}
	if err != nil {
		return Head{}, fmt.Errorf("audit %s: read head: %w", l.chain, err)
	}
	return Head{Seq: head.Seq, Hash: head.Hash}, nil
}

// Page implements Log.
func (l *GormLog) Page(ctx context.Context, afterSeq int64, limit int) ([]Entry, error) {
	var rows []logRow
	err := l.db.WithContext(ctx).Where("chain = ? AND seq > ?", l.chain, afterSeq).Order("seq").Limit(limitOf(limit)).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("audit %s: read after %d: %w", l.chain, afterSeq, err)
	}
	return fromRows(rows)
}

// Find implements Log.
func (l *GormLog) Find(ctx context.Context, q Query) ([]Entry, error) {
	db := l.db.WithContext(ctx).Where("chain = ? AND seq > ?", l.chain, q.AfterSeq)
	if q.Subject != "" {
		db = db.Where("subjects LIKE ? ESCAPE '!'", "%|"+escapeLike(q.Subject)+"|%")
	}
	if q.Actor != "" {
		db = db.Where("actor = ?", q.Actor)
	}
	var rows []logRow
	if err := db.Order("seq").Limit(limitOf(q.Limit)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("audit %s: find %+v: %w", l.chain, q, err)
	}
	return fromRows(rows)
}

// escapeLike escapes LIKE's wildcards with '!' (portable: no dialect
// treats '!' specially, unlike the backslash).
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_", "[", "![").Replace(s)
}

func toRow(chain string, e Entry) *logRow {
	res, _ := json.Marshal(e.Resources) // a string slice always marshals
	return &logRow{
		Chain: chain, Seq: e.Seq, At: e.At, Actor: e.Actor, ActorRole: e.ActorRole, Action: e.Action,
		Domain: e.Domain, CustomerID: e.CustomerID, Resources: string(res), Subjects: "|" + strings.Join(e.Subjects(), "|") + "|",
		Reason: e.Reason, RequestID: e.RequestID, Outcome: e.Outcome, Status: e.Status, Details: e.Details,
		PrevHash: e.PrevHash, Hash: e.Hash,
	}
}

func fromRows(rows []logRow) ([]Entry, error) {
	out := make([]Entry, len(rows))
	for i, r := range rows {
		var res []string
		if err := json.Unmarshal([]byte(r.Resources), &res); err != nil {
			// A row whose resources no longer parse was edited; return it so
			// Verify reports it rather than failing the whole read.
			res = []string{"unparseable=" + r.Resources}
		}
		out[i] = Entry{
			Seq: r.Seq, At: r.At.UTC(), Actor: r.Actor, ActorRole: r.ActorRole, Action: r.Action, Domain: r.Domain,
			CustomerID: r.CustomerID, Resources: res, Reason: r.Reason, RequestID: r.RequestID, Outcome: r.Outcome,
			Status: r.Status, Details: r.Details, PrevHash: r.PrevHash, Hash: r.Hash,
		}
	}
	return out, nil
}
