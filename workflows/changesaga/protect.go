package changesaga

import (
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workflows/saga"
)

// Protection is what a DisruptionWorkflow tells its protected rebooking.
type Protection struct {
	// DisruptionID is the parent's id, disruption/{flightId}/{seq}.
	DisruptionID string `json:"disruptionId"`
	FlightID     string `json:"flightId"`
	// Kind is CANCELLED or RETIMED.
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	Actor  string `json:"actor"`
}

// Statuses of a protected rebooking besides the change statuses.
const (
	// StatusUnaffected: a retime left the itinerary flyable; the customer
	// was told the new times.
	StatusUnaffected = "UNAFFECTED"
	// StatusSkipped: the booking was no longer confirmed on the flight.
	StatusSkipped = "SKIPPED"
	// StatusResolved: an operator took the parked booking over.
	StatusResolved = "RESOLVED"
)

// SignalOutcome is the signal a protected rebooking sends its parent.
const SignalOutcome = "rebooking-outcome"

// Outcomes a protected rebooking reports.
const (
	OutcomeRebooked       = "REBOOKED"
	OutcomeNeedsAttention = "NEEDS_ATTENTION"
	OutcomeUnaffected     = "UNAFFECTED"
	OutcomeSkipped        = "SKIPPED"
	OutcomeResolved       = "RESOLVED"
	OutcomeFailed         = "FAILED"
)

// Outcome is the payload of SignalOutcome.
type Outcome struct {
	BookingID string   `json:"bookingId"`
	Outcome   string   `json:"outcome"`
	FlightIDs []string `json:"flightIds,omitempty"`
	Detail    string   `json:"detail,omitempty"`
}

const stepFindAlternative = "find-alternative"

// protect rebooks a disrupted booking: load it, find and hold the best
// alternative (parking in NEEDS_ATTENTION for an agent while there is
// none: `retry` searches again, `resolve` hands the booking to the agent),
// then run the change saga at no cost. The new seats are held before the
// old ones are released, and released again if the change fails.
func (w *wf) protect(ctx workflow.Context) error {
	p := w.in.Protect
	var snap bookingact.BookingSnapshot
	if err := w.local(ctx, w.ba.GetBooking, bookingact.GetBookingInput{BookingID: w.in.BookingID}, &snap); err != nil {
		w.st.Status, w.st.Failure = StatusFailed, err.Error()
		w.report(ctx, OutcomeFailed, err.Error())
		return err
	}
	w.in.CustomerID, w.in.PNR, w.in.OldHoldID, w.in.PaymentID = snap.CustomerID, snap.PNR, snap.HoldID, snap.PaymentID
	w.in.OldFlightIDs, w.in.Contact = snap.FlightIDs, snap.Contact
	w.in.Passengers = flightact.PassengerCounts{Adults: snap.Adults, Children: snap.Children, Infants: snap.Infants}
	if snap.Status != booking.StatusConfirmed || !slices.Contains(snap.FlightIDs, p.FlightID) {
		w.st.Status = StatusSkipped
		w.report(ctx, OutcomeSkipped, "booking is "+string(snap.Status)+" on "+strings.Join(snap.FlightIDs, ","))
		return nil
	}

	hold := w.newHold()
	var found flightact.ProtectItineraryResult
	find := func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(saga.Step(ctx, queues.Flight), w.fa.ProtectItinerary, flightact.ProtectItineraryInput{
			HoldID: hold, FlightIDs: snap.FlightIDs, Cabin: snap.Cabin, Passengers: w.in.Passengers, TTL: w.in.HoldTTL,
		}).Get(ctx, &found)
	}
	w.addReleaseNewSeats(hold)
	if err := find(ctx); err != nil {
		w.notifyProtected(ctx, customeract.EventDisrupted)
		res, perr := w.saga.Persist(ctx, stepFindAlternative, find)
		if perr != nil {
			return perr
		}
		// Out of the queue: by an agent's hand, or a retry found seats.
		back := "disruption_retry"
		if res != nil {
			back = "disruption_resolved"
		}
		if err := w.setBooking(ctx, booking.StatusConfirmed, back, "out of NEEDS_ATTENTION"); err != nil {
			return err
		}
		if res != nil {
			w.st.Status = StatusResolved
			w.report(ctx, OutcomeResolved, res.Operator+": "+res.Reason)
			return nil
		}
	}
	if !found.Affected {
		w.saga.Forget() // nothing was held
		w.st.Status = StatusUnaffected
		w.notifyProtected(ctx, customeract.EventRetimed)
		w.report(ctx, OutcomeUnaffected, "")
		return nil
	}
	w.quote = found.Quote
	var res bookingact.ChangeResult
	if err := w.local(ctx, w.ba.SaveChangeQuote, bookingact.SaveChangeQuoteInput{
		ChangeID: w.in.ChangeID, BookingID: w.in.BookingID, NewQuoteID: found.Quote.QuoteID, NewFlightIDs: found.Quote.FlightIDs,
		NewFareID: found.Quote.FareID, NewTotal: found.Quote.Total, Actor: p.Actor, Reason: p.Reason, Protected: true,
	}, &res); err != nil {
		return w.protectFailed(ctx, err)
	}
	w.st.Change, w.st.Status, w.quoted, w.accept = &res.Change, StatusQuoted, true, &AcceptRequest{}
	if err := w.run(ctx); err != nil {
		return w.protectFailed(ctx, err)
	}
	w.report(ctx, OutcomeRebooked, "")
	return nil
}

// protectFailed compensates a protected rebooking that could not finish
// (the new seats go back) and reports it; the booking stays as it was.
func (w *wf) protectFailed(ctx workflow.Context, err error) error {
	if w.st.Status != StatusFailed {
		w.st.Failure = err.Error()
		_, _ = w.saga.Compensate(ctx, 0)
		w.st.Status = StatusFailed
	}
	w.report(ctx, OutcomeFailed, err.Error())
	return err
}

// report tells the parent disruption what became of this booking (a
// protected rebooking started on its own has no parent to tell).
func (w *wf) report(ctx workflow.Context, outcome, detail string) {
	parent := workflow.GetInfo(ctx).ParentWorkflowExecution
	if parent == nil {
		return
	}
	o := Outcome{BookingID: w.in.BookingID, Outcome: outcome, Detail: detail}
	if outcome == OutcomeRebooked {
		o.FlightIDs = w.quote.FlightIDs
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if err := workflow.SignalExternalWorkflow(dctx, parent.ID, "", SignalOutcome, o).Get(dctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("cannot report the rebooking outcome", "parent", parent.ID, "error", err)
	}
}

// notifyProtected tells the customer once what the disruption did to the
// booking: rebooked (with the new flights), waiting for an agent, or retimed.
func (w *wf) notifyProtected(ctx workflow.Context, event string) {
	p := w.in.Protect
	data := map[string]string{"pnr": w.in.PNR, "reason": p.Reason, "disruption": strings.ToLower(p.Kind), "flights": strings.Join(w.in.OldFlightIDs, ", ")}
	if event == customeract.EventRebooked {
		data["flights"] = strings.Join(w.quote.FlightIDs, ", ")
	}
	w.send(ctx, event, data)
}
