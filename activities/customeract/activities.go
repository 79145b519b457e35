package customeract

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"

	"go.temporal.io/sdk/temporal"

	"github.com/skyfly/skyfly/services/customer"
)

// Error types of the customer activities' non-retryable refusals.
const (
	ErrTypeUnknownEvent       = "CustomerUnknownEvent"
	ErrTypeInvalidInput       = "CustomerInvalidInput"
	ErrTypeTemplateData       = "CustomerTemplateDataMissing"
	ErrTypeNoRecipient        = "CustomerNoRecipient"
	ErrTypeChannelUnavailable = "CustomerChannelUnavailable"
)

// Activities are the customer domain's Temporal activities on task queue
// "customer": thin adapters over the customer service and notifier.
type Activities struct {
	log      *slog.Logger
	svc      *customer.Service
	notifier *customer.Notifier
}

// New returns the activities.
func New(log *slog.Logger, svc *customer.Service, notifier *customer.Notifier) *Activities {
	return &Activities{log: log, svc: svc, notifier: notifier}
}

// templateFor maps a booking event to its template.
func templateFor(event string) (string, bool) {
	switch event {
	case EventHeld:
		return customer.TemplateBookingHeld, true
	case EventConfirmed:
		return customer.TemplateBookingConfirmed, true
	case EventPaymentFailed:
		return customer.TemplateBookingPaymentFailed, true
	case EventHoldExpiring:
		return customer.TemplateBookingHoldExpiring, true
	case EventExpired:
		return customer.TemplateBookingExpired, true
	case EventCancelled:
		return customer.TemplateBookingCancelled, true
	case EventRefunded:
		return customer.TemplateBookingRefunded, true
	case EventChanged:
		return customer.TemplateBookingChanged, true
	case EventFailed:
		return customer.TemplateBookingFailed, true
	case EventRebooked:
		return customer.TemplateBookingRebooked, true
	case EventDisrupted:
		return customer.TemplateBookingDisrupted, true
	case EventRetimed:
		return customer.TemplateBookingRetimed, true
	}
	return "", false
}

// SendBookingNotification tells a customer what happened to a booking: by
// email (the input's address, else the profile's), and by SMS and push when
// the customer's profile asks for booking updates there. It is idempotent
// per (BookingID, Event, Sequence) and channel: a retried or duplicated
// activity sends each message once (ACCEPTANCE T4), and Duplicate reports a
// repeat. A message a rate limit refuses is recorded as suppressed so the
// saga is never stalled. Refusals (non-retryable): CustomerUnknownEvent,
// CustomerInvalidInput, CustomerTemplateDataMissing, CustomerNoRecipient,
// CustomerChannelUnavailable. Delivery failures are retried, and so is a
// message whose delivery another attempt still holds.
func (a *Activities) SendBookingNotification(ctx context.Context, in SendBookingNotificationInput) (SendBookingNotificationResult, error) {
	op := fmt.Sprintf("send booking notification %s/%s/%d", in.BookingID, in.Event, in.Sequence)
	tpl, ok := templateFor(in.Event)
	if !ok {
		return SendBookingNotificationResult{}, temporal.NewNonRetryableApplicationError(op+": unknown event", ErrTypeUnknownEvent, nil)
	}
	if in.BookingID == "" {
		return SendBookingNotificationResult{}, temporal.NewNonRetryableApplicationError(op+": bookingId is required", ErrTypeInvalidInput, nil)
	}

	var profile *customer.Profile
	if in.CustomerID != "" {
		p, err := a.svc.Profile(ctx, in.CustomerID)
		switch {
		case err == nil:
			profile = &p
		case !errors.Is(err, customer.ErrNotFound):
			return SendBookingNotificationResult{}, fmt.Errorf("%s: %w", op, err)
		}
	}

	type target struct {
		ch customer.Channel
		to string
	}
	var targets []target
	email := in.Email
	if email == "" && profile != nil {
		email = profile.Email
	}
	if email != "" {
		targets = append(targets, target{customer.ChannelEmail, email})
	}
	if profile != nil && profile.WantsChannel(customer.ChannelSMS) {
		phone := in.Phone
		if phone == "" && profile.PhoneVerified {
			phone = profile.Phone
		}
		if phone != "" {
			targets = append(targets, target{customer.ChannelSMS, phone})
		}
	}
	if profile != nil && profile.WantsChannel(customer.ChannelPush) {
		targets = append(targets, target{customer.ChannelPush, "user:" + profile.UserID})
	}
	if len(targets) == 0 {
		return SendBookingNotificationResult{}, temporal.NewNonRetryableApplicationError(op+": no email address and no other channel", ErrTypeNoRecipient, nil)
	}

	data := maps.Clone(in.Data)
	if data == nil {
		data = map[string]string{}
	}
	data["bookingId"] = in.BookingID
	if _, ok := data["givenName"]; !ok && profile != nil && profile.GivenName != "" {
		data["givenName"] = profile.GivenName
	}

	res := SendBookingNotificationResult{NotificationIDs: []string{}, Duplicate: true}
	for _, t := range targets {
		sent, err := a.notifier.Send(ctx, customer.SendRequest{
			Channel: t.ch, UserID: in.CustomerID, To: t.to, TemplateID: tpl, Language: in.Language, Data: data,
			DedupeKey:           fmt.Sprintf("booking/%s/%s/%d/%s", in.BookingID, in.Event, in.Sequence, t.ch),
			SuppressWhenLimited: true,
		})
		if err != nil {
			return SendBookingNotificationResult{}, refusal(op+" by "+string(t.ch), err)
		}
		if !sent.Notification.Status.Final() {
			// Another attempt holds the delivery (e.g. one that timed out and
			// is still running): retry until it is sent or its lease ends.
			return SendBookingNotificationResult{}, fmt.Errorf("%s by %s: notification %s is still %s", op, t.ch, sent.Notification.ID, sent.Notification.Status)
		}
		res.NotificationIDs = append(res.NotificationIDs, sent.Notification.ID)
		res.Duplicate = res.Duplicate && sent.Duplicate
	}
	return res, nil
}

// refusal turns the customer domain's refusals into non-retryable
// application errors; anything else (delivery failures, store outages) is
// returned for Temporal to retry.
func refusal(op string, err error) error {
	var errType string
	switch {
	case errors.Is(err, customer.ErrMissingTemplateData), errors.Is(err, customer.ErrUnknownTemplate):
		errType = ErrTypeTemplateData
	case errors.Is(err, customer.ErrNoRecipient):
		errType = ErrTypeNoRecipient
	case errors.Is(err, customer.ErrInvalid), errors.Is(err, customer.ErrChannelNotAllowed):
		errType = ErrTypeInvalidInput
	case errors.Is(err, customer.ErrChannelUnavailable):
		errType = ErrTypeChannelUnavailable
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %v", op, err), errType, err)
}
