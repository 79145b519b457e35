// Package saga is the compensation machinery SkyFly's booking workflows
// share: a stack of undo steps registered before the step they undo, run
// newest-first on a disconnected context so cancellation cannot skip them,
// and a NEEDS_ATTENTION parking lot for an undo that keeps failing, left by
// the `retry` and `resolve` signals. It also holds the activity option
// profiles (StartToClose plus an explicit retry policy for every call).
package saga

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/activities/paymentact"
)

// Signals that get a parked saga moving again.
const (
	// SignalRetry re-runs the undo step that failed.
	SignalRetry = "retry"
	// SignalResolve tells the saga an operator fixed things by hand; the
	// remaining undo steps are skipped.
	SignalResolve = "resolve"
)

// VersionDrainStaleSignals is the workflow.GetVersion change id under
// which a saga that parks drops the operator signals sent while nothing was
// parked (version 1). Histories without its marker keep the old
// behaviour: a buffered signal acts on the next park.
const VersionDrainStaleSignals = "saga-drain-stale-operator-signals"

// Resolution is the payload of SignalResolve.
type Resolution struct {
	Operator string `json:"operator"`
	Reason   string `json:"reason"`
}

// Hooks let a workflow show the parking state (booking status, search
// attributes, memo).
type Hooks struct {
	// Park is called once when an undo step has exhausted its retries.
	Park func(ctx workflow.Context, step string, err error)
	// Unpark is called when a retry succeeded or an operator resolved.
	Unpark func(ctx workflow.Context, res *Resolution)
}

type step struct {
	name string
	undo func(ctx workflow.Context) error
}

// Saga is a workflow's compensation stack. It is not safe to share between
// workflows; within one workflow its methods may be called from handlers
// and the main loop (the workflow runs one coroutine at a time).
type Saga struct {
	steps   []step
	hooks   Hooks
	running bool
	parked  bool
	retry   workflow.ReceiveChannel
	resolve workflow.ReceiveChannel
	// Log records the undo steps that ran, in order (tests and memo).
	Log []string
}

// New returns an empty saga listening to the retry and resolve signals.
func New(ctx workflow.Context, hooks Hooks) *Saga {
	return &Saga{
		hooks:   hooks,
		retry:   workflow.GetSignalChannel(ctx, SignalRetry),
		resolve: workflow.GetSignalChannel(ctx, SignalResolve),
	}
}

// Add registers the undo of the step about to run.
func (s *Saga) Add(name string, undo func(ctx workflow.Context) error) {
	s.steps = append(s.steps, step{name: name, undo: undo})
}

// Mark returns a checkpoint for Compensate (undo down to here).
func (s *Saga) Mark() int { return len(s.steps) }

// Pending reports how many undo steps are registered.
func (s *Saga) Pending() int { return len(s.steps) }

// Parked reports whether an undo is waiting for an operator.
func (s *Saga) Parked() bool { return s.parked }

// Forget drops every registered undo: the saga passed its point of no
// return (e.g. tickets issued).
func (s *Saga) Forget() { s.steps = nil }

// Compensate runs the undo steps registered after checkpoint newest-first,
// each once, on a context disconnected from ctx's cancellation. An undo
// that fails (after its own activity retries) parks the saga until a retry
// signal (run it again) or a resolve signal (skip what is left; the
// resolution is returned). A concurrent caller waits for the running
// compensation and returns with nothing to do.
func (s *Saga) Compensate(ctx workflow.Context, checkpoint int) (*Resolution, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if s.running {
		if err := workflow.Await(dctx, func() bool { return !s.running }); err != nil {
			return nil, fmt.Errorf("await running compensation: %w", err)
		}
	}
	s.running = true
	defer func() { s.running = false }()
	log := workflow.GetLogger(ctx)
	for len(s.steps) > checkpoint {
		st := s.steps[len(s.steps)-1]
		err := st.undo(dctx)
		if err == nil {
			s.Log = append(s.Log, st.name)
			s.steps = s.steps[:len(s.steps)-1]
			if s.parked {
				s.parked = false
				if s.hooks.Unpark != nil {
					s.hooks.Unpark(dctx, nil)
				}
			}
			continue
		}
		log.Error("compensation failed; parking for an operator", "step", st.name, "error", err)
		s.park(dctx, st.name, err)
		res, err := s.waitOperator(dctx)
		if err != nil {
			return nil, err
		}
		if res != nil {
			log.Info("compensation resolved by an operator", "step", st.name, "operator", res.Operator, "reason", res.Reason)
			s.steps = s.steps[:checkpoint]
			s.parked = false
			if s.hooks.Unpark != nil {
				s.hooks.Unpark(dctx, res)
			}
			return res, nil
		}
	}
	return nil, nil
}

// Persist runs a forward step that must not be abandoned (a refund after
// the seats went back on sale) until it succeeds, parking the saga between
// failures exactly like a failing undo. It returns the operator's
// resolution when one chose to finish the step by hand.
func (s *Saga) Persist(ctx workflow.Context, name string, step func(ctx workflow.Context) error) (*Resolution, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	for {
		err := step(dctx)
		if err == nil {
			if s.parked {
				s.parked = false
				if s.hooks.Unpark != nil {
					s.hooks.Unpark(dctx, nil)
				}
			}
			return nil, nil
		}
		workflow.GetLogger(ctx).Error("step failed; parking for an operator", "step", name, "error", err)
		s.park(dctx, name, err)
		res, werr := s.waitOperator(dctx)
		if werr != nil {
			return nil, werr
		}
		if res != nil {
			s.parked = false
			if s.hooks.Unpark != nil {
				s.hooks.Unpark(dctx, res)
			}
			return res, nil
		}
	}
}

// park moves the saga into NEEDS_ATTENTION unless it is there already.
// Operator signals buffered at that moment were sent while nothing was
// parked (from the Temporal UI or CLI, which the API's 409 does not
// guard): they are dropped, so a stale resolve cannot skip the undo steps
// of this park, nor a stale retry re-run the step unasked.
func (s *Saga) park(ctx workflow.Context, step string, err error) {
	if s.parked {
		return
	}
	if workflow.GetVersion(ctx, VersionDrainStaleSignals, workflow.DefaultVersion, 1) >= 1 {
		s.drainStale(ctx)
	}
	s.parked = true
	if s.hooks.Park != nil {
		s.hooks.Park(ctx, step, err)
	}
}

// drainStale drops the retry and resolve signals received so far.
func (s *Saga) drainStale(ctx workflow.Context) {
	log := workflow.GetLogger(ctx)
	for {
		var ignored any
		if !s.retry.ReceiveAsync(&ignored) {
			break
		}
		log.Warn("ignoring a retry signal sent while nothing was parked")
	}
	for {
		var r Resolution
		if !s.resolve.ReceiveAsync(&r) {
			break
		}
		log.Warn("ignoring a resolve signal sent while nothing was parked", "operator", r.Operator, "reason", r.Reason)
	}
}

// waitOperator blocks until a retry (nil) or resolve signal arrives.
func (s *Saga) waitOperator(ctx workflow.Context) (*Resolution, error) {
	var res *Resolution
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(s.retry, func(c workflow.ReceiveChannel, _ bool) {
		var ignored any
		c.Receive(ctx, &ignored)
	})
	sel.AddReceive(s.resolve, func(c workflow.ReceiveChannel, _ bool) {
		var r Resolution
		c.Receive(ctx, &r)
		res = &r
	})
	sel.Select(ctx)
	return res, nil
}

// Non-retryable business refusals of every activity the sagas call. The
// activities already mark them non-retryable; naming them in the policy too
// keeps a refusal from being retried even if an adapter forgot (T5).
var nonRetryable = []string{
	flightact.ErrTypeSeatUnavailable, flightact.ErrTypeQuoteExpired, flightact.ErrTypeQuoteInvalid,
	flightact.ErrTypeHoldNotFound, flightact.ErrTypeHoldExpired,
	paymentact.ErrTypePaymentDeclined, paymentact.ErrTypeInvalidTransition, paymentact.ErrTypePaymentNotFound,
	bookingact.ErrTypeInvalidBooking, bookingact.ErrTypeInvalidTransition, bookingact.ErrTypeNotFound,
	bookingact.ErrTypeNotChangeable, bookingact.ErrTypeStatusConflict,
}

// Step returns the options of a forward saga step on another domain's
// task queue: 10 s per attempt, 5 attempts with backoff. A cancelled
// workflow waits for the step's activity to end before its future
// resolves (WaitForCancellation), so no compensation runs while the step
// may still take effect (a capture racing its void, T9).
func Step(ctx workflow.Context, taskQueue string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           taskQueue,
		StartToCloseTimeout: 10 * time.Second,
		WaitForCancellation: true,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 5 * time.Second,
			MaximumAttempts: 5, NonRetryableErrorTypes: nonRetryable,
		},
	})
}

// Undo returns the options of a compensation activity: it retries for
// about five minutes before the saga parks in NEEDS_ATTENTION.
func Undo(ctx workflow.Context, taskQueue string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           taskQueue,
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			MaximumAttempts: 10, NonRetryableErrorTypes: []string{bookingact.ErrTypeInvalidTransition},
		},
	})
}

// Notify returns the options of a best-effort customer notification.
func Notify(ctx workflow.Context, taskQueue string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           taskQueue,
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 10,
		},
	})
}

// Local returns the options of booking's own database steps, run as local
// activities in the workflow worker's process (no task-queue round trip).
func Local(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 5 * time.Second,
			MaximumAttempts: 10, NonRetryableErrorTypes: nonRetryable,
		},
	})
}
