// Package audit is the staff audit trail (SOC 2, ACCEPTANCE A5): an
// append-only, hash-chained log of who did what to which subject, why and
// with what outcome, kept in each domain's own database. Each entry's hash
// covers its content and the previous entry's hash, and a head row records
// the chain's end, so an edited, deleted, inserted, reordered or truncated
// entry is detected by Verify. Stores: GormLog (SQL, migrated per domain
// database) and MongoLog (the customer domain).
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Outcomes of an entry.
const (
	OutcomeSuccess = "success" // the action was done (HTTP 2xx/3xx)
	OutcomeRefused = "refused" // the caller was refused (401, 403, 404)
	OutcomeFailed  = "failed"  // the action failed (other 4xx, 5xx)
)

// Entry is one audited action. Append fills Seq, PrevHash and Hash.
type Entry struct {
	// Seq is the entry's position in its domain's chain, from 1 without gaps.
	Seq int64
	At  time.Time
	// Actor is the user id of who acted; ActorRole the role they acted in.
	Actor     string
	ActorRole string
	// Action says what was done, e.g. "GET /api/v1/bookings/:bookingId".
	Action string
	// Domain is the domain whose log holds the entry.
	Domain string
	// CustomerID is the customer whose data the action touched, when known.
	CustomerID string
	// Resources name the other subjects, as "name=value" (bookingId=bk_1).
	Resources []string
	Reason    string
	RequestID string
	// Outcome is one of the Outcome constants; Status the HTTP status.
	Outcome string
	Status  int
	// Details is free text or JSON the caller adds (no secrets, no PII
	// beyond ids).
	Details  string
	PrevHash string
	Hash     string
}

// ComputeHash returns the hex SHA-256 of the entry's canonical content
// (every field but Hash, in a fixed order, the time in UTC at microsecond
// precision) including PrevHash.
func (e Entry) ComputeHash() string {
	canonical, _ := json.Marshal([]any{ // strings, ints and a string slice always marshal
		e.Seq, e.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano), e.Actor, e.ActorRole, e.Action,
		e.Domain, e.CustomerID, e.Resources, e.Reason, e.RequestID, e.Outcome, e.Status, e.Details, e.PrevHash,
	})
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// seal returns e as the entry after head: its position, link and hash.
func (e Entry) seal(head Head) Entry {
	e.Seq, e.PrevHash = head.Seq+1, head.Hash
	// Milliseconds: what every store keeps (BSON dates have no finer
	// precision), so the hash recomputes from any of them.
	e.At = e.At.UTC().Truncate(time.Millisecond)
	if e.Resources == nil {
		e.Resources = []string{}
	}
	e.Hash = e.ComputeHash()
	return e
}

// Subjects returns the ids an auditor can search the entry by: the
// customer id and the value of each resource.
func (e Entry) Subjects() []string {
	var out []string
	if e.CustomerID != "" {
		out = append(out, e.CustomerID)
	}
	for _, r := range e.Resources {
		if _, v, ok := strings.Cut(r, "="); ok && v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Head is the chain's last position as recorded beside the entries, so that
// deleting the newest entries is detected too.
type Head struct {
	Seq  int64
	Hash string
}

// Query selects entries for an auditor.
type Query struct {
	// Subject matches the customer id or any resource value exactly.
	Subject string
	// Actor matches the actor exactly.
	Actor string
	// AfterSeq pages: entries with Seq > AfterSeq.
	AfterSeq int64
	// Limit defaults to 100 and is capped at 1000.
	Limit int
}

// ErrInvalidEntry is returned by Append for an entry without an actor or
// action, or with an unknown outcome.
var ErrInvalidEntry = errors.New("audit: invalid entry")

// Log is an audit log of one domain. Implementations serialize Append so
// concurrent writers never fork the chain.
type Log interface {
	// Append records e at the end of the chain and returns it sealed. It
	// returns ErrInvalidEntry (wrapped) for an incomplete entry.
	Append(ctx context.Context, e Entry) (Entry, error)
	// Head returns the recorded end of the chain (zero when empty).
	Head(ctx context.Context) (Head, error)
	// Page returns up to limit entries with Seq > afterSeq, by Seq.
	Page(ctx context.Context, afterSeq int64, limit int) ([]Entry, error)
	// Find returns the entries q selects, by Seq.
	Find(ctx context.Context, q Query) ([]Entry, error)
}

// validate checks an entry before it is sealed.
func validate(e Entry) error {
	switch {
	case e.Actor == "":
		return fmt.Errorf("%w: no actor", ErrInvalidEntry)
	case e.Action == "":
		return fmt.Errorf("%w: no action", ErrInvalidEntry)
	case e.At.IsZero():
		return fmt.Errorf("%w: no time", ErrInvalidEntry)
	case e.Outcome != OutcomeSuccess && e.Outcome != OutcomeRefused && e.Outcome != OutcomeFailed:
		return fmt.Errorf("%w: outcome %q", ErrInvalidEntry, e.Outcome)
	}
	return nil
}

// OutcomeOf maps an HTTP status to an outcome.
func OutcomeOf(status int) string {
	switch {
	case status == 401 || status == 403 || status == 404:
		return OutcomeRefused
	case status >= 400:
		return OutcomeFailed
	}
	return OutcomeSuccess
}

func limitOf(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

// Report is the outcome of Verify.
type Report struct {
	// Checked counts the entries read.
	Checked int64
	// OK is true when the whole chain verifies.
	OK bool
	// BadSeq is the first entry that does not verify (or the first missing
	// position), and Reason says why.
	BadSeq int64
	Reason string
}

// Verify walks the chain and reports the first entry that was edited,
// inserted, reordered or deleted, and a chain truncated at its end.
func Verify(ctx context.Context, l Log) (Report, error) {
	head, err := l.Head(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("verify audit: %w", err)
	}
	return VerifyLinks(ctx, head, func(ctx context.Context, afterSeq int64) ([]Link, error) {
		page, err := l.Page(ctx, afterSeq, 500)
		links := make([]Link, len(page))
		for i, e := range page {
			links[i] = Link{Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash, Recomputed: e.ComputeHash()}
		}
		return links, err
	})
}

// Link is one position of a hash chain as VerifyLinks checks it: the
// stored hashes and the hash recomputed from the stored content.
type Link struct {
	Seq        int64
	PrevHash   string
	Hash       string
	Recomputed string
}

// VerifyLinks walks any hash chain (this package's, or the payment
// domain's intent log) page by page after each seq, against its recorded
// head, and reports the first bad position.
func VerifyLinks(ctx context.Context, head Head, page func(ctx context.Context, afterSeq int64) ([]Link, error)) (Report, error) {
	var rep Report
	prevSeq, prevHash := int64(0), ""
	for {
		links, err := page(ctx, prevSeq)
		if err != nil {
			return Report{}, fmt.Errorf("verify audit after %d: %w", prevSeq, err)
		}
		for _, e := range links {
			rep.Checked++
			switch {
			case e.Seq != prevSeq+1:
				return bad(rep, prevSeq+1, fmt.Sprintf("entry %d is missing (next entry is %d)", prevSeq+1, e.Seq)), nil
			case e.PrevHash != prevHash:
				return bad(rep, e.Seq, "prev_hash does not match the previous entry's hash (entry inserted, moved or replaced)"), nil
			case e.Recomputed != e.Hash:
				return bad(rep, e.Seq, "content does not match its hash (entry edited)"), nil
			}
			prevSeq, prevHash = e.Seq, e.Hash
		}
		if len(links) == 0 {
			break
		}
	}
	if head.Seq != prevSeq || head.Hash != prevHash {
		return bad(rep, prevSeq+1, fmt.Sprintf("chain ends at entry %d but the head records entry %d (entries deleted at the end)", prevSeq, head.Seq)), nil
	}
	rep.OK = true
	return rep, nil
}

func bad(rep Report, seq int64, reason string) Report {
	rep.BadSeq, rep.Reason = seq, reason
	return rep
}
