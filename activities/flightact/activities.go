package flightact

import (
	"context"
	"errors"
)

// errNotBuilt is returned until the flight service is wired in.
var errNotBuilt = errors.New("flightact: not implemented yet")

// Activities are the flight domain's Temporal activities on task queue
// "flight".
type Activities struct{}

// ValidateQuote checks that a stored quote exists, is unexpired and matches
// the passengers.
func (a *Activities) ValidateQuote(ctx context.Context, in ValidateQuoteInput) (ValidateQuoteResult, error) {
	return ValidateQuoteResult{}, errNotBuilt
}

// PriceItinerary prices flights and a fare into a fresh stored quote.
func (a *Activities) PriceItinerary(ctx context.Context, in PriceItineraryInput) (PriceItineraryResult, error) {
	return PriceItineraryResult{}, errNotBuilt
}

// HoldSeats holds the seats of a quote, idempotent on HoldID.
func (a *Activities) HoldSeats(ctx context.Context, in HoldSeatsInput) (HoldSeatsResult, error) {
	return HoldSeatsResult{}, errNotBuilt
}

// ReleaseHold returns a hold's seats to sale, idempotent on HoldID.
func (a *Activities) ReleaseHold(ctx context.Context, in ReleaseHoldInput) (ReleaseHoldResult, error) {
	return ReleaseHoldResult{}, errNotBuilt
}

// CommitHold makes a hold permanent, idempotent on HoldID.
func (a *Activities) CommitHold(ctx context.Context, in CommitHoldInput) (CommitHoldResult, error) {
	return CommitHoldResult{}, errNotBuilt
}
