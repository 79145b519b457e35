package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	updatepb "go.temporal.io/api/update/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// PF2: the breakdown times each activity from its schedule to its start
// (wait) and from its start to its end (run), each workflow task likewise,
// and an Update from its acceptance to its completion.
func TestStepTimes_PF2_BreakdownFromHistory(t *testing.T) {
	t0 := time.Unix(0, 0).UTC()
	at := func(ms int) *timestamppb.Timestamp {
		return timestamppb.New(t0.Add(time.Duration(ms) * time.Millisecond))
	}
	evs := []*historypb.HistoryEvent{
		{EventId: 2, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventTime: at(0)},
		{EventId: 3, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, EventTime: at(4), Attributes: &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{
			WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{ScheduledEventId: 2}}},
		{EventId: 4, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, EventTime: at(10), Attributes: &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{
			WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{ScheduledEventId: 2, StartedEventId: 3}}},
		{EventId: 5, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, EventTime: at(10), Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes{
			WorkflowExecutionUpdateAcceptedEventAttributes: &historypb.WorkflowExecutionUpdateAcceptedEventAttributes{
				AcceptedRequest: &updatepb.Request{Input: &updatepb.Input{Name: "reserve"}}}}},
		{EventId: 6, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EventTime: at(10), Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{
			ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{ActivityType: &commonpb.ActivityType{Name: "HoldSeats"}}}},
		{EventId: 7, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, EventTime: at(13), Attributes: &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{
			ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{ScheduledEventId: 6}}},
		{EventId: 8, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, EventTime: at(20), Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{
			ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{ScheduledEventId: 6, StartedEventId: 7}}},
		{EventId: 9, EventType: enumspb.EVENT_TYPE_MARKER_RECORDED, EventTime: at(25), Attributes: &historypb.HistoryEvent_MarkerRecordedEventAttributes{
			MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{MarkerName: "LocalActivity"}}},
		{EventId: 10, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, EventTime: at(30), Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateCompletedEventAttributes{
			WorkflowExecutionUpdateCompletedEventAttributes: &historypb.WorkflowExecutionUpdateCompletedEventAttributes{AcceptedEventId: 5}}},
	}
	s := newStepTimes()
	s.add(evs)
	ms := func(n int) []time.Duration { return []time.Duration{time.Duration(n) * time.Millisecond} }
	require.Equal(t, ms(3), s.wait["HoldSeats"], "HoldSeats waited 3 ms for a worker")
	require.Equal(t, ms(7), s.run["HoldSeats"], "HoldSeats ran 7 ms")
	require.Equal(t, ms(4), s.wait[stepWorkflowTask])
	require.Equal(t, ms(6), s.run[stepWorkflowTask])
	require.Equal(t, ms(20), s.run["(update reserve)"])
	require.Equal(t, []int{len(evs)}, s.events)
	require.Equal(t, []int{1}, s.activities)
	require.Equal(t, []int{1}, s.locals)

	var out bytes.Buffer
	s.report(&out, 1)
	got := out.String()
	for _, want := range []string{"HoldSeats", "(update reserve)", "per booking: 9.0 history events, 1.0 activities, 1.0 local activities, 1.0 workflow tasks"} {
		require.True(t, strings.Contains(got, want), "report has %q:\n%s", want, got)
	}
}
