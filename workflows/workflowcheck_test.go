package workflows_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testenv"
)

// TestWorkflowcheck_T2_Determinism runs go.temporal.io's workflowcheck over
// every workflow package: it must report nothing. Install it with
// `go install go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0`.
func TestWorkflowcheck_T2_Determinism(t *testing.T) {
	bin, err := exec.LookPath("workflowcheck")
	if err != nil {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, "go", "bin", "workflowcheck")
		if _, serr := os.Stat(bin); serr != nil {
			if testenv.InCI() {
				t.Fatal("workflowcheck is not installed")
			}
			t.Skip("SKIPPED: workflowcheck is not installed")
		}
	}
	out, err := exec.Command(bin, "./...").CombinedOutput()
	require.NoError(t, err, "workflowcheck: %s", out)
	require.Empty(t, string(out), "workflowcheck reports non-deterministic code")
}
