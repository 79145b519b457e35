package booking

import (
	"context"
	"time"
)

// Store persists bookings. Implementations: bookinggorm.
type Store interface {
	// Create inserts a new booking with its passengers, segments and
	// history. It returns ErrDuplicate when the id exists and ErrDuplicatePNR
	// when the PNR is taken.
	Create(ctx context.Context, b Booking) error
	// Get returns a booking with everything it holds, or ErrNotFound.
	Get(ctx context.Context, id string) (Booking, error)
	// GetByPNR returns the booking with that record locator, or ErrNotFound.
	GetByPNR(ctx context.Context, pnr string) (Booking, error)
	// List returns a page of bookings, newest first.
	List(ctx context.Context, f ListFilter) (Page, error)
	// Update saves b when the stored version is still b.Version (optimistic
	// locking) and returns it with the next version. Segments and tickets are
	// replaced; history entries beyond those stored are appended. It returns
	// ErrVersionConflict when someone else saved first, ErrNotFound when
	// there is no such booking.
	Update(ctx context.Context, b Booking) (Booking, error)
	// TransitionFrom moves a booking from status from to status to and
	// appends entry to its history, atomically and only while the stored
	// status is still from (compare-and-set: UPDATE … WHERE status = from).
	// The version moves on, so an optimistic Update racing it loses; moving
	// to CONFIRMED releases the change that held the booking. It returns
	// the booking as saved. Errors: ErrNotFound, *StatusConflictError
	// (ErrStatusConflict) when the booking is no longer in from.
	TransitionFrom(ctx context.Context, id string, from, to Status, entry HistoryEntry) (Booking, error)
	// SaveCancelQuote stores a cancellation quote.
	SaveCancelQuote(ctx context.Context, q CancelQuote) error
	// GetCancelQuote returns a cancellation quote, or ErrNotFound.
	GetCancelQuote(ctx context.Context, quoteID string) (CancelQuote, error)
	// SaveChange inserts or updates a change record.
	SaveChange(ctx context.Context, c Change) error
	// GetChange returns a change record, or ErrNotFound.
	GetChange(ctx context.Context, id string) (Change, error)
	// ListChanges returns a booking's change records, oldest first.
	ListChanges(ctx context.Context, bookingID string) ([]Change, error)
}

// ListFilter selects bookings. Empty fields do not filter.
type ListFilter struct {
	CustomerID string
	PNR        string
	FlightID   string
	Status     Status
	// FamilyName matches a passenger's family name, ignoring case (staff
	// looking a booking up by a passenger's name).
	FamilyName string
	// Cursor is the opaque NextCursor of the previous page.
	Cursor string
	// Limit defaults to 20, at most 100.
	Limit int
}

// Page is one page of a list.
type Page struct {
	Bookings   []Booking `json:"bookings"`
	NextCursor string    `json:"nextCursor,omitempty"`
}

// Clock returns the current time; injected wherever time matters.
type Clock func() time.Time
