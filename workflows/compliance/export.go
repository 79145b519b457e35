// Package compliance holds the data-protection workflows (ACCEPTANCE G1,
// G2): a customer's data export, collected from every domain on its own
// task queue, and the erasure of a customer with its cooling-off period.
package compliance

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/authact"
	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/customeract"
	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/temporal/queues"
)

// Workflow names, update and query names.
const (
	ExportWorkflowName = "ExportWorkflow"
	// UpdateAccepted completes once the export knows the user exists (or
	// fails with ErrTypeUnknownUser), so the API answers 404 or 202.
	UpdateAccepted = "accepted"
	// QueryStatus returns the workflow's Status.
	QueryStatus = "status"
)

// ExportSchema names the version of the export document's schema
// (docs/EXPORT.md documents it).
const ExportSchema = "skyfly.export.v1"

// ApplicationError types the API maps to problem codes.
const (
	ErrTypeUnknownUser = authact.ErrTypeUserNotFound
)

// ExportWorkflowID is the business key of one export of a user.
func ExportWorkflowID(userID, exportID string) string {
	return fmt.Sprintf("export/%s/%s", userID, exportID)
}

// ExportInput starts an export.
type ExportInput struct {
	ExportID    string `json:"exportId"`
	UserID      string `json:"userId"`
	RequestedBy string `json:"requestedBy"`
	// TTL is how long the file can be downloaded (default 7 days).
	TTL time.Duration `json:"ttl"`
}

// Document is the export file: one JSON document with every category a
// domain stores about the user.
type Document struct {
	Schema      string                    `json:"schema"`
	ExportID    string                    `json:"exportId"`
	UserID      string                    `json:"userId"`
	GeneratedAt time.Time                 `json:"generatedAt"`
	Auth        auth.UserExport           `json:"auth"`
	Customer    customer.CustomerExport   `json:"customer"`
	Bookings    []booking.BookingExport   `json:"bookings"`
	Payments    []payment.ExportedPayment `json:"payments"`
}

// sealInput is customeract.SealExportInput with the document as a value:
// the data converter encodes it to the same JSON outside the workflow code.
type sealInput struct {
	ExportID string        `json:"exportId"`
	UserID   string        `json:"userId"`
	Document Document      `json:"document"`
	TTL      time.Duration `json:"ttl"`
}

// DataSubject is the customer whose data key encrypts this payload.
func (in sealInput) DataSubject() string { return in.UserID }

// Stages of an export.
const (
	StageCollecting = "COLLECTING"
	StageReady      = "READY"
	StageExpired    = "EXPIRED"
	StageFailed     = "FAILED"
)

// ExportStatus is the export's progress (query and result).
type ExportStatus struct {
	Stage     string    `json:"stage"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Size      int       `json:"size,omitempty"`
	Failure   string    `json:"failure,omitempty"`
}

var (
	authPrivacy     *authact.Privacy
	authSessions    *authact.Activities
	authShredder    *authact.ShredActivities
	customerPrivacy *customeract.Privacy
	bookingPrivacy  *bookingact.Privacy
	paymentPrivacy  *paymentact.Privacy
)

// collect returns the options of an export's collection step.
func collect(ctx workflow.Context, queue string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: queue, StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
			MaximumAttempts: 10, NonRetryableErrorTypes: []string{authact.ErrTypeUserNotFound, authact.ErrTypeInvalidInput}},
	})
}

// ExportWorkflow collects every stored category of a user from the auth,
// customer, booking and payment domains, stores the document encrypted in
// the customer domain for TTL, then deletes it. Workflow id
// export/{userId}/{exportId}.
func ExportWorkflow(ctx workflow.Context, in ExportInput) (ExportStatus, error) {
	if in.TTL <= 0 {
		in.TTL = 7 * 24 * time.Hour
	}
	st := ExportStatus{Stage: StageCollecting}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (ExportStatus, error) { return st, nil }); err != nil {
		return st, err
	}
	known, userErr := false, error(nil)
	if err := workflow.SetUpdateHandler(ctx, UpdateAccepted, func(ctx workflow.Context) (ExportStatus, error) {
		if err := workflow.Await(ctx, func() bool { return known || userErr != nil }); err != nil {
			return st, err
		}
		if userErr != nil {
			return st, userErr
		}
		return st, nil
	}); err != nil {
		return st, err
	}
	user := authact.UserInput{UserID: in.UserID}
	var a authact.ExportAuthResult
	if err := workflow.ExecuteActivity(collect(ctx, queues.Auth), authPrivacy.ExportAuthData, user).Get(ctx, &a); err != nil {
		userErr = err
		return fail(ctx, in, st, err)
	}
	known = true
	custF := workflow.ExecuteActivity(collect(ctx, queues.Customer), customerPrivacy.ExportCustomerData, customeract.UserInput(user))
	bookF := workflow.ExecuteActivity(collect(ctx, queues.Booking), bookingPrivacy.ExportBookingData, bookingact.UserInput(user))
	var c customeract.ExportCustomerResult
	var b bookingact.ExportBookingResult
	if err := errors.Join(custF.Get(ctx, &c), bookF.Get(ctx, &b)); err != nil {
		return fail(ctx, in, st, err)
	}
	var p paymentact.ExportPaymentResult
	if err := workflow.ExecuteActivity(collect(ctx, queues.Payment), paymentPrivacy.ExportPaymentData,
		paymentact.PaymentsOfUserInput{UserID: in.UserID, PaymentIDs: b.Data.PaymentIDs}).Get(ctx, &p); err != nil {
		return fail(ctx, in, st, err)
	}
	doc := Document{Schema: ExportSchema, ExportID: in.ExportID, UserID: in.UserID, GeneratedAt: workflow.Now(ctx).UTC(),
		Auth: a.Data, Customer: c.Data, Bookings: b.Data.Bookings, Payments: p.Payments}
	var sealed customeract.SealExportResult
	if err := workflow.ExecuteActivity(collect(ctx, queues.Customer), customerPrivacy.SealExport,
		sealInput{ExportID: in.ExportID, UserID: in.UserID, Document: doc, TTL: in.TTL}).Get(ctx, &sealed); err != nil {
		return fail(ctx, in, st, err)
	}
	st = ExportStatus{Stage: StageReady, ExpiresAt: sealed.ExpiresAt, Size: sealed.Size}
	// The file lives until its TTL (a download drops it earlier); then it
	// is deleted for good.
	if err := workflow.NewTimer(ctx, in.TTL).Get(ctx, nil); err != nil {
		return st, err
	}
	if err := workflow.ExecuteActivity(cleanup(ctx), customerPrivacy.ExpireExport, customeract.ExportIDInput{ExportID: in.ExportID}).Get(ctx, nil); err != nil {
		return st, err
	}
	st.Stage = StageExpired
	return st, nil
}

// cleanup returns the options of a step that must eventually succeed.
func cleanup(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: queues.Customer, StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
}

// fail marks the export FAILED in the customer store and ends the workflow
// with the failure in its result (the request was handled; nothing to retry).
func fail(ctx workflow.Context, in ExportInput, st ExportStatus, cause error) (ExportStatus, error) {
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	if err := workflow.ExecuteActivity(cleanup(ctx), customerPrivacy.ExpireExport, customeract.ExportIDInput{ExportID: in.ExportID}).Get(ctx, nil); err != nil {
		return st, err
	}
	st.Stage, st.Failure = StageFailed, failureCode(cause)
	// Let the accepted update answer before the workflow closes.
	err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return st, err
}

// failureCode names a failure for the status: the ApplicationError type,
// or "internal".
func failureCode(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.Type() != "" {
		return ae.Type()
	}
	return "internal"
}
