package disruption_test

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
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/workflows/changesaga"
	"github.com/skyfly/skyfly/workflows/disruption"
	"github.com/skyfly/skyfly/workflows/saga"
	"github.com/skyfly/skyfly/workflows/sagatest"
)

// airline is the saga test world plus a protected-rebooking flight
// domain: ProtectItinerary takes one of alt seats on SF102 (the
// alternative; the hold is the world's, so commits and releases are
// counted there) or refuses NoAlternative when none is left.
type airline struct {
	*sagatest.World
	acts *bookingact.Activities
	mu   sync.Mutex
	alt  int
	held map[string]bool
	// unaffected answers as for a retime that keeps the itinerary flyable.
	unaffected bool
}

// worldSeats is the world's own seat counter: the booked flight and the
// holds the rebookings make (the alternative's seats are alt).
const worldSeats = 100_000

func newAirline(t *testing.T, alt int) *airline {
	w := sagatest.NewWorld(t, worldSeats)
	return &airline{World: w, acts: bookingact.New(slog.New(slog.DiscardHandler), w.Service()), alt: alt, held: map[string]bool{}}
}

func (a *airline) ProtectItinerary(ctx context.Context, in flightact.ProtectItineraryInput) (flightact.ProtectItineraryResult, error) {
	a.mu.Lock()
	if a.unaffected {
		a.mu.Unlock()
		return flightact.ProtectItineraryResult{Affected: false}, nil
	}
	if !a.held[in.HoldID] {
		if a.alt < 1 {
			a.mu.Unlock()
			return flightact.ProtectItineraryResult{}, temporal.NewNonRetryableApplicationError("no alternative", flightact.ErrTypeNoAlternative, nil)
		}
		a.alt--
		a.held[in.HoldID] = true
	}
	a.mu.Unlock()
	if _, err := a.HoldSeats(ctx, flightact.HoldSeatsInput{HoldID: in.HoldID, QuoteID: "q-prot", TTL: in.TTL}); err != nil {
		return flightact.ProtectItineraryResult{}, err
	}
	q := a.Quote("q-prot")
	q.FlightIDs = []string{a.FlightID("SF102")}
	q.Segments[0].FlightID, q.Segments[0].FlightNumber = q.FlightIDs[0], "SF102"
	q.FareID, q.BookingClass, q.FareFamily = "Y-Y", "Y", "FLEX"
	return flightact.ProtectItineraryResult{Affected: true, Quote: q, HoldID: in.HoldID}, nil
}

func (a *airline) register(env worker.Registry) {
	env.RegisterWorkflowWithOptions(disruption.DisruptionWorkflow, workflow.RegisterOptions{Name: disruption.WorkflowName})
	env.RegisterWorkflowWithOptions(changesaga.ChangeBookingWorkflow, workflow.RegisterOptions{Name: changesaga.WorkflowName})
	a.Register(env)
	env.RegisterActivityWithOptions(a.ProtectItinerary, activity.RegisterOptions{Name: "ProtectItinerary"})
	env.RegisterActivityWithOptions(a.acts.GetBooking, activity.RegisterOptions{Name: "GetBooking"})
	env.RegisterActivityWithOptions(a.acts.ListFlightBookings, activity.RegisterOptions{Name: "ListFlightBookings"})
}

func (a *airline) status(t *testing.T, id string) booking.Booking {
	t.Helper()
	b, err := a.Service().Get(context.Background(), id)
	require.NoError(t, err)
	return b
}

// run executes one generation of the disruption; it returns the progress
// and, when the run continued as new, the next input.
func (a *airline) run(t *testing.T, in disruption.Input, setup ...func(*testsuite.TestWorkflowEnvironment)) (disruption.Progress, *disruption.Input) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	a.register(env)
	for _, f := range setup {
		f(env)
	}
	env.ExecuteWorkflow(disruption.WorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); errors.As(err, &can) {
		var next disruption.Input
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
		return *next.Progress, &next
	} else {
		require.NoError(t, err)
	}
	var p disruption.Progress
	require.NoError(t, env.GetWorkflowResult(&p))
	return p, nil
}

func input(a *airline) disruption.Input {
	return disruption.Input{FlightID: a.FlightID("SF100"), Seq: 1, Kind: "CANCELLED", Reason: "aircraft on ground", Actor: "sup-1", HoldTTL: time.Hour}
}

func TestDisruption_RebooksWhatFitsAndQueuesTheRestForAnAgent(t *testing.T) {
	a := newAirline(t, 3) // 3 seats on the alternative for 5 bookings
	var ids []string
	for i := range 5 {
		ids = append(ids, a.ConfirmedBooking(t, fmt.Sprintf("bk_%d", i)).ID)
	}
	held := a.ConfirmedBooking(t, "bk_held")
	_, err := a.Service().Transition(context.Background(), held.ID, booking.StatusCancelling, booking.Event{Name: "cancel_requested"}, nil)
	require.NoError(t, err)

	in := input(a)
	in.Concurrency = 2
	// An hour later an agent takes over whatever still waits (the test
	// environment ends only when every child has).
	agent := func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			for _, id := range ids {
				_ = env.SignalWorkflowByID("change/"+id+"/"+disruption.ChangeID(id, in.FlightID, in.Seq), saga.SignalResolve,
					saga.Resolution{Operator: "agent-1", Reason: "rebooked by phone"})
			}
		}, time.Hour)
	}
	p, next := a.run(t, in, agent)
	require.Nil(t, next)
	require.Equal(t, disruption.StatusCompleted, p.Status)
	require.Equal(t, 6, p.Found)
	require.Equal(t, 1, p.NotConfirmed, "a booking being cancelled is left to its own saga")
	require.Equal(t, 5, p.Started)
	require.Equal(t, 3, p.Rebooked)
	require.Equal(t, 2, p.NeedsAttention)
	require.Len(t, p.Attention, 2)
	require.Zero(t, p.Failed)

	rebooked, waiting := 0, 0
	for _, id := range ids {
		b := a.status(t, id)
		require.Equal(t, booking.StatusConfirmed, b.Status, id)
		require.True(t, b.Disrupted(), "%s cancels with a full refund from now on", id)
		if !slices.Contains(p.Attention, id) {
			rebooked++
			require.Equal(t, a.FlightID("SF102"), b.Segments[0].FlightID)
			require.Equal(t, b.Total, b.Paid, "the customer pays nothing more")
			continue
		}
		waiting++
		require.Equal(t, a.FlightID("SF100"), b.Segments[0].FlightID, "still on the cancelled flight")
		n := len(b.History)
		require.Equal(t, booking.EventDisrupted, b.History[n-2].Event, "it waited in NEEDS_ATTENTION")
		require.Equal(t, booking.StatusNeedsAttention, b.History[n-2].To)
		require.Equal(t, "disruption_resolved", b.History[n-1].Event, "until the agent resolved it")
	}
	require.Equal(t, 3, rebooked)
	require.Equal(t, 2, waiting)
	require.Equal(t, worldSeats-6, a.Seats(), "three new seats taken, three old ones released, once each")
	events := map[string]int{}
	for _, e := range a.Events() {
		events[e]++
	}
	require.Equal(t, map[string]int{customeract.EventRebooked: 3, customeract.EventDisrupted: 2}, events, "every customer told once")
}

func TestDisruption_ContinuesAsNewWithItsCounters(t *testing.T) {
	a := newAirline(t, 20)
	for i := range 5 {
		a.ConfirmedBooking(t, fmt.Sprintf("bk_%d", i))
	}
	in := input(a)
	in.PageSize, in.ContinueAfter, in.Concurrency = 2, 2, 1
	var p disruption.Progress
	runs := 0
	for next := &in; next != nil; runs++ {
		require.Less(t, runs, 5)
		p, next = a.run(t, *next)
	}
	require.Equal(t, 3, runs, "pages of 2, continuing as new after every 2 bookings")
	require.Equal(t, 3, p.Runs)
	require.Equal(t, disruption.StatusCompleted, p.Status)
	require.Equal(t, 5, p.Found)
	require.Equal(t, 5, p.Rebooked, "no booking lost or rebooked twice across runs")
	require.Equal(t, worldSeats-5, a.Seats(), "every old seat released once")
}

// protectOne runs one protected rebooking on its own (no parent).
func (a *airline) protectOne(t *testing.T, bookingID string, setup ...func(*testsuite.TestWorkflowEnvironment)) changesaga.State {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	a.register(env)
	for _, f := range setup {
		f(env)
	}
	env.ExecuteWorkflow(changesaga.WorkflowName, changesaga.Input{BookingID: bookingID, ChangeID: "ds_1", HoldTTL: time.Hour,
		Protect: &changesaga.Protection{DisruptionID: "disruption/x/1", FlightID: a.FlightID("SF100"), Kind: "CANCELLED", Reason: "weather", Actor: "sup-1"}})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var st changesaga.State
	require.NoError(t, env.GetWorkflowResult(&st))
	return st
}

func TestProtectedRebooking_RetryAfterSeatsFreeUpRebooks(t *testing.T) {
	a := newAirline(t, 0)
	b := a.ConfirmedBooking(t, "bk_wait")
	var during booking.Status
	st := a.protectOne(t, b.ID, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			during = a.status(t, b.ID).Status
			a.mu.Lock()
			a.alt = 1 // an agent added capacity
			a.mu.Unlock()
			env.SignalWorkflow(saga.SignalRetry, nil)
		}, time.Hour)
	})
	require.Equal(t, booking.StatusNeedsAttention, during, "it waited for an agent")
	require.Equal(t, changesaga.StatusCompleted, st.Status)
	got := a.status(t, b.ID)
	require.Equal(t, booking.StatusConfirmed, got.Status)
	require.Equal(t, a.FlightID("SF102"), got.Segments[0].FlightID)
	require.Equal(t, []string{customeract.EventDisrupted, customeract.EventRebooked}, a.Events())
}

func TestProtectedRebooking_RetimeThatKeepsTheItineraryOnlyTellsTheCustomer(t *testing.T) {
	a := newAirline(t, 5)
	a.unaffected = true
	b := a.ConfirmedBooking(t, "bk_ok")
	st := a.protectOne(t, b.ID)
	require.Equal(t, changesaga.StatusUnaffected, st.Status)
	got := a.status(t, b.ID)
	require.Equal(t, b.HoldID, got.HoldID, "the booking is untouched")
	require.Equal(t, b.Segments, got.Segments)
	require.Equal(t, []string{customeract.EventRetimed}, a.Events())
	require.Zero(t, a.Count("CommitHold"))
}

func TestProtectedRebooking_SkipsABookingThatLeftTheFlight(t *testing.T) {
	a := newAirline(t, 5)
	b := a.ConfirmedBooking(t, "bk_gone")
	_, err := a.Service().Transition(context.Background(), b.ID, booking.StatusCancelling, booking.Event{Name: "cancel_requested"}, nil)
	require.NoError(t, err)
	st := a.protectOne(t, b.ID)
	require.Equal(t, changesaga.StatusSkipped, st.Status)
	require.Empty(t, a.held, "no alternative was looked for")
	require.Empty(t, a.Events())
}
