package booking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// Options tune a Service. Zero values take the defaults noted.
type Options struct {
	// TicketPrefix is the airline's 3-digit ticketing prefix (default "999").
	TicketPrefix string
	// CancelQuoteTTL is how long a cancellation quote holds (default 15 min).
	CancelQuoteTTL time.Duration
	// ChangeQuoteTTL is how long a change quote holds (default 15 min).
	ChangeQuoteTTL time.Duration
}

// Service applies the booking rules over a Store.
type Service struct {
	log   *slog.Logger
	store Store
	now   Clock
	opts  Options
}

// NewService builds a Service.
func NewService(log *slog.Logger, store Store, now Clock, opts Options) *Service {
	if opts.TicketPrefix == "" {
		opts.TicketPrefix = "999"
	}
	if opts.CancelQuoteTTL == 0 {
		opts.CancelQuoteTTL = 15 * time.Minute
	}
	if opts.ChangeQuoteTTL == 0 {
		opts.ChangeQuoteTTL = 15 * time.Minute
	}
	return &Service{log: log, store: store, now: now, opts: opts}
}

// TicketPrefix is the airline prefix of issued tickets.
func (s *Service) TicketPrefix() string { return s.opts.TicketPrefix }

// NewBooking is what creating a booking takes.
type NewBooking struct {
	ID         string
	CustomerID string
	Passengers []Passenger
	Contact    Contact
	Segments   []Segment
	Fare       Fare
	Total      money.Money
	Actor      string
}

// Validate checks the request without touching the store.
func (n NewBooking) Validate() error {
	ve := &ValidationError{}
	if n.ID == "" {
		ve.add("bookingId", "is required")
	}
	if n.CustomerID == "" {
		ve.add("customerId", "is required")
	}
	if len(n.Segments) == 0 {
		ve.add("segments", "must list at least one flight")
	}
	if !n.Total.Valid() {
		ve.add("total", "must be a valid amount")
	}
	validateContact(ve, n.Contact)
	validatePassengers(ve, n.Passengers, n.Segments)
	return ve.errOrNil()
}

// Create validates and stores a PENDING booking with a fresh PNR. It is
// idempotent on the id: creating an existing booking returns it unchanged.
// Errors: *ValidationError (ErrInvalidBooking).
func (s *Service) Create(ctx context.Context, n NewBooking) (Booking, error) {
	if err := n.Validate(); err != nil {
		return Booking{}, err
	}
	if b, err := s.store.Get(ctx, n.ID); err == nil {
		return b, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Booking{}, fmt.Errorf("create booking %s: %w", n.ID, err)
	}
	now := s.now().UTC()
	ps := make([]Passenger, len(n.Passengers))
	for i, p := range n.Passengers {
		p.ID = fmt.Sprintf("%s-p%d", n.ID, i+1)
		ps[i] = p
	}
	b := Booking{
		ID: n.ID, CustomerID: n.CustomerID, Status: StatusPending, Version: 1,
		Total: n.Total, Paid: money.New(0, n.Total.Currency), Refunded: money.New(0, n.Total.Currency),
		Fare: n.Fare, Contact: n.Contact, Passengers: ps, Segments: n.Segments,
		History:   []HistoryEntry{{At: now, To: StatusPending, Event: "created", Actor: n.Actor}},
		CreatedAt: now, UpdatedAt: now,
	}
	for attempt := 0; attempt < 8; attempt++ {
		pnr, err := NewPNR()
		if err != nil {
			return Booking{}, err
		}
		b.PNR = pnr
		err = s.store.Create(ctx, b)
		switch {
		case err == nil:
			s.log.InfoContext(ctx, "booking created", "bookingId", b.ID, "pnr", b.PNR)
			return b, nil
		case errors.Is(err, ErrDuplicatePNR):
			continue
		case errors.Is(err, ErrDuplicate):
			return s.store.Get(ctx, n.ID)
		default:
			return Booking{}, fmt.Errorf("create booking %s: %w", n.ID, err)
		}
	}
	return Booking{}, fmt.Errorf("create booking %s: no free pnr after 8 draws: %w", n.ID, ErrDuplicatePNR)
}

// Get returns a booking. Errors: ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (Booking, error) {
	b, err := s.store.Get(ctx, id)
	if err != nil {
		return Booking{}, fmt.Errorf("get booking %s: %w", id, err)
	}
	return b, nil
}

// List returns a page of bookings.
func (s *Service) List(ctx context.Context, f ListFilter) (Page, error) {
	p, err := s.store.List(ctx, f)
	if err != nil {
		return Page{}, fmt.Errorf("list bookings: %w", err)
	}
	return p, nil
}

// Event describes why a booking moves.
type Event struct {
	Name   string
	Actor  string
	Reason string
}

// Transition moves a booking to status to and applies mutate (may be nil) in
// one optimistic-locked update, retrying lost races. Moving to the status the
// booking already has only applies mutate, so retried activities are
// idempotent. Errors: ErrNotFound, ErrInvalidTransition.
func (s *Service) Transition(ctx context.Context, id string, to Status, ev Event, mutate func(*Booking) error) (Booking, error) {
	return s.update(ctx, id, func(b *Booking) (bool, error) {
		if b.Status == to {
			if mutate == nil {
				return false, nil
			}
			return true, mutate(b)
		}
		if !CanTransition(b.Status, to) {
			return false, fmt.Errorf("%s → %s: %w", b.Status, to, ErrInvalidTransition)
		}
		if mutate != nil {
			if err := mutate(b); err != nil {
				return false, err
			}
		}
		b.History = append(b.History, HistoryEntry{At: s.now().UTC(), From: b.Status, To: to, Event: ev.Name, Actor: ev.Actor, Reason: ev.Reason})
		b.Status = to
		if to == StatusConfirmed {
			b.ChangeID = "" // no change holds a confirmed booking
		}
		return true, nil
	})
}

// TransitionFrom moves a booking from status from to status to in one
// compare-and-set, so a saga never overwrites a status another saga set
// meanwhile (a cancellation racing a change). A booking already in to is
// left as it is (a retried step). Errors: ErrNotFound,
// ErrInvalidTransition, *StatusConflictError (ErrStatusConflict) when the
// booking is in neither status.
func (s *Service) TransitionFrom(ctx context.Context, id string, from, to Status, ev Event) (Booking, error) {
	if !CanTransition(from, to) {
		return Booking{}, fmt.Errorf("transition booking %s: %s → %s: %w", id, from, to, ErrInvalidTransition)
	}
	b, err := s.store.TransitionFrom(ctx, id, from, to, HistoryEntry{At: s.now().UTC(), Event: ev.Name, Actor: ev.Actor, Reason: ev.Reason})
	var conflict *StatusConflictError
	if errors.As(err, &conflict) && conflict.Actual == to {
		return s.Get(ctx, id)
	}
	if err != nil {
		return Booking{}, fmt.Errorf("transition booking %s: %w", id, err)
	}
	return b, nil
}

// Note appends a history entry without a state change (e.g. a declined
// card).
func (s *Service) Note(ctx context.Context, id string, ev Event) (Booking, error) {
	return s.update(ctx, id, func(b *Booking) (bool, error) {
		b.History = append(b.History, HistoryEntry{At: s.now().UTC(), From: b.Status, To: b.Status, Event: ev.Name, Actor: ev.Actor, Reason: ev.Reason})
		return true, nil
	})
}

// update loads, changes and saves a booking, retrying version conflicts.
func (s *Service) update(ctx context.Context, id string, change func(*Booking) (bool, error)) (Booking, error) {
	for attempt := 0; ; attempt++ {
		b, err := s.store.Get(ctx, id)
		if err != nil {
			return Booking{}, fmt.Errorf("update booking %s: %w", id, err)
		}
		changed, err := change(&b)
		if err != nil {
			return Booking{}, fmt.Errorf("update booking %s: %w", id, err)
		}
		if !changed {
			return b, nil
		}
		b.UpdatedAt = s.now().UTC()
		saved, err := s.store.Update(ctx, b)
		if errors.Is(err, ErrVersionConflict) && attempt < 10 {
			continue
		}
		if err != nil {
			return Booking{}, fmt.Errorf("update booking %s: %w", id, err)
		}
		return saved, nil
	}
}

// Hold marks a booking HELD until expiresAt. Idempotent.
func (s *Service) Hold(ctx context.Context, id, holdID string, expiresAt time.Time, actor string) (Booking, error) {
	exp := expiresAt.UTC()
	return s.Transition(ctx, id, StatusHeld, Event{Name: "seats_held", Actor: actor}, func(b *Booking) error {
		b.HoldID = holdID
		b.HoldExpiresAt = &exp
		return nil
	})
}

// Confirm records the captured payment, issues one ticket per passenger and
// marks the booking CONFIRMED, in one update. Idempotent: a confirmed
// booking keeps its tickets.
func (s *Service) Confirm(ctx context.Context, id, paymentID string, paid money.Money, actor string) (Booking, error) {
	return s.update(ctx, id, func(b *Booking) (bool, error) {
		if b.Status == StatusConfirmed && len(b.Tickets) > 0 {
			return false, nil
		}
		if !CanTransition(b.Status, StatusConfirmed) {
			return false, fmt.Errorf("%s → %s: %w", b.Status, StatusConfirmed, ErrInvalidTransition)
		}
		if err := s.issueTickets(b); err != nil {
			return false, err
		}
		b.PaymentID = paymentID
		b.Paid = paid
		b.HoldExpiresAt = nil
		b.History = append(b.History, HistoryEntry{At: s.now().UTC(), From: b.Status, To: StatusConfirmed, Event: "tickets_issued", Actor: actor})
		b.Status = StatusConfirmed
		return true, nil
	})
}

// issueTickets voids the current tickets and issues new ones.
func (s *Service) issueTickets(b *Booking) error {
	now := s.now().UTC()
	var out []Ticket
	for _, t := range b.Tickets {
		t.Status = TicketVoid
		out = append(out, t)
	}
	for _, p := range b.Passengers {
		n, err := NewTicketNumber(s.opts.TicketPrefix)
		if err != nil {
			return err
		}
		out = append(out, Ticket{Number: n, PassengerID: p.ID, Status: TicketIssued, IssuedAt: now})
	}
	b.Tickets = out
	return nil
}

// CancelTerms adjust a cancellation quote.
type CancelTerms struct {
	// WaivePenalty refunds what was paid without the refund penalty, on
	// any fare (supervisors only: the API checks).
	WaivePenalty bool
}

// QuoteCancellation prices cancelling a confirmed booking by its fare
// conditions: a refundable fare returns what was paid minus the refund
// penalty; a non-refundable one returns nothing; a disrupted booking
// returns everything. Errors: ErrNotFound, ErrNotCancellable.
func (s *Service) QuoteCancellation(ctx context.Context, id string) (CancelQuote, error) {
	return s.QuoteCancellationFor(ctx, id, CancelTerms{})
}

// QuoteCancellationFor is QuoteCancellation with terms (a waived penalty).
func (s *Service) QuoteCancellationFor(ctx context.Context, id string, terms CancelTerms) (CancelQuote, error) {
	b, err := s.Get(ctx, id)
	if err != nil {
		return CancelQuote{}, err
	}
	if b.Status != StatusConfirmed {
		return CancelQuote{}, fmt.Errorf("quote cancellation %s: status %s: %w", id, b.Status, ErrNotCancellable)
	}
	paid := b.Paid.Amount - b.Refunded.Amount
	penalty := paid
	if b.Fare.Refundable {
		penalty = min(b.Fare.RefundPenalty.Amount, paid)
	}
	if b.Disrupted() || terms.WaivePenalty {
		penalty = 0 // the airline moved the customer, or a supervisor waived it
	}
	qid, err := NewID("cq")
	if err != nil {
		return CancelQuote{}, err
	}
	now := s.now().UTC()
	q := CancelQuote{
		QuoteID: qid, BookingID: id,
		Refund:  money.New(paid-penalty, b.Total.Currency),
		Penalty: money.New(penalty, b.Total.Currency), Waived: terms.WaivePenalty,
		ExpiresAt: now.Add(s.opts.CancelQuoteTTL), CreatedAt: now,
	}
	if err := s.store.SaveCancelQuote(ctx, q); err != nil {
		return CancelQuote{}, fmt.Errorf("quote cancellation %s: %w", id, err)
	}
	return q, nil
}

// CancelQuote returns a stored, unexpired cancellation quote of the
// booking. Errors: ErrNotFound, ErrQuoteExpired.
func (s *Service) CancelQuote(ctx context.Context, bookingID, quoteID string) (CancelQuote, error) {
	q, err := s.store.GetCancelQuote(ctx, quoteID)
	if err != nil {
		return CancelQuote{}, fmt.Errorf("cancel quote %s: %w", quoteID, err)
	}
	if q.BookingID != bookingID {
		return CancelQuote{}, fmt.Errorf("cancel quote %s: %w", quoteID, ErrNotFound)
	}
	if !s.now().Before(q.ExpiresAt) {
		return CancelQuote{}, fmt.Errorf("cancel quote %s: %w", quoteID, ErrQuoteExpired)
	}
	return q, nil
}

// CompleteCancellation marks a CANCELLING booking CANCELLED with the amount
// refunded and voids its tickets. Idempotent.
func (s *Service) CompleteCancellation(ctx context.Context, id string, refunded money.Money, actor string) (Booking, error) {
	return s.Transition(ctx, id, StatusCancelled, Event{Name: "cancelled", Actor: actor}, func(b *Booking) error {
		if b.Status == StatusCancelled {
			return nil
		}
		b.Refunded = money.New(b.Refunded.Amount+refunded.Amount, b.Total.Currency)
		for i := range b.Tickets {
			b.Tickets[i].Status = TicketVoid
		}
		return nil
	})
}

// ChangeRequest prices a change; the new itinerary comes from a fresh
// flight quote.
type ChangeRequest struct {
	ChangeID     string
	BookingID    string
	NewQuoteID   string
	NewFlightIDs []string
	NewFareID    string
	NewTotal     money.Money
	Actor        string
	Reason       string
	// Waive drops the change penalty (supervisors only: the API checks).
	Waive bool
	// Staff requires a reason.
	Staff bool
	// Protected is the airline's rebooking of a disrupted itinerary: no
	// fare difference, no penalty, allowed on any fare; a reason is required.
	Protected bool
}

// QuoteChange prices changing a confirmed, changeable booking to a new
// itinerary: the fare difference plus the change penalty (unless waived),
// or money back when the new fare is cheaper, and stores the change.
// Errors: ErrNotFound, ErrNotChangeable, *ValidationError.
func (s *Service) QuoteChange(ctx context.Context, r ChangeRequest) (Change, error) {
	b, err := s.Get(ctx, r.BookingID)
	if err != nil {
		return Change{}, err
	}
	if b.Status != StatusConfirmed {
		return Change{}, fmt.Errorf("quote change %s: status %s: %w", r.BookingID, b.Status, ErrNotChangeable)
	}
	// A customer the airline disrupted may pick another flight in the same
	// cabin for free, whatever the fare's rules.
	freePick := b.Disrupted() && strings.HasPrefix(r.NewFareID, b.Fare.Cabin+"-")
	if !b.Fare.Changeable && !r.Waive && !r.Protected && !freePick {
		return Change{}, fmt.Errorf("quote change %s: fare %s does not allow changes: %w", r.BookingID, b.Fare.Family, ErrNotChangeable)
	}
	if (r.Staff || r.Protected) && r.Reason == "" {
		return Change{}, &ValidationError{Fields: []FieldError{{Field: "reason", Reason: "is required for staff changes"}}}
	}
	if r.NewTotal.Currency != b.Total.Currency {
		return Change{}, &ValidationError{Fields: []FieldError{{Field: "fareId", Reason: "must be priced in " + b.Total.Currency}}}
	}
	diff := r.NewTotal.Amount - b.Total.Amount
	penalty := b.Fare.ChangePenalty.Amount
	if r.Waive {
		penalty = 0
	}
	if r.Protected || freePick {
		// The customer keeps the itinerary's price: nothing due either way.
		diff, penalty, r.NewTotal = 0, 0, b.Total
	}
	now := s.now().UTC()
	c := Change{
		ID: r.ChangeID, BookingID: r.BookingID, Status: ChangeQuoted,
		NewQuoteID: r.NewQuoteID, NewFlightIDs: r.NewFlightIDs, NewFareID: r.NewFareID, NewTotal: r.NewTotal,
		FareDifference: money.New(diff, b.Total.Currency), Penalty: money.New(penalty, b.Total.Currency), Waived: r.Waive || r.Protected || freePick,
		Due: money.New(diff+penalty, b.Total.Currency), Actor: r.Actor, Reason: r.Reason, Protected: r.Protected,
		ExpiresAt: now.Add(s.opts.ChangeQuoteTTL), CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.SaveChange(ctx, c); err != nil {
		return Change{}, fmt.Errorf("quote change %s: %w", r.BookingID, err)
	}
	return c, nil
}

// GetChange returns a change record. Errors: ErrNotFound.
func (s *Service) GetChange(ctx context.Context, id string) (Change, error) {
	c, err := s.store.GetChange(ctx, id)
	if err != nil {
		return Change{}, fmt.Errorf("get change %s: %w", id, err)
	}
	return c, nil
}

// SetChangeStatus records a change's progress. Idempotent.
func (s *Service) SetChangeStatus(ctx context.Context, id, status string) (Change, error) {
	c, err := s.GetChange(ctx, id)
	if err != nil {
		return Change{}, err
	}
	if c.Status == status {
		return c, nil
	}
	c.Status = status
	c.UpdatedAt = s.now().UTC()
	if err := s.store.SaveChange(ctx, c); err != nil {
		return Change{}, fmt.Errorf("set change %s status: %w", id, err)
	}
	return c, nil
}

// StartChange moves a CONFIRMED booking to CHANGING for one change, and
// only while the booking is still what the change was quoted on: its hold
// is oldHoldID. A second change (accepted after the first completed, or
// while it runs) is refused, so no change ever runs on a stale itinerary.
// Repeating the call for the change that holds the booking is a no-op.
// Errors: ErrNotFound, ErrNotChangeable.
func (s *Service) StartChange(ctx context.Context, changeID, oldHoldID string, ev Event) (Booking, error) {
	c, err := s.GetChange(ctx, changeID)
	if err != nil {
		return Booking{}, err
	}
	return s.update(ctx, c.BookingID, func(b *Booking) (bool, error) {
		if b.ChangeID == changeID && (b.Status == StatusChanging || b.Status == StatusNeedsAttention) {
			return false, nil
		}
		switch {
		case b.Status != StatusConfirmed:
			return false, fmt.Errorf("start change %s: booking is %s: %w", changeID, b.Status, ErrNotChangeable)
		case b.HoldID != oldHoldID:
			return false, fmt.Errorf("start change %s: booking changed since the quote: %w", changeID, ErrNotChangeable)
		}
		b.History = append(b.History, HistoryEntry{At: s.now().UTC(), From: b.Status, To: StatusChanging, Event: ev.Name, Actor: ev.Actor, Reason: ev.Reason})
		b.Status, b.ChangeID = StatusChanging, changeID
		return true, nil
	})
}

// AbortChange puts a booking that changeID moved to CHANGING (or that was
// parked in NEEDS_ATTENTION during it) back to CONFIRMED on its unchanged
// itinerary. A booking another change holds, or that is no longer in the
// change, is left alone. Idempotent. Errors: ErrNotFound.
func (s *Service) AbortChange(ctx context.Context, changeID string, ev Event) (Booking, error) {
	c, err := s.GetChange(ctx, changeID)
	if err != nil {
		return Booking{}, err
	}
	return s.update(ctx, c.BookingID, func(b *Booking) (bool, error) {
		if b.ChangeID != changeID || (b.Status != StatusChanging && b.Status != StatusNeedsAttention) {
			return false, nil
		}
		b.History = append(b.History, HistoryEntry{At: s.now().UTC(), From: b.Status, To: StatusConfirmed, Event: ev.Name, Actor: ev.Actor, Reason: ev.Reason})
		b.Status, b.ChangeID = StatusConfirmed, ""
		return true, nil
	})
}

// NewItinerary is the itinerary a change moves a booking to.
type NewItinerary struct {
	Segments []Segment
	Fare     Fare
	Total    money.Money
	HoldID   string
	// Paid is the change in money held: positive charged, negative refunded.
	Paid money.Money
	// PaymentID is the intent that charged a positive Paid.
	PaymentID string
}

// ApplyChange moves a CHANGING booking to its new itinerary, reissues the
// tickets and confirms it, and completes the change record. Idempotent.
func (s *Service) ApplyChange(ctx context.Context, changeID string, it NewItinerary, actor string) (Booking, error) {
	c, err := s.GetChange(ctx, changeID)
	if err != nil {
		return Booking{}, err
	}
	b, err := s.update(ctx, c.BookingID, func(b *Booking) (bool, error) {
		if b.Status == StatusConfirmed && b.HoldID == it.HoldID {
			return false, nil
		}
		if !CanTransition(b.Status, StatusConfirmed) {
			return false, fmt.Errorf("%s → %s: %w", b.Status, StatusConfirmed, ErrInvalidTransition)
		}
		b.Segments, b.Fare, b.Total, b.HoldID, b.ChangeID = it.Segments, it.Fare, it.Total, it.HoldID, ""
		if it.Paid.Amount >= 0 {
			b.Paid = money.New(b.Paid.Amount+it.Paid.Amount, b.Total.Currency)
		} else {
			b.Refunded = money.New(b.Refunded.Amount-it.Paid.Amount, b.Total.Currency)
		}
		if err := s.issueTickets(b); err != nil {
			return false, err
		}
		event := "changed"
		if c.Protected {
			event = EventRebooked
		}
		b.History = append(b.History, HistoryEntry{At: s.now().UTC(), From: b.Status, To: StatusConfirmed, Event: event, Actor: actor, Reason: c.Reason})
		b.Status = StatusConfirmed
		return true, nil
	})
	if err != nil {
		return Booking{}, err
	}
	c.Status, c.PaymentID, c.UpdatedAt = ChangeCompleted, it.PaymentID, s.now().UTC()
	if err := s.store.SaveChange(ctx, c); err != nil {
		return Booking{}, fmt.Errorf("apply change %s: %w", changeID, err)
	}
	return b, nil
}

// PaymentIDs lists the intents holding a booking's money, newest first:
// the charges of completed changes, then the original payment. A refund
// walks them in this order.
func (s *Service) PaymentIDs(ctx context.Context, b Booking) ([]string, error) {
	changes, err := s.store.ListChanges(ctx, b.ID)
	if err != nil {
		return nil, fmt.Errorf("payments of booking %s: %w", b.ID, err)
	}
	var out []string
	for i := len(changes) - 1; i >= 0; i-- {
		if c := changes[i]; c.Status == ChangeCompleted && c.PaymentID != "" {
			out = append(out, c.PaymentID)
		}
	}
	if b.PaymentID != "" {
		out = append(out, b.PaymentID)
	}
	return out, nil
}
