package flight

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// HoldRequest asks to hold the seats of a quote.
type HoldRequest struct {
	// HoldID is the idempotency key; empty means a new hold.
	HoldID  string
	QuoteID string
	// Seats, when set, must equal the quote's seated passengers.
	Seats int
	// TTL is the hold's lifetime (default Config.HoldTTL, capped at
	// Config.MaxHoldTTL).
	TTL time.Duration
}

// HoldSeats holds the seats a quote needs on each of its flights, in its
// booking class, until the hold expires. The same HoldID twice gives one
// hold: the second call returns the first hold (whatever its status now).
// Errors: *QuoteExpiredError (ErrQuoteExpired), ErrQuoteNotFound,
// ErrQuoteInvalid, ErrSeatUnavailable, ErrHoldConflict.
func (s *Service) HoldSeats(ctx context.Context, req HoldRequest) (Hold, error) {
	if req.QuoteID == "" {
		return Hold{}, invalid("quoteId", "is required")
	}
	if req.HoldID == "" {
		req.HoldID = newID("h_")
	}
	if len(req.HoldID) > 64 {
		return Hold{}, invalid("holdId", "must be at most 64 characters")
	}
	if existing, err := s.store.Hold(ctx, req.HoldID); err == nil {
		// a tombstone (released before it was created) has no quote
		if existing.QuoteID != req.QuoteID && existing.QuoteID != "" {
			return Hold{}, fmt.Errorf("hold %s: %w", req.HoldID, ErrHoldConflict)
		}
		return existing, nil
	} else if !errors.Is(err, ErrHoldNotFound) {
		return Hold{}, fmt.Errorf("hold %s: %w", req.HoldID, err)
	}
	q, err := s.Quote(ctx, req.QuoteID)
	if err != nil {
		return Hold{}, err
	}
	now := s.now()
	if !now.Before(q.ExpiresAt) {
		return Hold{}, s.expired(ctx, q)
	}
	seats := q.Passengers.Seats()
	if req.Seats != 0 && req.Seats != seats {
		return Hold{}, fmt.Errorf("hold %s: %d seats asked, quote %s prices %d: %w", req.HoldID, req.Seats, q.ID, seats, ErrQuoteInvalid)
	}
	ttl := req.TTL
	if ttl <= 0 {
		ttl = s.cfg.HoldTTL
	}
	ttl = min(ttl, s.cfg.MaxHoldTTL)
	class, err := ParseFareID(q.FareID)
	if err != nil {
		return Hold{}, fmt.Errorf("hold %s: quote %s: %w", req.HoldID, q.ID, ErrQuoteInvalid)
	}
	h := Hold{ID: req.HoldID, QuoteID: q.ID, Status: HoldHeld, Seats: seats, CreatedAt: now.UTC(), UpdatedAt: now.UTC(), ExpiresAt: now.Add(ttl).UTC()}
	for _, id := range q.FlightIDs {
		f, err := s.Flight(ctx, id)
		if err != nil {
			return Hold{}, fmt.Errorf("hold %s: %w", req.HoldID, err)
		}
		if f.Status == FlightCancelled {
			return Hold{}, fmt.Errorf("hold %s: flight %s: %w", req.HoldID, id, ErrFlightCancelled)
		}
		h.Segments = append(h.Segments, HoldSegment{FlightID: id, Cabin: class.Cabin, BookingClass: class.Code, Seats: seats, MaxSold: class.MaxSold(f.Capacity(class.Cabin))})
	}
	got, created, err := s.store.CreateHold(ctx, h)
	if err != nil {
		return Hold{}, fmt.Errorf("hold %s for quote %s: %w", req.HoldID, q.ID, err)
	}
	if created {
		s.invalidate(ctx, got)
		s.log.InfoContext(ctx, "seats held", "hold_id", got.ID, "quote_id", q.ID, "seats", seats, "expires_at", got.ExpiresAt)
	}
	return got, nil
}

// Hold returns a hold; ErrHoldNotFound when unknown.
func (s *Service) Hold(ctx context.Context, id string) (Hold, error) {
	h, err := s.store.Hold(ctx, id)
	if err != nil {
		return Hold{}, fmt.Errorf("hold %s: %w", id, err)
	}
	return h, nil
}

// ReleaseHold returns a held or committed hold's seats to sale. It is
// idempotent: releasing twice, a hold that expired, or a hold that never
// existed (which leaves a RELEASED tombstone so a late HoldSeats with that id
// takes no seats) returns released=false.
func (s *Service) ReleaseHold(ctx context.Context, id, reason string) (Hold, bool, error) {
	if id == "" {
		return Hold{}, false, invalid("holdId", "is required")
	}
	h, released, err := s.store.ReleaseHold(ctx, id, reason, s.now().UTC())
	if err != nil {
		return Hold{}, false, fmt.Errorf("release hold %s: %w", id, err)
	}
	if released {
		s.invalidate(ctx, h)
		s.log.InfoContext(ctx, "hold released", "hold_id", id, "reason", reason, "seats", h.Seats)
	}
	return h, released, nil
}

// CommitHold makes a held, unexpired hold permanent (idempotent).
// ErrHoldExpired when it expired or was released, ErrHoldNotFound when unknown.
func (s *Service) CommitHold(ctx context.Context, id string) (Hold, error) {
	if id == "" {
		return Hold{}, invalid("holdId", "is required")
	}
	// A flight cancelled while the seats were held sells nothing more: the
	// booking that held them fails and its seats go back.
	if cur, err := s.store.Hold(ctx, id); err == nil && cur.Status == HoldHeld {
		for _, sg := range cur.Segments {
			if f, ok := s.Network().Flight(sg.FlightID); ok && f.Status == FlightCancelled {
				return Hold{}, fmt.Errorf("commit hold %s: flight %s: %w", id, sg.FlightID, ErrFlightCancelled)
			}
		}
	}
	h, err := s.store.CommitHold(ctx, id, s.now().UTC())
	if err != nil {
		return Hold{}, fmt.Errorf("commit hold %s: %w", id, err)
	}
	return h, nil
}

// SweepExpiredHolds expires every HELD hold past its expiry, returning its
// seats to sale, and reports how many it expired.
func (s *Service) SweepExpiredHolds(ctx context.Context) (int, error) {
	total := 0
	for {
		now := s.now().UTC()
		ids, err := s.store.ExpiredHolds(ctx, now, 100)
		if err != nil {
			return total, fmt.Errorf("sweep holds: %w", err)
		}
		n := 0
		for _, id := range ids {
			ok, err := s.store.ExpireHold(ctx, id, now)
			if err != nil {
				return total, fmt.Errorf("sweep hold %s: %w", id, err)
			}
			if ok {
				n++
				if h, err := s.store.Hold(ctx, id); err == nil {
					s.invalidate(ctx, h)
				}
				s.log.InfoContext(ctx, "hold expired", "hold_id", id)
			}
		}
		total += n
		if len(ids) < 100 || n == 0 {
			return total, nil
		}
	}
}

// RunSweeper sweeps expired holds every SweepInterval until ctx ends (the
// domain's background job).
func (s *Service) RunSweeper(ctx context.Context) error {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := s.SweepExpiredHolds(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "hold sweep failed", "err", err)
			}
		}
	}
}

func (s *Service) invalidate(ctx context.Context, h Hold) {
	ids := make([]string, len(h.Segments))
	for i, seg := range h.Segments {
		ids[i] = seg.FlightID
	}
	if len(ids) == 0 {
		return
	}
	// Write through: the in-memory counters searches read take the change
	// before the cached results showing these flights are dropped.
	if err := s.refreshSeats(ctx, ids); err != nil {
		s.log.WarnContext(ctx, "seat counters not refreshed; the reloader's poll will catch up", "hold_id", h.ID, "err", err)
	}
	s.changes.Add(1)
	s.cache.Invalidate(ctx, s.Network().CacheTags(ids))
}
