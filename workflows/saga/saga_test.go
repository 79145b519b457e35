package saga_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/workflows/saga"
)

// undoer is an undo activity that fails until it is healed.
type undoer struct {
	mu     sync.Mutex
	calls  int
	healed bool
}

func (u *undoer) Undo(context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls++
	if !u.healed {
		return errors.New("provider down")
	}
	return nil
}

func (u *undoer) heal() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.healed = true
}

func (u *undoer) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls
}

// parkResult is what the test workflow reports.
type parkResult struct {
	Resolution *saga.Resolution
	Log        []string
}

// parkingWorkflow runs a forward step (a minute of work), then compensates
// one undo that may fail and park the saga. Query "parked" tells whether
// it waits for an operator.
func parkingWorkflow(ctx workflow.Context) (parkResult, error) {
	s := saga.New(ctx, saga.Hooks{})
	if err := workflow.SetQueryHandler(ctx, "parked", func() (bool, error) { return s.Parked(), nil }); err != nil {
		return parkResult{}, err
	}
	s.Add("undo", func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Second, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
		}), "Undo").Get(ctx, nil)
	})
	if err := workflow.Sleep(ctx, time.Minute); err != nil {
		return parkResult{}, err
	}
	res, err := s.Compensate(ctx, 0)
	return parkResult{Resolution: res, Log: s.Log}, err
}

func newParkingEnv() (*testsuite.TestWorkflowEnvironment, *undoer) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	u := &undoer{}
	env.RegisterWorkflow(parkingWorkflow)
	env.RegisterActivityWithOptions(u.Undo, activity.RegisterOptions{Name: "Undo"})
	return env, u
}

// TestSaga_StaleOperatorSignalsDoNotResolveTheNextPark: a retry or resolve
// signal sent (from the Temporal UI or CLI) while nothing was parked is
// dropped when the saga parks later; only a signal sent while it is parked
// moves it.
func TestSaga_StaleOperatorSignalsDoNotResolveTheNextPark(t *testing.T) {
	for _, stale := range []string{saga.SignalResolve, saga.SignalRetry} {
		t.Run("a "+stale+" sent before the park is ignored", func(t *testing.T) {
			env, u := newParkingEnv()
			env.RegisterDelayedCallback(func() {
				env.SignalWorkflow(stale, saga.Resolution{Operator: "ops@skyfly", Reason: "clicked too early"})
			}, time.Second)
			var parked bool
			var callsWhileParked int
			env.RegisterDelayedCallback(func() {
				v, err := env.QueryWorkflow("parked")
				require.NoError(t, err)
				require.NoError(t, v.Get(&parked))
				callsWhileParked = u.count()
				u.heal()
				env.SignalWorkflow(saga.SignalRetry, saga.Resolution{Operator: "ops@skyfly", Reason: "provider is back"})
			}, time.Hour)
			env.ExecuteWorkflow(parkingWorkflow)
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			var got parkResult
			require.NoError(t, env.GetWorkflowResult(&got))
			require.True(t, parked, "got not parked an hour later, want the stale %s ignored", stale)
			require.Equal(t, 1, callsWhileParked, "got %d undo runs before the operator acted, want 1 (no re-run by the stale signal)", callsWhileParked)
			require.Nil(t, got.Resolution, "got resolved by %+v, want the retry sent while parked to finish the undo", got.Resolution)
			require.Equal(t, []string{"undo"}, got.Log)
			require.Equal(t, 2, u.count())
		})
	}

	t.Run("a history recorded before the change keeps acting on a buffered resolve", func(t *testing.T) {
		env, u := newParkingEnv()
		env.OnGetVersion(saga.VersionDrainStaleSignals, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(saga.SignalResolve, saga.Resolution{Operator: "ops@skyfly", Reason: "before the change"})
		}, time.Second)
		env.ExecuteWorkflow(parkingWorkflow)
		require.NoError(t, env.GetWorkflowError())
		var got parkResult
		require.NoError(t, env.GetWorkflowResult(&got))
		require.NotNil(t, got.Resolution, "got unresolved, want the old (unversioned) behaviour kept for replay")
		require.Empty(t, got.Log)
		require.Equal(t, 1, u.count(), "the stale resolve skipped the undo at its first failure")
	})

	t.Run("a retry sent while parked still runs the undo again", func(t *testing.T) {
		env, u := newParkingEnv()
		env.RegisterDelayedCallback(func() {
			u.heal()
			env.SignalWorkflow(saga.SignalRetry, nil)
		}, time.Hour)
		env.ExecuteWorkflow(parkingWorkflow)
		require.NoError(t, env.GetWorkflowError())
		var got parkResult
		require.NoError(t, env.GetWorkflowResult(&got))
		require.Nil(t, got.Resolution)
		require.Equal(t, []string{"undo"}, got.Log)
		require.Equal(t, 2, u.count())
	})
}
