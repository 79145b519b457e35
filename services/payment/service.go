package payment

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// Config holds a Service's dependencies.
type Config struct {
	Log   *slog.Logger
	Store Store
	// Providers maps a provider name ("sandbox") to its adapter.
	Providers map[string]Provider
	// Secrets supplies the webhook secret (secrets.KeyWebhookSecret).
	Secrets secrets.Provider
	// Signaler delivers payment events to booking workflows; nil stores
	// them as pending until a Signaler is configured.
	Signaler Signaler
	// Now defaults to time.Now.
	Now func() time.Time
	// NewID returns a fresh id with the given prefix; defaults to random hex.
	NewID func(prefix string) string
	// OperationWait is how long a request waits for a concurrent one with
	// the same idempotency key before ErrInFlight (default 5s).
	OperationWait time.Duration
	// OperationLease is how long an in-flight operation is protected
	// before another caller may take it over (default 60s), for callers
	// that died mid-operation.
	OperationLease time.Duration
}

// Service runs payment intents.
type Service struct {
	log       *slog.Logger
	store     Store
	providers map[string]Provider
	secrets   secrets.Provider
	signaler  Signaler
	now       func() time.Time
	newID     func(prefix string) string
	wait      time.Duration
	lease     time.Duration
}

// NewService returns a Service; Store, Providers and Secrets are required.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil || len(cfg.Providers) == 0 || cfg.Secrets == nil {
		return nil, errors.New("payment: NewService needs a Store, Providers and Secrets")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = RandomID
	}
	if cfg.OperationWait <= 0 {
		cfg.OperationWait = 5 * time.Second
	}
	if cfg.OperationLease <= 0 {
		cfg.OperationLease = time.Minute
	}
	return &Service{
		log: cfg.Log, store: cfg.Store, providers: cfg.Providers, secrets: cfg.Secrets, signaler: cfg.Signaler,
		now: cfg.Now, newID: cfg.NewID, wait: cfg.OperationWait, lease: cfg.OperationLease,
	}, nil
}

// idAlphabet has no digits, so that no generated id can ever look like a
// card number to LooksLikePAN.
const idAlphabet = "abcdefghijklmnopqrstuvwxyz"

// RandomID returns prefix + "_" + 24 random lowercase letters (about 112
// bits).
func RandomID(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + "_" + string(b)
}

// CreateIntentInput creates an intent.
type CreateIntentInput struct {
	IdempotencyKey string
	BookingID      string
	CustomerID     string
	Amount         money.Money
	Provider       string
	// Actor is who acts, for the audit log (a user id or "service:<name>").
	Actor string
}

// AuthorizeInput authorizes an intent with a provider token.
type AuthorizeInput struct {
	IdempotencyKey string
	PaymentID      string
	Token          string
	ReturnURL      string
	Actor          string
}

// CaptureInput captures an authorized intent; nil Amount captures it all.
type CaptureInput struct {
	IdempotencyKey string
	PaymentID      string
	Amount         *money.Money
	Actor          string
}

// VoidInput cancels an intent before capture.
type VoidInput struct {
	IdempotencyKey string
	PaymentID      string
	Reason         string
	Actor          string
}

// RefundInput refunds captured money; nil Amount refunds all that is left.
type RefundInput struct {
	IdempotencyKey string
	PaymentID      string
	Amount         *money.Money
	Reason         string
	Actor          string
}

// Get returns an intent or ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (Intent, error) {
	in, err := s.store.GetIntent(ctx, id)
	if err != nil {
		return Intent{}, fmt.Errorf("get payment %s: %w", id, err)
	}
	return in, nil
}

// CreateIntent creates an intent in requires_payment_method, once per
// idempotency key (ACCEPTANCE P1, T4). It returns ErrIdempotencyConflict,
// ErrUnknownProvider, ErrCardData or an *InputError.
func (s *Service) CreateIntent(ctx context.Context, in CreateIntentInput) (Intent, error) {
	if err := RejectCardData("idempotencyKey", in.IdempotencyKey, "bookingId", in.BookingID, "customerId", in.CustomerID, "provider", in.Provider); err != nil {
		return Intent{}, err
	}
	switch {
	case in.IdempotencyKey == "":
		return Intent{}, &InputError{Field: "idempotencyKey", Reason: "is required"}
	case in.BookingID == "":
		return Intent{}, &InputError{Field: "bookingId", Reason: "is required"}
	case !in.Amount.Valid() || in.Amount.Amount == 0:
		return Intent{}, &InputError{Field: "amount", Reason: "must be a positive amount with an ISO 4217 currency"}
	}
	if _, ok := s.providers[in.Provider]; !ok {
		return Intent{}, fmt.Errorf("%w: %q", ErrUnknownProvider, in.Provider)
	}
	hash := requestHash("create", "", in.BookingID, in.CustomerID, in.Provider, in.Amount.Amount, in.Amount.Currency)
	now := s.now().UTC()
	intent := Intent{
		ID: s.newID("pay"), BookingID: in.BookingID, CustomerID: in.CustomerID, Provider: in.Provider,
		Status: StatusRequiresPaymentMethod, Amount: in.Amount, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	var out Intent
	err := s.store.Tx(ctx, func(tx Store) error {
		existing, created, err := tx.BeginOperation(ctx, Operation{
			Key: in.IdempotencyKey, Kind: "create", PaymentID: intent.ID, RequestHash: hash,
			State: OpDone, CreatedAt: now, LeaseUntil: now,
		})
		if err != nil {
			return err
		}
		if !created {
			if existing.RequestHash != hash || existing.Kind != "create" {
				return fmt.Errorf("%w: key %s", ErrIdempotencyConflict, in.IdempotencyKey)
			}
			out, err = tx.GetIntent(ctx, existing.PaymentID)
			return err
		}
		if err := tx.CreateIntent(ctx, intent, actorOrSystem(in.Actor)); err != nil {
			return err
		}
		if _, err := tx.AppendAudit(ctx, AuditEntry{At: now, Actor: actorOrSystem(in.Actor), Action: "payment.create", PaymentID: intent.ID, After: snapshot(intent)}); err != nil {
			return err
		}
		out = intent
		return nil
	})
	if err != nil {
		return Intent{}, fmt.Errorf("create payment intent for booking %s: %w", in.BookingID, err)
	}
	return out, nil
}

// Authorize authorizes an intent with a provider token, once per key. A
// decline moves the intent to failed and returns it with a *DeclineError;
// 3-D Secure and delayed processing move it to requires_action. It returns
// ErrNotFound, ErrInvalidTransition, ErrIdempotencyConflict, ErrInFlight,
// ErrCardData, ErrDeclined or ErrProviderUnavailable.
func (s *Service) Authorize(ctx context.Context, in AuthorizeInput) (Intent, error) {
	if err := RejectCardData("idempotencyKey", in.IdempotencyKey, "paymentId", in.PaymentID, "token", in.Token, "returnUrl", in.ReturnURL); err != nil {
		return Intent{}, err
	}
	if in.Token == "" {
		return Intent{}, &InputError{Field: "token", Reason: "is required"}
	}
	if in.IdempotencyKey == "" {
		return Intent{}, &InputError{Field: "idempotencyKey", Reason: "is required"}
	}
	hash := requestHash("authorize", in.PaymentID, in.Token, in.ReturnURL)
	return s.runOp(ctx, in.IdempotencyKey, "authorize", in.PaymentID, hash, func(ctx context.Context, cur Intent) (Intent, error) {
		if cur.Status != StatusRequiresPaymentMethod {
			return Intent{}, fmt.Errorf("%w: authorize payment %s in state %s", ErrInvalidTransition, cur.ID, cur.Status)
		}
		p, err := s.provider(cur.Provider)
		if err != nil {
			return Intent{}, err
		}
		resp, err := p.Authorize(ctx, AuthorizeRequest{IdempotencyKey: in.IdempotencyKey, PaymentID: cur.ID, Amount: cur.Amount, Token: in.Token, ReturnURL: in.ReturnURL})
		if err != nil {
			return Intent{}, fmt.Errorf("provider %s authorize: %w", cur.Provider, err)
		}
		if err := RejectCardData("ref", resp.Ref, "nextAction", resp.NextActionURL); err != nil {
			return Intent{}, err
		}
		declineCode := ""
		if resp.Outcome == AuthDeclined {
			declineCode = resp.DeclineCode
		}
		out, err := s.mutate(ctx, cur.ID, in.IdempotencyKey, declineCode, in.Actor, "payment.authorize", "", func(it *Intent) error {
			if it.Status != StatusRequiresPaymentMethod {
				// A webhook for this authorization won the race; it is newer.
				if it.ProviderRef == resp.Ref {
					return nil
				}
				return fmt.Errorf("%w: authorize payment %s in state %s", ErrInvalidTransition, it.ID, it.Status)
			}
			it.Token, it.ProviderRef = in.Token, resp.Ref
			it.Brand, it.Last4 = resp.Brand, resp.Last4
			switch resp.Outcome {
			case AuthAuthorized:
				return Transition(it, StatusAuthorized)
			case AuthRequiresAction:
				it.NextActionURL = resp.NextActionURL
				return Transition(it, StatusRequiresAction)
			case AuthPending:
				return Transition(it, StatusRequiresAction)
			case AuthDeclined:
				it.DeclineCode = resp.DeclineCode
				return Transition(it, StatusFailed)
			}
			return fmt.Errorf("provider %s: unknown authorization outcome %q", cur.Provider, resp.Outcome)
		})
		if err != nil {
			return Intent{}, err
		}
		if declineCode != "" {
			return out, &DeclineError{PaymentID: out.ID, Code: declineCode}
		}
		return out, nil
	})
}

// Capture captures an authorized intent (all of it when Amount is nil), once
// per key. It returns ErrNotFound, ErrInvalidTransition, ErrInvalidInput,
// ErrIdempotencyConflict, ErrInFlight or ErrProviderUnavailable.
func (s *Service) Capture(ctx context.Context, in CaptureInput) (Intent, error) {
	if in.IdempotencyKey == "" {
		return Intent{}, &InputError{Field: "idempotencyKey", Reason: "is required"}
	}
	hash := requestHash("capture", in.PaymentID, moneyParam(in.Amount))
	return s.runOp(ctx, in.IdempotencyKey, "capture", in.PaymentID, hash, func(ctx context.Context, cur Intent) (Intent, error) {
		if cur.Status != StatusAuthorized {
			return Intent{}, fmt.Errorf("%w: capture payment %s in state %s", ErrInvalidTransition, cur.ID, cur.Status)
		}
		amt := cur.Amount
		if in.Amount != nil {
			if in.Amount.Currency != cur.Amount.Currency || in.Amount.Amount <= 0 || in.Amount.Amount > cur.Amount.Amount {
				return Intent{}, &InputError{Field: "amount", Reason: fmt.Sprintf("must be positive, in %s, and at most %d", cur.Amount.Currency, cur.Amount.Amount)}
			}
			amt = *in.Amount
		}
		p, err := s.provider(cur.Provider)
		if err != nil {
			return Intent{}, err
		}
		if err := p.Capture(ctx, CaptureRequest{IdempotencyKey: in.IdempotencyKey, Ref: cur.ProviderRef, Amount: amt}); err != nil {
			return Intent{}, fmt.Errorf("provider %s capture: %w", cur.Provider, err)
		}
		return s.mutate(ctx, cur.ID, in.IdempotencyKey, "", in.Actor, "payment.capture", "", func(it *Intent) error {
			it.Captured = amt.Amount
			return Transition(it, StatusCaptured)
		})
	})
}

// Void cancels an authorization before capture, once per key. Voiding an
// intent with nothing authorized (requires_payment_method, failed,
// canceled) returns it unchanged, so a compensation is always safe
// (ACCEPTANCE T8). It returns ErrNotFound, ErrInvalidTransition (after
// capture: refund instead), ErrIdempotencyConflict, ErrInFlight or
// ErrProviderUnavailable.
func (s *Service) Void(ctx context.Context, in VoidInput) (Intent, error) {
	if err := RejectCardData("reason", in.Reason); err != nil {
		return Intent{}, err
	}
	if in.IdempotencyKey == "" {
		return Intent{}, &InputError{Field: "idempotencyKey", Reason: "is required"}
	}
	cur, err := s.Get(ctx, in.PaymentID)
	if err != nil {
		return Intent{}, err
	}
	switch cur.Status {
	case StatusRequiresPaymentMethod, StatusFailed, StatusCanceled:
		return cur, nil
	}
	hash := requestHash("void", in.PaymentID)
	return s.runOp(ctx, in.IdempotencyKey, "void", in.PaymentID, hash, func(ctx context.Context, cur Intent) (Intent, error) {
		switch cur.Status {
		case StatusRequiresPaymentMethod, StatusFailed, StatusCanceled:
			return cur, nil
		case StatusRequiresAction, StatusAuthorized:
		default:
			return Intent{}, fmt.Errorf("%w: void payment %s in state %s", ErrInvalidTransition, cur.ID, cur.Status)
		}
		if cur.ProviderRef != "" {
			p, err := s.provider(cur.Provider)
			if err != nil {
				return Intent{}, err
			}
			if err := p.Void(ctx, VoidRequest{IdempotencyKey: in.IdempotencyKey, Ref: cur.ProviderRef}); err != nil {
				return Intent{}, fmt.Errorf("provider %s void: %w", cur.Provider, err)
			}
		}
		return s.mutate(ctx, cur.ID, in.IdempotencyKey, "", in.Actor, "payment.void", in.Reason, func(it *Intent) error {
			if it.Status == StatusCanceled {
				return nil
			}
			return Transition(it, StatusCanceled)
		})
	})
}

// Refund refunds captured money (all that is left when Amount is nil), once
// per key. It returns ErrNothingToRefund when no captured money is left,
// ErrNotFound, ErrInvalidInput, ErrIdempotencyConflict, ErrInFlight or
// ErrProviderUnavailable.
func (s *Service) Refund(ctx context.Context, in RefundInput) (Intent, error) {
	if err := RejectCardData("reason", in.Reason); err != nil {
		return Intent{}, err
	}
	if in.IdempotencyKey == "" {
		return Intent{}, &InputError{Field: "idempotencyKey", Reason: "is required"}
	}
	hash := requestHash("refund", in.PaymentID, moneyParam(in.Amount), in.Reason)
	return s.runOp(ctx, in.IdempotencyKey, "refund", in.PaymentID, hash, func(ctx context.Context, cur Intent) (Intent, error) {
		left := cur.Captured - cur.Refunded
		if (cur.Status != StatusCaptured && cur.Status != StatusPartiallyRefunded) || left <= 0 {
			return cur, fmt.Errorf("%w: payment %s is %s with %d captured and %d refunded", ErrNothingToRefund, cur.ID, cur.Status, cur.Captured, cur.Refunded)
		}
		amt := money.New(left, cur.Amount.Currency)
		if in.Amount != nil {
			if in.Amount.Currency != cur.Amount.Currency || in.Amount.Amount <= 0 || in.Amount.Amount > left {
				return Intent{}, &InputError{Field: "amount", Reason: fmt.Sprintf("must be positive, in %s, and at most %d", cur.Amount.Currency, left)}
			}
			amt = *in.Amount
		}
		p, err := s.provider(cur.Provider)
		if err != nil {
			return Intent{}, err
		}
		if err := p.Refund(ctx, RefundRequest{IdempotencyKey: in.IdempotencyKey, Ref: cur.ProviderRef, Amount: amt}); err != nil {
			return Intent{}, fmt.Errorf("provider %s refund: %w", cur.Provider, err)
		}
		return s.mutate(ctx, cur.ID, in.IdempotencyKey, "", in.Actor, "payment.refund", in.Reason, func(it *Intent) error {
			if it.Captured-it.Refunded < amt.Amount {
				return fmt.Errorf("%w: payment %s has %d left to refund", ErrInvalidTransition, it.ID, it.Captured-it.Refunded)
			}
			it.Refunded += amt.Amount
			if it.Refunded == it.Captured {
				return Transition(it, StatusRefunded)
			}
			return Transition(it, StatusPartiallyRefunded)
		})
	})
}

func (s *Service) provider(name string) (Provider, error) {
	p, ok := s.providers[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProvider, name)
	}
	return p, nil
}

// runOp runs exec once per idempotency key (ACCEPTANCE P1, P2). A repeated
// key with the same parameters returns the intent's current state (and the
// decline again, if the first call was declined); with other parameters it
// is ErrIdempotencyConflict. A concurrent duplicate waits for the first
// call up to s.wait, then gets ErrInFlight. exec must finish the operation
// in the transaction that records its effect (see mutate); when it fails
// without a recorded effect the key is released so that a retry runs again.
func (s *Service) runOp(ctx context.Context, key, kind, paymentID, hash string, exec func(ctx context.Context, cur Intent) (Intent, error)) (Intent, error) {
	// Waiting for a concurrent duplicate is measured in real time: the
	// injected clock only dates records and leases.
	waitCtx, cancel := context.WithTimeout(ctx, s.wait)
	defer cancel()
	for {
		now := s.now().UTC()
		op := Operation{Key: key, Kind: kind, PaymentID: paymentID, RequestHash: hash, State: OpInFlight, CreatedAt: now, LeaseUntil: now.Add(s.lease)}
		existing, created, err := s.store.BeginOperation(ctx, op)
		if err != nil {
			return Intent{}, fmt.Errorf("%s payment %s: %w", kind, paymentID, err)
		}
		if !created {
			if existing.RequestHash != hash || existing.Kind != kind || existing.PaymentID != paymentID {
				return Intent{}, fmt.Errorf("%w: key %s", ErrIdempotencyConflict, key)
			}
			if existing.State == OpDone {
				return s.replay(ctx, existing)
			}
			if now.After(existing.LeaseUntil) {
				won, err := s.store.TakeOverOperation(ctx, key, existing.LeaseUntil, op.LeaseUntil)
				if err != nil {
					return Intent{}, fmt.Errorf("%s payment %s: take over %s: %w", kind, paymentID, key, err)
				}
				if !won {
					continue
				}
			} else {
				if err := pause(waitCtx, 20*time.Millisecond); err != nil {
					if ctx.Err() != nil {
						return Intent{}, ctx.Err()
					}
					return Intent{}, fmt.Errorf("%w: key %s", ErrInFlight, key)
				}
				continue
			}
		}
		cur, err := s.store.GetIntent(ctx, paymentID)
		if err == nil {
			var out Intent
			out, err = exec(ctx, cur)
			if err == nil || errors.Is(err, ErrDeclined) {
				return out, err
			}
			if errors.Is(err, ErrNothingToRefund) {
				out = cur
			}
			err = fmt.Errorf("%s payment %s: %w", kind, paymentID, err)
			s.abandon(ctx, key)
			return out, err
		}
		s.abandon(ctx, key)
		return Intent{}, fmt.Errorf("%s payment %s: %w", kind, paymentID, err)
	}
}

func (s *Service) abandon(ctx context.Context, key string) {
	if err := s.store.AbandonOperation(context.WithoutCancel(ctx), key); err != nil {
		s.log.ErrorContext(ctx, "release idempotency key", "key", key, "err", err)
	}
}

func (s *Service) replay(ctx context.Context, op Operation) (Intent, error) {
	in, err := s.store.GetIntent(ctx, op.PaymentID)
	if err != nil {
		return Intent{}, fmt.Errorf("replay %s of payment %s: %w", op.Kind, op.PaymentID, err)
	}
	if op.DeclineCode != "" {
		return in, &DeclineError{PaymentID: in.ID, Code: op.DeclineCode}
	}
	return in, nil
}

// mutate applies change to the intent's latest version and stores it with
// its audit entry (and, when opKey is set, the finished operation) in one
// transaction, retrying lost optimistic-lock races.
func (s *Service) mutate(ctx context.Context, id, opKey, declineCode, actor, action, reason string, change func(*Intent) error) (Intent, error) {
	var out Intent
	for attempt := 1; ; attempt++ {
		err := s.store.Tx(ctx, func(tx Store) error {
			cur, err := tx.GetIntent(ctx, id)
			if err != nil {
				return err
			}
			next := cur
			if err := change(&next); err != nil {
				return err
			}
			if next != cur {
				next.UpdatedAt = s.now().UTC()
				if err := tx.UpdateIntent(ctx, next, actorOrSystem(actor)); err != nil {
					return err
				}
				next.Version++
				if _, err := tx.AppendAudit(ctx, AuditEntry{
					At: next.UpdatedAt, Actor: actorOrSystem(actor), Action: action, PaymentID: id, Reason: reason,
					Before: snapshot(cur), After: snapshot(next),
				}); err != nil {
					return err
				}
			}
			if opKey != "" {
				if err := tx.FinishOperation(ctx, opKey, id, declineCode); err != nil {
					return err
				}
			}
			out = next
			return nil
		})
		if errors.Is(err, ErrVersionConflict) && attempt < 8 {
			continue
		}
		if err != nil {
			return Intent{}, err
		}
		return out, nil
	}
}

// actorOrSystem names the actor of an audit row; calls without one are the
// system's own.
func actorOrSystem(actor string) string {
	if actor == "" {
		return "system"
	}
	return actor
}

// requestHash fingerprints an operation's parameters.
func requestHash(parts ...any) string {
	b, _ := json.Marshal(parts) // strings and integers always marshal
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func moneyParam(m *money.Money) string {
	if m == nil {
		return "all"
	}
	return fmt.Sprintf("%d %s", m.Amount, strings.ToUpper(m.Currency))
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
