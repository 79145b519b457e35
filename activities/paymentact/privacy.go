package paymentact

import (
	"context"

	"github.com/skyfly/skyfly/services/payment"
)

// PaymentsOfUserInput names a customer's payments (the booking domain
// lists their ids).
type PaymentsOfUserInput struct {
	UserID     string   `json:"userId"`
	PaymentIDs []string `json:"paymentIds"`
}

// ExportPaymentResult is the payment section of an export.
type ExportPaymentResult struct {
	UserID   string                    `json:"userId"`
	Payments []payment.ExportedPayment `json:"payments"`
}

// DataSubject is the customer whose data key encrypts this payload.
func (r ExportPaymentResult) DataSubject() string { return r.UserID }

// ErasePaymentResult reports the payment step of an erasure.
type ErasePaymentResult struct {
	Payments   int    `json:"payments"`
	LegalBasis string `json:"legalBasis"`
}

// PaymentExporter is what the privacy activities need from the payment
// service (*payment.Service implements it).
type PaymentExporter interface {
	ExportPayments(ctx context.Context, customerID string, ids []string) ([]payment.ExportedPayment, error)
	ErasePersonalData(ctx context.Context, customerID string, ids []string) (int, error)
}

// Privacy are the payment domain's export and erasure activities.
type Privacy struct{ svc PaymentExporter }

// NewPrivacy returns the privacy activities over the payment service.
func NewPrivacy(svc PaymentExporter) *Privacy { return &Privacy{svc: svc} }

// ExportPaymentData returns the customer's payments among the ids.
func (a *Privacy) ExportPaymentData(ctx context.Context, in PaymentsOfUserInput) (ExportPaymentResult, error) {
	ps, err := a.svc.ExportPayments(ctx, in.UserID, in.PaymentIDs)
	if err != nil {
		return ExportPaymentResult{}, err
	}
	return ExportPaymentResult{UserID: in.UserID, Payments: ps}, nil
}

// ErasePaymentData removes card tokens and last digits, keeping the
// accounting record (idempotent).
func (a *Privacy) ErasePaymentData(ctx context.Context, in PaymentsOfUserInput) (ErasePaymentResult, error) {
	n, err := a.svc.ErasePersonalData(ctx, in.UserID, in.PaymentIDs)
	if err != nil {
		return ErasePaymentResult{}, err
	}
	return ErasePaymentResult{Payments: n, LegalBasis: payment.LegalBasisRetention}, nil
}
