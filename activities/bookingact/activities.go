package bookingact

import (
	"context"
	"errors"
	"log/slog"

	"go.temporal.io/sdk/temporal"

	"github.com/skyfly/skyfly/services/booking"
)

// Activities are the booking domain's activities over one booking.Service.
type Activities struct {
	svc *booking.Service
	log *slog.Logger
}

// New returns the activities.
func New(log *slog.Logger, svc *booking.Service) *Activities {
	return &Activities{svc: svc, log: log}
}

// CreateBooking validates and stores a PENDING booking with a fresh PNR.
// Invalid passengers or contact are a non-retryable InvalidBooking error
// whose details carry the field errors.
func (a *Activities) CreateBooking(ctx context.Context, in CreateBookingInput) (BookingResult, error) {
	b, err := a.svc.Create(ctx, booking.NewBooking{
		ID: in.BookingID, CustomerID: in.CustomerID, Passengers: in.Passengers, Contact: in.Contact,
		Segments: in.Segments, Fare: in.Fare, Total: in.Total, Actor: in.Actor,
	})
	if err != nil {
		return BookingResult{}, translate(err)
	}
	return result(b), nil
}

// SetBookingStatus moves a booking to a status.
func (a *Activities) SetBookingStatus(ctx context.Context, in SetBookingStatusInput) (BookingResult, error) {
	ev := booking.Event{Name: in.Event, Actor: in.Actor, Reason: in.Reason}
	var (
		b   booking.Booking
		err error
	)
	switch {
	case in.From != "":
		b, err = a.svc.TransitionFrom(ctx, in.BookingID, in.From, in.Status, ev)
	case in.Status == booking.StatusHeld && in.HoldExpiresAt != nil:
		b, err = a.svc.Hold(ctx, in.BookingID, in.HoldID, *in.HoldExpiresAt, in.Actor)
	default:
		b, err = a.svc.Transition(ctx, in.BookingID, in.Status, ev, nil)
	}
	if err != nil {
		return BookingResult{}, translate(err)
	}
	return result(b), nil
}

// ConfirmBooking records the captured payment, issues tickets and confirms.
func (a *Activities) ConfirmBooking(ctx context.Context, in ConfirmBookingInput) (BookingResult, error) {
	b, err := a.svc.Confirm(ctx, in.BookingID, in.PaymentID, in.Paid, "")
	if err != nil {
		return BookingResult{}, translate(err)
	}
	return result(b), nil
}

// CompleteCancellation marks a cancelled booking with its refund.
func (a *Activities) CompleteCancellation(ctx context.Context, in CompleteCancellationInput) (BookingResult, error) {
	b, err := a.svc.CompleteCancellation(ctx, in.BookingID, in.Refunded, in.Actor)
	if err != nil {
		return BookingResult{}, translate(err)
	}
	return result(b), nil
}

// SaveChangeQuote prices a change by the booking's fare conditions and
// stores it.
func (a *Activities) SaveChangeQuote(ctx context.Context, in SaveChangeQuoteInput) (ChangeResult, error) {
	c, err := a.svc.QuoteChange(ctx, booking.ChangeRequest{
		ChangeID: in.ChangeID, BookingID: in.BookingID, NewQuoteID: in.NewQuoteID, NewFlightIDs: in.NewFlightIDs,
		NewFareID: in.NewFareID, NewTotal: in.NewTotal, Actor: in.Actor, Reason: in.Reason, Waive: in.Waive, Staff: in.Staff,
		Protected: in.Protected,
	})
	if err != nil {
		return ChangeResult{}, translate(err)
	}
	return ChangeResult{Change: c}, nil
}

// StartChange moves the booking to CHANGING for one change; a booking that
// changed since the quote, or that another change holds, is refused with
// ErrTypeNotChangeable.
func (a *Activities) StartChange(ctx context.Context, in StartChangeInput) (BookingResult, error) {
	b, err := a.svc.StartChange(ctx, in.ChangeID, in.OldHoldID, booking.Event{Name: "change_started", Actor: in.Actor, Reason: in.Reason})
	if errors.Is(err, booking.ErrNotChangeable) {
		return BookingResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotChangeable, err)
	}
	if err != nil {
		return BookingResult{}, translate(err)
	}
	return result(b), nil
}

// AbortChange restores the booking a failed change held to CONFIRMED.
func (a *Activities) AbortChange(ctx context.Context, in AbortChangeInput) (BookingResult, error) {
	b, err := a.svc.AbortChange(ctx, in.ChangeID, booking.Event{Name: "change_failed", Actor: in.Actor, Reason: in.Reason})
	if err != nil {
		return BookingResult{}, translate(err)
	}
	return result(b), nil
}

// SetChangeStatus records a change's progress.
func (a *Activities) SetChangeStatus(ctx context.Context, in SetChangeStatusInput) (ChangeResult, error) {
	c, err := a.svc.SetChangeStatus(ctx, in.ChangeID, in.Status)
	if err != nil {
		return ChangeResult{}, translate(err)
	}
	return ChangeResult{Change: c}, nil
}

// ApplyChange moves the booking to its new itinerary with new tickets.
func (a *Activities) ApplyChange(ctx context.Context, in ApplyChangeInput) (BookingResult, error) {
	b, err := a.svc.ApplyChange(ctx, in.ChangeID, booking.NewItinerary{
		Segments: in.Segments, Fare: in.Fare, Total: in.Total, HoldID: in.HoldID, Paid: in.Paid, PaymentID: in.PaymentID,
	}, in.Actor)
	if err != nil {
		return BookingResult{}, translate(err)
	}
	return result(b), nil
}

// ListFlightBookings pages the bookings that include a flight.
func (a *Activities) ListFlightBookings(ctx context.Context, in ListFlightBookingsInput) (ListFlightBookingsResult, error) {
	if in.FlightID == "" {
		return ListFlightBookingsResult{}, temporal.NewNonRetryableApplicationError("list flight bookings: flightId is required", ErrTypeInvalidBooking, nil)
	}
	p, err := a.svc.List(ctx, booking.ListFilter{FlightID: in.FlightID, Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return ListFlightBookingsResult{}, translate(err)
	}
	out := ListFlightBookingsResult{NextCursor: p.NextCursor, Bookings: make([]FlightBooking, len(p.Bookings))}
	for i, b := range p.Bookings {
		out.Bookings[i] = FlightBooking{BookingID: b.ID, Status: b.Status}
	}
	return out, nil
}

// GetBooking returns what a change of the booking starts from.
func (a *Activities) GetBooking(ctx context.Context, in GetBookingInput) (BookingSnapshot, error) {
	b, err := a.svc.Get(ctx, in.BookingID)
	if err != nil {
		return BookingSnapshot{}, translate(err)
	}
	s := BookingSnapshot{BookingID: b.ID, CustomerID: b.CustomerID, PNR: b.PNR, Status: b.Status, HoldID: b.HoldID, PaymentID: b.PaymentID,
		FlightIDs: b.FlightIDs(), Cabin: b.Fare.Cabin, Contact: b.Contact}
	for _, p := range b.Passengers {
		switch p.Type {
		case booking.Child:
			s.Children++
		case booking.Infant:
			s.Infants++
		default:
			s.Adults++
		}
	}
	return s, nil
}

// BookingPaymentIDs lists the intents holding a booking's money, newest
// first (a refund walks them in this order). Read-only.
func (a *Activities) BookingPaymentIDs(ctx context.Context, in BookingPaymentIDsInput) (BookingPaymentIDsResult, error) {
	b, err := a.svc.Get(ctx, in.BookingID)
	if err != nil {
		return BookingPaymentIDsResult{}, translate(err)
	}
	ids, err := a.svc.PaymentIDs(ctx, b)
	if err != nil {
		return BookingPaymentIDsResult{}, translate(err)
	}
	return BookingPaymentIDsResult{PaymentIDs: ids}, nil
}

func result(b booking.Booking) BookingResult {
	var issued []booking.Ticket
	for _, t := range b.Tickets {
		if t.Status == booking.TicketIssued {
			issued = append(issued, t)
		}
	}
	return BookingResult{BookingID: b.ID, PNR: b.PNR, Status: b.Status, HoldExpiresAt: b.HoldExpiresAt, Tickets: issued}
}

// translate turns domain sentinels into non-retryable application errors;
// anything else (database down) stays retryable.
func translate(err error) error {
	var ve *booking.ValidationError
	var conflict *booking.StatusConflictError
	switch {
	case errors.As(err, &conflict):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeStatusConflict, err, conflict.Actual)
	case errors.As(err, &ve):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidBooking, err, ve.Fields)
	case errors.Is(err, booking.ErrInvalidBooking), errors.Is(err, booking.ErrNotChangeable), errors.Is(err, booking.ErrQuoteExpired):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidBooking, err)
	case errors.Is(err, booking.ErrInvalidTransition):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidTransition, err)
	case errors.Is(err, booking.ErrNotFound):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotFound, err)
	}
	return err
}
