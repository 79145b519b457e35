package sqldb

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// Migrate applies every pending migration for db's dialect. migrations holds
// one directory per dialect (sqlite/, postgres/, mysql/, sqlserver/) of goose
// SQL files (00001_init.sql with -- +goose Up / -- +goose Down). table names
// the version table so each domain keeps its own history even when domains
// share one database.
func Migrate(ctx context.Context, db *DB, migrations fs.FS, table string) error {
	p, err := provider(db, migrations, table)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqldb: migrate %s up: %w", db.Dialect, err)
	}
	return nil
}

// MigrationStatus reports the current and the latest available versions.
func MigrationStatus(ctx context.Context, db *DB, migrations fs.FS, table string) (current, latest int64, err error) {
	p, err := provider(db, migrations, table)
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("sqldb: migration version: %w", err)
	}
	sources := p.ListSources()
	if n := len(sources); n > 0 {
		latest = sources[n-1].Version
	}
	return current, latest, nil
}

func provider(db *DB, migrations fs.FS, table string) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, string(db.Dialect))
	if err != nil {
		return nil, fmt.Errorf("sqldb: migrations for %s: %w", db.Dialect, err)
	}
	sqlDB, err := db.DB.DB()
	if err != nil {
		return nil, err
	}
	gd := map[Dialect]goose.Dialect{
		SQLite: goose.DialectSQLite3, Postgres: goose.DialectPostgres,
		MySQL: goose.DialectMySQL, SQLServer: goose.DialectMSSQL,
	}[db.Dialect]
	p, err := goose.NewProvider(gd, sqlDB, sub, goose.WithTableName(table), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("sqldb: migration provider %s: %w", db.Dialect, err)
	}
	return p, nil
}
