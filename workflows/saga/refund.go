package saga

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/internal/platform/money"
)

// RefundShare is the part of a refund one payment intent pays back.
type RefundShare struct {
	PaymentID string `json:"paymentId"`
	Amount    int64  `json:"amount"`
}

// PlanRefund splits amount over the intents paymentIDs, in the order given
// (newest first: change charges, then the original payment), each giving
// at most what it captured and has not refunded yet. A saga plans once and
// keeps the plan, so a retry (even after an ambiguous failure) repeats the
// same refunds with the same idempotency keys and amounts. It fails when
// the intents cannot cover amount. actx carries the activity options.
func PlanRefund(actx workflow.Context, paymentIDs []string, amount money.Money) ([]RefundShare, error) {
	var pa *paymentact.Activities
	var plan []RefundShare
	remaining := amount.Amount
	for _, pid := range paymentIDs {
		if remaining <= 0 {
			break
		}
		var p paymentact.PaymentResult
		if err := workflow.ExecuteActivity(actx, pa.GetPayment, paymentact.GetPaymentInput{PaymentID: pid}).Get(actx, &p); err != nil {
			return nil, fmt.Errorf("read payment %s: %w", pid, err)
		}
		if share := min(remaining, p.Captured.Amount-p.Refunded.Amount); share > 0 {
			plan = append(plan, RefundShare{PaymentID: pid, Amount: share})
			remaining -= share
		}
	}
	if remaining > 0 {
		return nil, fmt.Errorf("refund: %d %s left that no payment of the booking can cover", remaining, amount.Currency)
	}
	return plan, nil
}

// Refund pays plan back, one refund per intent, idempotent on keyPrefix
// plus the payment id, and returns the amount refunded.
func Refund(actx workflow.Context, plan []RefundShare, currency, keyPrefix, reason string) (int64, error) {
	var pa *paymentact.Activities
	refunded := int64(0)
	for _, sh := range plan {
		amount := money.New(sh.Amount, currency)
		if err := workflow.ExecuteActivity(actx, pa.RefundPayment, paymentact.RefundPaymentInput{
			IdempotencyKey: keyPrefix + sh.PaymentID, PaymentID: sh.PaymentID, Amount: &amount, Reason: reason,
		}).Get(actx, nil); err != nil {
			return refunded, fmt.Errorf("refund %s: %w", sh.PaymentID, err)
		}
		refunded += sh.Amount
	}
	return refunded, nil
}
