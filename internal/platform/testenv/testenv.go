// Package testenv gives tests the real infrastructure they need: fresh
// PostgreSQL and MariaDB databases from DSNs in the environment, SQLite files,
// embedded FerretDB, Redis, and a Temporal dev server on a free port. With
// CI=true a missing service fails the test; elsewhere the test is skipped
// with a loud reason.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // database/sql driver for MariaDB admin
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for PostgreSQL admin

	"github.com/skyfly/skyfly/internal/platform/mongodb"
	"github.com/skyfly/skyfly/temporal/devserver"
	"github.com/skyfly/skyfly/temporal/queues"
)

// Environment variables tests read.
const (
	EnvPostgres = "SKYFLY_TEST_POSTGRES_DSN"
	EnvMySQL    = "SKYFLY_TEST_MYSQL_DSN"
	EnvRedis    = "SKYFLY_TEST_REDIS_URL"
)

// InCI reports whether tests run in CI, where every service must be present.
func InCI() bool { return os.Getenv("CI") == "true" }

// Need returns the value of env var name, failing the test in CI and
// skipping it elsewhere when it is unset.
func Need(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if InCI() {
			t.Fatalf("%s is not set: CI must provide it (see .ci/run)", name)
		}
		t.Skipf("SKIPPED: %s is not set; `make test` sets it", name)
	}
	return v
}

// SQLiteDSN returns the DSN of a new SQLite file in the test's temp dir.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
}

// PostgresDSN creates a fresh PostgreSQL database for the test and drops it
// at cleanup.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := Need(t, EnvPostgres)
	name := "skyfly_t_" + randomSuffix()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres admin: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create postgres database %s: %v", name, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}

// MySQLDSN creates a fresh MariaDB/MySQL database for the test and drops it
// at cleanup. The DSN has the mysql:// form sqldb.Open takes.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	base := Need(t, EnvMySQL)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvMySQL, err)
	}
	name := "skyfly_t_" + randomSuffix()
	user := ""
	if u.User != nil {
		user = u.User.Username()
		if p, ok := u.User.Password(); ok {
			user += ":" + p
		}
		user += "@"
	}
	adminDSN := fmt.Sprintf("%stcp(%s)/", user, u.Host)
	admin, err := sql.Open("mysql", adminDSN)
	if err != nil {
		t.Fatalf("open mysql admin: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create mysql database %s: %v", name, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("mysql", adminDSN)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP DATABASE IF EXISTS " + name)
	})
	u.Path = "/" + name
	return u.String()
}

// SQLDSNs returns a fresh database per available dialect, keyed by dialect
// name, for contract suites: SQLite always; PostgreSQL and MariaDB when their
// DSNs are set (always in CI). Pass the dialects a store supports.
func SQLDSNs(t *testing.T, dialects ...string) map[string]func(t testing.TB) string {
	t.Helper()
	all := map[string]func(t testing.TB) string{"sqlite": SQLiteDSN}
	if os.Getenv(EnvPostgres) != "" || InCI() {
		all["postgres"] = PostgresDSN
	}
	if os.Getenv(EnvMySQL) != "" || InCI() {
		all["mysql"] = MySQLDSN
	}
	if len(dialects) == 0 {
		return all
	}
	out := map[string]func(t testing.TB) string{}
	for _, d := range dialects {
		if f, ok := all[d]; ok {
			out[d] = f
		} else if d != "sqlite" {
			t.Logf("SKIPPED dialect %s: its DSN env var is not set", d)
		}
	}
	return out
}

// RedisURL returns the Redis URL for tests (skipping or failing when unset).
func RedisURL(t testing.TB) string {
	t.Helper()
	return Need(t, EnvRedis)
}

// FerretDB starts an embedded FerretDB for the test with the given handler
// ("sqlite" or "postgresql", the latter on a fresh PostgreSQL database) and
// returns a mongodb:// URI naming a fresh database.
func FerretDB(t testing.TB, handler string) string {
	t.Helper()
	cfg := mongodb.EmbeddedConfig{Handler: handler}
	switch handler {
	case "sqlite":
		cfg.SQLiteDir = filepath.Join(t.TempDir(), "ferretdb")
	case "postgresql":
		cfg.PostgreSQLURL = PostgresDSN(t)
	default:
		t.Fatalf("unknown FerretDB handler %q", handler)
	}
	e, err := mongodb.StartEmbedded(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start ferretdb (%s): %v", handler, err)
	}
	t.Cleanup(e.Stop)
	return e.URI() + "skyfly_" + randomSuffix()
}

// FerretDBHandlers lists the FerretDB handlers available: sqlite always,
// postgresql when PostgreSQL is.
func FerretDBHandlers() []string {
	h := []string{"sqlite"}
	if os.Getenv(EnvPostgres) != "" || InCI() {
		h = append(h, "postgresql")
	}
	return h
}

// Temporal is a running dev server shared by the tests of one package.
type Temporal struct {
	Address   string
	Namespace string
	server    *devserver.Server
}

// Kill crashes the server (for fault tests).
func (t *Temporal) Kill() error { return t.server.Kill() }

var (
	temporalOnce sync.Once
	temporalSrv  *Temporal
	errTemporal  error
)

// TemporalServer starts (once per test binary) an in-memory headless
// Temporal dev server on a free port with SkyFly's search attributes, and
// returns it. Call StopTemporal from TestMain to stop it; the child also dies
// with the test process.
func TemporalServer(t testing.TB) *Temporal {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIPPED: -short: no Temporal dev server")
	}
	temporalOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		var s *devserver.Server
		s, errTemporal = devserver.Start(ctx, devserver.Config{Headless: true, SearchAttributes: queues.SearchAttributes()})
		if errTemporal == nil {
			temporalSrv = &Temporal{Address: s.Address(), Namespace: s.Namespace(), server: s}
		}
	})
	if errTemporal != nil {
		if InCI() || !strings.Contains(errTemporal.Error(), "not found") {
			t.Fatalf("temporal dev server: %v", errTemporal)
		}
		t.Skipf("SKIPPED: %v", errTemporal)
	}
	return temporalSrv
}

// StopTemporal stops the shared dev server if one was started.
func StopTemporal() {
	if temporalSrv != nil {
		_ = temporalSrv.server.Stop()
	}
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
