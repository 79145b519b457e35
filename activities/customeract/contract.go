// Package customeract adapts the customer domain to Temporal activities on
// task queue "customer". This file is the contract the booking sagas code
// against; activities.go implements it.
package customeract

// Booking notification events.
const (
	EventHeld          = "booking.held"
	EventConfirmed     = "booking.confirmed"
	EventPaymentFailed = "booking.payment_failed"
	EventHoldExpiring  = "booking.hold_expiring"
	EventExpired       = "booking.expired"
	EventCancelled     = "booking.cancelled"
	EventRefunded      = "booking.refunded"
	EventChanged       = "booking.changed"
	EventFailed        = "booking.failed"
	// Disruption: rebooked under protection, waiting for an agent (no
	// alternative), or retimed with the itinerary still connecting.
	EventRebooked  = "booking.rebooked"
	EventDisrupted = "booking.disrupted"
	EventRetimed   = "booking.retimed"
)

// SendBookingNotificationInput tells a customer what happened to a booking.
// It is idempotent per (BookingID, Event, Sequence). Email and phone are PII:
// workflow payloads are encrypted by the codec.
type SendBookingNotificationInput struct {
	BookingID  string            `json:"bookingId"`
	Event      string            `json:"event"`
	Sequence   int               `json:"sequence"` // distinguishes repeated events (e.g. two changes)
	CustomerID string            `json:"customerId"`
	Email      string            `json:"email"`
	Phone      string            `json:"phone,omitempty"`
	Language   string            `json:"language,omitempty"`
	Data       map[string]string `json:"data"` // pnr, amounts, flight numbers...
}

// SendBookingNotificationResult reports the notification record.
type SendBookingNotificationResult struct {
	NotificationIDs []string `json:"notificationIds"`
	Duplicate       bool     `json:"duplicate"`
}
