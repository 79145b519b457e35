package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
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

// HistoryPayloads returns every payload in h as the server stores it
// (encoded: what a codec must decode).
func HistoryPayloads(t testing.TB, h *historypb.History) []*commonpb.Payload {
	t.Helper()
	var out []*commonpb.Payload
	for _, ev := range h.Events {
		out = append(out, payloadsIn(ev.ProtoReflect())...)
	}
	if len(out) == 0 {
		t.Fatalf("the history of %d events holds no payload", len(h.Events))
	}
	return out
}

// payloadsIn collects the Payload messages nested anywhere in m.
func payloadsIn(m protoreflect.Message) []*commonpb.Payload {
	if p, ok := m.Interface().(*commonpb.Payload); ok {
		return []*commonpb.Payload{p}
	}
	var out []*commonpb.Payload
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					out = append(out, payloadsIn(mv.Message())...)
					return true
				})
			}
		case fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind:
		case fd.IsList():
			for i := range v.List().Len() {
				out = append(out, payloadsIn(v.List().Get(i).Message())...)
			}
		default:
			out = append(out, payloadsIn(v.Message())...)
		}
		return true
	})
	return out
}
