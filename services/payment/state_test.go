package payment_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/payment"
)

func TestStateMachine_P4_OnlyDocumentedTransitions(t *testing.T) {
	allowed := map[[2]payment.Status]bool{
		{payment.StatusRequiresPaymentMethod, payment.StatusRequiresAction}: true,
		{payment.StatusRequiresPaymentMethod, payment.StatusAuthorized}:     true,
		{payment.StatusRequiresPaymentMethod, payment.StatusFailed}:         true,
		{payment.StatusRequiresAction, payment.StatusAuthorized}:            true,
		{payment.StatusRequiresAction, payment.StatusFailed}:                true,
		{payment.StatusRequiresAction, payment.StatusCanceled}:              true,
		{payment.StatusAuthorized, payment.StatusCaptured}:                  true,
		{payment.StatusAuthorized, payment.StatusCanceled}:                  true,
		{payment.StatusCaptured, payment.StatusPartiallyRefunded}:           true,
		{payment.StatusCaptured, payment.StatusRefunded}:                    true,
		{payment.StatusPartiallyRefunded, payment.StatusPartiallyRefunded}:  true,
		{payment.StatusPartiallyRefunded, payment.StatusRefunded}:           true,
	}
	for _, from := range payment.Statuses() {
		for _, to := range payment.Statuses() {
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				in := payment.Intent{ID: "pay_1", Status: from}
				err := payment.Transition(&in, to)
				if allowed[[2]payment.Status{from, to}] {
					require.NoError(t, err)
					require.Equal(t, to, in.Status, "got status %s, want %s", in.Status, to)
					return
				}
				require.ErrorIs(t, err, payment.ErrInvalidTransition)
				require.Equal(t, from, in.Status, "a refused transition must not change the state")
			})
		}
	}
}

func TestBookingStatus_P4_EveryIntentStateMapsAndTicketsOnlyAfterCapture(t *testing.T) {
	want := map[payment.Status]string{
		payment.StatusRequiresPaymentMethod: payment.BookingHeld,
		payment.StatusRequiresAction:        payment.BookingPaymentPending,
		payment.StatusAuthorized:            payment.BookingPaymentPending,
		payment.StatusCaptured:              payment.BookingConfirmed,
		payment.StatusPartiallyRefunded:     payment.BookingConfirmed,
		payment.StatusRefunded:              payment.BookingCancelled,
		payment.StatusCanceled:              payment.BookingCancelled,
		payment.StatusFailed:                payment.BookingHeld,
	}
	require.Len(t, payment.Statuses(), 8)
	for _, s := range payment.Statuses() {
		got, ok := payment.BookingStatusFor(s)
		require.True(t, ok, "state %s has no booking state", s)
		require.Equal(t, want[s], got, "booking state for %s: got %s, want %s", s, got, want[s])
		tickets := s == payment.StatusCaptured || s == payment.StatusPartiallyRefunded
		require.Equal(t, tickets, payment.TicketsAllowed(s), "tickets allowed in %s", s)
	}
	_, ok := payment.BookingStatusFor("processing")
	require.False(t, ok)
}

func TestPath_W4_WalksForwardAndRefusesBackward(t *testing.T) {
	tests := []struct {
		name     string
		from, to payment.Status
		want     []payment.Status
	}{
		{"a capture event before the authorization walks through authorized", payment.StatusRequiresAction, payment.StatusCaptured, []payment.Status{payment.StatusAuthorized, payment.StatusCaptured}},
		{"an authorization after capture is stale", payment.StatusCaptured, payment.StatusAuthorized, nil},
		{"a failure after authorization is stale", payment.StatusAuthorized, payment.StatusFailed, nil},
		{"the same state needs no step", payment.StatusAuthorized, payment.StatusAuthorized, nil},
		{"a refund from authorized goes through capture", payment.StatusAuthorized, payment.StatusRefunded, []payment.Status{payment.StatusCaptured, payment.StatusRefunded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := payment.Path(tt.from, tt.to)
			require.Equal(t, tt.want, got, "got path %v, want %v", got, tt.want)
		})
	}
}

func TestLooksLikePAN_C1(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"4242424242424242", true},
		{"4242 4242 4242 4242", true},
		{"4242-4242-4242-4242", true},
		{"card 5555555555554444 exp", true},
		{"378282246310005", true},   // Amex, 15 digits
		{"4242424242424241", false}, // fails Luhn
		{"tok_visa", false},
		{"booking/0192-step-authorize", false},
		{"424242424242", false}, // 12 digits
		{"pay_3f2a9c0e1b7d", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := payment.LooksLikePAN(tt.in)
			require.Equal(t, tt.want, got, "LooksLikePAN(%q): got %v, want %v", tt.in, got, tt.want)
		})
	}
	err := payment.RejectCardData("token", "tok_visa", "reason", "refund to 4111 1111 1111 1111")
	require.ErrorIs(t, err, payment.ErrCardData)
	require.Contains(t, err.Error(), "reason")
	require.NoError(t, payment.RejectCardData("token", "tok_visa"))
}

func TestDeclineError_MatchesErrDeclined(t *testing.T) {
	var err error = fmt.Errorf("wrapped: %w", &payment.DeclineError{PaymentID: "pay_1", Code: "card_declined"})
	require.ErrorIs(t, err, payment.ErrDeclined)
	var de *payment.DeclineError
	require.True(t, errors.As(err, &de))
	require.Equal(t, "card_declined", de.Code)
}

func TestRandomID_C1_NeverLooksLikeACardNumber(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		id := payment.RandomID("pay")
		require.False(t, payment.LooksLikePAN(id), id)
		require.False(t, seen[id], "duplicate id %s", id)
		seen[id] = true
		require.Len(t, id, len("pay_")+24)
	}
}
