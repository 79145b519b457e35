package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymentgorm"
)

// errAuditBroken makes `skyfly audit verify` exit non-zero on a broken chain.
var errAuditBroken = errors.New("audit chain is broken")

// auditChains are the chains `skyfly audit verify --domain` knows: the
// staff audit trail of each domain, and the incident records (kept in the
// auth database).
var auditChains = []string{"auth", "flight", "booking", "customer", "payment", incidentChain}

// runAudit implements `skyfly audit verify [--domain X]`: it walks a hash
// chain and prints the first entry that was edited, inserted, reordered or
// deleted. Without --domain it checks the payment domain's intent audit log
// (services/payment) as before; --domain payment checks that log and the
// payment domain's staff trail.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: skyfly audit verify [--domain auth|flight|booking|customer|payment|incident] [flags]")
	}
	domainName, rest, err := stringFlag(args[1:], "domain")
	if err != nil {
		return err
	}
	if domainName != "" && !slices.Contains(auditChains, domainName) {
		return fmt.Errorf("audit verify: unknown --domain %q (want one of %s)", domainName, strings.Join(auditChains, ", "))
	}
	cfg, _, err := loadConfig("audit verify", rest, getenv, stderr, nil)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if domainName == "" || domainName == "payment" {
		db, err := sqldb.Open(ctx, sqldb.Config{DSN: cfg.PaymentDSN, Logger: quiet})
		if err != nil {
			return fmt.Errorf("payment db: %w", err)
		}
		defer db.Close()
		if err := verifyAudit(ctx, paymentgorm.New(db), stdout); err != nil || domainName == "" {
			return err
		}
	}
	l, closeLog, err := openAuditLog(ctx, cfg, quiet, domainName)
	if err != nil {
		return err
	}
	defer closeLog()
	return verifyChain(ctx, domainName, l, stdout)
}

// openAuditLog opens the chain of domainName in its domain's database.
func openAuditLog(ctx context.Context, cfg *config.Config, log *slog.Logger, domainName string) (audit.Log, func(), error) {
	if domainName == "customer" {
		client, closeDB, err := connectCustomer(ctx, deps{cfg: cfg, log: log})
		if err != nil {
			return nil, nil, err
		}
		return audit.NewMongoLog(client.DB, "customer"), closeDB, nil
	}
	dsn := map[string]string{
		"auth": cfg.AuthDSN, "flight": cfg.FlightDSN, "booking": cfg.BookingDSN, "payment": cfg.PaymentDSN, incidentChain: cfg.AuthDSN,
	}[domainName]
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("%s db: %w", domainName, err)
	}
	l, err := audit.NewGormLog(ctx, db, domainName)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return l, func() { _ = db.Close() }, nil
}

// verifyChain verifies one audit chain and prints the verdict.
func verifyChain(ctx context.Context, name string, l audit.Log, stdout io.Writer) error {
	rep, err := audit.Verify(ctx, l)
	if err != nil {
		return err
	}
	if rep.OK {
		fmt.Fprintf(stdout, "%s audit chain OK: %d entries verified\n", name, rep.Checked)
		return nil
	}
	fmt.Fprintf(stdout, "%s audit chain BROKEN at entry %d: %s\n", name, rep.BadSeq, rep.Reason)
	rows, err := l.Page(ctx, rep.BadSeq-1, 1)
	if err != nil {
		return err
	}
	if len(rows) == 1 && rows[0].Seq == rep.BadSeq {
		e := rows[0]
		fmt.Fprintf(stdout, "  seq=%d at=%s actor=%q role=%s action=%q customer=%q resources=%v reason=%q request=%s status=%d\n  prev_hash=%s\n  hash=%s (recomputed %s)\n",
			e.Seq, e.At.Format("2006-01-02T15:04:05.000000Z07:00"), e.Actor, e.ActorRole, e.Action, e.CustomerID, e.Resources,
			e.Reason, e.RequestID, e.Status, e.PrevHash, e.Hash, e.ComputeHash())
	} else {
		fmt.Fprintf(stdout, "  entry %d is missing\n", rep.BadSeq)
	}
	return fmt.Errorf("%w: %s at entry %d", errAuditBroken, name, rep.BadSeq)
}

// stringFlag removes --name value (or --name=value) from args.
func stringFlag(args []string, name string) (string, []string, error) {
	var rest []string
	value := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--"+name || a == "-"+name:
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("flag --%s needs a value", name)
			}
			value = args[i+1]
			i++
		case strings.HasPrefix(a, "--"+name+"="):
			value = strings.TrimPrefix(a, "--"+name+"=")
		default:
			rest = append(rest, a)
		}
	}
	return value, rest, nil
}

func verifyAudit(ctx context.Context, r payment.AuditReader, stdout io.Writer) error {
	rep, err := payment.VerifyAudit(ctx, r)
	if err != nil {
		return err
	}
	if rep.OK {
		fmt.Fprintf(stdout, "audit chain OK: %d rows verified\n", rep.Checked)
		return nil
	}
	fmt.Fprintf(stdout, "audit chain BROKEN at row %d: %s\n", rep.BadSeq, rep.Reason)
	rows, err := r.AuditPage(ctx, rep.BadSeq-1, 1)
	if err != nil {
		return err
	}
	if len(rows) == 1 && rows[0].Seq == rep.BadSeq {
		e := rows[0]
		fmt.Fprintf(stdout, "  seq=%d at=%s actor=%q action=%q payment=%s reason=%q\n  before=%s\n  after=%s\n  prev_hash=%s\n  hash=%s (recomputed %s)\n",
			e.Seq, e.At.Format("2006-01-02T15:04:05.000000Z07:00"), e.Actor, e.Action, e.PaymentID, e.Reason, e.Before, e.After, e.PrevHash, e.Hash, e.ComputeHash())
	} else {
		fmt.Fprintf(stdout, "  row %d is missing\n", rep.BadSeq)
	}
	return fmt.Errorf("%w at row %d", errAuditBroken, rep.BadSeq)
}
