package saga

import (
	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/services/booking"
)

// Segments converts a flight quote's segments into booking segments.
func Segments(in []flightact.Segment) []booking.Segment {
	out := make([]booking.Segment, len(in))
	for i, s := range in {
		out[i] = booking.Segment{FlightID: s.FlightID, FlightNumber: s.FlightNumber, Origin: s.Origin, Destination: s.Destination,
			DepartureTime: s.DepartureTime, ArrivalTime: s.ArrivalTime, International: s.International}
	}
	return out
}

// Fare converts a flight quote into the fare a booking keeps.
func Fare(q flightact.Quote) booking.Fare {
	return booking.Fare{QuoteID: q.QuoteID, FareID: q.FareID, Cabin: q.Cabin, BookingClass: q.BookingClass, Family: q.FareFamily,
		Refundable: q.Conditions.Refundable, Changeable: q.Conditions.Changeable,
		ChangePenalty: q.Conditions.ChangePenalty, RefundPenalty: q.Conditions.RefundPenalty}
}

// FlightIDs lists a quote's flights.
func FlightIDs(q flightact.Quote) []string {
	if len(q.FlightIDs) > 0 {
		return q.FlightIDs
	}
	out := make([]string, len(q.Segments))
	for i, s := range q.Segments {
		out[i] = s.FlightID
	}
	return out
}
