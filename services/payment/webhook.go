package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// Event types a provider sends.
const (
	EventRequiresAction = "payment.requires_action"
	EventAuthorized     = "payment.authorized"
	EventFailed         = "payment.failed"
	EventCanceled       = "payment.canceled"
	EventCaptured       = "payment.captured"
	EventRefunded       = "payment.refunded"
)

// EventPayload is the JSON body of a provider webhook.
type EventPayload struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Created int64     `json:"created"`
	Data    EventData `json:"data"`
}

// EventData describes the authorization an event is about.
type EventData struct {
	PaymentID   string `json:"paymentId"`
	ProviderRef string `json:"providerRef"`
	Status      Status `json:"status"`
	DeclineCode string `json:"declineCode,omitempty"`
	Brand       string `json:"brand,omitempty"`
	Last4       string `json:"last4,omitempty"`
	Captured    int64  `json:"captured,omitempty"`
	Refunded    int64  `json:"refunded,omitempty"`
}

// BookingEvent is what the booking workflow learns about a payment.
type BookingEvent struct {
	EventID   string
	PaymentID string
	BookingID string
	Type      string
	Status    Status
}

// Signaler delivers payment events to the booking workflow of a booking.
// An error means "not delivered now"; the event stays pending and is retried.
type Signaler interface {
	SignalBooking(ctx context.Context, ev BookingEvent) error
}

// Webhook outcomes.
const (
	OutcomeApplied        = "applied"
	OutcomeStale          = "stale"
	OutcomeUnknownPayment = "unknown_payment"
	OutcomeDuplicate      = "duplicate"
)

// WebhookResult tells what a delivery did.
type WebhookResult struct {
	EventID string
	Outcome string
	Status  Status
}

// Signal delivery backoff.
const (
	signalClaim       = 30 * time.Second
	signalMaxAttempts = 30
	signalMaxBackoff  = 5 * time.Minute
)

// HandleWebhook verifies, stores and applies one provider webhook. The
// signature covers the raw body (ACCEPTANCE W1, W2); the event is stored
// once by id and applied in the same transaction, so duplicates in sequence
// or in parallel have one effect (W3); the intent walks the state machine to
// the event's state, and an event for an earlier state is stale (W4). The
// booking workflow is signalled after commit; when that fails the signal
// stays pending for DeliverPendingSignals and the webhook still succeeds
// (W5). It returns errors wrapping ErrSignature, ErrTimestamp or
// ErrInvalidInput for deliveries to refuse.
func (s *Service) HandleWebhook(ctx context.Context, header string, body []byte) (WebhookResult, error) {
	keys, err := s.secrets.Versions(ctx, secrets.KeyWebhookSecret)
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return WebhookResult{}, fmt.Errorf("webhook: secrets: %w", err)
	}
	material := make([][]byte, 0, len(keys))
	for _, k := range keys {
		material = append(material, k.Material)
	}
	if err := VerifySignature(header, body, material, s.now()); err != nil {
		return WebhookResult{}, err
	}
	var p EventPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return WebhookResult{}, &InputError{Field: "body", Reason: "is not a JSON event"}
	}
	if p.ID == "" || p.Data.PaymentID == "" || p.Data.Status == "" {
		return WebhookResult{}, &InputError{Field: "body", Reason: "needs id, data.paymentId and data.status"}
	}
	if _, ok := BookingStatusFor(p.Data.Status); !ok {
		return WebhookResult{}, &InputError{Field: "data.status", Reason: "is not a payment status"}
	}
	now := s.now().UTC()
	res := WebhookResult{EventID: p.ID}
	var sig *PendingSignal
	for attempt := 1; ; attempt++ {
		sig = nil
		err = s.store.Tx(ctx, func(tx Store) error {
			ev := WebhookEvent{ID: p.ID, Type: p.Type, PaymentID: p.Data.PaymentID, Payload: string(body), ReceivedAt: now}
			cur, err := tx.GetIntent(ctx, p.Data.PaymentID)
			if errors.Is(err, ErrNotFound) {
				ev.Outcome = OutcomeUnknownPayment
				inserted, err := tx.InsertEvent(ctx, ev)
				res.Outcome = ev.Outcome
				if err == nil && !inserted {
					res.Outcome = OutcomeDuplicate
				}
				return err
			}
			if err != nil {
				return err
			}
			next := cur
			applyEvent(&next, p.Data)
			ev.Outcome = OutcomeApplied
			if next == cur {
				ev.Outcome = OutcomeStale
			}
			inserted, err := tx.InsertEvent(ctx, ev)
			if err != nil {
				return err
			}
			res.Status = cur.Status
			if !inserted {
				res.Outcome = OutcomeDuplicate
				return nil
			}
			res.Outcome = ev.Outcome
			if ev.Outcome == OutcomeStale {
				return nil
			}
			next.UpdatedAt = now
			if err := tx.UpdateIntent(ctx, next, "provider:"+cur.Provider); err != nil {
				return err
			}
			if _, err := tx.AppendAudit(ctx, AuditEntry{At: now, Actor: "provider:" + cur.Provider, Action: "webhook." + p.Type, PaymentID: cur.ID,
				Reason: "event " + p.ID, Before: snapshot(cur), After: snapshot(next)}); err != nil {
				return err
			}
			res.Status = next.Status
			if cur.BookingID == "" {
				return nil
			}
			sig = &PendingSignal{EventID: p.ID, BookingID: cur.BookingID, PaymentID: cur.ID, Type: p.Type, Status: next.Status, NextAttemptAt: now.Add(signalClaim)}
			return tx.InsertSignal(ctx, *sig)
		})
		if errors.Is(err, ErrVersionConflict) && attempt < 8 {
			continue
		}
		break
	}
	if err != nil {
		return WebhookResult{}, fmt.Errorf("webhook %s: %w", p.ID, err)
	}
	if sig != nil {
		// The event is durable; delivering now is an optimisation. A slow or
		// absent Temporal must not hold up the provider's request.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		s.deliver(sctx, *sig)
		cancel()
	}
	return res, nil
}

// applyEvent moves in along the state machine to the event's state and
// records what the provider reported. An event for a state the intent has
// already passed changes nothing (ACCEPTANCE W4).
func applyEvent(in *Intent, d EventData) {
	path := Path(in.Status, d.Status)
	if path == nil && !(in.Status == d.Status && d.Status == StatusPartiallyRefunded && d.Refunded > in.Refunded) {
		return
	}
	for _, st := range path {
		_ = Transition(in, st) // Path only returns legal steps
	}
	if in.ProviderRef == "" {
		in.ProviderRef = d.ProviderRef
	}
	if d.Brand != "" {
		in.Brand, in.Last4 = d.Brand, d.Last4
	}
	if in.Status == StatusFailed {
		in.DeclineCode = d.DeclineCode
	}
	if in.Status != StatusRequiresAction {
		in.NextActionURL = ""
	}
	if d.Captured > in.Captured {
		in.Captured = d.Captured
	}
	if in.Captured == 0 && (in.Status == StatusCaptured || in.Status == StatusPartiallyRefunded || in.Status == StatusRefunded) {
		in.Captured = in.Amount.Amount
	}
	if d.Refunded > in.Refunded {
		in.Refunded = d.Refunded
	}
	if in.Status == StatusRefunded && in.Refunded < in.Captured {
		in.Refunded = in.Captured
	}
}

// DeliverPendingSignals delivers every due pending signal once and returns
// how many were delivered. Failures are rescheduled with exponential backoff
// and given up after 30 attempts.
func (s *Service) DeliverPendingSignals(ctx context.Context) (int, error) {
	now := s.now().UTC()
	due, err := s.store.DueSignals(ctx, now, 100)
	if err != nil {
		return 0, fmt.Errorf("pending signals: %w", err)
	}
	delivered := 0
	for _, sig := range due {
		claimed, err := s.store.ClaimSignal(ctx, sig.EventID, sig.NextAttemptAt, now.Add(signalClaim))
		if err != nil {
			return delivered, fmt.Errorf("claim signal %s: %w", sig.EventID, err)
		}
		if !claimed {
			continue
		}
		if s.deliver(ctx, sig) {
			delivered++
		}
	}
	return delivered, nil
}

// RunSignalRetrier delivers pending signals every interval until ctx ends.
func (s *Service) RunSignalRetrier(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.DeliverPendingSignals(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "deliver pending payment signals", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// deliver tries one claimed signal and records the outcome.
func (s *Service) deliver(ctx context.Context, sig PendingSignal) bool {
	var err error
	if s.signaler == nil {
		err = errors.New("no signaler configured")
	} else {
		err = s.signaler.SignalBooking(ctx, BookingEvent{EventID: sig.EventID, PaymentID: sig.PaymentID, BookingID: sig.BookingID, Type: sig.Type, Status: sig.Status})
	}
	now := s.now().UTC()
	sig.Attempts++
	if err == nil {
		sig.DeliveredAt = &now
		sig.LastError = ""
	} else {
		sig.LastError = err.Error()
		backoff := time.Second << min(sig.Attempts, 20)
		sig.NextAttemptAt = now.Add(min(backoff, signalMaxBackoff))
		if sig.Attempts >= signalMaxAttempts {
			sig.GaveUp = true
			s.log.ErrorContext(ctx, "gave up signalling booking workflow", "event_id", sig.EventID, "booking_id", sig.BookingID, "err", err)
		} else {
			s.log.WarnContext(ctx, "signal to booking workflow deferred", "event_id", sig.EventID, "booking_id", sig.BookingID, "attempt", sig.Attempts, "err", err)
		}
	}
	if uerr := s.store.UpdateSignal(context.WithoutCancel(ctx), sig); uerr != nil {
		s.log.ErrorContext(ctx, "record signal delivery", "event_id", sig.EventID, "err", uerr)
	}
	return err == nil
}
