package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
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
type AuditReport struct {
	// Checked counts the rows read.
	Checked int64
	// OK is true when the whole chain verifies.
	OK bool
	// BadSeq is the first row that does not verify (or the first missing
	// position), and Reason says why.
	BadSeq int64
	Reason string
}

// VerifyAudit walks the chain and reports the first row that was edited,
// inserted or deleted.
func VerifyAudit(ctx context.Context, r AuditReader) (AuditReport, error) {
	head, err := r.AuditHead(ctx)
	if err != nil {
		return AuditReport{}, fmt.Errorf("verify audit: %w", err)
	}
	var rep AuditReport
	prevSeq, prevHash := int64(0), ""
	for {
		page, err := r.AuditPage(ctx, prevSeq, 500)
		if err != nil {
			return AuditReport{}, fmt.Errorf("verify audit after %d: %w", prevSeq, err)
		}
		for _, e := range page {
			rep.Checked++
			switch {
			case e.Seq != prevSeq+1:
				return bad(rep, prevSeq+1, fmt.Sprintf("row %d is missing (next row is %d)", prevSeq+1, e.Seq)), nil
			case e.PrevHash != prevHash:
				return bad(rep, e.Seq, "prev_hash does not match the previous row's hash"), nil
			case e.ComputeHash() != e.Hash:
				return bad(rep, e.Seq, "content does not match its hash (row edited)"), nil
			}
			prevSeq, prevHash = e.Seq, e.Hash
		}
		if len(page) == 0 {
			break
		}
	}
	if head.Seq != prevSeq || head.Hash != prevHash {
		return bad(rep, prevSeq+1, fmt.Sprintf("chain ends at row %d but the head records row %d (rows deleted at the end)", prevSeq, head.Seq)), nil
	}
	rep.OK = true
	return rep, nil
}

func bad(rep AuditReport, seq int64, reason string) AuditReport {
	rep.BadSeq, rep.Reason = seq, reason
	return rep
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
