package workers

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/skyfly/skyfly/activities/authact"
)

// RegisterAuth registers the auth activities of task queue "auth" under
// their method names: RevokeUserSessions and, when shred is set,
// ShredCustomerKey (the erasure workflow's crypto-shredding step).
func RegisterAuth(r worker.Registry, acts *authact.Activities, shred *authact.ShredActivities) {
	r.RegisterActivityWithOptions(acts, activity.RegisterOptions{})
	if shred != nil {
		r.RegisterActivityWithOptions(shred, activity.RegisterOptions{})
	}
}
