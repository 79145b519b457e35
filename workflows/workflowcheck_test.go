package workflows_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/temporal/devserver"
)

// EnvWorkflowcheck names the workflowcheck binary; `make` sets it to the
// pinned one it installed into ./bin.
const EnvWorkflowcheck = "SKYFLY_WORKFLOWCHECK_BIN"

// TestWorkflowcheck_T2_Determinism runs go.temporal.io's workflowcheck over
// every workflow package: it must report nothing. The binary is the one
// `make` pinned into ./bin (SKYFLY_WORKFLOWCHECK_BIN), never one found in a
// developer's home.
func TestWorkflowcheck_T2_Determinism(t *testing.T) {
	bin := os.Getenv(EnvWorkflowcheck)
	if bin == "" {
		root, err := devserver.ModuleRoot()
		require.NoError(t, err)
		bin = filepath.Join(root, "bin", "workflowcheck")
	}
	if _, err := os.Stat(bin); err != nil {
		if testenv.InCI() {
			t.Fatalf("workflowcheck not found at %s: run `make bin/workflowcheck` (make test does)", bin)
		}
		t.Skipf("SKIPPED: workflowcheck not found at %s: run `make bin/workflowcheck`", bin)
	}
	out, err := exec.Command(bin, "./...").CombinedOutput()
	require.NoError(t, err, "workflowcheck: %s", out)
	require.Empty(t, string(out), "workflowcheck reports non-deterministic code")
}
