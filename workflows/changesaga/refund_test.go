package changesaga_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/workflows/changesaga"
	"github.com/skyfly/skyfly/workflows/sagatest"
)

// TestChange_CheaperAfterAPricierChange_RefundsAcrossIntents: a pricier
// change left the booking's money on two intents (the original payment and
// the change's charge). A cheaper change now owes back more than the
// original intent alone holds: the refund draws from the intents with
// captured money left, newest first, never more than one captured, and
// adds up to what the change owes; a refund retried after a failure
// refunds nothing twice.
func TestChange_CheaperAfterAPricierChange_RefundsAcrossIntents(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	b0 := w.ConfirmedBooking(t, "bk_ch")
	first := runChange(t, w, b0, "ch_1", "tok_visa")
	require.NoError(t, first.env.GetWorkflowError())
	b1 := current(t, w)
	require.Equal(t, int64(50990), b1.Total.Amount)
	_, charged, _ := w.Intent("pay_2")
	require.Equal(t, int64(8000), charged, "the pricier change charged its own intent")

	w.SetChangeTotal(990)
	// The second refund fails twice before it goes through.
	w.SetFault("RefundPayment", sagatest.Fault{Match: func(_ any, calls map[string]int) bool {
		n := calls["RefundPayment"]
		return n == 2 || n == 3
	}})
	second := runChange(t, w, b1, "ch_2", "tok_visa")
	require.NoError(t, second.quoteErr)
	due := second.quote.Change.Due.Amount
	require.Equal(t, int64(990-50990+3000), due, "money back minus the penalty")
	require.NoError(t, second.env.GetWorkflowError())

	_, fromChargeCaptured, fromCharge := w.Intent("pay_2")
	_, fromOrigCaptured, fromOrig := w.Intent("pay_orig")
	require.LessOrEqual(t, fromCharge, fromChargeCaptured, "got %d refunded of %d captured on the change's charge", fromCharge, fromChargeCaptured)
	require.LessOrEqual(t, fromOrig, fromOrigCaptured, "got %d refunded of %d captured on the original payment", fromOrig, fromOrigCaptured)
	require.Equal(t, -due, fromCharge+fromOrig, "got %d + %d refunded, want the %d the change owes", fromCharge, fromOrig, -due)
	require.Equal(t, int64(8000), fromCharge, "the change's charge is refunded first, once")
	require.Equal(t, -due-8000, fromOrig, "the rest from the original payment")
	b := current(t, w)
	require.Equal(t, booking.StatusConfirmed, b.Status)
	require.Equal(t, int64(990), b.Total.Amount)
	require.Equal(t, -due, b.Refunded.Amount)
}

// TestChange_CheaperChange_BeforeTheVersion_RefundsTheOriginalIntent: a
// change that reached its refund before GetVersion
// change-refund-across-intents keeps its recorded behaviour (one refund of
// the original payment, its old idempotency key), so its history replays.
func TestChange_CheaperChange_BeforeTheVersion_RefundsTheOriginalIntent(t *testing.T) {
	w := sagatest.NewWorld(t, 9)
	w.SetChangeTotal(40990)
	r := runChange(t, w, w.ConfirmedBooking(t, "bk_ch"), "ch_1", "tok_visa", func(env *testsuite.TestWorkflowEnvironment) {
		env.OnGetVersion(changesaga.VersionRefundAcrossIntents, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	})
	require.NoError(t, r.env.GetWorkflowError())
	require.Equal(t, int64(40990-45990+3000), r.quote.Change.Due.Amount)
	_, _, refunded := w.Intent("pay_orig")
	require.Equal(t, int64(2000), refunded)
	require.Zero(t, w.Count("GetPayment"), "no plan over the intents")
}
