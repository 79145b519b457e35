package main

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	tlog "go.temporal.io/server/common/log"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
	sqltool "go.temporal.io/server/tools/sql"
)

// TestEnsureSchema_CreatesThenLeavesCurrentSchemasAlone runs the start-up
// schema step twice on fresh databases of their own (never the shared test
// database): the first run creates each database and brings it to the
// version the server expects, the second finds it current and changes
// nothing. Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth).
func TestEnsureSchema_CreatesThenLeavesCurrentSchemasAlone(t *testing.T) {
	if c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL on 127.0.0.1:5432: %v", err)
		}
		t.Skipf("SKIPPED: no PostgreSQL on 127.0.0.1:5432: %v", err)
	} else {
		c.Close()
	}
	logger := tlog.NewNoopLogger()
	o := options{pgHost: "127.0.0.1", pgPort: 5432, pgUser: "postgres", maxConns: 2}
	for _, tc := range []struct{ schemaName, want string }{
		{"postgresql/v12/temporal", pgschema.Version},
		{"postgresql/v12/visibility", pgschema.VisibilityVersion},
	} {
		db := fmt.Sprintf("temporal_pg_test_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
		cfg := o.sqlConfig(db)
		t.Cleanup(func() {
			drop := *cfg
			if err := sqltool.DoDropDatabase(&drop, "postgres", logger); err != nil {
				t.Errorf("drop %s: %v", db, err)
			}
		})
		for run := 1; run <= 2; run++ {
			if err := ensureSchema(cfg, tc.schemaName, logger); err != nil {
				t.Fatalf("%s run %d: %v", tc.schemaName, run, err)
			}
			conn, err := sqltool.NewConnection(cfg, logger)
			if err != nil {
				t.Fatal(err)
			}
			got, err := conn.ReadSchemaVersion()
			tables, lerr := conn.ListTables()
			conn.Close()
			if err != nil || lerr != nil {
				t.Fatalf("%s run %d: version %v, tables %v", tc.schemaName, run, err, lerr)
			}
			if got != tc.want {
				t.Errorf("%s run %d: schema version %s, the server expects %s", tc.schemaName, run, got, tc.want)
			}
			if len(tables) < 3 {
				t.Errorf("%s run %d: only tables %v", tc.schemaName, run, tables)
			}
		}
	}
}
