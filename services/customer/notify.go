package customer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Message is what a channel adapter delivers.
type Message struct {
	// ID is the notification id; adapters pass it to providers as their
	// idempotency key or Message-ID so a retried delivery is not duplicated.
	ID         string
	Channel    Channel
	To         string
	TemplateID string
	Language   string
	Subject    string
	Text       string
	HTML       string
	Short      string
}

// Sender delivers messages on one channel.
type Sender interface {
	// Send delivers m and returns the provider's message id.
	Send(ctx context.Context, m Message) (providerMessageID string, err error)
}

// Limits are the notification rate limits. A zero Rate disables a limit.
type Limits struct {
	// PerRecipient bounds the messages to one address on one channel.
	PerRecipient Rate
	// PerTemplate bounds the messages of one template to one address.
	PerTemplate Rate
}

// DefaultLimits are generous enough for every booking flow and stop a
// runaway caller from flooding a customer.
func DefaultLimits() Limits {
	return Limits{
		PerRecipient: Rate{Max: 30, Per: time.Hour},
		PerTemplate:  Rate{Max: 10, Per: time.Hour},
	}
}

// SendRequest asks for one message. Either UserID (the address comes from
// the profile) or To must be set.
type SendRequest struct {
	Channel    Channel
	UserID     string
	To         string
	TemplateID string
	Language   string
	Data       map[string]string
	// DedupeKey, when set, makes the request idempotent: the same key sends
	// at most one message, and a repeat returns the first record.
	DedupeKey string
	// SuppressWhenLimited records a message a rate limit refuses as
	// suppressed (reason "rate_limited") instead of returning
	// *RateLimitError: for system messages whose sender must not stall.
	SuppressWhenLimited bool
}

// SendResult is the record of a send and whether it repeated an earlier one.
type SendResult struct {
	Notification Notification
	Duplicate    bool
}

// Notifier renders templates from the allow-list and delivers them.
type Notifier struct {
	log       *slog.Logger
	store     Store
	templates *Templates
	senders   map[Channel]Sender
	limiter   *Limiter
	limits    Limits
	now       func() time.Time
	lease     time.Duration
}

// NotifierConfig configures a Notifier.
type NotifierConfig struct {
	Log       *slog.Logger
	Store     Store
	Templates *Templates
	// Senders by channel; a channel without one answers ErrChannelUnavailable.
	Senders map[Channel]Sender
	Limits  Limits
	Now     func() time.Time
	// Lease is how long a delivery attempt owns a record (default 1 minute).
	Lease time.Duration
}

// NewNotifier returns a notifier.
func NewNotifier(cfg NotifierConfig) *Notifier {
	if cfg.Lease == 0 {
		cfg.Lease = time.Minute
	}
	return &Notifier{
		log: cfg.Log, store: cfg.Store, templates: cfg.Templates, senders: cfg.Senders,
		limiter: NewLimiter(cfg.Store, cfg.Now), limits: cfg.Limits, now: cfg.Now, lease: cfg.Lease,
	}
}

// Templates returns the allow-list.
func (n *Notifier) Templates() *Templates { return n.templates }

// Send renders and delivers one message. It checks the request before
// recording anything: ErrUnknownTemplate, ErrChannelNotAllowed,
// *TemplateDataError, ErrNoRecipient, ErrInvalid (bad address),
// ErrChannelUnavailable and *RateLimitError leave no record. A recipient who
// opted out of a non-transactional message gets a suppressed record, and so
// does a rate-limited message with SuppressWhenLimited. A
// delivery failure records the message as failed and returns
// ErrDeliveryFailed; sending again with the same DedupeKey retries it.
func (n *Notifier) Send(ctx context.Context, req SendRequest) (SendResult, error) {
	tpl, err := n.templates.Lookup(req.TemplateID)
	if err != nil {
		return SendResult{}, err
	}
	if !req.Channel.Valid() {
		return SendResult{}, &ValidationError{Fields: []FieldError{{Field: "channel", Reason: "must be one of email, sms, push"}}}
	}
	if !tpl.Allows(req.Channel) {
		return SendResult{}, fmt.Errorf("template %s on %s: %w", tpl.ID(), req.Channel, ErrChannelNotAllowed)
	}
	sender := n.senders[req.Channel]
	if sender == nil {
		return SendResult{}, fmt.Errorf("send %s: %w", req.Channel, ErrChannelUnavailable)
	}

	var existing *Notification
	if req.DedupeKey != "" {
		prev, err := n.store.Notification(ctx, NotificationID(req.DedupeKey))
		switch {
		case err == nil:
			if prev.Status.Final() {
				return SendResult{Notification: prev, Duplicate: true}, nil
			}
			existing = &prev
		case !errors.Is(err, ErrNotFound):
			return SendResult{}, fmt.Errorf("send %s: %w", req.DedupeKey, err)
		}
	}

	var profile *Profile
	if req.UserID != "" {
		p, err := n.store.Profile(ctx, req.UserID)
		switch {
		case errors.Is(err, ErrNotFound):
			if req.To == "" {
				return SendResult{}, fmt.Errorf("user %s has no profile: %w", req.UserID, ErrNoRecipient)
			}
		case err != nil:
			return SendResult{}, fmt.Errorf("send to user %s: %w", req.UserID, err)
		default:
			profile = &p
		}
	}
	to, err := recipient(req, profile)
	if err != nil {
		return SendResult{}, err
	}
	lang := req.Language
	if lang == "" && profile != nil {
		lang = profile.Preferences.Language
	}
	msg, err := tpl.Render(lang, req.Data)
	if err != nil {
		return SendResult{}, err
	}

	now := n.now().UTC()
	rec := Notification{
		ID: newID("ntf"), DedupeKey: req.DedupeKey, UserID: req.UserID, Channel: req.Channel, Recipient: to,
		TemplateID: tpl.ID(), Category: tpl.Category(), Language: msg.Language, Data: tpl.Redact(req.Data),
		Subject: msg.Subject, Status: StatusQueued, CreatedAt: now, UpdatedAt: now,
	}
	if rec.DedupeKey == "" {
		rec.DedupeKey = rec.ID
	} else {
		rec.ID = NotificationID(rec.DedupeKey)
	}
	if existing == nil {
		if profile != nil && !tpl.Category().Transactional() && profile.OptedOut(tpl.Category(), req.Channel) {
			rec.Status, rec.Reason = StatusSuppressed, "opted_out"
			return n.insert(ctx, rec)
		}
		if err := n.limiter.AllowAll(ctx,
			Limit{Name: "per-recipient", Key: "rcpt|" + string(req.Channel) + "|" + to, Rate: n.limits.PerRecipient},
			Limit{Name: "per-template", Key: "tpl|" + tpl.ID() + "|" + string(req.Channel) + "|" + to, Rate: n.limits.PerTemplate},
		); err != nil {
			var rl *RateLimitError
			if req.SuppressWhenLimited && errors.As(err, &rl) {
				rec.Status, rec.Reason = StatusSuppressed, "rate_limited: "+rl.Limit
				n.log.WarnContext(ctx, "notification suppressed by rate limit", "template", tpl.ID(), "channel", req.Channel, "limit", rl.Limit, "dedupe_key", rec.DedupeKey)
				return n.insert(ctx, rec)
			}
			return SendResult{}, err
		}
		res, err := n.insert(ctx, rec)
		if err != nil || res.Duplicate && res.Notification.Status.Final() {
			return res, err
		}
		existing = &res.Notification
	}
	return n.deliver(ctx, sender, *existing, msg)
}

// insert records rec; a concurrent duplicate returns the other record.
func (n *Notifier) insert(ctx context.Context, rec Notification) (SendResult, error) {
	err := n.store.InsertNotification(ctx, rec)
	if errors.Is(err, ErrDuplicate) {
		prev, err := n.store.Notification(ctx, rec.ID)
		if err != nil {
			return SendResult{}, fmt.Errorf("send %s: %w", rec.DedupeKey, err)
		}
		return SendResult{Notification: prev, Duplicate: true}, nil
	}
	if err != nil {
		return SendResult{}, fmt.Errorf("record notification %s: %w", rec.DedupeKey, err)
	}
	return SendResult{Notification: rec}, nil
}

// deliver claims rec and hands it to the channel. When another sender holds
// the claim, or finished meanwhile, it returns that record as a duplicate.
func (n *Notifier) deliver(ctx context.Context, sender Sender, rec Notification, msg Rendered) (SendResult, error) {
	now := n.now().UTC()
	claimed, ok, err := n.store.ClaimNotification(ctx, rec.ID, now, now.Add(n.lease))
	if err != nil {
		return SendResult{}, fmt.Errorf("claim notification %s: %w", rec.ID, err)
	}
	if !ok {
		return SendResult{Notification: claimed, Duplicate: true}, nil
	}
	providerID, sendErr := sender.Send(ctx, Message{
		ID: claimed.ID, Channel: claimed.Channel, To: claimed.Recipient, TemplateID: claimed.TemplateID,
		Language: msg.Language, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, Short: msg.Short,
	})
	done := n.now().UTC()
	status, reason := StatusSent, ""
	if sendErr != nil {
		status, reason = StatusFailed, sendErr.Error()
	}
	// Record the outcome even when the caller's context was cancelled.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := n.store.FinishNotification(fctx, claimed.ID, status, providerID, reason, done); err != nil {
		return SendResult{}, fmt.Errorf("finish notification %s: %w", claimed.ID, err)
	}
	claimed.Status, claimed.Reason, claimed.ProviderMessageID, claimed.UpdatedAt = status, reason, providerID, done
	if sendErr != nil {
		n.log.WarnContext(ctx, "notification delivery failed", "notification_id", claimed.ID, "channel", claimed.Channel, "template", claimed.TemplateID, "attempt", claimed.Attempts, "err", sendErr)
		return SendResult{Notification: claimed}, fmt.Errorf("deliver notification %s: %w: %w", claimed.ID, ErrDeliveryFailed, sendErr)
	}
	claimed.SentAt = done
	n.log.InfoContext(ctx, "notification sent", "notification_id", claimed.ID, "channel", claimed.Channel, "template", claimed.TemplateID, "provider_message_id", providerID)
	return SendResult{Notification: claimed}, nil
}

// recipient picks the address: To when given, else the profile's.
func recipient(req SendRequest, p *Profile) (string, error) {
	if req.To != "" {
		switch req.Channel {
		case ChannelEmail:
			if !ValidEmail(req.To) {
				return "", &ValidationError{Fields: []FieldError{{Field: "to", Reason: "must be an email address"}}}
			}
		case ChannelSMS:
			if !ValidPhone(req.To) {
				return "", &ValidationError{Fields: []FieldError{{Field: "to", Reason: "must be an E.164 phone number"}}}
			}
		case ChannelPush:
			if len(req.To) > 256 {
				return "", &ValidationError{Fields: []FieldError{{Field: "to", Reason: "must be a push token of at most 256 characters"}}}
			}
		}
		return req.To, nil
	}
	if p == nil {
		return "", fmt.Errorf("no user id and no address: %w", ErrNoRecipient)
	}
	switch req.Channel {
	case ChannelEmail:
		if p.Email != "" {
			return p.Email, nil
		}
	case ChannelSMS:
		if p.Phone != "" && p.PhoneVerified {
			return p.Phone, nil
		}
	case ChannelPush:
		// The push provider addresses a user's devices by the user id.
		return "user:" + p.UserID, nil
	}
	return "", fmt.Errorf("user %s has no %s address: %w", p.UserID, req.Channel, ErrNoRecipient)
}

// ListNotifications returns a user's or an address's notification records,
// newest first.
func (n *Notifier) ListNotifications(ctx context.Context, f NotificationFilter) ([]Notification, error) {
	out, err := n.store.ListNotifications(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// NotificationID is the id of the notification with a dedupe key: a hash,
// so that the key (which may name a booking) is not the public id.
func NotificationID(dedupeKey string) string {
	sum := sha256.Sum256([]byte(dedupeKey))
	return "ntf_" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16])
}

// newID returns a random id with a prefix, e.g. ntf_3f9c....
func newID(prefix string) string {
	return prefix + "_" + rand.Text()
}
