package bookingapi

import (
	"time"

	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/workflows/bookingsaga"
)

// bookingView is a booking as API.md shows it.
type bookingView struct {
	BookingID     string                 `json:"bookingId"`
	PNR           string                 `json:"pnr"`
	Status        booking.Status         `json:"status"`
	CustomerID    string                 `json:"customerId"`
	HoldExpiresAt *time.Time             `json:"holdExpiresAt,omitempty"`
	Total         money.Money            `json:"total"`
	Passengers    []booking.Passenger    `json:"passengers"`
	Contact       booking.Contact        `json:"contact"`
	Itinerary     itineraryView          `json:"itinerary"`
	Payments      []paymentView          `json:"payments"`
	Tickets       []booking.Ticket       `json:"tickets"`
	History       []booking.HistoryEntry `json:"history"`
	NextAction    *paymentact.NextAction `json:"nextAction,omitempty"`
	CreatedAt     time.Time              `json:"createdAt"`
	UpdatedAt     time.Time              `json:"updatedAt"`
}

type itineraryView struct {
	Segments []booking.Segment `json:"segments"`
	Fare     booking.Fare      `json:"fare"`
}

type paymentView struct {
	PaymentID string      `json:"paymentId"`
	Status    string      `json:"status,omitempty"`
	Paid      money.Money `json:"paid"`
	Refunded  money.Money `json:"refunded"`
}

type listView struct {
	Bookings   []bookingView `json:"bookings"`
	NextCursor string        `json:"nextCursor,omitempty"`
}

type cancelQuoteView struct {
	QuoteID       string      `json:"quoteId"`
	Refund        money.Money `json:"refund"`
	Penalty       money.Money `json:"penalty"`
	PenaltyWaived bool        `json:"penaltyWaived,omitempty"`
	RefundTo      string      `json:"refundTo,omitempty"` // the payment refunded
	ExpiresAt     time.Time   `json:"expiresAt"`
}

type changeQuoteView struct {
	QuoteID        string      `json:"quoteId"`
	NewFlightIDs   []string    `json:"newFlightIds"`
	NewFareID      string      `json:"newFareId"`
	NewTotal       money.Money `json:"newTotal"`
	FareDifference money.Money `json:"fareDifference"`
	Penalty        money.Money `json:"penalty"`
	PenaltyWaived  bool        `json:"penaltyWaived"`
	Due            money.Money `json:"due"`
	ExpiresAt      time.Time   `json:"expiresAt"`
}

// toView renders a stored booking; st (may be nil) adds what only the
// workflow knows (the payment step in flight, a 3-D Secure action).
func toView(b booking.Booking, st *bookingsaga.State) bookingView {
	v := bookingView{
		BookingID: b.ID, PNR: b.PNR, Status: b.Status, CustomerID: b.CustomerID, HoldExpiresAt: b.HoldExpiresAt,
		Total: b.Total, Passengers: b.Passengers, Contact: b.Contact,
		Itinerary: itineraryView{Segments: b.Segments, Fare: b.Fare},
		Payments:  []paymentView{}, Tickets: b.Tickets, History: b.History, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
	}
	if b.PaymentID != "" {
		v.Payments = append(v.Payments, paymentView{PaymentID: b.PaymentID, Paid: b.Paid, Refunded: b.Refunded})
	}
	if st != nil {
		if st.PaymentID != "" && st.PaymentID != b.PaymentID {
			v.Payments = append(v.Payments, paymentView{PaymentID: st.PaymentID, Status: st.PaymentStatus, Paid: money.New(0, b.Total.Currency), Refunded: money.New(0, b.Total.Currency)})
		}
		v.NextAction = st.NextAction
		if st.Status == booking.StatusPaymentPending && st.NextAction != nil {
			v.Status = booking.StatusPaymentPending
		}
	}
	if v.Tickets == nil {
		v.Tickets = []booking.Ticket{}
	}
	return v
}
