package customeract

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/skyfly/skyfly/services/customer"
)

// UserInput names the data subject of an export or erasure step. It holds
// ids only and stays on the shared key, so the erasure can still run after
// the customer's own key is shredded.
type UserInput struct {
	UserID string `json:"userId"`
}

// ExportCustomerResult is the customer section of an export.
type ExportCustomerResult struct {
	UserID string                  `json:"userId"`
	Data   customer.CustomerExport `json:"data"`
}

// DataSubject is the customer whose data key encrypts this payload.
func (r ExportCustomerResult) DataSubject() string { return r.UserID }

// SealExportInput is the assembled export document to store.
type SealExportInput struct {
	ExportID string          `json:"exportId"`
	UserID   string          `json:"userId"`
	Document json.RawMessage `json:"document"`
	TTL      time.Duration   `json:"ttl"`
}

// DataSubject is the customer whose data key encrypts this payload.
func (in SealExportInput) DataSubject() string { return in.UserID }

// SealExportResult is the stored export.
type SealExportResult struct {
	ExpiresAt time.Time `json:"expiresAt"`
	Size      int       `json:"size"`
}

// ExportIDInput names an export.
type ExportIDInput struct {
	ExportID string `json:"exportId"`
}

// ErrTypeExportUnknown: the export was never requested (non-retryable).
const ErrTypeExportUnknown = "CustomerExportUnknown"

// Privacy are the customer domain's export and erasure activities.
type Privacy struct{ p *customer.Privacy }

// NewPrivacy returns the privacy activities over the customer domain.
func NewPrivacy(p *customer.Privacy) *Privacy { return &Privacy{p: p} }

// ExportCustomerData collects the profile, verification and notifications.
func (a *Privacy) ExportCustomerData(ctx context.Context, in UserInput) (ExportCustomerResult, error) {
	d, err := a.p.Export(ctx, in.UserID)
	if err != nil {
		return ExportCustomerResult{}, err
	}
	return ExportCustomerResult{UserID: in.UserID, Data: d}, nil
}

// SealExport encrypts and stores the export document (idempotent).
func (a *Privacy) SealExport(ctx context.Context, in SealExportInput) (SealExportResult, error) {
	f, err := a.p.Seal(ctx, in.ExportID, in.UserID, in.Document, in.TTL)
	if errors.Is(err, customer.ErrNotFound) {
		return SealExportResult{}, temporal.NewNonRetryableApplicationError("export was never requested", ErrTypeExportUnknown, err)
	}
	if err != nil {
		return SealExportResult{}, err
	}
	return SealExportResult{ExpiresAt: f.ExpiresAt, Size: f.Size}, nil
}

// ExpireExport deletes an export's file (after its TTL, or when the export
// failed).
func (a *Privacy) ExpireExport(ctx context.Context, in ExportIDInput) error {
	return a.p.Expire(ctx, in.ExportID)
}

// EraseCustomerData deletes the profile, travellers, verification and
// exports and redacts the notifications of the user (idempotent).
func (a *Privacy) EraseCustomerData(ctx context.Context, in UserInput) (customer.EraseCounts, error) {
	return a.p.Erase(ctx, in.UserID)
}
