package workers

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/workflows/compliance"
)

// RegisterCompliance registers the data export and erasure workflows (on
// the saga queue, beside the booking sagas).
func RegisterCompliance(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(compliance.ExportWorkflow, workflow.RegisterOptions{Name: compliance.ExportWorkflowName})
	r.RegisterWorkflowWithOptions(compliance.ErasureWorkflow, workflow.RegisterOptions{Name: compliance.ErasureWorkflowName})
}
