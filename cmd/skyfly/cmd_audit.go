package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/paymentgorm"
)

// errAuditBroken makes `skyfly audit verify` exit non-zero on a broken chain.
var errAuditBroken = errors.New("audit chain is broken")

// runAudit implements `skyfly audit verify`: it walks the payment audit
// log's hash chain and prints the first row that was edited, inserted or
// deleted.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: skyfly audit verify [flags]")
	}
	cfg, _, err := loadConfig("audit verify", args[1:], getenv, stderr, nil)
	if err != nil {
		return err
	}
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: cfg.PaymentDSN, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return fmt.Errorf("payment db: %w", err)
	}
	defer db.Close()
	return verifyAudit(ctx, paymentgorm.New(db), stdout)
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
