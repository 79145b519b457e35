// Package workflows_test replays the recorded histories of every saga
// branch against the current workflow code (ACCEPTANCE T1). Re-record them
// with `SKYFLY_RECORD_HISTORIES=1 go test -run TestAPI_EndToEnd
// ./api/bookingapi/` after an intended, versioned change; keep the
// histories of the old version beside the new ones (e.g.
// cancel_refunded.json before GetVersion "cancel-guarded-status",
// cancel_refunded_guarded.json after it), so both paths keep replaying.
package workflows_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/skyfly/skyfly/workers"
)

func TestReplay_T1_RecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, f := range files {
		kinds[strings.SplitN(filepath.Base(f), "_", 2)[0]]++
	}
	require.Positive(t, kinds["booking"], "booking histories recorded")
	require.Positive(t, kinds["cancel"], "cancel histories recorded")
	require.Positive(t, kinds["change"], "change histories recorded")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			workers.RegisterWorkflows(r)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f), "non-determinism in %s", f)
		})
	}
}
