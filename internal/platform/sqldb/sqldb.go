// Package sqldb opens GORM databases by DSN (SQLite, PostgreSQL, MySQL/MariaDB,
// SQL Server), applies versioned per-dialect migrations and retries
// transactions that lost a serialization or deadlock race.
package sqldb

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/driver/sqlserver"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	// modernc.org/sqlite registers the pure-Go database/sql driver "sqlite".
	_ "modernc.org/sqlite"
)

// Dialect names a SQL dialect SkyFly supports. The values double as the
// migration sub-directory names.
type Dialect string

// The supported dialects.
const (
	SQLite    Dialect = "sqlite"
	Postgres  Dialect = "postgres"
	MySQL     Dialect = "mysql"
	SQLServer Dialect = "sqlserver"
)

// Config configures a connection pool. Zero values take the defaults noted.
type Config struct {
	// DSN selects the driver by scheme: sqlite:<path>, postgres://, mysql://,
	// sqlserver://.
	DSN string
	// MaxOpenConns defaults to 20 (4 for SQLite, which has one writer).
	MaxOpenConns int
	// MaxIdleConns defaults to MaxOpenConns.
	MaxIdleConns int
	// ConnMaxLifetime defaults to 30 minutes.
	ConnMaxLifetime time.Duration
	// Logger receives slow-query and error logs; nil discards them.
	Logger *slog.Logger
}

// DB is an open database with the dialect it speaks.
type DB struct {
	*gorm.DB
	Dialect Dialect
}

// DialectOf returns the dialect a DSN selects.
func DialectOf(dsn string) (Dialect, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return SQLite, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, nil
	case strings.HasPrefix(dsn, "mysql://"):
		return MySQL, nil
	case strings.HasPrefix(dsn, "sqlserver://"):
		return SQLServer, nil
	}
	return "", fmt.Errorf("sqldb: unsupported DSN scheme in %q (want sqlite:, postgres://, mysql:// or sqlserver://)", redact(dsn))
}

// Open opens and pings the database a DSN names.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	d, err := DialectOf(cfg.DSN)
	if err != nil {
		return nil, err
	}
	dialector, err := dialectorFor(d, cfg.DSN)
	if err != nil {
		return nil, err
	}
	gcfg := &gorm.Config{
		Logger:                 gormLogger(cfg.Logger),
		SkipDefaultTransaction: true,
		TranslateError:         true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	gdb, err := gorm.Open(dialector, gcfg)
	if err != nil {
		return nil, fmt.Errorf("sqldb: open %s: %w", d, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("sqldb: pool %s: %w", d, err)
	}
	maxOpen := cfg.MaxOpenConns
	if maxOpen == 0 {
		maxOpen = 20
		if d == SQLite {
			maxOpen = 4
		}
	}
	maxIdle := cfg.MaxIdleConns
	if maxIdle == 0 {
		maxIdle = maxOpen
	}
	life := cfg.ConnMaxLifetime
	if life == 0 {
		life = 30 * time.Minute
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxIdle)
	sqlDB.SetConnMaxLifetime(life)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("sqldb: ping %s: %w", d, err)
	}
	return &DB{DB: gdb, Dialect: d}, nil
}

// Close closes the pool.
func (db *DB) Close() error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks the connection; it backs health checks.
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// DryRunSQLServer returns a GORM handle on the SQL Server dialect that renders
// statements without a server, for tests that check generated T-SQL (I3).
func DryRunSQLServer() (*gorm.DB, error) {
	return gorm.Open(sqlserver.New(sqlserver.Config{DSN: "sqlserver://dryrun@localhost:1433?database=skyfly"}),
		&gorm.Config{DryRun: true, DisableAutomaticPing: true, Logger: logger.Discard, SkipDefaultTransaction: true})
}

func dialectorFor(d Dialect, dsn string) (gorm.Dialector, error) {
	switch d {
	case SQLite:
		return sqlite.New(sqlite.Config{DriverName: "sqlite", DSN: sqliteDSN(strings.TrimPrefix(dsn, "sqlite:"))}), nil
	case Postgres:
		return postgres.Open(dsn), nil
	case MySQL:
		m, err := mysqlDSN(dsn)
		if err != nil {
			return nil, err
		}
		return mysql.Open(m), nil
	case SQLServer:
		return sqlserver.Open(dsn), nil
	}
	return nil, fmt.Errorf("sqldb: no driver for %s", d)
}

// sqliteDSN adds the pragmas every SkyFly SQLite database needs: WAL for
// concurrent readers, a busy timeout instead of immediate SQLITE_BUSY,
// immediate write transactions (no lock upgrade deadlocks) and foreign keys.
func sqliteDSN(path string) string {
	if path == "" || path == ":memory:" {
		path = "file::memory:?cache=shared"
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
}

// mysqlDSN turns mysql://user:pass@host:port/db?x=y into the go-sql-driver form.
func mysqlDSN(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("sqldb: parse mysql DSN: %w", err)
	}
	host := u.Host
	if u.Port() == "" {
		host += ":3306"
	}
	q := u.Query()
	q.Set("parseTime", "true")
	q.Set("loc", "UTC")
	if q.Get("charset") == "" {
		q.Set("charset", "utf8mb4")
	}
	if q.Get("multiStatements") == "" {
		q.Set("multiStatements", "true")
	}
	userinfo := ""
	if u.User != nil {
		userinfo = u.User.Username()
		if p, ok := u.User.Password(); ok {
			userinfo += ":" + p
		}
		userinfo += "@"
	}
	return fmt.Sprintf("%stcp(%s)/%s?%s", userinfo, host, strings.TrimPrefix(u.Path, "/"), q.Encode()), nil
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// gormLogger logs slow and failed statements without their values, so no
// personal data reaches the logs.
func gormLogger(l *slog.Logger) logger.Interface {
	if l == nil {
		return logger.Discard
	}
	return logger.NewSlogLogger(l, logger.Config{SlowThreshold: 200 * time.Millisecond, LogLevel: logger.Warn, IgnoreRecordNotFoundError: true, ParameterizedQueries: true})
}
