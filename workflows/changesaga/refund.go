package changesaga

import (
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/activities/bookingact"
	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workflows/saga"
)

// VersionRefundAcrossIntents is the workflow.GetVersion change id under
// which a cheaper change's refund draws from every intent holding the
// booking's money (version 1), newest first, each giving at most what it
// captured and has not refunded. Before it, the whole refund went to the
// original payment, which a pricier change before may have left short.
const VersionRefundAcrossIntents = "change-refund-across-intents"

// refundDifference returns the step that pays refund back. Its split over
// the intents is planned on the first attempt and kept, so a retry (even
// after an ambiguous failure) repeats the same refunds with the same keys.
func (w *wf) refundDifference(refund money.Money) func(ctx workflow.Context) error {
	var plan []saga.RefundShare
	return func(ctx workflow.Context) error {
		uctx := saga.Undo(ctx, queues.Payment)
		if workflow.GetVersion(ctx, VersionRefundAcrossIntents, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return workflow.ExecuteActivity(uctx, w.pa.RefundPayment, paymentact.RefundPaymentInput{
				IdempotencyKey: "change/" + w.in.BookingID + "/" + w.in.ChangeID + "/refund", PaymentID: w.in.PaymentID,
				Amount: &refund, Reason: "cheaper itinerary",
			}).Get(ctx, nil)
		}
		if plan == nil {
			var pays bookingact.BookingPaymentIDsResult
			if err := w.local(ctx, w.ba.BookingPaymentIDs, bookingact.BookingPaymentIDsInput{BookingID: w.in.BookingID}, &pays); err != nil {
				return err
			}
			p, err := saga.PlanRefund(uctx, pays.PaymentIDs, refund)
			if err != nil {
				return err
			}
			plan = p
		}
		_, err := saga.Refund(uctx, plan, refund.Currency, "change/"+w.in.BookingID+"/"+w.in.ChangeID+"/refund/", "cheaper itinerary")
		return err
	}
}
