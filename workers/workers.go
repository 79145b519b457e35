// Package workers builds SkyFly's Temporal workers: one per task queue,
// with the registrations each domain hands in. It also knows what the
// booking process registers: the saga workflows on booking-saga (with the
// booking activities as local activities beside them) and the booking
// activities on the booking queue.
package workers

import (
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/workflows/bookingsaga"
	"github.com/skyfly/skyfly/workflows/cancelsaga"
	"github.com/skyfly/skyfly/workflows/changesaga"
	"github.com/skyfly/skyfly/workflows/disruption"
)

// Options tune a worker; zero values keep the SDK's defaults.
type Options struct {
	// MaxConcurrentActivities bounds activity executions at once.
	MaxConcurrentActivities int
	// MaxConcurrentWorkflowTasks bounds workflow tasks at once.
	MaxConcurrentWorkflowTasks int
	// Interceptors wrap every workflow and activity (tracing, metrics).
	Interceptors []interceptor.WorkerInterceptor
	// Log receives the worker's start line.
	Log *slog.Logger
}

// New builds the worker of one task queue and applies register to it. The
// caller starts and stops it.
func New(c client.Client, queue string, register func(worker.Registry), opts Options) worker.Worker {
	w := worker.New(c, queue, worker.Options{
		MaxConcurrentActivityExecutionSize:     opts.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: opts.MaxConcurrentWorkflowTasks,
		Interceptors:                           opts.Interceptors,
	})
	if register != nil {
		register(w)
	}
	if opts.Log != nil {
		opts.Log.Info("worker built", "task_queue", queue)
	}
	return w
}

// RegisterBookingSaga registers the saga workflows and, for their local
// activities, the booking activities (the workflows call them by name).
func RegisterBookingSaga(r worker.Registry, acts *bookingact.Activities) {
	r.RegisterWorkflowWithOptions(bookingsaga.BookingWorkflow, workflow.RegisterOptions{Name: bookingsaga.WorkflowName})
	r.RegisterWorkflowWithOptions(cancelsaga.CancelBookingWorkflow, workflow.RegisterOptions{Name: cancelsaga.WorkflowName})
	r.RegisterWorkflowWithOptions(changesaga.ChangeBookingWorkflow, workflow.RegisterOptions{Name: changesaga.WorkflowName})
	r.RegisterWorkflowWithOptions(disruption.DisruptionWorkflow, workflow.RegisterOptions{Name: disruption.WorkflowName})
	RegisterBooking(r, acts)
}

// RegisterBooking registers the booking activities under their method names.
func RegisterBooking(r worker.Registry, acts *bookingact.Activities) {
	r.RegisterActivityWithOptions(acts, activity.RegisterOptions{})
}

// RegisterWorkflows registers only the saga workflows (replay tests).
func RegisterWorkflows(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(bookingsaga.BookingWorkflow, workflow.RegisterOptions{Name: bookingsaga.WorkflowName})
	r.RegisterWorkflowWithOptions(cancelsaga.CancelBookingWorkflow, workflow.RegisterOptions{Name: cancelsaga.WorkflowName})
	r.RegisterWorkflowWithOptions(changesaga.ChangeBookingWorkflow, workflow.RegisterOptions{Name: changesaga.WorkflowName})
	r.RegisterWorkflowWithOptions(disruption.DisruptionWorkflow, workflow.RegisterOptions{Name: disruption.WorkflowName})
}
