package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/skyfly/skyfly/internal/platform/audit"
)

// AuditEntry is one row of the append-only audit log. Each row's Hash covers
// its content and the previous row's hash, so editing or deleting a row
// breaks the chain at that row.
type AuditEntry struct {
	// Seq is the row's position in the chain, from 1 without gaps.
	Seq       int64
	At        time.Time
	Actor     string
	Action    string
	PaymentID string
	Reason    string
	// Before and After are canonical JSON snapshots of the intent.
	Before   string
	After    string
	PrevHash string
	Hash     string
}

// ComputeHash returns the hex SHA-256 of the entry's canonical content
// (every field but Hash, in a fixed order, times in UTC at microsecond
// precision) including PrevHash.
func (e AuditEntry) ComputeHash() string {
	canonical, _ := json.Marshal([]any{ // a slice of strings and ints always marshals
		e.Seq, e.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano), e.Actor, e.Action,
		e.PaymentID, e.Reason, e.Before, e.After, e.PrevHash,
	})
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// AuditHead is the chain's last position as recorded by the store beside
// the rows, so that deleting the newest rows is detected too.
type AuditHead struct {
	Seq  int64
	Hash string
}

// AuditReader reads the audit log in chain order.
type AuditReader interface {
	// AuditHead returns the recorded end of the chain (zero when empty).
	AuditHead(ctx context.Context) (AuditHead, error)
	// AuditPage returns up to limit entries with Seq > afterSeq, by Seq.
	AuditPage(ctx context.Context, afterSeq int64, limit int) ([]AuditEntry, error)
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport = audit.Report

// VerifyAudit walks the chain and reports the first row that was edited,
// inserted or deleted (the platform audit package's chain walk).
func VerifyAudit(ctx context.Context, r AuditReader) (AuditReport, error) {
	head, err := r.AuditHead(ctx)
	if err != nil {
		return AuditReport{}, fmt.Errorf("verify audit: %w", err)
	}
	return audit.VerifyLinks(ctx, audit.Head{Seq: head.Seq, Hash: head.Hash}, func(ctx context.Context, afterSeq int64) ([]audit.Link, error) {
		page, err := r.AuditPage(ctx, afterSeq, 500)
		links := make([]audit.Link, len(page))
		for i, e := range page {
			links[i] = audit.Link{Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash, Recomputed: e.ComputeHash()}
		}
		return links, err
	})
}

// snapshot renders the audited fields of an intent as canonical JSON.
func snapshot(in Intent) string {
	if in.ID == "" {
		return ""
	}
	b, _ := json.Marshal(struct {
		Status   Status `json:"status"`
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
		Captured int64  `json:"captured"`
		Refunded int64  `json:"refunded"`
		Ref      string `json:"providerRef,omitempty"`
		Decline  string `json:"declineCode,omitempty"`
	}{in.Status, in.Amount.Amount, in.Amount.Currency, in.Captured, in.Refunded, in.ProviderRef, in.DeclineCode})
	return string(b)
}
