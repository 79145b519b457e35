package flight

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// QuoteRequest asks for a price on flights (or an itinerary id from a
// search) in a fare for passengers.
type QuoteRequest struct {
	ItineraryID string
	FlightIDs   []string
	FareID      string
	Passengers  Passengers
}

// CreateQuote re-prices an itinerary and fare against live inventory and
// stores the quote with its price guarantee. It returns ErrInvalid (as a
// *FieldError), ErrFlightNotFound or ErrSeatUnavailable.
func (s *Service) CreateQuote(ctx context.Context, req QuoteRequest) (Quote, error) {
	ids := req.FlightIDs
	if len(ids) == 0 {
		ids = ParseItineraryID(req.ItineraryID)
	} else if req.ItineraryID != "" && req.ItineraryID != ItineraryID(ids) {
		return Quote{}, invalid("itineraryId", "does not match flightIds")
	}
	if len(ids) == 0 {
		return Quote{}, invalid("itineraryId", "itineraryId or flightIds is required")
	}
	if err := req.Passengers.Validate(); err != nil {
		return Quote{}, err
	}
	class, err := ParseFareID(req.FareID)
	if err != nil {
		return Quote{}, err
	}
	n := s.Network()
	fs, err := n.Connects(ids)
	if err != nil {
		return Quote{}, fmt.Errorf("quote %s: %w", ItineraryID(ids), err)
	}
	now := s.now()
	if !fs[0].DepartureUTC.After(now) {
		return Quote{}, invalid("flightIds", "the first flight has already departed")
	}
	avail, err := s.store.Availability(ctx, ids)
	if err != nil {
		return Quote{}, fmt.Errorf("quote %s: %w", ItineraryID(ids), err)
	}
	for _, f := range fs {
		c, ok := cabinOf(avail[f.ID], class.Cabin)
		if !ok || class.SeatsLeft(c) < req.Passengers.Seats() {
			return Quote{}, fmt.Errorf("quote %s class %s on %s: %w", ItineraryID(ids), class.Code, f.ID, ErrSeatUnavailable)
		}
	}
	total, lines := price(n.priceSegments(fs), class, req.Passengers)
	q := Quote{
		ID:           newID("q_"),
		FlightIDs:    slices.Clone(ids),
		FareID:       FareID(class.Cabin, class.Code),
		Cabin:        class.Cabin,
		BookingClass: class.Code,
		Family:       class.Family,
		Passengers:   req.Passengers,
		Total:        total,
		Breakdown:    lines,
		Conditions:   FamilyConditions(class.Family, class.Cabin),
		CreatedAt:    now.UTC(),
		ExpiresAt:    now.Add(s.cfg.QuoteTTL).UTC(),
	}
	for _, f := range fs {
		q.Segments = append(q.Segments, n.segment(f))
	}
	if err := s.store.SaveQuote(ctx, q); err != nil {
		return Quote{}, fmt.Errorf("save quote: %w", err)
	}
	return q, nil
}

// Quote returns a stored quote (expired or not); ErrQuoteNotFound when unknown.
func (s *Service) Quote(ctx context.Context, id string) (Quote, error) {
	q, err := s.store.Quote(ctx, id)
	if err != nil {
		return Quote{}, fmt.Errorf("quote %s: %w", id, err)
	}
	return s.localize(q), nil
}

// localize puts segment times back in their airports' zones (stores keep UTC).
func (s *Service) localize(q Quote) Quote {
	n := s.Network()
	for i := range q.Segments {
		q.Segments[i].Departure = q.Segments[i].Departure.In(n.Location(q.Segments[i].Origin))
		q.Segments[i].Arrival = q.Segments[i].Arrival.In(n.Location(q.Segments[i].Destination))
	}
	return q
}

// ValidateQuote returns the quote if it exists, is unexpired and prices
// exactly these passengers. An expired quote gives a *QuoteExpiredError
// (ErrQuoteExpired) carrying a fresh quote when the fare is still
// available; a mismatch gives ErrQuoteInvalid; an unknown id ErrQuoteNotFound.
func (s *Service) ValidateQuote(ctx context.Context, id string, pax Passengers) (Quote, error) {
	q, err := s.Quote(ctx, id)
	if err != nil {
		return Quote{}, err
	}
	if !s.now().Before(q.ExpiresAt) {
		return Quote{}, s.expired(ctx, q)
	}
	if pax != q.Passengers {
		return Quote{}, fmt.Errorf("quote %s prices %+v, not %+v: %w", id, q.Passengers, pax, ErrQuoteInvalid)
	}
	return q, nil
}

// expired builds the error for an expired quote with a fresh quote when the
// same flights, fare and passengers can still be priced.
func (s *Service) expired(ctx context.Context, q Quote) error {
	e := &QuoteExpiredError{QuoteID: q.ID}
	fresh, err := s.CreateQuote(ctx, QuoteRequest{FlightIDs: q.FlightIDs, FareID: q.FareID, Passengers: q.Passengers})
	switch {
	case err == nil:
		e.Fresh = &fresh
	case errors.Is(err, ErrSeatUnavailable), errors.Is(err, ErrInvalid), errors.Is(err, ErrFlightNotFound):
		// no fresh quote to offer
	default:
		s.log.WarnContext(ctx, "fresh quote failed", "quote_id", q.ID, "err", err)
	}
	return e
}
