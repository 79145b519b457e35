package bookingact

import (
	"context"

	"github.com/skyfly/skyfly/services/booking"
)

// UserInput names the data subject of an export or erasure step. It holds
// ids only and stays on the shared key, so the erasure can still run after
// the customer's own key is shredded.
type UserInput struct {
	UserID string `json:"userId"`
}

// ExportBookingResult is the booking section of an export.
type ExportBookingResult struct {
	UserID string                   `json:"userId"`
	Data   booking.CustomerBookings `json:"data"`
}

// DataSubject is the customer whose data key encrypts this payload.
func (r ExportBookingResult) DataSubject() string { return r.UserID }

// EraseBookingResult reports the booking step of an erasure.
type EraseBookingResult struct {
	Bookings   int      `json:"bookings"`
	PaymentIDs []string `json:"paymentIds"`
}

// Privacy are the booking domain's export and erasure activities.
type Privacy struct{ p *booking.Privacy }

// NewPrivacy returns the privacy activities over the booking domain.
func NewPrivacy(p *booking.Privacy) *Privacy { return &Privacy{p: p} }

// ExportBookingData collects every booking of the customer with its changes
// and the ids of the payments behind them.
func (a *Privacy) ExportBookingData(ctx context.Context, in UserInput) (ExportBookingResult, error) {
	d, err := a.p.Export(ctx, in.UserID)
	if err != nil {
		return ExportBookingResult{}, err
	}
	return ExportBookingResult{UserID: in.UserID, Data: d}, nil
}

// BookingsInFlight lists the customer's bookings that block erasure.
func (a *Privacy) BookingsInFlight(ctx context.Context, in UserInput) ([]booking.InFlight, error) {
	return a.p.InFlight(ctx, in.UserID)
}

// EraseBookingData pseudonymizes the customer's bookings (idempotent).
func (a *Privacy) EraseBookingData(ctx context.Context, in UserInput) (EraseBookingResult, error) {
	n, ids, err := a.p.Erase(ctx, in.UserID)
	if err != nil {
		return EraseBookingResult{}, err
	}
	return EraseBookingResult{Bookings: n, PaymentIDs: ids}, nil
}
