package customer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// PaymentEventsConsumer names the customer domain's consumer group on
// skyfly.payment.v1.
const PaymentEventsConsumer = "customer-payment-notifications"

// BookingRef is the customer domain's reference of a booking, kept from
// booking events: which PNR and customer a booking id is. Payment events
// carry only the booking id.
type BookingRef struct {
	BookingID  string
	PNR        string
	CustomerID string
	At         time.Time
}

// paymentEventData is the part of a payment event (api/events/payment.v1.md)
// the notifications read.
type paymentEventData struct {
	PaymentID        string      `json:"paymentId"`
	BookingID        string      `json:"bookingId"`
	CustomerID       string      `json:"customerId"`
	Amount           money.Money `json:"amount"`
	Refunded         int64       `json:"refunded"`
	PreviousRefunded int64       `json:"previousRefunded"`
	Actor            string      `json:"actor"`
}

// paymentRefunded is the one payment event the customer domain notifies.
const paymentRefunded = "payment.refunded"

// NotifiesPayment reports whether payment events of type eventType may send
// a message.
func NotifiesPayment(eventType string) bool { return eventType == paymentRefunded }

// PaymentEventNotifier tells customers about the payment changes no saga
// tells them about: a refund made through the payment API (staff, actor
// "user:<id>") or at the provider (a webhook, actor "provider:<name>").
// A saga's refund (actor "workflow:<id>": a cancellation, a cheaper change,
// a compensation) is told by that saga, and an event without an actor
// (published before events named one) cannot be told from a saga's, so
// neither sends anything here. payment.failed always happens in a saga,
// which tells the customer itself. Each event is applied once, like booking
// events: the messages' dedupe keys are the event id and channel, and the
// event is recorded as applied after them.
type PaymentEventNotifier struct {
	bookings *BookingEventNotifier
}

// NewPaymentEventNotifier returns the notifier of payment events; it sends
// through the booking events notifier's channels and store.
func NewPaymentEventNotifier(bookings *BookingEventNotifier) *PaymentEventNotifier {
	return &PaymentEventNotifier{bookings: bookings}
}

// toldBySaga reports whether the change's actor is a workflow, or unknown.
func toldBySaga(actor string) bool {
	return actor == "" || strings.HasPrefix(actor, "workflow:")
}

// Apply sends the message of one payment event unless it was applied
// before, and reports whether it sent any. A refund whose booking the
// customer domain has no reference of (its booking events not seen) is
// recorded as applied without a message, and logged. Errors are as
// BookingEventNotifier.Apply's.
func (p *PaymentEventNotifier) Apply(ctx context.Context, eventID, eventType string, data json.RawMessage) (bool, error) {
	if !NotifiesPayment(eventType) {
		return false, nil
	}
	b := p.bookings
	return b.applyOnce(ctx, PaymentEventsConsumer, fmt.Sprintf("payment event %s", eventID), eventID, func() (int, error) {
		var d paymentEventData
		if err := json.Unmarshal(data, &d); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		refund := d.Refunded - d.PreviousRefunded
		if toldBySaga(d.Actor) || refund <= 0 || d.BookingID == "" {
			return 0, nil
		}
		ref, err := b.store.BookingRef(ctx, d.BookingID)
		if errors.Is(err, ErrNotFound) {
			b.log.WarnContext(ctx, "refund of a booking the customer domain has no reference of: nothing sent",
				"event_id", eventID, "booking_id", d.BookingID, "payment_id", d.PaymentID)
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		customerID := d.CustomerID
		if customerID == "" {
			customerID = ref.CustomerID
		}
		extra := map[string]string{"refund": money.New(refund, d.Amount.Currency).String()}
		return b.send(ctx, eventID, TemplateBookingRefunded, bookingEventData{BookingID: d.BookingID, PNR: ref.PNR, CustomerID: customerID}, extra)
	})
}
