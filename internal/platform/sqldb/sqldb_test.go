package sqldb_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

func TestDialectOf(t *testing.T) {
	cases := map[string]sqldb.Dialect{
		"sqlite:/tmp/x.db":                    sqldb.SQLite,
		"postgres://u@h/db":                   sqldb.Postgres,
		"postgresql://u@h/db":                 sqldb.Postgres,
		"mysql://root@127.0.0.1:3306/test":    sqldb.MySQL,
		"sqlserver://sa:pw@h:1433?database=x": sqldb.SQLServer,
	}
	for dsn, want := range cases {
		got, err := sqldb.DialectOf(dsn)
		require.NoError(t, err, dsn)
		require.Equal(t, want, got, dsn)
	}
	_, err := sqldb.DialectOf("oracle://scott:tiger@h/db")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "tiger", "the password is redacted from errors")
}

var migrations = fstest.MapFS{
	"sqlite/00001_t.sql":    {Data: []byte("-- +goose Up\nCREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0));\n-- +goose Down\nDROP TABLE t;\n")},
	"postgres/00001_t.sql":  {Data: []byte("-- +goose Up\nCREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0));\n-- +goose Down\nDROP TABLE t;\n")},
	"mysql/00001_t.sql":     {Data: []byte("-- +goose Up\nCREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0)) ENGINE=InnoDB;\n-- +goose Down\nDROP TABLE t;\n")},
	"sqlserver/00001_t.sql": {Data: []byte("-- +goose Up\nCREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL CHECK (v >= 0));\n-- +goose Down\nDROP TABLE t;\n")},
}

func open(t *testing.T, dsn string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), sqldb.Config{DSN: dsn})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, sqldb.Migrate(context.Background(), db, migrations, "test_migrations"))
	return db
}

func TestMigrate_IsVersionedAndRepeatable(t *testing.T) {
	for name, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(name, func(t *testing.T) {
			db := open(t, dsn(t))
			require.NoError(t, sqldb.Migrate(context.Background(), db, migrations, "test_migrations"), "a second run is a no-op")
			cur, latest, err := sqldb.MigrationStatus(context.Background(), db, migrations, "test_migrations")
			require.NoError(t, err)
			require.Equal(t, int64(1), cur)
			require.Equal(t, int64(1), latest)
			require.NoError(t, db.Exec("INSERT INTO t (id, v) VALUES (1, 5)").Error)
			err = db.Exec("UPDATE t SET v = v - 6 WHERE id = 1").Error
			require.Error(t, err, "the CHECK constraint holds on %s", name)
		})
	}
}

// TestTransaction_I4_DeadlockIsRetried (PostgreSQL and MariaDB; SQLite has
// one writer and cannot deadlock this way) provokes a real deadlock: two
// transactions lock two rows in opposite orders. The database kills one;
// Transaction re-runs it, so both increments land exactly once.
func TestTransaction_I4_DeadlockIsRetried(t *testing.T) {
	for name, dsn := range testenv.SQLDSNs(t, "postgres", "mysql") {
		t.Run(name, func(t *testing.T) {
			db := open(t, dsn(t))
			require.NoError(t, db.Exec("INSERT INTO t (id, v) VALUES (1, 0), (2, 0)").Error)
			ctx := context.Background()
			var attempts atomic.Int32
			var firstLocks sync.WaitGroup
			firstLocks.Add(2)
			run := func(first, second int) error {
				var mine atomic.Int32
				return db.Transaction(ctx, func(tx *sqldb.DB) error {
					attempts.Add(1)
					if err := tx.Exec("UPDATE t SET v = v + 1 WHERE id = ?", first).Error; err != nil {
						return err
					}
					if mine.Add(1) == 1 {
						firstLocks.Done()
						firstLocks.Wait() // both hold their first row: the next step deadlocks
					}
					return tx.Exec("UPDATE t SET v = v + 1 WHERE id = ?", second).Error
				})
			}
			errs := make(chan error, 2)
			go func() { errs <- run(1, 2) }()
			go func() { errs <- run(2, 1) }()
			require.NoError(t, <-errs)
			require.NoError(t, <-errs)
			require.Greater(t, attempts.Load(), int32(2), "one transaction was a deadlock victim and re-ran")
			var vs []int
			require.NoError(t, db.Raw("SELECT v FROM t ORDER BY id").Scan(&vs).Error)
			require.Equal(t, []int{2, 2}, vs, "each transaction applied once")
		})
	}
}

func TestRetry_I4_BoundedJitteredBackoff(t *testing.T) {
	deadlock := &pgconn.PgError{Code: "40P01"}
	var slept []time.Duration
	p := sqldb.RetryPolicy{Attempts: 5, Base: 10 * time.Millisecond, Max: 40 * time.Millisecond,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	calls := 0
	err := sqldb.Retry(context.Background(), p, func(context.Context) error { calls++; return deadlock })
	require.ErrorIs(t, err, deadlock)
	require.Equal(t, 5, calls, "gives up after the attempts")
	require.Len(t, slept, 4)
	for _, d := range slept {
		require.LessOrEqual(t, d, 41*time.Millisecond, "backoff is capped")
		require.Greater(t, d, time.Duration(0))
	}

	calls = 0
	plain := errors.New("constraint violated")
	err = sqldb.Retry(context.Background(), p, func(context.Context) error { calls++; return plain })
	require.ErrorIs(t, err, plain)
	require.Equal(t, 1, calls, "non-transient errors are not retried")

	calls = 0
	err = sqldb.Retry(context.Background(), p, func(context.Context) error {
		calls++
		if calls < 3 {
			return &pgconn.PgError{Code: "40001"}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 3, calls)
}

func TestIsRetryable(t *testing.T) {
	require.True(t, sqldb.IsRetryable(&pgconn.PgError{Code: "40001"}))
	require.True(t, sqldb.IsRetryable(&pgconn.PgError{Code: "40P01"}))
	require.False(t, sqldb.IsRetryable(&pgconn.PgError{Code: "23505"}))
	require.False(t, sqldb.IsRetryable(errors.New("x")))
}

func TestDryRunSQLServer_RendersTSQL(t *testing.T) {
	db, err := sqldb.DryRunSQLServer()
	require.NoError(t, err)
	type row struct {
		ID int
		V  int
	}
	stmt := db.Table("t").Where("v > ?", 1).Order("id").Limit(5).Find(&[]row{}).Statement
	sql := stmt.SQL.String()
	require.Contains(t, sql, "FETCH NEXT")
	require.NotContains(t, sql, "LIMIT")
}
