package compliance_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/skyfly/skyfly/activities/authact"
	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/workflows/compliance"
)

// world is a hand-written fake of the four domains' privacy activities: it
// records the calls in order and answers from its fields.
type world struct {
	mu       sync.Mutex
	calls    []string
	unknown  bool
	erased   bool
	inFlight [][]booking.InFlight // answers of successive BookingsInFlight calls (the last repeats)
	sealed   customeract.SealExportInput
}

func (w *world) call(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, name)
}

func (w *world) Calls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string{}, w.calls...)
}

func (w *world) register(env *testsuite.TestWorkflowEnvironment) {
	reg := func(name string, fn any) { env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name}) }
	reg("ExportAuthData", func(_ context.Context, in authact.UserInput) (authact.ExportAuthResult, error) {
		w.call("ExportAuthData")
		if w.unknown {
			return authact.ExportAuthResult{}, temporal.NewNonRetryableApplicationError("unknown user", authact.ErrTypeUserNotFound, nil)
		}
		return authact.ExportAuthResult{UserID: in.UserID, Data: auth.UserExport{User: auth.ExportedUser{ID: in.UserID, Email: "ada@example.com"}}}, nil
	})
	reg("ExportCustomerData", func(_ context.Context, in customeract.UserInput) (customeract.ExportCustomerResult, error) {
		w.call("ExportCustomerData")
		return customeract.ExportCustomerResult{UserID: in.UserID, Data: customer.CustomerExport{Profile: &customer.Profile{UserID: in.UserID, GivenName: "Ada"},
			Notifications: []customer.Notification{{ID: "n1", UserID: in.UserID}}}}, nil
	})
	reg("ExportBookingData", func(_ context.Context, in bookingact.UserInput) (bookingact.ExportBookingResult, error) {
		w.call("ExportBookingData")
		return bookingact.ExportBookingResult{UserID: in.UserID, Data: booking.CustomerBookings{
			Bookings: []booking.BookingExport{{Booking: booking.Booking{ID: "b1", CustomerID: in.UserID}, Changes: []booking.Change{}}}, PaymentIDs: []string{"pay1"}}}, nil
	})
	reg("ExportPaymentData", func(_ context.Context, in paymentact.PaymentsOfUserInput) (paymentact.ExportPaymentResult, error) {
		w.call("ExportPaymentData:" + in.PaymentIDs[0])
		return paymentact.ExportPaymentResult{UserID: in.UserID, Payments: []payment.ExportedPayment{{ID: in.PaymentIDs[0], Last4: "4242"}}}, nil
	})
	reg("SealExport", func(_ context.Context, in customeract.SealExportInput) (customeract.SealExportResult, error) {
		w.call("SealExport")
		w.mu.Lock()
		w.sealed = in
		w.mu.Unlock()
		return customeract.SealExportResult{Size: len(in.Document)}, nil
	})
	reg("ExpireExport", func(_ context.Context, in customeract.ExportIDInput) error {
		w.call("ExpireExport")
		return nil
	})
	reg("AuthErasureState", func(_ context.Context, in authact.UserInput) (authact.ErasureState, error) {
		w.call("AuthErasureState")
		if w.unknown {
			return authact.ErasureState{}, temporal.NewNonRetryableApplicationError("unknown user", authact.ErrTypeUserNotFound, nil)
		}
		return authact.ErasureState{Erased: w.erased}, nil
	})
	reg("BookingsInFlight", func(_ context.Context, in bookingact.UserInput) ([]booking.InFlight, error) {
		w.call("BookingsInFlight")
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.inFlight) == 0 {
			return nil, nil
		}
		out := w.inFlight[0]
		if len(w.inFlight) > 1 {
			w.inFlight = w.inFlight[1:]
		}
		return out, nil
	})
	reg("RevokeUserSessions", func(_ context.Context, in authact.RevokeUserSessionsInput) (authact.RevokeUserSessionsResult, error) {
		w.call("RevokeUserSessions")
		return authact.RevokeUserSessionsResult{Revoked: 2}, nil
	})
	reg("EraseBookingData", func(_ context.Context, in bookingact.UserInput) (bookingact.EraseBookingResult, error) {
		w.call("EraseBookingData")
		return bookingact.EraseBookingResult{Bookings: 1, PaymentIDs: []string{"pay1"}}, nil
	})
	reg("ErasePaymentData", func(_ context.Context, in paymentact.PaymentsOfUserInput) (paymentact.ErasePaymentResult, error) {
		w.call("ErasePaymentData:" + in.PaymentIDs[0])
		return paymentact.ErasePaymentResult{Payments: 1}, nil
	})
	reg("EraseCustomerData", func(_ context.Context, in customeract.UserInput) (customer.EraseCounts, error) {
		w.call("EraseCustomerData")
		return customer.EraseCounts{Profiles: 1}, nil
	})
	reg("ShredCustomerKey", func(_ context.Context, in authact.ShredCustomerKeyInput) (authact.ShredCustomerKeyResult, error) {
		w.call("ShredCustomerKey")
		return authact.ShredCustomerKeyResult{CustomerID: in.CustomerID, Shredded: true}, nil
	})
	reg("EraseAuthData", func(_ context.Context, in authact.UserInput) (authact.EraseAuthResult, error) {
		w.call("EraseAuthData")
		return authact.EraseAuthResult{Erased: true}, nil
	})
}

func newEnv(t *testing.T, w *world) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(compliance.ExportWorkflow, workflowOpts(compliance.ExportWorkflowName))
	env.RegisterWorkflowWithOptions(compliance.ErasureWorkflow, workflowOpts(compliance.ErasureWorkflowName))
	w.register(env)
	return env
}

func update(t *testing.T, env *testsuite.TestWorkflowEnvironment, name string, at time.Duration, got *error, st any) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(name, name, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { *got = err },
			OnComplete: func(v any, err error) {
				*got = err
				if err == nil && st != nil {
					b, _ := json.Marshal(v)
					require.NoError(t, json.Unmarshal(b, st))
				}
			},
		})
	}, at)
}

func TestExport_CollectsEveryDomainSealsThenExpires(t *testing.T) {
	w := &world{}
	env := newEnv(t, w)
	var accepted error
	update(t, env, compliance.UpdateAccepted, 0, &accepted, nil)
	env.ExecuteWorkflow(compliance.ExportWorkflowName, compliance.ExportInput{ExportID: "e1", UserID: "u1", TTL: time.Hour})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, accepted)
	var st compliance.ExportStatus
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, compliance.StageExpired, st.Stage, "the file is deleted after its TTL")

	calls := w.Calls()
	require.Equal(t, "ExportAuthData", calls[0])
	require.ElementsMatch(t, []string{"ExportCustomerData", "ExportBookingData"}, calls[1:3])
	require.Equal(t, []string{"ExportPaymentData:pay1", "SealExport", "ExpireExport"}, calls[3:],
		"payments are looked up by the ids the booking domain named")

	var doc compliance.Document
	require.NoError(t, json.Unmarshal(w.sealed.Document, &doc))
	require.Equal(t, compliance.ExportSchema, doc.Schema)
	require.Equal(t, "ada@example.com", doc.Auth.User.Email)
	require.Equal(t, "Ada", doc.Customer.Profile.GivenName)
	require.Len(t, doc.Customer.Notifications, 1)
	require.Equal(t, "b1", doc.Bookings[0].Booking.ID)
	require.Equal(t, "4242", doc.Payments[0].Last4)
	require.Equal(t, time.Hour, w.sealed.TTL)
}

func TestExport_UnknownUserFailsTheRequestAndMarksTheExportFailed(t *testing.T) {
	w := &world{unknown: true}
	env := newEnv(t, w)
	var accepted error
	update(t, env, compliance.UpdateAccepted, 0, &accepted, nil)
	env.ExecuteWorkflow(compliance.ExportWorkflowName, compliance.ExportInput{ExportID: "e1", UserID: "nobody"})
	require.NoError(t, env.GetWorkflowError())
	var ae *temporal.ApplicationError
	require.True(t, errors.As(accepted, &ae), "the accepted update fails: %v", accepted)
	require.Equal(t, authact.ErrTypeUserNotFound, ae.Type())
	var st compliance.ExportStatus
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, compliance.StageFailed, st.Stage)
	require.Equal(t, []string{"ExportAuthData", "ExpireExport"}, w.Calls(), "nothing else is read; the pending export is marked failed")
}

var erasureSteps = []string{"RevokeUserSessions", "EraseBookingData", "ErasePaymentData:pay1", "EraseCustomerData", "ShredCustomerKey", "EraseAuthData"}

func TestErasure_AfterCoolingOffErasesEveryDomainInOrder(t *testing.T) {
	w := &world{}
	env := newEnv(t, w)
	var requested error
	var first compliance.ErasureStatus
	update(t, env, compliance.UpdateRequest, 0, &requested, &first)
	env.ExecuteWorkflow(compliance.ErasureWorkflowName, compliance.ErasureInput{UserID: "u1", CoolingOff: 48 * time.Hour})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, requested)
	require.Equal(t, compliance.EraseCoolingOff, first.Stage)
	require.Equal(t, 48*time.Hour, first.EraseAt.Sub(first.RequestedAt))

	var st compliance.ErasureStatus
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, compliance.EraseErased, st.Stage)
	require.True(t, st.Report.KeyShredded)
	require.Equal(t, 2, st.Report.SessionsRevoked)
	require.NotEmpty(t, st.Report.Kept, "what is kept by law is recorded with the erasure")
	require.Equal(t, append([]string{"AuthErasureState", "BookingsInFlight", "BookingsInFlight"}, erasureSteps...), w.Calls())
	require.False(t, st.ErasedAt.Before(st.EraseAt), "nothing is erased before the cooling-off period ends")
}

func TestErasure_CancelledDuringCoolingOffErasesNothing(t *testing.T) {
	w := &world{}
	env := newEnv(t, w)
	var requested, cancelled error
	update(t, env, compliance.UpdateRequest, 0, &requested, nil)
	update(t, env, compliance.UpdateCancel, 24*time.Hour, &cancelled, nil)
	env.ExecuteWorkflow(compliance.ErasureWorkflowName, compliance.ErasureInput{UserID: "u1", CoolingOff: 48 * time.Hour})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, requested)
	require.NoError(t, cancelled)
	var st compliance.ErasureStatus
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, compliance.EraseCancelled, st.Stage)
	require.Equal(t, []string{"AuthErasureState", "BookingsInFlight"}, w.Calls())
}

func TestErasure_RefusedRequests(t *testing.T) {
	for name, tc := range map[string]struct {
		w     *world
		code  string
		calls []string
	}{
		"booking in flight": {&world{inFlight: [][]booking.InFlight{{{BookingID: "b1", Status: booking.StatusHeld}}}}, compliance.ErrTypeBookingsInFlight, []string{"AuthErasureState", "BookingsInFlight"}},
		"erased already":    {&world{erased: true}, compliance.ErrTypeAlreadyErased, []string{"AuthErasureState"}},
		"unknown user":      {&world{unknown: true}, authact.ErrTypeUserNotFound, []string{"AuthErasureState"}},
	} {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, tc.w)
			var requested error
			update(t, env, compliance.UpdateRequest, 0, &requested, nil)
			env.ExecuteWorkflow(compliance.ErasureWorkflowName, compliance.ErasureInput{UserID: "u1", CoolingOff: time.Hour})
			require.NoError(t, env.GetWorkflowError())
			var ae *temporal.ApplicationError
			require.True(t, errors.As(requested, &ae), "refused: %v", requested)
			require.Equal(t, tc.code, ae.Type())
			var st compliance.ErasureStatus
			require.NoError(t, env.GetWorkflowResult(&st))
			require.Equal(t, compliance.EraseRefused, st.Stage)
			require.Equal(t, tc.calls, tc.w.Calls(), "a refused erasure changes nothing")
		})
	}
}

func TestErasure_WaitsForABookingMadeDuringCoolingOff(t *testing.T) {
	trip := []booking.InFlight{{BookingID: "b2", Status: booking.StatusConfirmed}}
	w := &world{inFlight: [][]booking.InFlight{nil, trip, trip, nil}}
	env := newEnv(t, w)
	var requested, late error
	update(t, env, compliance.UpdateRequest, 0, &requested, nil)
	update(t, env, compliance.UpdateCancel, 65*time.Minute, &late, nil)
	env.ExecuteWorkflow(compliance.ErasureWorkflowName, compliance.ErasureInput{UserID: "u1", CoolingOff: time.Hour})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, requested)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(late, &ae), "cancel after the cooling-off period is refused: %v", late)
	require.Equal(t, compliance.ErrTypeTooLate, ae.Type())
	var st compliance.ErasureStatus
	require.NoError(t, env.GetWorkflowResult(&st))
	require.Equal(t, compliance.EraseErased, st.Stage)
	require.Equal(t, append([]string{"AuthErasureState", "BookingsInFlight", "BookingsInFlight", "BookingsInFlight", "BookingsInFlight"}, erasureSteps...), w.Calls())
}
