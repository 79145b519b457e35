package payment

import (
	"strconv"
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
)

// Event types the payment domain publishes on skyfly.payment.v1
// (api/events/payment.v1.md documents them).
const (
	BusEventCreated        = "payment.created"
	BusEventRequiresAction = "payment.requires_action"
	BusEventAuthorized     = "payment.authorized"
	BusEventCaptured       = "payment.captured"
	BusEventRefunded       = "payment.refunded" // partial or full: data.refunded is the running total
	BusEventCanceled       = "payment.canceled"
	BusEventFailed         = "payment.failed"
)

// DomainEvent is one change of a payment intent as other domains see it:
// ids, statuses and amounts; never the token, the card's brand or digits.
type DomainEvent struct {
	ID   string // paymentId/version: the same change always has the same id
	Type string
	At   time.Time
	Data BusEventData
}

// BusEventData is the data of every payment event.
type BusEventData struct {
	PaymentID      string      `json:"paymentId"`
	BookingID      string      `json:"bookingId"`
	CustomerID     string      `json:"customerId,omitempty"`
	Status         Status      `json:"status"`
	PreviousStatus Status      `json:"previousStatus,omitempty"`
	Amount         money.Money `json:"amount"`
	Captured       int64       `json:"captured"`
	Refunded       int64       `json:"refunded"`
	// PreviousRefunded is the running total before this change: a
	// payment.refunded event gave back Refunded − PreviousRefunded.
	PreviousRefunded int64  `json:"previousRefunded"`
	DeclineCode      string `json:"declineCode,omitempty"`
	// Actor is who made the change, as the payment audit log names it:
	// "workflow:<workflowId>" for a saga's activity, "user:<userId>" for a
	// call through the payment API (staff), "provider:<name>" for a
	// webhook, "system" otherwise.
	Actor string `json:"actor,omitempty"`
}

// ActorWorkflowPrefix starts the Actor of a change a workflow's activity
// made: the saga that made it tells the customer itself.
const ActorWorkflowPrefix = "workflow:"

// EventOf returns the event of an intent moving from prev to next (prev is
// the zero Intent for a new one), and false when nothing others care about
// changed (a token or provider reference only). actor is who made the
// change (BusEventData.Actor).
func EventOf(prev, next Intent, actor string) (DomainEvent, bool) {
	var typ string
	switch {
	case prev.ID == "":
		typ = BusEventCreated
	case next.Refunded > prev.Refunded:
		typ = BusEventRefunded
	case next.Status == prev.Status:
		return DomainEvent{}, false
	case next.Status == StatusRequiresAction:
		typ = BusEventRequiresAction
	case next.Status == StatusAuthorized:
		typ = BusEventAuthorized
	case next.Status == StatusCaptured:
		typ = BusEventCaptured
	case next.Status == StatusCanceled:
		typ = BusEventCanceled
	case next.Status == StatusFailed:
		typ = BusEventFailed
	default:
		typ = "payment." + string(next.Status)
	}
	at := next.UpdatedAt
	if at.IsZero() {
		at = next.CreatedAt
	}
	return DomainEvent{
		ID: next.ID + "/" + strconv.FormatInt(next.Version, 10), Type: typ, At: at,
		Data: BusEventData{PaymentID: next.ID, BookingID: next.BookingID, CustomerID: next.CustomerID, Status: next.Status,
			PreviousStatus: prev.Status, Amount: next.Amount, Captured: next.Captured, Refunded: next.Refunded,
			PreviousRefunded: prev.Refunded, DeclineCode: next.DeclineCode, Actor: actor},
	}, true
}
