// Package sagatest is a small fake airline with real behaviour behind the
// activity names the sagas call (a seat counter with holds, payment intents
// with their state machine, a notification outbox) plus the real booking
// activities over SQLite, with faults injectable by activity name. Saga
// tests in testsuite and on a dev server use it; production code never
// imports it.
package sagatest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/booking/bookinggorm"
)

// world is a small airline with real behaviour behind the activity names:
// a seat counter with holds, payment intents with a state machine, a
// notification outbox, and the real booking activities over SQLite. Faults
// are injected by activity name.
// World is the fake airline.
type World struct {
	mu sync.Mutex
	t  testing.TB

	seats    int
	capacity int
	holds    map[string]*fakeHold

	intents     map[string]*fakeIntent // by payment id
	intentByKey map[string]string
	calls       map[string]int

	notified map[string]bool // bookingId/event/seq
	events   []string

	// faults maps an activity name to how it fails.
	faults map[string]Fault

	svc  *booking.Service
	acts *bookingact.Activities

	// changeTotal is what PriceItinerary asks for a change's new
	// itinerary, in minor units of EUR (SetChangeTotal; default 50990).
	changeTotal int64

	// departure is when the world's flights leave: a week from the day the
	// test runs, fixed once so every quote of one test agrees.
	departure time.Time

	// afterHold runs after a hold's side effect, before HoldSeats returns
	// (the T3 test kills the worker there).
	afterHold func(ctx context.Context, holdID string)
	onHang    func(paymentID string)
	onCapture func(paymentID string)
}

// SetOnCapture installs a hook that runs when a capture starts, before the
// provider takes the money (a slow capture in flight, T9).
func (w *World) SetOnCapture(fn func(paymentID string)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onCapture = fn
}

// TokenHang is a payment token whose authorization never answers.
const TokenHang = "tok_hang"

// SetOnHang installs a hook called when an authorization with TokenHang
// starts.
func (w *World) SetOnHang(fn func(paymentID string)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onHang = fn
}

// SetAfterHold installs a hook that runs after a hold was made and before
// HoldSeats reports it.
func (w *World) SetAfterHold(fn func(ctx context.Context, holdID string)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.afterHold = fn
}

// Holds returns how many holds exist and how many seats they took.
func (w *World) Holds() (holds, seats int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, h := range w.holds {
		holds++
		seats += h.seats
	}
	return holds, seats
}

// Fault describes how an activity fails.
type Fault struct {
	// afterEffect runs the side effect before failing (an ambiguous timeout, T8).
	AfterEffect bool
	// nonRetryable fails at once; otherwise every attempt fails.
	NonRetryable bool
	// match restricts the fault to one input (e.g. the HELD transition). It
	// runs under the world's lock: read w.calls directly.
	Match func(in any, calls map[string]int) bool
}

type fakeHold struct {
	seats  int
	status string
}

type fakeIntent struct {
	id        string
	status    string
	amount    money.Money
	captured  int64
	refunded  int64
	authCalls int
}

var errInjected = errors.New("injected fault")

// NewWorld returns a world with seats seats on its one flight.
func NewWorld(t testing.TB, seats int) *World {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, bookinggorm.Migrate(ctx, db))
	svc := booking.NewService(slog.New(slog.DiscardHandler), bookinggorm.New(db), time.Now, booking.Options{})
	return &World{
		t: t, seats: seats, capacity: seats, holds: map[string]*fakeHold{},
		intents: map[string]*fakeIntent{}, intentByKey: map[string]string{}, calls: map[string]int{},
		notified: map[string]bool{}, faults: map[string]Fault{},
		svc: svc, acts: bookingact.New(slog.New(slog.DiscardHandler), svc),
		departure: testdate.At(7, 9, 0), changeTotal: 50990,
	}
}

// FlightID is the id of the world's flight number (SF100, SF102, ...)
// on its departure day.
func (w *World) FlightID(number string) string {
	return number + "-" + testdate.Compact(w.departure)
}

// inject reports whether the named call must fail, counting the call.
func (w *World) inject(name string, in any) (Fault, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls[name]++
	f, ok := w.faults[name]
	if ok && f.Match != nil && !f.Match(in, w.calls) {
		return Fault{}, false
	}
	return f, ok
}

func (f Fault) err() error {
	if f.NonRetryable {
		return temporal.NewNonRetryableApplicationError("injected fault", "Injected", errInjected)
	}
	return errInjected
}

// Count returns how many times an activity ran.
func (w *World) Count(name string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[name]
}

// Register puts every fake under the contract's activity names.
func (w *World) Register(r worker.Registry) {
	reg := func(fn any, name string) { r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name}) }
	reg(w.ValidateQuote, "ValidateQuote")
	reg(w.HoldSeats, "HoldSeats")
	reg(w.HoldQuotedSeats, "HoldQuotedSeats")
	reg(w.ReleaseHold, "ReleaseHold")
	reg(w.CommitHold, "CommitHold")
	reg(w.CreatePaymentIntent, "CreatePaymentIntent")
	reg(w.AuthorizePayment, "AuthorizePayment")
	reg(w.CreateAndAuthorizePayment, "CreateAndAuthorizePayment")
	reg(w.GetPayment, "GetPayment")
	reg(w.CapturePayment, "CapturePayment")
	reg(w.VoidPayment, "VoidPayment")
	reg(w.RefundPayment, "RefundPayment")
	reg(w.SendBookingNotification, "SendBookingNotification")
	reg(w.CreateBooking, "CreateBooking")
	reg(w.SetBookingStatus, "SetBookingStatus")
	reg(w.ConfirmBooking, "ConfirmBooking")
	reg(w.acts.CompleteCancellation, "CompleteCancellation")
	reg(w.acts.SaveChangeQuote, "SaveChangeQuote")
	reg(w.acts.SetChangeStatus, "SetChangeStatus")
	reg(w.acts.ApplyChange, "ApplyChange")
	reg(w.acts.StartChange, "StartChange")
	reg(w.acts.AbortChange, "AbortChange")
	reg(w.acts.BookingPaymentIDs, "BookingPaymentIDs")
	reg(w.PriceItinerary, "PriceItinerary")
}

// Quote is the quote the fake flight domain prices: flight SF100 a week
// from the day the test runs.
func (w *World) Quote(id string) flightact.Quote {
	dep := w.departure
	return flightact.Quote{
		QuoteID: id, FlightIDs: []string{w.FlightID("SF100")}, FareID: "Y-STD", Cabin: "Y", BookingClass: "M", FareFamily: "Standard",
		Passengers: flightact.PassengerCounts{Adults: 1},
		Segments: []flightact.Segment{{FlightID: w.FlightID("SF100"), FlightNumber: "SF100", Origin: "AMS", Destination: "CDG",
			DepartureTime: dep, ArrivalTime: dep.Add(75 * time.Minute)}},
		Total:      money.New(45990, "EUR"),
		Conditions: flightact.FareConditions{Refundable: true, Changeable: true, RefundPenalty: money.New(5000, "EUR"), ChangePenalty: money.New(3000, "EUR")},
		ExpiresAt:  dep,
	}
}

func (w *World) ValidateQuote(_ context.Context, in flightact.ValidateQuoteInput) (flightact.ValidateQuoteResult, error) {
	if f, ok := w.inject("ValidateQuote", in); ok {
		return flightact.ValidateQuoteResult{}, f.err()
	}
	if in.QuoteID == "expired" {
		return flightact.ValidateQuoteResult{}, temporal.NewNonRetryableApplicationError("quote expired", flightact.ErrTypeQuoteExpired, nil)
	}
	return flightact.ValidateQuoteResult{Quote: w.Quote(in.QuoteID)}, nil
}

func (w *World) PriceItinerary(_ context.Context, in flightact.PriceItineraryInput) (flightact.PriceItineraryResult, error) {
	if f, ok := w.inject("PriceItinerary", in); ok {
		return flightact.PriceItineraryResult{}, f.err()
	}
	q := w.Quote("q-change")
	q.FlightIDs = in.FlightIDs
	q.Segments[0].FlightID = in.FlightIDs[0]
	w.mu.Lock()
	q.Total = money.New(w.changeTotal, "EUR")
	w.mu.Unlock()
	return flightact.PriceItineraryResult{Quote: q}, nil
}

// SetChangeTotal sets what a change's new itinerary costs (minor units of
// EUR), e.g. less than the booking for a change that gives money back.
func (w *World) SetChangeTotal(amount int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.changeTotal = amount
}

func (w *World) HoldSeats(ctx context.Context, in flightact.HoldSeatsInput) (flightact.HoldSeatsResult, error) {
	f, failing := w.inject("HoldSeats", in)
	if failing && !f.AfterEffect {
		return flightact.HoldSeatsResult{}, f.err()
	}
	w.mu.Lock()
	if _, ok := w.holds[in.HoldID]; !ok {
		if w.seats < 1 {
			w.mu.Unlock()
			return flightact.HoldSeatsResult{}, temporal.NewNonRetryableApplicationError("no seats", flightact.ErrTypeSeatUnavailable, nil)
		}
		w.seats--
		w.holds[in.HoldID] = &fakeHold{seats: 1, status: "HELD"}
	}
	after := w.afterHold
	w.mu.Unlock()
	if after != nil {
		after(ctx, in.HoldID)
	}
	if failing {
		return flightact.HoldSeatsResult{}, f.err()
	}
	return flightact.HoldSeatsResult{HoldID: in.HoldID, Status: "HELD", Seats: 1}, nil
}

// HoldQuotedSeats is the fake's one-call reserve: its ValidateQuote, then
// its HoldSeats, so faults injected under either name still hit it.
func (w *World) HoldQuotedSeats(ctx context.Context, in flightact.HoldQuotedSeatsInput) (flightact.HoldQuotedSeatsResult, error) {
	if f, ok := w.inject("HoldQuotedSeats", in); ok {
		return flightact.HoldQuotedSeatsResult{}, f.err()
	}
	q, err := w.ValidateQuote(ctx, flightact.ValidateQuoteInput{QuoteID: in.QuoteID, Passengers: in.Passengers})
	if err != nil {
		return flightact.HoldQuotedSeatsResult{}, err
	}
	h, err := w.HoldSeats(ctx, flightact.HoldSeatsInput{HoldID: in.HoldID, QuoteID: in.QuoteID, TTL: in.TTL})
	if err != nil {
		return flightact.HoldQuotedSeatsResult{}, err
	}
	return flightact.HoldQuotedSeatsResult{Hold: h, Quote: q.Quote}, nil
}

func (w *World) ReleaseHold(_ context.Context, in flightact.ReleaseHoldInput) (flightact.ReleaseHoldResult, error) {
	f, failing := w.inject("ReleaseHold", in)
	if failing && !f.AfterEffect {
		return flightact.ReleaseHoldResult{}, f.err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	released := false
	if h, ok := w.holds[in.HoldID]; ok && h.status != "RELEASED" {
		w.seats += h.seats
		h.status = "RELEASED"
		released = true
	}
	if failing {
		return flightact.ReleaseHoldResult{}, f.err()
	}
	return flightact.ReleaseHoldResult{Released: released, Status: "RELEASED"}, nil
}

func (w *World) CommitHold(_ context.Context, in flightact.CommitHoldInput) (flightact.CommitHoldResult, error) {
	if f, ok := w.inject("CommitHold", in); ok {
		return flightact.CommitHoldResult{}, f.err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	h, ok := w.holds[in.HoldID]
	if !ok || h.status == "RELEASED" {
		return flightact.CommitHoldResult{}, temporal.NewNonRetryableApplicationError("hold gone", flightact.ErrTypeHoldNotFound, nil)
	}
	h.status = "COMMITTED"
	return flightact.CommitHoldResult{Status: "COMMITTED"}, nil
}

func (w *World) result(p *fakeIntent) paymentact.PaymentResult {
	r := paymentact.PaymentResult{PaymentID: p.id, Status: p.status, Amount: p.amount,
		Captured: money.New(p.captured, p.amount.Currency), Refunded: money.New(p.refunded, p.amount.Currency)}
	if p.status == "requires_action" {
		r.NextAction = &paymentact.NextAction{Type: "redirect", URL: "https://sandbox.example/3ds/" + p.id}
	}
	return r
}

func (w *World) CreatePaymentIntent(_ context.Context, in paymentact.CreatePaymentIntentInput) (paymentact.PaymentResult, error) {
	f, failing := w.inject("CreatePaymentIntent", in)
	if failing && !f.AfterEffect {
		return paymentact.PaymentResult{}, f.err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	id, ok := w.intentByKey[in.IdempotencyKey]
	if !ok {
		id = fmt.Sprintf("pay_%d", len(w.intents)+1)
		w.intentByKey[in.IdempotencyKey] = id
		w.intents[id] = &fakeIntent{id: id, status: "requires_payment_method", amount: in.Amount}
	}
	if failing {
		return paymentact.PaymentResult{}, f.err()
	}
	return w.result(w.intents[id]), nil
}

func (w *World) AuthorizePayment(ctx context.Context, in paymentact.AuthorizePaymentInput) (paymentact.PaymentResult, error) {
	if f, ok := w.inject("AuthorizePayment", in); ok {
		return paymentact.PaymentResult{}, f.err()
	}
	if in.Token == TokenHang {
		// A provider that never answers: the call ends with its timeout.
		w.mu.Lock()
		hook := w.onHang
		w.mu.Unlock()
		if hook != nil {
			hook(in.PaymentID)
		}
		<-ctx.Done()
		return paymentact.PaymentResult{}, ctx.Err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.intents[in.PaymentID]
	p.authCalls++
	if p.status != "requires_payment_method" {
		return w.result(p), nil
	}
	switch in.Token {
	case "tok_decline":
		p.status = "failed"
		return paymentact.PaymentResult{}, temporal.NewNonRetryableApplicationError("card declined", paymentact.ErrTypePaymentDeclined, nil, "card_declined")
	case "tok_3ds":
		p.status = "requires_action"
	default:
		p.status = "authorized"
	}
	return w.result(p), nil
}

// CreateAndAuthorizePayment is the fake's create-and-confirm: its
// CreatePaymentIntent and AuthorizePayment in one call, so faults injected
// under either name still hit it. Like the real activity, a refused
// creation is ErrTypeIntentRefused and a decline names the intent.
func (w *World) CreateAndAuthorizePayment(ctx context.Context, in paymentact.CreateAndAuthorizePaymentInput) (paymentact.PaymentResult, error) {
	if f, ok := w.inject("CreateAndAuthorizePayment", in); ok {
		return paymentact.PaymentResult{}, f.err()
	}
	created, err := w.CreatePaymentIntent(ctx, in.Intent)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		return paymentact.PaymentResult{}, temporal.NewNonRetryableApplicationError("intent refused", paymentact.ErrTypeIntentRefused, err)
	}
	if err != nil {
		return paymentact.PaymentResult{}, err
	}
	out, err := w.AuthorizePayment(ctx, paymentact.AuthorizePaymentInput{
		IdempotencyKey: in.AuthorizeKey, PaymentID: created.PaymentID, Token: in.Token, ReturnURL: in.ReturnURL,
	})
	if errors.As(err, &appErr) && appErr.Type() == paymentact.ErrTypePaymentDeclined {
		return paymentact.PaymentResult{}, temporal.NewNonRetryableApplicationError("card declined", paymentact.ErrTypePaymentDeclined, nil, "card_declined", created.PaymentID)
	}
	return out, err
}

// Complete3DS is the provider finishing the customer's 3-D Secure step.
func (w *World) Complete3DS(id string, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ok {
		w.intents[id].status = "authorized"
	} else {
		w.intents[id].status = "failed"
	}
}

func (w *World) GetPayment(_ context.Context, in paymentact.GetPaymentInput) (paymentact.PaymentResult, error) {
	if f, ok := w.inject("GetPayment", in); ok {
		return paymentact.PaymentResult{}, f.err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.intents[in.PaymentID]
	if !ok {
		return paymentact.PaymentResult{}, temporal.NewNonRetryableApplicationError("no intent", paymentact.ErrTypePaymentNotFound, nil)
	}
	return w.result(p), nil
}

func (w *World) CapturePayment(_ context.Context, in paymentact.CapturePaymentInput) (paymentact.PaymentResult, error) {
	f, failing := w.inject("CapturePayment", in)
	if failing && !f.AfterEffect {
		return paymentact.PaymentResult{}, f.err()
	}
	w.mu.Lock()
	hook := w.onCapture
	w.mu.Unlock()
	if hook != nil {
		hook(in.PaymentID)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.intents[in.PaymentID]
	if p.status == "authorized" {
		p.status, p.captured = "captured", p.amount.Amount
	}
	if failing {
		return paymentact.PaymentResult{}, f.err()
	}
	if p.status != "captured" {
		return paymentact.PaymentResult{}, temporal.NewNonRetryableApplicationError("not authorized", paymentact.ErrTypeInvalidTransition, nil)
	}
	return w.result(p), nil
}

func (w *World) VoidPayment(_ context.Context, in paymentact.VoidPaymentInput) (paymentact.PaymentResult, error) {
	if f, ok := w.inject("VoidPayment", in); ok {
		return paymentact.PaymentResult{}, f.err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.intents[in.PaymentID]
	switch p.status {
	case "requires_payment_method", "requires_action", "authorized":
		p.status = "canceled"
	}
	return w.result(p), nil
}

func (w *World) RefundPayment(_ context.Context, in paymentact.RefundPaymentInput) (paymentact.PaymentResult, error) {
	if f, ok := w.inject("RefundPayment", in); ok {
		return paymentact.PaymentResult{}, f.err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.intents[in.PaymentID]
	amount := p.captured - p.refunded
	if in.Amount != nil {
		amount = min(in.Amount.Amount, amount)
	}
	p.refunded += amount
	if p.refunded == p.captured {
		p.status = "refunded"
	} else {
		p.status = "partially_refunded"
	}
	return w.result(p), nil
}

func (w *World) SendBookingNotification(_ context.Context, in customeract.SendBookingNotificationInput) (customeract.SendBookingNotificationResult, error) {
	if f, ok := w.inject("SendBookingNotification", in); ok {
		return customeract.SendBookingNotificationResult{}, f.err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	key := fmt.Sprintf("%s/%s/%d", in.BookingID, in.Event, in.Sequence)
	if w.notified[key] {
		return customeract.SendBookingNotificationResult{Duplicate: true}, nil
	}
	w.notified[key] = true
	w.events = append(w.events, in.Event)
	return customeract.SendBookingNotificationResult{NotificationIDs: []string{key}}, nil
}

func (w *World) CreateBooking(ctx context.Context, in bookingact.CreateBookingInput) (bookingact.BookingResult, error) {
	f, failing := w.inject("CreateBooking", in)
	if failing && !f.AfterEffect {
		return bookingact.BookingResult{}, f.err()
	}
	r, err := w.acts.CreateBooking(ctx, in)
	if failing && err == nil {
		return bookingact.BookingResult{}, f.err()
	}
	return r, err
}

func (w *World) SetBookingStatus(ctx context.Context, in bookingact.SetBookingStatusInput) (bookingact.BookingResult, error) {
	if f, ok := w.inject("SetBookingStatus", in); ok {
		return bookingact.BookingResult{}, f.err()
	}
	return w.acts.SetBookingStatus(ctx, in)
}

func (w *World) ConfirmBooking(ctx context.Context, in bookingact.ConfirmBookingInput) (bookingact.BookingResult, error) {
	f, failing := w.inject("ConfirmBooking", in)
	if failing && !f.AfterEffect {
		return bookingact.BookingResult{}, f.err()
	}
	res, err := w.acts.ConfirmBooking(ctx, in)
	if failing {
		return bookingact.BookingResult{}, f.err()
	}
	return res, err
}

// Leftovers lists what a finished saga must not leave behind: held seats
// and authorized or captured-but-unrefunded money (except the named
// intents, e.g. a booking paid before the test).
func (w *World) Leftovers(except ...string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for id, h := range w.holds {
		if h.status == "HELD" {
			out = append(out, "hold "+id+" still HELD")
		}
	}
	for id, p := range w.intents {
		if slices.Contains(except, id) {
			continue
		}
		if p.status == "authorized" || p.status == "requires_action" || (p.captured > p.refunded) {
			out = append(out, fmt.Sprintf("intent %s %s captured %d refunded %d", id, p.status, p.captured, p.refunded))
		}
	}
	return out
}

// IntentStatuses lists the intents' statuses in creation order.
func (w *World) IntentStatuses() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.intents))
	for i := 1; i <= len(w.intents); i++ {
		if p, ok := w.intents[fmt.Sprintf("pay_%d", i)]; ok {
			out = append(out, p.status)
		}
	}
	return out
}

// SetFault makes an activity fail as f describes.
func (w *World) SetFault(name string, f Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults[name] = f
}

// ClearFault heals an activity.
func (w *World) ClearFault(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.faults, name)
}

// Seats returns the seats left for sale.
func (w *World) Seats() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seats
}

// Events lists the notifications sent, in order.
func (w *World) Events() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.events...)
}

// Service is the real booking service behind the booking activities.
func (w *World) Service() *booking.Service { return w.svc }

// Intent returns a payment intent's captured and refunded amounts.
func (w *World) Intent(id string) (status string, captured, refunded int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.intents[id]
	return p.status, p.captured, p.refunded
}

// AddIntent records a captured intent (a booking paid before the test).
func (w *World) AddIntent(id string, amount money.Money) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.intents[id] = &fakeIntent{id: id, status: "captured", amount: amount, captured: amount.Amount}
}

// AddHold records a committed hold (a booking sold before the test).
func (w *World) AddHold(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seats--
	w.holds[id] = &fakeHold{seats: 1, status: "COMMITTED"}
}

// ConfirmedBooking stores a booking that was sold before the test: booking
// row CONFIRMED with tickets, its hold committed and its payment captured.
func (w *World) ConfirmedBooking(t testing.TB, id string) booking.Booking {
	t.Helper()
	ctx := context.Background()
	q := w.Quote("q0")
	_, err := w.svc.Create(ctx, booking.NewBooking{
		ID: id, CustomerID: "cust-1",
		Passengers: []booking.Passenger{{Type: booking.Adult, GivenName: "Ada", FamilyName: "Lovelace", DateOfBirth: "1990-05-01", Gender: "F"}},
		Contact:    booking.Contact{Email: "ada@example.com", Phone: "+447700900123"},
		Segments: []booking.Segment{{FlightID: q.Segments[0].FlightID, FlightNumber: q.Segments[0].FlightNumber, Origin: q.Segments[0].Origin,
			Destination: q.Segments[0].Destination, DepartureTime: q.Segments[0].DepartureTime, ArrivalTime: q.Segments[0].ArrivalTime}},
		Fare: booking.Fare{QuoteID: q.QuoteID, FareID: q.FareID, Cabin: q.Cabin, Family: q.FareFamily, Refundable: true, Changeable: true,
			RefundPenalty: q.Conditions.RefundPenalty, ChangePenalty: q.Conditions.ChangePenalty},
		Total: q.Total,
	})
	require.NoError(t, err)
	_, err = w.svc.Hold(ctx, id, id, time.Now().Add(time.Hour), "")
	require.NoError(t, err)
	b, err := w.svc.Confirm(ctx, id, "pay_orig", q.Total, "")
	require.NoError(t, err)
	w.AddHold(id)
	w.AddIntent("pay_orig", q.Total)
	return b
}
