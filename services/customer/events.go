package customer

import (
	"fmt"
	"slices"
)

// Event types the customer domain publishes on skyfly.customer.v1
// (api/events/customer.v1.md documents them). They carry ids, field names
// and statuses, never a name, address, phone number or document.
const (
	EventProfileCreated        = "customer.profile.created"
	EventProfileChanged        = "customer.profile.changed"
	EventNotificationDelivered = "customer.notification.delivered"
	EventNotificationFailed    = "customer.notification.failed"
)

// Aggregate types of the customer domain's events (the Kafka key is the
// aggregate's id).
const (
	AggregateCustomer     = "customer"
	AggregateNotification = "notification"
)

// ProfileEventData is the data of the profile events: which parts of the
// profile changed, not their values.
type ProfileEventData struct {
	CustomerID string   `json:"customerId"`
	Version    int64    `json:"version"`
	Changed    []string `json:"changed"`
}

// NotificationEventData is the data of the notification events. Recipient
// and content stay in the customer store; a failure says only that the
// provider refused or was unreachable (its message may quote the address).
type NotificationEventData struct {
	NotificationID string   `json:"notificationId"`
	CustomerID     string   `json:"customerId,omitempty"`
	Channel        Channel  `json:"channel"`
	TemplateID     string   `json:"templateId"`
	Category       Category `json:"category"`
	Status         Status   `json:"status"`
	Attempt        int      `json:"attempt"`
	Error          string   `json:"error,omitempty"` // "delivery_failed" when failed
}

// ProfileEventID is the id of the event of version v of a profile: one per
// version, so a retried write cannot publish one change under two ids.
func ProfileEventID(userID string, v int64) string { return fmt.Sprintf("%s/profile/%d", userID, v) }

// NotificationEventID is the id of the event of delivery attempt attempt
// of a notification ending in status.
func NotificationEventID(id string, status Status, attempt int) string {
	return fmt.Sprintf("%s/%s/%d", id, status, attempt)
}

// NotificationEventType names the event of a delivery attempt that ended
// in status; ok is false for statuses that publish nothing.
func NotificationEventType(status Status) (string, bool) {
	switch status {
	case StatusSent:
		return EventNotificationDelivered, true
	case StatusFailed:
		return EventNotificationFailed, true
	}
	return "", false
}

// ChangedFields names the parts of a profile that differ between prev and
// next, in a fixed order: email, name, phone, phoneVerified, preferences,
// travellers.
func ChangedFields(prev, next Profile) []string {
	out := []string{}
	if prev.Email != next.Email {
		out = append(out, "email")
	}
	if prev.GivenName != next.GivenName || prev.FamilyName != next.FamilyName {
		out = append(out, "name")
	}
	if prev.Phone != next.Phone {
		out = append(out, "phone")
	}
	if prev.PhoneVerified != next.PhoneVerified || !prev.PhoneVerifiedAt.Equal(next.PhoneVerifiedAt) {
		out = append(out, "phoneVerified")
	}
	if !samePreferences(prev.Preferences, next.Preferences) {
		out = append(out, "preferences")
	}
	if !slices.EqualFunc(prev.Travellers, next.Travellers, sameTraveller) {
		out = append(out, "travellers")
	}
	return out
}

func samePreferences(a, b Preferences) bool {
	return a.Seat == b.Seat && a.Meal == b.Meal && a.Language == b.Language &&
		slices.Equal(a.Channels, b.Channels) && slices.Equal(a.OptOuts, b.OptOuts)
}

func sameTraveller(a, b Traveller) bool {
	if a.ID != b.ID || a.Type != b.Type || a.Title != b.Title || a.GivenName != b.GivenName || a.FamilyName != b.FamilyName ||
		a.DateOfBirth != b.DateOfBirth || a.Gender != b.Gender || (a.Document == nil) != (b.Document == nil) {
		return false
	}
	return a.Document == nil || *a.Document == *b.Document
}
