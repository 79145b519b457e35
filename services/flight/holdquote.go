package flight

import (
	"context"
	"fmt"
)

// HoldQuote is the booking saga's one call to the flight domain at
// reserve: it validates the quote for the passengers and holds its seats,
// returning both, so the saga needs no separate ValidateQuote round trip.
// The passengers are checked before any seat is taken; the hold is
// idempotent on req.HoldID exactly as HoldSeats (a retry after the hold was
// made returns it, even when the quote has expired since). It returns
// ErrQuoteNotFound, ErrQuoteInvalid, ErrQuoteExpired (a *QuoteExpiredError)
// and HoldSeats' errors.
func (s *Service) HoldQuote(ctx context.Context, req HoldRequest, pax Passengers) (Hold, Quote, error) {
	q, err := s.Quote(ctx, req.QuoteID)
	if err != nil {
		return Hold{}, Quote{}, err
	}
	if pax != q.Passengers {
		return Hold{}, Quote{}, fmt.Errorf("quote %s prices %+v, not %+v: %w", q.ID, q.Passengers, pax, ErrQuoteInvalid)
	}
	req.Seats = pax.Seats()
	h, err := s.HoldSeats(ctx, req)
	if err != nil {
		return Hold{}, Quote{}, err
	}
	return h, q, nil
}
