package sqldb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
	"gorm.io/gorm"
	"modernc.org/sqlite"
)

// RetryPolicy bounds how often and how long a transaction that lost a
// serialization or deadlock race is retried.
type RetryPolicy struct {
	// Attempts is the total number of tries, including the first (default 6).
	Attempts int
	// Base is the first backoff (default 5ms); it doubles per attempt.
	Base time.Duration
	// Max caps one backoff (default 250ms).
	Max time.Duration
	// Sleep waits between attempts; tests may replace it. Defaults to a
	// context-aware timer.
	Sleep func(context.Context, time.Duration) error
}

// DefaultRetry is the policy stores use unless configured otherwise.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{Attempts: 6, Base: 5 * time.Millisecond, Max: 250 * time.Millisecond}
}

// Retry runs fn until it returns nil, a non-retryable error, the policy's
// attempts are spent or ctx ends. Backoff is exponential with full jitter
// (ACCEPTANCE I4). fn must be a whole transaction: it is re-run from the top.
func Retry(ctx context.Context, p RetryPolicy, fn func(ctx context.Context) error) error {
	if p.Attempts <= 0 {
		p.Attempts = DefaultRetry().Attempts
	}
	if p.Base <= 0 {
		p.Base = DefaultRetry().Base
	}
	if p.Max <= 0 {
		p.Max = DefaultRetry().Max
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = fn(ctx)
		if err == nil || !IsRetryable(err) {
			return err
		}
		if attempt >= p.Attempts {
			return fmt.Errorf("sqldb: gave up after %d attempts: %w", attempt, err)
		}
		backoff := p.Base << (attempt - 1)
		if backoff > p.Max || backoff <= 0 {
			backoff = p.Max
		}
		if serr := p.Sleep(ctx, rand.N(backoff)+time.Millisecond); serr != nil {
			return fmt.Errorf("sqldb: retry interrupted: %w", errors.Join(serr, err))
		}
	}
}

// Transaction runs fn in a transaction and retries the whole transaction on
// serialization failures and deadlocks.
func (db *DB) Transaction(ctx context.Context, fn func(tx *DB) error) error {
	return Retry(ctx, DefaultRetry(), func(ctx context.Context) error {
		return db.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(&DB{DB: tx, Dialect: db.Dialect})
		})
	})
}

// IsRetryable reports whether err is a transient concurrency failure worth
// re-running the transaction for: PostgreSQL 40001/40P01, MySQL 1213/1205,
// SQL Server 1205, SQLite BUSY/LOCKED.
func IsRetryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		return myErr.Number == 1213 || myErr.Number == 1205
	}
	var msErr mssql.Error
	if errors.As(err, &msErr) {
		return msErr.Number == 1205
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		code := liteErr.Code() & 0xff
		return code == 5 || code == 6 // SQLITE_BUSY, SQLITE_LOCKED
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
