package bookingapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/services/booking"
)

// closedWorkflowClient is a Temporal client whose booking workflow of every
// id already closed: Update-With-Start answers WorkflowExecutionAlreadyStarted
// (the reuse policy rejects a second run), as the server does.
type closedWorkflowClient struct {
	client.Client
	calls int
}

func (f *closedWorkflowClient) NewWithStartWorkflowOperation(client.StartWorkflowOptions, any, ...any) client.WithStartWorkflowOperation {
	return nil
}

func (f *closedWorkflowClient) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.calls++
	return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already finished", "", "run-1")
}

// TestReserve_AfterTheWorkflowClosed_WithTheIdempotencyRecordLost: the
// first reserve's idempotency record is gone (abandoned after a 5xx, or
// expired) and its workflow already closed. Reserving again with the same
// key answers the booking that workflow left, or 409 booking_failed when it
// ended before creating one; never 404 for a booking the caller just asked
// for.
func TestReserve_AfterTheWorkflowClosed_WithTheIdempotencyRecordLost(t *testing.T) {
	ctx := context.Background()
	tc := &closedWorkflowClient{}
	h, svc, token := newTestRouter(t, tc)
	tok := token("cust-ada", authn.RoleCustomer)
	reserve := func(key string) (int, map[string]any) {
		body, err := json.Marshal(map[string]any{"quoteId": "q1", "passengers": []map[string]string{{"type": "ADT", "givenName": "Ada"}},
			"contact": map[string]string{"email": "ada@example.com", "phone": "+447700900123"}})
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodPost, "/api/v1/bookings/reserve", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set(idempotency.Header, key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), "body %s", rec.Body.String())
		return rec.Code, out
	}

	t.Run("a workflow that ended before creating the booking answers 409 booking_failed", func(t *testing.T) {
		code, p := reserve("closed-without-booking")
		require.Equal(t, http.StatusConflict, code, "got %d %v, want 409", code, p)
		require.Equal(t, CodeBookingFailed, p["code"])
		require.Equal(t, bookingID("cust-ada", "closed-without-booking"), p["bookingId"])
	})

	t.Run("a workflow that left a booking answers that booking", func(t *testing.T) {
		id := bookingID("cust-ada", "closed-with-booking")
		createAdaBooking(t, svc, id)
		_, err := svc.Transition(ctx, id, booking.StatusFailed, booking.Event{Name: "failed"}, nil)
		require.NoError(t, err)
		code, v := reserve("closed-with-booking")
		require.Equal(t, http.StatusCreated, code, "got %d %v", code, v)
		require.Equal(t, id, v["bookingId"])
		require.Equal(t, string(booking.StatusFailed), v["status"])
	})
	require.Equal(t, 2, tc.calls, "each reserve reached the workflow")
}
