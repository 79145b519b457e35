// Package disruption is the DisruptionWorkflow (id
// disruption/{flightId}/{seq}, task queue booking-saga): after staff cancel
// or retime a flight (the flight domain recorded it and stopped selling),
// it pages through every booking on the flight and starts one protected
// rebooking per confirmed booking (a ChangeBookingWorkflow child in
// protected mode), a bounded number at a time, counting what each reports:
// rebooked, waiting for an agent in NEEDS_ATTENTION, unaffected by a
// retime, or skipped. Progress is a query and the memo; past a few hundred
// bookings it continues as new with its counters.
package disruption

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workflows/changesaga"
	"github.com/skyfly/skyfly/workflows/saga"
)

// Names of the workflow and its query.
const (
	WorkflowName  = "DisruptionWorkflow"
	QueryProgress = "progress"
)

// Statuses of a disruption.
const (
	StatusRunning   = "RUNNING"
	StatusCompleted = "COMPLETED"
)

// Defaults.
const (
	DefaultConcurrency   = 20
	DefaultContinueAfter = 250
	DefaultPageSize      = 100
	// maxListed caps the booking ids listed in the progress.
	maxListed = 500
)

// WorkflowID is the id of a flight's seq-th disruption.
func WorkflowID(flightID string, seq int) string {
	return fmt.Sprintf("disruption/%s/%d", flightID, seq)
}

// Input starts (or continues) a disruption.
type Input struct {
	FlightID string `json:"flightId"`
	Seq      int    `json:"seq"`
	Kind     string `json:"kind"`
	Reason   string `json:"reason"`
	Actor    string `json:"actor"`
	// HoldTTL is how long each alternative's seats stay held before the
	// rebooking commits them.
	HoldTTL time.Duration `json:"holdTtl"`
	// Concurrency bounds the rebookings running at once.
	Concurrency int `json:"concurrency,omitempty"`
	// ContinueAfter is how many bookings one run handles before it
	// continues as new.
	ContinueAfter int `json:"continueAfter,omitempty"`
	// PageSize is how many bookings one listing returns (at most 100).
	PageSize int `json:"pageSize,omitempty"`
	// Cursor and Progress carry a continued run on.
	Cursor   string    `json:"cursor,omitempty"`
	Progress *Progress `json:"progress,omitempty"`
}

// Progress is what the disruption has done so far.
type Progress struct {
	DisruptionID string `json:"disruptionId"`
	FlightID     string `json:"flightId"`
	Kind         string `json:"kind"`
	Status       string `json:"status"`
	// Found counts bookings on the flight; Started the rebookings begun
	// (confirmed bookings); NotConfirmed those in another state (held
	// bookings cannot confirm on a cancelled flight and fail on their own).
	Found          int `json:"found"`
	Started        int `json:"started"`
	NotConfirmed   int `json:"notConfirmed"`
	Rebooked       int `json:"rebooked"`
	NeedsAttention int `json:"needsAttention"`
	Unaffected     int `json:"unaffected"`
	Skipped        int `json:"skipped"`
	Resolved       int `json:"resolved"`
	Failed         int `json:"failed"`
	// Runs counts continue-as-new generations (1 for the first run).
	Runs int `json:"runs"`
	// Attention lists the bookings waiting for an agent (up to 500).
	Attention []string `json:"attention,omitempty"`
	// FailedIDs lists the bookings whose rebooking failed (up to 500).
	FailedIDs []string `json:"failedIds,omitempty"`
}

type wf struct {
	in      Input
	p       *Progress
	outcome map[string]string // booking id → last outcome in this run
	running int
	ba      *bookingact.Activities
}

// DisruptionWorkflow rebooks every confirmed booking on a disrupted flight.
func DisruptionWorkflow(ctx workflow.Context, in Input) (Progress, error) {
	if in.Concurrency <= 0 {
		in.Concurrency = DefaultConcurrency
	}
	if in.ContinueAfter <= 0 {
		in.ContinueAfter = DefaultContinueAfter
	}
	if in.PageSize <= 0 || in.PageSize > DefaultPageSize {
		in.PageSize = DefaultPageSize
	}
	w := &wf{in: in, p: in.Progress, outcome: map[string]string{}}
	if w.p == nil {
		w.p = &Progress{DisruptionID: WorkflowID(in.FlightID, in.Seq), FlightID: in.FlightID, Kind: in.Kind, Status: StatusRunning}
	}
	w.p.Runs++
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return *w.p, nil }); err != nil {
		return *w.p, fmt.Errorf("register query: %w", err)
	}
	outcomes := workflow.GetSignalChannel(ctx, changesaga.SignalOutcome)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var o changesaga.Outcome
			outcomes.Receive(ctx, &o)
			w.record(o)
		}
	})
	w.memo(ctx)

	handled := 0
	cursor := in.Cursor
	for {
		var page bookingact.ListFlightBookingsResult
		if err := workflow.ExecuteActivity(saga.Step(ctx, queues.Booking), w.ba.ListFlightBookings, bookingact.ListFlightBookingsInput{
			FlightID: in.FlightID, Cursor: cursor, Limit: in.PageSize,
		}).Get(ctx, &page); err != nil {
			return *w.p, fmt.Errorf("list bookings on %s: %w", in.FlightID, err)
		}
		for _, b := range page.Bookings {
			w.p.Found++
			if b.Status != booking.StatusConfirmed {
				w.p.NotConfirmed++
				continue
			}
			if err := workflow.Await(ctx, func() bool { return w.running < in.Concurrency }); err != nil {
				return *w.p, err
			}
			w.start(ctx, b.BookingID)
			handled++
		}
		// Every rebooking of this page has reported before the next page
		// or a continue-as-new (signals to a closed run would be lost).
		if err := workflow.Await(ctx, func() bool { return w.running == 0 }); err != nil {
			return *w.p, err
		}
		w.memo(ctx)
		cursor = page.NextCursor
		if cursor == "" {
			break
		}
		if handled >= in.ContinueAfter {
			next := in
			next.Cursor, next.Progress = cursor, w.p
			return *w.p, workflow.NewContinueAsNewError(ctx, WorkflowName, next)
		}
	}
	w.p.Status = StatusCompleted
	w.memo(ctx)
	workflow.GetLogger(ctx).Info("disruption handled", "flight_id", in.FlightID, "rebooked", w.p.Rebooked,
		"needs_attention", w.p.NeedsAttention, "unaffected", w.p.Unaffected, "failed", w.p.Failed)
	return *w.p, nil
}

// start begins the protected rebooking of one booking; it counts as
// running until it reports (or ends without reporting).
func (w *wf) start(ctx workflow.Context, bookingID string) {
	changeID := ChangeID(bookingID, w.in.FlightID, w.in.Seq)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            "change/" + bookingID + "/" + changeID,
		TaskQueue:             queues.BookingSaga,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeywordList(queues.AttrFlightID).ValueSet([]string{w.in.FlightID}),
		),
	})
	w.running++
	w.p.Started++
	w.outcome[bookingID] = ""
	f := workflow.ExecuteChildWorkflow(cctx, changesaga.WorkflowName, changesaga.Input{
		BookingID: bookingID, ChangeID: changeID, HoldTTL: w.in.HoldTTL,
		Protect: &changesaga.Protection{DisruptionID: w.p.DisruptionID, FlightID: w.in.FlightID, Kind: w.in.Kind, Reason: w.in.Reason, Actor: w.in.Actor},
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		var st changesaga.State
		err := f.Get(ctx, &st)
		if w.outcome[bookingID] != "" {
			return // it reported (a parked one keeps running on its own)
		}
		o := changesaga.Outcome{BookingID: bookingID, Outcome: changesaga.OutcomeFailed}
		if err != nil {
			o.Detail = err.Error()
		}
		w.record(o)
	})
}

// record counts an outcome. A booking reports once per state it reaches:
// a parked one that a retry later rebooks (maybe after this workflow
// continued as new) moves from NEEDS_ATTENTION to REBOOKED.
func (w *wf) record(o changesaga.Outcome) {
	prev, ours := w.outcome[o.BookingID]
	if !ours {
		if !slices.Contains(w.p.Attention, o.BookingID) {
			return // not a rebooking this disruption waits for
		}
		prev = changesaga.OutcomeNeedsAttention // parked in an earlier run
	}
	if prev == o.Outcome {
		return
	}
	if ours && prev == "" {
		w.running--
	}
	w.outcome[o.BookingID] = o.Outcome
	if prev == changesaga.OutcomeNeedsAttention {
		w.p.NeedsAttention--
		w.p.Attention = slices.DeleteFunc(w.p.Attention, func(id string) bool { return id == o.BookingID })
	}
	switch o.Outcome {
	case changesaga.OutcomeRebooked:
		w.p.Rebooked++
	case changesaga.OutcomeNeedsAttention:
		w.p.NeedsAttention++
		if len(w.p.Attention) < maxListed {
			w.p.Attention = append(w.p.Attention, o.BookingID)
		}
	case changesaga.OutcomeUnaffected:
		w.p.Unaffected++
	case changesaga.OutcomeSkipped:
		w.p.Skipped++
	case changesaga.OutcomeResolved:
		w.p.Resolved++
	default:
		w.p.Failed++
		if len(w.p.FailedIDs) < maxListed {
			w.p.FailedIDs = append(w.p.FailedIDs, o.BookingID)
		}
	}
}

func (w *wf) memo(ctx workflow.Context) {
	p := w.p
	if err := workflow.UpsertMemo(ctx, map[string]any{
		"status": p.Status, "flightId": p.FlightID, "kind": p.Kind, "found": p.Found, "started": p.Started,
		"rebooked": p.Rebooked, "needsAttention": p.NeedsAttention, "unaffected": p.Unaffected, "failed": p.Failed, "runs": p.Runs,
	}); err != nil {
		workflow.GetLogger(ctx).Warn("upsert memo", "error", err)
	}
}

// ChangeID is the id of a booking's protected rebooking for a flight's
// seq-th disruption: derived, so a repeated start finds the same child.
func ChangeID(bookingID, flightID string, seq int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d", bookingID, flightID, seq))
	return booking.IDFromBytes("ds", sum[:16])
}
