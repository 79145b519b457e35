package flightact

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/skyfly/skyfly/services/flight"
)

// Activities are the flight domain's Temporal activities on task queue
// "flight". Each is a thin adapter over flight.Service; side-effecting ones
// are idempotent on their key (the hold id), so a retried or duplicated
// activity has one effect (ACCEPTANCE T4).
type Activities struct {
	svc *flight.Service
	log *slog.Logger
}

// New returns the activities over the flight service; they log with the
// service's logger.
func New(svc *flight.Service) *Activities {
	return &Activities{svc: svc, log: svc.Logger()}
}

// logger tags log lines with the workflow and activity that caused them.
func (a *Activities) logger(ctx context.Context) *slog.Logger {
	if !activity.IsActivity(ctx) {
		return a.log
	}
	info := activity.GetInfo(ctx)
	return a.log.With("workflow_id", info.WorkflowExecution.ID, "run_id", info.WorkflowExecution.RunID,
		"activity", info.ActivityType.Name, "attempt", info.Attempt)
}

// refused logs and translates a domain error.
func (a *Activities) refused(ctx context.Context, op string, err error) error {
	out := refusal(op, err)
	var appErr *temporal.ApplicationError
	if errors.As(out, &appErr) && appErr.NonRetryable() {
		a.logger(ctx).InfoContext(ctx, "flight activity refused", "op", op, "type", appErr.Type(), "err", err)
	} else {
		a.logger(ctx).WarnContext(ctx, "flight activity failed; Temporal retries it", "op", op, "err", err)
	}
	return out
}

// ValidateQuote checks that a stored quote exists, is unexpired and matches
// the passengers. Refusals are non-retryable: QuoteExpired (details: a fresh
// Quote when one could be priced) or QuoteInvalid.
func (a *Activities) ValidateQuote(ctx context.Context, in ValidateQuoteInput) (ValidateQuoteResult, error) {
	q, err := a.svc.ValidateQuote(ctx, in.QuoteID, toPassengers(in.Passengers))
	if err != nil {
		return ValidateQuoteResult{}, a.refused(ctx, "validate quote "+in.QuoteID, err)
	}
	return ValidateQuoteResult{Quote: toQuote(q)}, nil
}

// PriceItinerary prices flights and a fare into a fresh stored quote (the
// change flow). Refusals: SeatUnavailable, QuoteInvalid.
func (a *Activities) PriceItinerary(ctx context.Context, in PriceItineraryInput) (PriceItineraryResult, error) {
	q, err := a.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: in.FlightIDs, FareID: in.FareID, Passengers: toPassengers(in.Passengers)})
	if err != nil {
		return PriceItineraryResult{}, a.refused(ctx, fmt.Sprintf("price %v %s", in.FlightIDs, in.FareID), err)
	}
	return PriceItineraryResult{Quote: toQuote(q)}, nil
}

// HoldSeats holds the seats of a quote, idempotent on HoldID: a retry after
// the hold committed returns the same hold. Refusals: SeatUnavailable,
// QuoteExpired, QuoteInvalid, and HoldExpired when the id belongs to a hold
// that was already released or expired.
func (a *Activities) HoldSeats(ctx context.Context, in HoldSeatsInput) (HoldSeatsResult, error) {
	if in.HoldID == "" {
		return HoldSeatsResult{}, temporal.NewNonRetryableApplicationError("hold seats: holdId is required", ErrTypeQuoteInvalid, nil)
	}
	h, err := a.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: in.HoldID, QuoteID: in.QuoteID, TTL: in.TTL})
	if err != nil {
		return HoldSeatsResult{}, a.refused(ctx, "hold seats "+in.HoldID, err)
	}
	return a.held(ctx, h)
}

// HoldQuotedSeats validates the quote for the passengers and holds its
// seats in one call (flight.Service.HoldQuote), idempotent on HoldID, and
// returns the quote beside the hold: the saga's reserve needs no separate
// ValidateQuote. Refusals as ValidateQuote's and HoldSeats'.
func (a *Activities) HoldQuotedSeats(ctx context.Context, in HoldQuotedSeatsInput) (HoldQuotedSeatsResult, error) {
	if in.HoldID == "" {
		return HoldQuotedSeatsResult{}, temporal.NewNonRetryableApplicationError("hold seats: holdId is required", ErrTypeQuoteInvalid, nil)
	}
	h, q, err := a.svc.HoldQuote(ctx, flight.HoldRequest{HoldID: in.HoldID, QuoteID: in.QuoteID, TTL: in.TTL}, toPassengers(in.Passengers))
	if err != nil {
		return HoldQuotedSeatsResult{}, a.refused(ctx, "hold quoted seats "+in.HoldID, err)
	}
	held, err := a.held(ctx, h)
	if err != nil {
		return HoldQuotedSeatsResult{}, err
	}
	return HoldQuotedSeatsResult{Hold: held, Quote: toQuote(q)}, nil
}

// held answers a hold that is HELD or COMMITTED; a released or expired one
// under the same id is a non-retryable HoldExpired.
func (a *Activities) held(ctx context.Context, h flight.Hold) (HoldSeatsResult, error) {
	if h.Status != flight.HoldHeld && h.Status != flight.HoldCommitted {
		return HoldSeatsResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("hold seats %s: the hold is already %s", h.ID, h.Status), ErrTypeHoldExpired, nil)
	}
	a.logger(ctx).DebugContext(ctx, "seats held", "hold_id", h.ID, "seats", h.Seats, "expires_at", h.ExpiresAt)
	return HoldSeatsResult{HoldID: h.ID, Status: string(h.Status), Seats: h.Seats, ExpiresAt: h.ExpiresAt}, nil
}

// ReleaseHold returns a hold's seats to sale, whether held or committed.
// Releasing twice, or an id that was never held, is a no-op (Released false).
func (a *Activities) ReleaseHold(ctx context.Context, in ReleaseHoldInput) (ReleaseHoldResult, error) {
	h, released, err := a.svc.ReleaseHold(ctx, in.HoldID, in.Reason)
	if err != nil {
		return ReleaseHoldResult{}, a.refused(ctx, "release hold "+in.HoldID, err)
	}
	return ReleaseHoldResult{Released: released, Status: string(h.Status)}, nil
}

// CommitHold makes a hold permanent, idempotent on HoldID. Refusals:
// HoldExpired (expired or released), HoldNotFound.
func (a *Activities) CommitHold(ctx context.Context, in CommitHoldInput) (CommitHoldResult, error) {
	h, err := a.svc.CommitHold(ctx, in.HoldID)
	if err != nil {
		return CommitHoldResult{}, a.refused(ctx, "commit hold "+in.HoldID, err)
	}
	return CommitHoldResult{Status: string(h.Status)}, nil
}

// ProtectItinerary finds and holds the best alternative for a disrupted
// itinerary (flight.Service.Protect), idempotent on HoldID. Refusals:
// NoAlternative, QuoteInvalid.
func (a *Activities) ProtectItinerary(ctx context.Context, in ProtectItineraryInput) (ProtectItineraryResult, error) {
	p, err := a.svc.Protect(ctx, flight.ProtectRequest{HoldID: in.HoldID, FlightIDs: in.FlightIDs, Cabin: flight.Cabin(in.Cabin),
		Passengers: toPassengers(in.Passengers), TTL: in.TTL})
	if err != nil {
		return ProtectItineraryResult{}, a.refused(ctx, "protect "+in.HoldID, err)
	}
	if !p.Affected {
		return ProtectItineraryResult{Affected: false}, nil
	}
	a.logger(ctx).InfoContext(ctx, "disrupted itinerary protected", "hold_id", p.Hold.ID, "flights", p.Quote.FlightIDs, "fare", p.Quote.FareID)
	return ProtectItineraryResult{Affected: true, Quote: toQuote(p.Quote), HoldID: p.Hold.ID}, nil
}

// refusal translates domain errors into non-retryable application errors
// with the contract's types; anything else stays retryable.
func refusal(op string, err error) error {
	msg := op + ": " + err.Error()
	var expired *flight.QuoteExpiredError
	switch {
	case errors.As(err, &expired):
		if expired.Fresh != nil {
			return temporal.NewNonRetryableApplicationError(msg, ErrTypeQuoteExpired, err, toQuote(*expired.Fresh))
		}
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeQuoteExpired, err)
	case errors.Is(err, flight.ErrSeatUnavailable):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeSeatUnavailable, err)
	case errors.Is(err, flight.ErrFlightCancelled):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeFlightCancelled, err)
	case errors.Is(err, flight.ErrNoAlternative):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeNoAlternative, err)
	case errors.Is(err, flight.ErrQuoteExpired):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeQuoteExpired, err)
	case errors.Is(err, flight.ErrHoldExpired):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeHoldExpired, err)
	case errors.Is(err, flight.ErrHoldNotFound):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeHoldNotFound, err)
	case errors.Is(err, flight.ErrQuoteNotFound), errors.Is(err, flight.ErrQuoteInvalid), errors.Is(err, flight.ErrInvalid),
		errors.Is(err, flight.ErrFlightNotFound), errors.Is(err, flight.ErrHoldConflict):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeQuoteInvalid, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func toPassengers(p PassengerCounts) flight.Passengers {
	return flight.Passengers{Adults: p.Adults, Children: p.Children, Infants: p.Infants}
}

func toQuote(q flight.Quote) Quote {
	out := Quote{
		QuoteID: q.ID, FlightIDs: q.FlightIDs, FareID: q.FareID, Cabin: string(q.Cabin), BookingClass: q.BookingClass, FareFamily: q.Family,
		Passengers: PassengerCounts{Adults: q.Passengers.Adults, Children: q.Passengers.Children, Infants: q.Passengers.Infants},
		Total:      q.Total, ExpiresAt: q.ExpiresAt,
		Conditions: FareConditions{Refundable: q.Conditions.Refundable, Changeable: q.Conditions.Changeable,
			ChangePenalty: q.Conditions.ChangePenalty, RefundPenalty: q.Conditions.RefundPenalty, CheckedBags: q.Conditions.CheckedBags},
	}
	for _, s := range q.Segments {
		out.Segments = append(out.Segments, Segment{FlightID: s.FlightID, FlightNumber: s.FlightNumber, Origin: s.Origin, Destination: s.Destination,
			DepartureTime: s.Departure, ArrivalTime: s.Arrival, International: s.International})
	}
	for _, l := range q.Breakdown {
		out.Breakdown = append(out.Breakdown, PriceLine{Code: l.Code, Description: l.Description, Amount: l.Amount})
	}
	return out
}
