package customer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"
)

// BookingEventsConsumer names the customer domain's consumer group on
// skyfly.booking.v1.
const BookingEventsConsumer = "customer-booking-notifications"

// bookingEventTemplates maps the booking events the customer domain
// notifies from the bus to their templates. Only events no saga notifies
// are here (the sagas tell the customer about holds, confirmations,
// payments, expiry, cancellations and changes through their notify
// activity): a booking parked in NEEDS_ATTENTION is told it is in hand.
//
// The consumer also keeps the customer domain's booking references (booking
// id → PNR and customer) from booking.created, which
// the payment events' notifications need (PaymentEventNotifier).
var bookingEventTemplates = map[string]string{
	"booking.needs_attention": TemplateBookingUnderReview,
}

// bookingEventData is the part of a booking event (api/events/booking.v1.md)
// the notifications read: the customer domain decodes the published
// contract, not the booking domain's types.
type bookingEventData struct {
	BookingID  string `json:"bookingId"`
	PNR        string `json:"pnr"`
	CustomerID string `json:"customerId"`
	// Event is the booking history's event name: "disrupted" marks a
	// booking parked by a flight disruption, whose workflow tells the
	// customer itself (booking_disrupted), so the bus sends nothing more.
	Event string `json:"event"`
}

// toldByItsWorkflow lists the history events whose customer message the
// workflow that caused them sends.
var toldByItsWorkflow = map[string]bool{"disrupted": true}

// BookingEventNotifier tells customers about booking events from the bus,
// once per event: the notifications' dedupe key is the event id and
// channel, and the event is recorded as applied in the customer store after
// its messages are.
type BookingEventNotifier struct {
	log      *slog.Logger
	store    Store
	notifier *Notifier
	now      func() time.Time
}

// NewBookingEventNotifier returns the notifier of booking events.
func NewBookingEventNotifier(log *slog.Logger, store Store, notifier *Notifier, now func() time.Time) *BookingEventNotifier {
	return &BookingEventNotifier{log: log, store: store, notifier: notifier, now: now}
}

// bookingRefEvent is the booking event that carries a new booking's
// reference: every booking's history starts with it, and its PNR is drawn
// when the booking is created.
const bookingRefEvent = "booking.created"

// Reads reports whether the booking events consumer needs events of type
// eventType (to send a message or to keep a booking reference).
func Reads(eventType string) bool {
	_, ok := bookingEventTemplates[eventType]
	return ok || eventType == bookingRefEvent
}

// Apply sends the messages of one booking event unless it was applied
// before, and reports whether it sent any. An event no template answers,
// without a customer or whose message the notifier refuses (no address,
// rate limit) is recorded as applied without a message. A delivery
// failure or a store error is returned: the caller retries the event, and
// its dedupe keys keep the retry from sending twice.
func (b *BookingEventNotifier) Apply(ctx context.Context, eventID, eventType string, data json.RawMessage) (bool, error) {
	op := fmt.Sprintf("booking event %s", eventID)
	if eventType == bookingRefEvent {
		return false, b.putRef(ctx, op, data)
	}
	tpl, ok := bookingEventTemplates[eventType]
	if !ok {
		return false, nil
	}
	return b.applyOnce(ctx, BookingEventsConsumer, op, eventID, func() (int, error) {
		var d bookingEventData
		if err := json.Unmarshal(data, &d); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if toldByItsWorkflow[d.Event] {
			return 0, nil
		}
		return b.send(ctx, eventID, tpl, d, nil)
	})
}

// applyOnce runs apply for consumer's event eventID unless the store has it
// as applied, then records it as applied, and reports whether apply sent a
// message. apply's messages are deduplicated by the event id, so an event
// applied again after a crash between the two sends nothing twice; when
// apply fails nothing is recorded and the caller retries the event.
func (b *BookingEventNotifier) applyOnce(ctx context.Context, consumer, op, eventID string, apply func() (int, error)) (bool, error) {
	done, err := b.store.EventApplied(ctx, consumer, eventID)
	if err != nil || done {
		return false, err
	}
	sent, err := apply()
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	if err := b.store.RecordEventApplied(ctx, consumer, eventID, b.now()); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	return sent > 0, nil
}

// putRef records the booking reference an event carries; writing it again
// for a redelivered event is harmless.
func (b *BookingEventNotifier) putRef(ctx context.Context, op string, data json.RawMessage) error {
	var d bookingEventData
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("%s: %w: %w", op, ErrInvalid, err)
	}
	if d.BookingID == "" || d.PNR == "" {
		return nil
	}
	if err := b.store.PutBookingRef(ctx, BookingRef{BookingID: d.BookingID, PNR: d.PNR, CustomerID: d.CustomerID, At: b.now().UTC()}); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// send delivers the event's message by email, and by SMS and push when the
// profile asks for booking updates there, returning how many were sent now.
// extra is template data beyond the PNR, booking id and given name.
func (b *BookingEventNotifier) send(ctx context.Context, eventID, tpl string, d bookingEventData, extra map[string]string) (int, error) {
	if d.CustomerID == "" || d.PNR == "" {
		return 0, nil
	}
	p, err := b.store.Profile(ctx, d.CustomerID)
	if errors.Is(err, ErrNotFound) {
		b.log.InfoContext(ctx, "booking event for a customer without a profile: nothing sent", "event_id", eventID, "customer_id", d.CustomerID)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	type target struct {
		ch Channel
		to string
	}
	var targets []target
	if p.Email != "" {
		targets = append(targets, target{ChannelEmail, p.Email})
	}
	if p.WantsChannel(ChannelSMS) && p.PhoneVerified && p.Phone != "" {
		targets = append(targets, target{ChannelSMS, p.Phone})
	}
	if p.WantsChannel(ChannelPush) {
		targets = append(targets, target{ChannelPush, "user:" + p.UserID})
	}
	data := map[string]string{"pnr": d.PNR, "bookingId": d.BookingID}
	maps.Copy(data, extra)
	if p.GivenName != "" {
		data["givenName"] = p.GivenName
	}
	sent := 0
	for _, t := range targets {
		res, err := b.notifier.Send(ctx, SendRequest{
			Channel: t.ch, UserID: p.UserID, To: t.to, TemplateID: tpl, Language: p.Preferences.Language, Data: data,
			DedupeKey: "event/" + eventID + "/" + string(t.ch), SuppressWhenLimited: true,
		})
		var rl *RateLimitError
		switch {
		case errors.Is(err, ErrDeliveryFailed):
			return sent, err
		case errors.Is(err, ErrNoRecipient), errors.Is(err, ErrInvalid), errors.Is(err, ErrChannelUnavailable), errors.As(err, &rl):
			b.log.WarnContext(ctx, "booking event message refused", "event_id", eventID, "channel", t.ch, "err", err)
			continue
		case err != nil:
			return sent, err
		}
		if !res.Notification.Status.Final() {
			return sent, fmt.Errorf("notification %s is still %s", res.Notification.ID, res.Notification.Status)
		}
		if !res.Duplicate && res.Notification.Status == StatusSent {
			sent++
		}
	}
	return sent, nil
}
