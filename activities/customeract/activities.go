package customeract

import (
	"context"
	"errors"
)

// Activities implements the customer domain's Temporal activities.
type Activities struct{}

// SendBookingNotification tells a customer what happened to a booking.
func (a *Activities) SendBookingNotification(ctx context.Context, in SendBookingNotificationInput) (SendBookingNotificationResult, error) {
	return SendBookingNotificationResult{}, errors.New("send booking notification: not implemented yet")
}
