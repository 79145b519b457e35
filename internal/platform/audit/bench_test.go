package audit_test

import (
	"context"
	"os"
	"testing"

	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

// BenchmarkAppend measures one staff entry's append (the latency fail-closed
// recording adds to a staff request) on each SQL database available.
func BenchmarkAppend(b *testing.B) {
	dsns := map[string]func(testing.TB) string{"sqlite": testenv.SQLiteDSN}
	if os.Getenv(testenv.EnvPostgres) != "" {
		dsns["postgres"] = testenv.PostgresDSN
	}
	if os.Getenv(testenv.EnvMySQL) != "" {
		dsns["mysql"] = testenv.MySQLDSN
	}
	for name, dsn := range dsns {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn(b)})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Close() })
			if err := audit.Migrate(ctx, db); err != nil {
				b.Fatal(err)
			}
			l, err := audit.NewGormLog(ctx, db, "booking")
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := l.Append(ctx, entry(i+1)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
