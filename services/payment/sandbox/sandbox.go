// Package sandbox is SkyFly's built-in test payment provider. It behaves like
// a real one: test tokens decide the outcome (success, decline, insufficient
// funds, 3-D Secure with a challenge page, delayed processing), every call is
// idempotent on its key, latency and failures can be injected for fault
// tests, and outcomes that complete later are announced by signed webhooks
// delivered over HTTP with retries and backoff. Its state lives in the
// payment database.
package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/services/payment"
)

// Name is the provider name clients send ("provider": "sandbox").
const Name = "sandbox"

// Test tokens.
const (
	TokenVisa                 = "tok_visa"
	TokenMastercard           = "tok_mastercard"
	TokenChargeDeclined       = "tok_chargeDeclined"
	TokenInsufficientFunds    = "tok_insufficientFunds"
	TokenThreeDSecureRequired = "tok_threeDSecureRequired"
	TokenProcessingDelay      = "tok_processingDelay"
)

// Decline codes.
const (
	DeclineCardDeclined         = "card_declined"
	DeclineInsufficientFunds    = "insufficient_funds"
	DeclineAuthenticationFailed = "authentication_failed"
)

type card struct {
	brand, last4, decline string
	threeDS, delayed      bool
}

func cardFor(token string) (card, bool) {
	switch token {
	case TokenVisa:
		return card{brand: "visa", last4: "4242"}, true
	case TokenMastercard:
		return card{brand: "mastercard", last4: "4444"}, true
	case TokenChargeDeclined:
		return card{brand: "visa", last4: "0002", decline: DeclineCardDeclined}, true
	case TokenInsufficientFunds:
		return card{brand: "visa", last4: "9995", decline: DeclineInsufficientFunds}, true
	case TokenThreeDSecureRequired:
		return card{brand: "visa", last4: "3184", threeDS: true}, true
	case TokenProcessingDelay:
		return card{brand: "visa", last4: "1881", delayed: true}, true
	}
	return card{}, false
}

// Faults inject failures for fault tests. Rates are probabilities in [0,1].
type Faults struct {
	// Latency is added to every call.
	Latency time.Duration
	// FailureRate fails a call with payment.ErrProviderUnavailable before it
	// has any effect.
	FailureRate float64
	// AmbiguousRate fails a call after its effect happened (a timeout on
	// the way back), as real networks do (ACCEPTANCE T8).
	AmbiguousRate float64
}

// Config configures the sandbox.
type Config struct {
	Store   Store
	Secrets secrets.Provider
	Log     *slog.Logger
	// WebhookURL receives the signed webhooks (SkyFly's
	// /api/v1/payments/webhooks/provider).
	WebhookURL string
	// ChallengeURL is the 3-D Secure page prefix; the payment id is appended.
	ChallengeURL string
	// ProcessingDelay is how long tok_processingDelay takes (default 3s).
	ProcessingDelay time.Duration
	Faults          Faults
	HTTPClient      *http.Client
	Now             func() time.Time
	// Rand returns a float in [0,1) for fault injection; defaults to math/rand/v2.
	Rand  func() float64
	NewID func(prefix string) string
}

// Provider is the sandbox payment provider; it implements payment.Provider.
type Provider struct {
	store      Store
	secrets    secrets.Provider
	log        *slog.Logger
	webhookURL string
	challenge  string
	delay      time.Duration
	faults     Faults
	http       *http.Client
	now        func() time.Time
	rand       func() float64
	newID      func(prefix string) string
}

var _ payment.Provider = (*Provider)(nil)

// New returns a sandbox provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Store == nil || cfg.Secrets == nil {
		return nil, errors.New("sandbox: New needs a Store and Secrets")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ProcessingDelay <= 0 {
		cfg.ProcessingDelay = 3 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.NewID == nil {
		cfg.NewID = payment.RandomID
	}
	return &Provider{store: cfg.Store, secrets: cfg.Secrets, log: cfg.Log, webhookURL: cfg.WebhookURL, challenge: cfg.ChallengeURL,
		delay: cfg.ProcessingDelay, faults: cfg.Faults, http: cfg.HTTPClient, now: cfg.Now, rand: cfg.Rand, newID: cfg.NewID}, nil
}

// errRace asks idempotent to re-run after losing an insert race.
var errRace = errors.New("sandbox: lost request race")

// idempotent runs op once per (key, op name): a repeat with the same
// parameters gets the stored response, with other parameters
// payment.ErrIdempotencyConflict.
func (p *Provider) idempotent(ctx context.Context, key, op string, params any, fn func(tx Store) (chargeID string, resp any, err error), out any) error {
	if err := p.before(ctx); err != nil {
		return err
	}
	b, _ := json.Marshal(params)
	sum := sha256.Sum256(append([]byte(op+"\n"), b...))
	hash := hex.EncodeToString(sum[:])
	var err error
	for range 5 {
		err = p.store.SandboxTx(ctx, func(tx Store) error {
			prev, ok, err := tx.GetRequest(ctx, key, op)
			if err != nil {
				return err
			}
			if ok {
				if prev.RequestHash != hash {
					return fmt.Errorf("%w: sandbox %s key %s", payment.ErrIdempotencyConflict, op, key)
				}
				return json.Unmarshal([]byte(prev.Response), out)
			}
			chargeID, resp, err := fn(tx)
			if err != nil {
				return err
			}
			rb, err := json.Marshal(resp)
			if err != nil {
				return err
			}
			inserted, err := tx.InsertRequest(ctx, Request{Key: key, Op: op, RequestHash: hash, ChargeID: chargeID, Response: string(rb), CreatedAt: p.now().UTC()})
			if err != nil {
				return err
			}
			if !inserted {
				return errRace
			}
			return json.Unmarshal(rb, out)
		})
		if !errors.Is(err, errRace) {
			break
		}
	}
	if err != nil {
		return err
	}
	return p.after()
}

func (p *Provider) before(ctx context.Context) error {
	if p.faults.Latency > 0 {
		t := time.NewTimer(p.faults.Latency)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	if p.faults.FailureRate > 0 && p.rand() < p.faults.FailureRate {
		return fmt.Errorf("%w: sandbox injected failure", payment.ErrProviderUnavailable)
	}
	return nil
}

func (p *Provider) after() error {
	if p.faults.AmbiguousRate > 0 && p.rand() < p.faults.AmbiguousRate {
		return fmt.Errorf("%w: sandbox injected timeout after the effect", payment.ErrProviderUnavailable)
	}
	return nil
}

// Authorize implements payment.Provider.
func (p *Provider) Authorize(ctx context.Context, req payment.AuthorizeRequest) (payment.AuthorizeResponse, error) {
	c, ok := cardFor(req.Token)
	if !ok {
		return payment.AuthorizeResponse{}, &payment.InputError{Field: "token", Reason: "is not a sandbox test token (tok_visa, tok_mastercard, tok_chargeDeclined, tok_insufficientFunds, tok_threeDSecureRequired, tok_processingDelay)"}
	}
	var resp payment.AuthorizeResponse
	params := []any{req.PaymentID, req.Amount.Amount, req.Amount.Currency, req.Token, req.ReturnURL}
	err := p.idempotent(ctx, req.IdempotencyKey, "authorize", params, func(tx Store) (string, any, error) {
		now := p.now().UTC()
		ch := Charge{ID: p.newID("ch"), PaymentID: req.PaymentID, Token: req.Token, Amount: req.Amount, Brand: c.brand, Last4: c.last4, CreatedAt: now, UpdatedAt: now}
		r := payment.AuthorizeResponse{Ref: ch.ID, Brand: c.brand, Last4: c.last4}
		switch {
		case c.decline != "":
			ch.Status, ch.DeclineCode = ChargeDeclined, c.decline
			r.Outcome, r.DeclineCode = payment.AuthDeclined, c.decline
		case c.threeDS:
			ch.Status = ChargeRequiresAction
			r.Outcome, r.NextActionURL = payment.AuthRequiresAction, p.challenge+req.PaymentID
		case c.delayed:
			at := now.Add(p.delay)
			ch.Status, ch.CompleteAt = ChargeProcessing, &at
			r.Outcome = payment.AuthPending
		default:
			ch.Status = ChargeAuthorized
			r.Outcome = payment.AuthAuthorized
		}
		if err := tx.CreateCharge(ctx, ch); err != nil {
			return "", nil, err
		}
		return ch.ID, r, nil
	}, &resp)
	if err != nil {
		return payment.AuthorizeResponse{}, fmt.Errorf("sandbox authorize %s: %w", req.PaymentID, err)
	}
	return resp, nil
}

type ack struct {
	Status string `json:"status"`
}

// Capture implements payment.Provider.
func (p *Provider) Capture(ctx context.Context, req payment.CaptureRequest) error {
	var out ack
	err := p.idempotent(ctx, req.IdempotencyKey, "capture", []any{req.Ref, req.Amount.Amount, req.Amount.Currency}, func(tx Store) (string, any, error) {
		ch, err := tx.GetCharge(ctx, req.Ref)
		if err != nil {
			return "", nil, err
		}
		if ch.Status != ChargeAuthorized {
			return "", nil, fmt.Errorf("%w: sandbox charge %s is %s", payment.ErrInvalidTransition, ch.ID, ch.Status)
		}
		if req.Amount.Currency != ch.Amount.Currency || req.Amount.Amount <= 0 || req.Amount.Amount > ch.Amount.Amount {
			return "", nil, &payment.InputError{Field: "amount", Reason: "exceeds the authorization"}
		}
		ch.Status, ch.Captured, ch.UpdatedAt = ChargeCaptured, req.Amount.Amount, p.now().UTC()
		return ch.ID, ack{ch.Status}, tx.UpdateCharge(ctx, ch)
	}, &out)
	if err != nil {
		return fmt.Errorf("sandbox capture %s: %w", req.Ref, err)
	}
	return nil
}

// Void implements payment.Provider. Voiding a canceled or declined charge
// succeeds without effect.
func (p *Provider) Void(ctx context.Context, req payment.VoidRequest) error {
	var out ack
	err := p.idempotent(ctx, req.IdempotencyKey, "void", []any{req.Ref}, func(tx Store) (string, any, error) {
		ch, err := tx.GetCharge(ctx, req.Ref)
		if err != nil {
			return "", nil, err
		}
		switch ch.Status {
		case ChargeCanceled, ChargeDeclined:
			return ch.ID, ack{ch.Status}, nil
		case ChargeAuthorized, ChargeRequiresAction, ChargeProcessing:
		default:
			return "", nil, fmt.Errorf("%w: sandbox charge %s is %s", payment.ErrInvalidTransition, ch.ID, ch.Status)
		}
		ch.Status, ch.CompleteAt, ch.UpdatedAt = ChargeCanceled, nil, p.now().UTC()
		return ch.ID, ack{ch.Status}, tx.UpdateCharge(ctx, ch)
	}, &out)
	if err != nil {
		return fmt.Errorf("sandbox void %s: %w", req.Ref, err)
	}
	return nil
}

// Refund implements payment.Provider.
func (p *Provider) Refund(ctx context.Context, req payment.RefundRequest) error {
	var out ack
	err := p.idempotent(ctx, req.IdempotencyKey, "refund", []any{req.Ref, req.Amount.Amount, req.Amount.Currency}, func(tx Store) (string, any, error) {
		ch, err := tx.GetCharge(ctx, req.Ref)
		if err != nil {
			return "", nil, err
		}
		if ch.Status != ChargeCaptured && ch.Status != ChargePartiallyRefunded {
			return "", nil, fmt.Errorf("%w: sandbox charge %s is %s", payment.ErrNothingToRefund, ch.ID, ch.Status)
		}
		if req.Amount.Currency != ch.Amount.Currency || req.Amount.Amount <= 0 || req.Amount.Amount > ch.Captured-ch.Refunded {
			return "", nil, &payment.InputError{Field: "amount", Reason: "exceeds what is left to refund"}
		}
		ch.Refunded += req.Amount.Amount
		ch.Status = ChargePartiallyRefunded
		if ch.Refunded == ch.Captured {
			ch.Status = ChargeRefunded
		}
		ch.UpdatedAt = p.now().UTC()
		return ch.ID, ack{ch.Status}, tx.UpdateCharge(ctx, ch)
	}, &out)
	if err != nil {
		return fmt.Errorf("sandbox refund %s: %w", req.Ref, err)
	}
	return nil
}

// Challenge returns the charge awaiting 3-D Secure for a payment, or
// payment.ErrNotFound.
func (p *Provider) Challenge(ctx context.Context, paymentID string) (Charge, error) {
	ch, err := p.store.LatestChargeForPayment(ctx, paymentID)
	if err != nil {
		return Charge{}, fmt.Errorf("sandbox challenge %s: %w", paymentID, err)
	}
	return ch, nil
}

// CompleteChallenge records the customer's 3-D Secure answer and queues the
// signed webhook that tells SkyFly. Completing a challenge twice keeps the
// first answer. It returns payment.ErrNotFound or
// payment.ErrInvalidTransition when no challenge is pending.
func (p *Provider) CompleteChallenge(ctx context.Context, paymentID string, approve bool) (Charge, error) {
	var out Charge
	err := p.store.SandboxTx(ctx, func(tx Store) error {
		ch, err := tx.LatestChargeForPayment(ctx, paymentID)
		if err != nil {
			return err
		}
		if ch.Token != TokenThreeDSecureRequired {
			return fmt.Errorf("%w: payment %s has no 3-D Secure challenge", payment.ErrInvalidTransition, paymentID)
		}
		if ch.Status != ChargeRequiresAction {
			out = ch
			return nil
		}
		if approve {
			ch.Status = ChargeAuthorized
		} else {
			ch.Status, ch.DeclineCode = ChargeDeclined, DeclineAuthenticationFailed
		}
		ch.UpdatedAt = p.now().UTC()
		if err := tx.UpdateCharge(ctx, ch); err != nil {
			return err
		}
		out = ch
		return p.enqueue(ctx, tx, ch)
	})
	if err != nil {
		return Charge{}, fmt.Errorf("sandbox complete challenge %s: %w", paymentID, err)
	}
	return out, nil
}

// CompleteDue finishes processing authorizations whose delay has passed and
// queues their webhooks. It returns how many completed.
func (p *Provider) CompleteDue(ctx context.Context) (int, error) {
	due, err := p.store.DueCompletions(ctx, p.now().UTC(), 100)
	if err != nil {
		return 0, fmt.Errorf("sandbox completions: %w", err)
	}
	n := 0
	for _, c := range due {
		err := p.store.SandboxTx(ctx, func(tx Store) error {
			ch, err := tx.GetCharge(ctx, c.ID)
			if err != nil || ch.Status != ChargeProcessing {
				return err
			}
			ch.Status, ch.CompleteAt, ch.UpdatedAt = ChargeAuthorized, nil, p.now().UTC()
			if err := tx.UpdateCharge(ctx, ch); err != nil {
				return err
			}
			n++
			return p.enqueue(ctx, tx, ch)
		})
		if err != nil {
			return n, fmt.Errorf("sandbox complete %s: %w", c.ID, err)
		}
	}
	return n, nil
}

func (p *Provider) enqueue(ctx context.Context, tx Store, ch Charge) error {
	ev := payment.EventPayload{ID: p.newID("evt"), Created: p.now().Unix(), Data: payment.EventData{
		PaymentID: ch.PaymentID, ProviderRef: ch.ID, Brand: ch.Brand, Last4: ch.Last4,
	}}
	switch ch.Status {
	case ChargeAuthorized:
		ev.Type, ev.Data.Status = payment.EventAuthorized, payment.StatusAuthorized
	case ChargeDeclined:
		ev.Type, ev.Data.Status, ev.Data.DeclineCode = payment.EventFailed, payment.StatusFailed, ch.DeclineCode
	default:
		return fmt.Errorf("sandbox: no webhook for charge state %s", ch.Status)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return tx.EnqueueWebhook(ctx, Webhook{EventID: ev.ID, Payload: string(b), NextAttemptAt: p.now().UTC()})
}

// Webhook delivery limits.
const (
	webhookMaxAttempts = 20
	webhookMaxBackoff  = time.Minute
)

// DeliverDue posts every due webhook once, signed with the current webhook
// secret, and reschedules failures with exponential backoff. It returns how
// many were delivered.
func (p *Provider) DeliverDue(ctx context.Context) (int, error) {
	due, err := p.store.DueWebhooks(ctx, p.now().UTC(), 50)
	if err != nil {
		return 0, fmt.Errorf("sandbox webhooks: %w", err)
	}
	n := 0
	for _, w := range due {
		err := p.post(ctx, []byte(w.Payload))
		now := p.now().UTC()
		w.Attempts++
		if err == nil {
			w.DeliveredAt, w.LastError = &now, ""
			n++
		} else {
			w.LastError = err.Error()
			w.NextAttemptAt = now.Add(min(time.Second<<min(w.Attempts-1, 10), webhookMaxBackoff))
			w.GaveUp = w.Attempts >= webhookMaxAttempts
			p.log.WarnContext(ctx, "sandbox webhook delivery failed", "event_id", w.EventID, "attempt", w.Attempts, "err", err)
		}
		if err := p.store.UpdateWebhook(ctx, w); err != nil {
			return n, fmt.Errorf("sandbox webhook %s: %w", w.EventID, err)
		}
	}
	return n, nil
}

func (p *Provider) post(ctx context.Context, body []byte) error {
	if p.webhookURL == "" {
		return errors.New("no webhook URL configured")
	}
	key, err := p.secrets.Current(ctx, secrets.KeyWebhookSecret)
	if err != nil {
		return fmt.Errorf("webhook secret: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.webhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(payment.SignatureHeader, payment.Sign(p.now(), body, key.Material))
	resp, err := p.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", strings.TrimSpace(resp.Status))
	}
	return nil
}

// Run completes delayed authorizations and delivers webhooks every
// interval until ctx ends.
func (p *Provider) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := p.CompleteDue(ctx); err != nil && ctx.Err() == nil {
			p.log.ErrorContext(ctx, "sandbox completions", "err", err)
		}
		if _, err := p.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			p.log.ErrorContext(ctx, "sandbox webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
