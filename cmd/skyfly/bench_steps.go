package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/skyfly/skyfly/temporal/queues"
)

// stepTimes collects, per saga step, where a booking's time went according
// to its workflow history (PF2 breakdown): the time a task waited for a
// worker (schedule-to-start) and the time the worker took (run), plus the
// number of history events per booking.
type stepTimes struct {
	wait, run map[string][]time.Duration
	events    []int
	// commands counts activities and local activities per booking.
	activities, locals []int
}

func newStepTimes() *stepTimes {
	return &stepTimes{wait: map[string][]time.Duration{}, run: map[string][]time.Duration{}}
}

// Step names of the breakdown that are not activity types.
const (
	stepWorkflowTask = "(workflow task)"
	stepUpdatePrefix = "(update "
)

// add reads one booking workflow's history. Activity steps are named by
// their activity type; an Update's run is from its acceptance to its
// completion event (its wait is not in the history: the bench's HTTP
// figures include it); a workflow task's run includes the local activities
// it executed.
func (s *stepTimes) add(events []*historypb.HistoryEvent) {
	acts := map[int64]*open{}
	wfts := map[int64]*open{}
	updates := map[int64]*open{}
	nActs, nLocals := 0, 0
	for _, ev := range events {
		at := ev.GetEventTime().AsTime()
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			nActs++
			acts[ev.GetEventId()] = &open{name: ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName(), scheduled: at}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			if a := acts[ev.GetActivityTaskStartedEventAttributes().GetScheduledEventId()]; a != nil {
				a.started = at
				s.wait[a.name] = append(s.wait[a.name], at.Sub(a.scheduled))
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			s.endActivity(acts[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()], at)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			s.endActivity(acts[ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId()], at)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			s.endActivity(acts[ev.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()], at)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			s.endActivity(acts[ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()], at)
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			wfts[ev.GetEventId()] = &open{name: stepWorkflowTask, scheduled: at}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			if t := wfts[ev.GetWorkflowTaskStartedEventAttributes().GetScheduledEventId()]; t != nil {
				t.started = at
				s.wait[t.name] = append(s.wait[t.name], at.Sub(t.scheduled))
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			if t := wfts[ev.GetWorkflowTaskCompletedEventAttributes().GetScheduledEventId()]; t != nil && !t.started.IsZero() {
				s.run[t.name] = append(s.run[t.name], at.Sub(t.started))
			}
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
				nLocals++
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			name := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName()
			updates[ev.GetEventId()] = &open{name: stepUpdatePrefix + name + ")", started: at}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			if u := updates[ev.GetWorkflowExecutionUpdateCompletedEventAttributes().GetAcceptedEventId()]; u != nil {
				s.run[u.name] = append(s.run[u.name], at.Sub(u.started))
			}
		}
	}
	s.events = append(s.events, len(events))
	s.activities = append(s.activities, nActs)
	s.locals = append(s.locals, nLocals)
}

// open is a task or update whose end event is still to come.
type open struct {
	name      string
	scheduled time.Time
	started   time.Time
}

func (s *stepTimes) endActivity(a *open, at time.Time) {
	if a == nil || a.started.IsZero() {
		return
	}
	s.run[a.name] = append(s.run[a.name], at.Sub(a.started))
}

// report prints one line per step: count, wait p50/p99, run p50/p99.
func (s *stepTimes) report(out io.Writer, bookings int) {
	fmt.Fprintf(out, "\nPF2 breakdown from %d booking histories (per step: wait = schedule-to-start, run = start to close):\n", bookings)
	fmt.Fprintf(out, "%-26s %6s %9s %9s %9s %9s\n", "step", "count", "wait p50", "wait p99", "run p50", "run p99")
	names := make([]string, 0, len(s.run))
	for n := range s.run {
		names = append(names, n)
	}
	for n := range s.wait {
		if _, ok := s.run[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		w, r := s.wait[n], s.run[n]
		slices.Sort(w)
		slices.Sort(r)
		fmt.Fprintf(out, "%-26s %6d %9s %9s %9s %9s\n", n, max(len(w), len(r)), pct(w, 0.5), pct(w, 0.99), pct(r, 0.5), pct(r, 0.99))
	}
	mean := func(xs []int) float64 {
		if len(xs) == 0 {
			return 0
		}
		t := 0
		for _, x := range xs {
			t += x
		}
		return float64(t) / float64(len(xs))
	}
	fmt.Fprintf(out, "per booking: %.1f history events, %.1f activities, %.1f local activities, %.1f workflow tasks\n",
		mean(s.events), mean(s.activities), mean(s.locals), float64(len(s.wait[stepWorkflowTask]))/float64(max(bookings, 1)))
}

// stepBreakdown reads the histories of up to limit confirmed bookings of
// the run and prints the per-step breakdown.
func (b *bench) stepBreakdown(ctx context.Context, tc client.Client, limit int) error {
	b.mu.Lock()
	var ids []string
	for _, r := range b.booked {
		if r.confirmed {
			ids = append(ids, r.id)
		}
	}
	b.mu.Unlock()
	if len(ids) > limit {
		ids = ids[:limit]
	}
	st := newStepTimes()
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func(id string) {
			defer wg.Done()
			defer func() { <-sem }()
			it := tc.GetWorkflowHistory(ctx, queues.BookingWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			var evs []*historypb.HistoryEvent
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("history of booking %s: %w", id, err)
					}
					mu.Unlock()
					return
				}
				evs = append(evs, ev)
			}
			mu.Lock()
			st.add(evs)
			mu.Unlock()
		}(id)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	st.report(b.out, len(ids))
	return nil
}
