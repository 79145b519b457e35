package booking

import (
	"context"
	"fmt"
	"time"
)

// ErasedName replaces the names of an erased customer's passengers.
const ErasedName = "ERASED"

// PrivacyStore is what erasure needs beyond Store.
type PrivacyStore interface {
	// ErasePersonalData pseudonymizes every booking of customerID in one
	// transaction: passengers' names become ErasedName, their dates of
	// birth, genders and documents are cleared, the contact email and
	// phone too. Ids, PNRs, segments, tickets, amounts and history stay (the
	// records kept by law). It returns how many bookings it changed; a
	// second call changes none.
	ErasePersonalData(ctx context.Context, customerID string) (int, error)
}

// BookingExport is one booking with its changes, in a data export (G1).
type BookingExport struct {
	Booking Booking  `json:"booking"`
	Changes []Change `json:"changes"`
}

// CustomerBookings is the booking section of a data export.
type CustomerBookings struct {
	Bookings []BookingExport `json:"bookings"`
	// PaymentIDs are the intents of these bookings (their charges and the
	// changes' charges), which the payment domain exports.
	PaymentIDs []string `json:"paymentIds"`
}

// InFlight is a booking that blocks erasure: not in a final state, or
// confirmed for a trip that has not ended yet.
type InFlight struct {
	BookingID string `json:"bookingId"`
	PNR       string `json:"pnr"`
	Status    Status `json:"status"`
	// Until is when it stops blocking when nothing else happens: the last
	// arrival of a confirmed trip (zero for a booking still in progress).
	Until time.Time `json:"until,omitzero"`
}

// Privacy is the booking domain's export and erasure.
type Privacy struct {
	store   Store
	privacy PrivacyStore
	now     func() time.Time
}

// NewPrivacy returns the export and erasure of the booking domain.
func NewPrivacy(store Store, privacy PrivacyStore, now func() time.Time) *Privacy {
	return &Privacy{store: store, privacy: privacy, now: now}
}

// all pages through every booking of a customer.
func (p *Privacy) all(ctx context.Context, customerID string) ([]Booking, error) {
	var out []Booking
	f := ListFilter{CustomerID: customerID, Limit: 100}
	for {
		page, err := p.store.List(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Bookings...)
		if page.NextCursor == "" {
			return out, nil
		}
		f.Cursor = page.NextCursor
	}
}

// Export collects every booking of the customer with passengers, tickets,
// history and changes, and the ids of the payments behind them.
func (p *Privacy) Export(ctx context.Context, customerID string) (CustomerBookings, error) {
	bs, err := p.all(ctx, customerID)
	if err != nil {
		return CustomerBookings{}, fmt.Errorf("export bookings of %s: %w", customerID, err)
	}
	out := CustomerBookings{Bookings: make([]BookingExport, 0, len(bs)), PaymentIDs: []string{}}
	seen := map[string]bool{}
	for _, b := range bs {
		changes, err := p.store.ListChanges(ctx, b.ID)
		if err != nil {
			return CustomerBookings{}, fmt.Errorf("export bookings of %s: %w", customerID, err)
		}
		if changes == nil {
			changes = []Change{}
		}
		out.Bookings = append(out.Bookings, BookingExport{Booking: b, Changes: changes})
		ids := []string{b.PaymentID}
		for _, c := range changes {
			ids = append(ids, c.PaymentID)
		}
		for _, id := range ids {
			if id != "" && !seen[id] {
				seen[id] = true
				out.PaymentIDs = append(out.PaymentIDs, id)
			}
		}
	}
	return out, nil
}

// InFlight lists the customer's bookings that block erasure now.
func (p *Privacy) InFlight(ctx context.Context, customerID string) ([]InFlight, error) {
	bs, err := p.all(ctx, customerID)
	if err != nil {
		return nil, fmt.Errorf("bookings in flight of %s: %w", customerID, err)
	}
	now := p.now()
	out := []InFlight{}
	for _, b := range bs {
		switch b.Status {
		case StatusCancelled, StatusExpired, StatusFailed:
			continue
		case StatusConfirmed:
			end := time.Time{}
			for _, s := range b.Segments {
				if s.ArrivalTime.After(end) {
					end = s.ArrivalTime
				}
			}
			if !end.After(now) {
				continue
			}
			out = append(out, InFlight{BookingID: b.ID, PNR: b.PNR, Status: b.Status, Until: end.UTC()})
		default:
			out = append(out, InFlight{BookingID: b.ID, PNR: b.PNR, Status: b.Status})
		}
	}
	return out, nil
}

// Erase pseudonymizes the customer's bookings; it returns how many changed
// and the ids of their payments (for the payment domain's erasure step).
func (p *Privacy) Erase(ctx context.Context, customerID string) (int, []string, error) {
	ex, err := p.Export(ctx, customerID)
	if err != nil {
		return 0, nil, fmt.Errorf("erase bookings of %s: %w", customerID, err)
	}
	n, err := p.privacy.ErasePersonalData(ctx, customerID)
	if err != nil {
		return 0, nil, fmt.Errorf("erase bookings of %s: %w", customerID, err)
	}
	return n, ex.PaymentIDs, nil
}
