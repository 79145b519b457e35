// Package queues names SkyFly's Temporal task queues, workflow ids and search
// attributes, so producers and consumers cannot drift apart.
package queues

import "fmt"

// Task queues: one for the saga workflows, one per domain for its activities.
const (
	BookingSaga = "booking-saga"
	Auth        = "auth"
	Flight      = "flight"
	Booking     = "booking"
	Customer    = "customer"
	Payment     = "payment"
)

// Search attributes ops filter on in the Temporal UI.
const (
	AttrPNR           = "SkyflyPNR"
	AttrBookingStatus = "SkyflyBookingStatus"
	AttrCustomerID    = "SkyflyCustomerId"
	AttrFlightID      = "SkyflyFlightId"
)

// SearchAttributes lists every custom search attribute with its Temporal
// type name, for registration on a namespace.
func SearchAttributes() map[string]string {
	return map[string]string{
		AttrPNR:           "Keyword",
		AttrBookingStatus: "Keyword",
		AttrCustomerID:    "Keyword",
		AttrFlightID:      "KeywordList",
	}
}

// BookingWorkflowID is the business key of a booking's saga.
func BookingWorkflowID(bookingID string) string { return "booking/" + bookingID }

// CancelWorkflowID is the business key of a booking's cancellation.
func CancelWorkflowID(bookingID string) string { return "cancel/" + bookingID }

// ChangeWorkflowID is the business key of one change of a booking.
func ChangeWorkflowID(bookingID, changeID string) string {
	return fmt.Sprintf("change/%s/%s", bookingID, changeID)
}
