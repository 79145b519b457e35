// Package benchflow is the one-activity baseline workflow `skyfly bench`
// runs next to the booking saga on the same Temporal server: its
// throughput is the yardstick of ACCEPTANCE PF2.
package benchflow

import (
	"context"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// TaskQueue is the bench's own queue, served by a worker in the bench process.
const TaskQueue = "bench-baseline"

// WorkflowName and ActivityName register the baseline.
const (
	WorkflowName = "BenchBaselineWorkflow"
	ActivityName = "BenchNoop"
)

// Noop is the baseline's single activity.
func Noop(_ context.Context, n int) (int, error) { return n + 1, nil }

// BaselineWorkflow runs one activity and completes.
func BaselineWorkflow(ctx workflow.Context, n int) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var out int
	err := workflow.ExecuteActivity(ctx, ActivityName, n).Get(ctx, &out)
	return out, err
}
