package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
)

// TestIncident_A5_OpenUpdateCloseAppendOnly: an incident is opened, updated
// and closed as three new entries of the incident chain (nothing updated in
// place), linked to audit entries and affected customers; a closed incident
// takes no more updates; bad input is refused; `skyfly audit verify
// --domain incident` verifies the chain and detects an edited entry.
func TestIncident_A5_OpenUpdateCloseAppendOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "auth.db")
	getenv := func(k string) string {
		return map[string]string{"SKYFLY_DATA_DIR": dir, "SKYFLY_AUTH_DSN": dsn}[k]
	}
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, getenv, &out, io.Discard)
		return out.String(), err
	}
	require.NoError(t, run(ctx, []string{"migrate", "auth"}, getenv, io.Discard, io.Discard))

	out, err := cli("incident", "open", "--by", "admin-1", "--title", "agent read bookings without a ticket",
		"--affected", "cust-1,cust-2", "--entries", "booking:12,booking:13")
	require.NoError(t, err)
	id := regexp.MustCompile(`inc_[0-9a-f]{12}`).FindString(out)
	require.NotEmpty(t, id, out)
	_, err = cli("incident", "update", "--id", id, "--by", "admin-1", "--summary", "agent's access suspended", "--entries", "auth:4")
	require.NoError(t, err)
	_, err = cli("incident", "close", "--id", id, "--by", "admin-2", "--summary", "customers told; access reviewed")
	require.NoError(t, err)

	for name, args := range map[string][]string{
		"an update of a closed incident": {"update", "--id", id, "--by", "a", "--summary", "late"},
		"an unknown incident":            {"close", "--id", "inc_000000000000", "--by", "a", "--summary", "x"},
		"no author":                      {"open", "--title", "t"},
		"no title":                       {"open", "--by", "a"},
		"a malformed audit entry link":   {"open", "--by", "a", "--title", "t", "--entries", "booking:-1"},
	} {
		_, err := cli(append([]string{"incident"}, args...)...)
		require.ErrorIs(t, err, errIncident, name)
	}

	out, err = cli("incident", "list")
	require.NoError(t, err)
	require.Contains(t, out, id+` CLOSED "agent read bookings without a ticket" affected=[cust-1 cust-2] audit-entries=[booking:12 booking:13 auth:4]`)
	require.Contains(t, out, "#3 ")
	out, err = cli("audit", "verify", "--domain", "incident")
	require.NoError(t, err)
	require.Contains(t, out, "incident audit chain OK: 3 entries verified")

	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Exec("UPDATE audit_log SET reason = 'nothing happened' WHERE chain = 'incident' AND seq = 2").Error)
	out, err = cli("audit", "verify", "--domain", "incident")
	require.ErrorIs(t, err, errAuditBroken)
	require.Contains(t, out, "incident audit chain BROKEN at entry 2")
}

// TestAuditVerify_A5_EachDomain: `skyfly audit verify --domain X` checks
// each domain's staff chain in its own database and names the broken entry.
func TestAuditVerify_A5_EachDomain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	getenv := func(k string) string { return map[string]string{"SKYFLY_DATA_DIR": dir}[k] }
	require.Error(t, run(ctx, []string{"audit", "verify", "--domain", "nosuch"}, getenv, io.Discard, io.Discard))
	require.NoError(t, run(ctx, []string{"migrate", "all"}, getenv, io.Discard, io.Discard))
	cfg, _, err := loadConfig("test", nil, getenv, io.Discard, nil)
	require.NoError(t, err)
	for _, name := range []string{"auth", "flight", "booking", "customer", "payment"} {
		t.Run(name, func(t *testing.T) {
			l, closeLog, err := openAuditLog(ctx, cfg, slog.New(slog.DiscardHandler), name)
			require.NoError(t, err)
			for i := range 3 {
				_, err := l.Append(ctx, auditEntryForTest(name, i))
				require.NoError(t, err)
			}
			closeLog()
			var out bytes.Buffer
			require.NoError(t, run(ctx, []string{"audit", "verify", "--domain", name}, getenv, &out, io.Discard))
			require.Contains(t, out.String(), name+" audit chain OK: 3 entries verified")
		})
	}
}

func auditEntryForTest(domainName string, i int) audit.Entry {
	return audit.Entry{At: time.Now(), Actor: "agent-1", ActorRole: "agent", Action: "GET /api/v1/x", Domain: domainName,
		Resources: []string{fmt.Sprintf("id=%d", i)}, Outcome: audit.OutcomeSuccess, Status: 200}
}
