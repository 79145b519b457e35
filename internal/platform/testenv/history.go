package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// EnvRecordHistories, set to 1, makes the dev-server tests re-record the
// replay histories of workflows/testdata (ACCEPTANCE T1).
const EnvRecordHistories = "SKYFLY_RECORD_HISTORIES"

// RecordHistories reports whether this run re-records the histories.
func RecordHistories() bool { return os.Getenv(EnvRecordHistories) == "1" }

// History reads a workflow's whole history (its latest run).
func History(t testing.TB, tc client.Client, workflowID string) *historypb.History {
	t.Helper()
	it := tc.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	return h
}

// WriteHistory stores h as dir/name.json in the JSON form the replayer reads.
func WriteHistory(t testing.TB, dir, name string, h *historypb.History) {
	t.Helper()
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatalf("marshal history %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("history dir: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
		t.Fatalf("write history %s: %v", name, err)
	}
}
