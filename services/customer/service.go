package customer

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"time"

	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// VerificationPolicy are the rules of mobile phone verification.
type VerificationPolicy struct {
	TTL         time.Duration // how long a code is valid
	MaxAttempts int           // wrong codes allowed per code
	// Cooldown spaces resends to one user; Hourly bounds them; PerPhone
	// bounds codes sent to one number from any account.
	Cooldown Rate
	Hourly   Rate
	PerPhone Rate
}

// DefaultVerificationPolicy: 10 minutes, 5 attempts, one code a minute and
// five an hour per user, five an hour per number.
func DefaultVerificationPolicy() VerificationPolicy {
	return VerificationPolicy{
		TTL:         10 * time.Minute,
		MaxAttempts: 5,
		Cooldown:    Rate{Max: 1, Per: time.Minute},
		Hourly:      Rate{Max: 5, Per: time.Hour},
		PerPhone:    Rate{Max: 5, Per: time.Hour},
	}
}

// Service manages profiles and phone verification.
type Service struct {
	log      *slog.Logger
	store    Store
	notifier *Notifier
	secrets  secrets.Provider
	limiter  *Limiter
	policy   VerificationPolicy
	now      func() time.Time
}

// NewService returns the customer service. secrets supplies the HMAC key
// (secrets.KeyOTPHash) for verification codes.
func NewService(log *slog.Logger, store Store, notifier *Notifier, sp secrets.Provider, policy VerificationPolicy, now func() time.Time) *Service {
	return &Service{log: log, store: store, notifier: notifier, secrets: sp, limiter: NewLimiter(store, now), policy: policy, now: now}
}

// Profile returns the profile of userID or ErrNotFound.
func (s *Service) Profile(ctx context.Context, userID string) (Profile, error) {
	p, err := s.store.Profile(ctx, userID)
	if err != nil {
		return Profile{}, fmt.Errorf("profile %s: %w", userID, err)
	}
	return p, nil
}

// Me returns the caller's profile, creating it on first access from the
// token's subject and email, and following email changes made at sign-in.
func (s *Service) Me(ctx context.Context, userID, email string) (Profile, error) {
	if userID == "" {
		return Profile{}, fmt.Errorf("me: %w", &ValidationError{Fields: []FieldError{{Field: "sub", Reason: "is required"}}})
	}
	for range 5 {
		p, err := s.store.Profile(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			now := s.now().UTC()
			p = Profile{UserID: userID, Email: email, Preferences: DefaultPreferences(), CreatedAt: now, UpdatedAt: now, Version: 1}
			err = s.store.CreateProfile(ctx, p)
			if errors.Is(err, ErrAlreadyExists) {
				continue
			}
			if err != nil {
				return Profile{}, fmt.Errorf("create profile %s: %w", userID, err)
			}
			s.log.InfoContext(ctx, "profile created", "user_id", userID)
			return p, nil
		}
		if err != nil {
			return Profile{}, fmt.Errorf("profile %s: %w", userID, err)
		}
		if email == "" || p.Email == email {
			return p, nil
		}
		next := p
		next.Email, next.UpdatedAt, next.Version = email, s.now().UTC(), p.Version+1
		err = s.store.UpdateProfile(ctx, next, p.Version)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return Profile{}, fmt.Errorf("update profile %s email: %w", userID, err)
		}
		return next, nil
	}
	return Profile{}, fmt.Errorf("me %s: %w", userID, ErrConflict)
}

// Patch changes the caller's profile: edit gets the current editable part
// and returns the new one, which is validated (*ValidationError) and saved.
// A changed phone number is no longer verified. On a concurrent update the
// edit is applied again to the newer profile.
func (s *Service) Patch(ctx context.Context, userID, email string, edit func(Editable) (Editable, error)) (Profile, error) {
	for range 5 {
		p, err := s.Me(ctx, userID, email)
		if err != nil {
			return Profile{}, err
		}
		e, err := edit(p.Editable())
		if err != nil {
			return Profile{}, fmt.Errorf("patch profile %s: %w", userID, err)
		}
		now := s.now().UTC()
		if err := e.Validate(now); err != nil {
			return Profile{}, fmt.Errorf("patch profile %s: %w", userID, err)
		}
		for i := range e.Travellers {
			if e.Travellers[i].ID == "" {
				e.Travellers[i].ID = newID("trv")
			}
		}
		next := p
		next.GivenName, next.FamilyName, next.Phone = e.GivenName, e.FamilyName, e.Phone
		next.Preferences, next.Travellers = e.Preferences, e.Travellers
		if next.Phone != p.Phone {
			next.PhoneVerified, next.PhoneVerifiedAt = false, time.Time{}
		}
		next.UpdatedAt, next.Version = now, p.Version+1
		err = s.store.UpdateProfile(ctx, next, p.Version)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return Profile{}, fmt.Errorf("patch profile %s: %w", userID, err)
		}
		return next, nil
	}
	return Profile{}, fmt.Errorf("patch profile %s: %w", userID, ErrConflict)
}

// RequestPhoneVerification sends a new 6-digit code by SMS to phone for the
// caller, replacing any pending one. It returns *RateLimitError when codes
// are requested too often, *ValidationError for a bad number, and the
// notifier's errors when the SMS cannot be sent.
func (s *Service) RequestPhoneVerification(ctx context.Context, userID, email, phone string) (Verification, error) {
	if !ValidPhone(phone) {
		return Verification{}, &ValidationError{Fields: []FieldError{{Field: "phone", Reason: "must be an E.164 phone number such as +4915112345678"}}}
	}
	p, err := s.Me(ctx, userID, email)
	if err != nil {
		return Verification{}, err
	}
	if err := s.limiter.AllowAll(ctx,
		Limit{Name: "verification-cooldown", Key: "verify-cooldown|" + userID, Rate: s.policy.Cooldown},
		Limit{Name: "verification-hourly", Key: "verify-hourly|" + userID, Rate: s.policy.Hourly},
		Limit{Name: "verification-per-phone", Key: "verify-phone|" + phone, Rate: s.policy.PerPhone},
	); err != nil {
		return Verification{}, err
	}
	code, err := sixDigits()
	if err != nil {
		return Verification{}, fmt.Errorf("verification code for %s: %w", userID, err)
	}
	key, err := s.secrets.Current(ctx, secrets.KeyOTPHash)
	if err != nil {
		return Verification{}, fmt.Errorf("verification key: %w", err)
	}
	now := s.now().UTC()
	v := Verification{
		ID: newID("vrf"), UserID: userID, Phone: phone, KeyVersion: key.Version,
		CreatedAt: now, ExpiresAt: now.Add(s.policy.TTL),
	}
	v.CodeHash = codeHash(key.Material, v, code)
	if err := s.store.PutVerification(ctx, v); err != nil {
		return Verification{}, fmt.Errorf("store verification for %s: %w", userID, err)
	}
	_, err = s.notifier.Send(ctx, SendRequest{
		Channel: ChannelSMS, UserID: userID, To: phone, TemplateID: TemplatePhoneVerification,
		Language: p.Preferences.Language, DedupeKey: "verify/" + v.ID,
		Data: map[string]string{"code": code, "minutes": strconv.Itoa(int(s.policy.TTL / time.Minute))},
	})
	if err != nil {
		return Verification{}, fmt.Errorf("send verification code to user %s: %w", userID, err)
	}
	s.log.InfoContext(ctx, "phone verification requested", "user_id", userID, "verification_id", v.ID)
	return v, nil
}

// ConfirmPhoneVerification checks code against the caller's pending
// verification and, when it matches, marks the phone verified on the profile.
// Errors: ErrVerificationNotRequested, ErrVerificationExpired,
// ErrVerificationAttempts, ErrVerificationUsed, *VerificationError (wrong
// code, matching ErrVerificationMismatch).
func (s *Service) ConfirmPhoneVerification(ctx context.Context, userID, email, code string) (Profile, error) {
	v, err := s.store.Verification(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return Profile{}, ErrVerificationNotRequested
	}
	if err != nil {
		return Profile{}, fmt.Errorf("verification of %s: %w", userID, err)
	}
	if v.Consumed {
		return Profile{}, ErrVerificationUsed
	}
	if !s.now().Before(v.ExpiresAt) {
		return Profile{}, ErrVerificationExpired
	}
	v, err = s.store.AddVerificationAttempt(ctx, userID, v.ID, s.policy.MaxAttempts)
	if errors.Is(err, ErrNotFound) {
		return Profile{}, ErrVerificationNotRequested
	}
	if err != nil {
		return Profile{}, fmt.Errorf("verification attempt of %s: %w", userID, err)
	}
	key, err := s.secrets.Version(ctx, secrets.KeyOTPHash, v.KeyVersion)
	if err != nil {
		return Profile{}, fmt.Errorf("verification key v%d: %w", v.KeyVersion, err)
	}
	if !hmac.Equal(codeHash(key.Material, v, code), v.CodeHash) {
		return Profile{}, &VerificationError{AttemptsLeft: max(0, s.policy.MaxAttempts-v.Attempts)}
	}
	if err := s.store.ConsumeVerification(ctx, userID, v.ID); err != nil {
		if errors.Is(err, ErrVerificationUsed) {
			return Profile{}, ErrVerificationUsed
		}
		if errors.Is(err, ErrNotFound) {
			return Profile{}, ErrVerificationNotRequested
		}
		return Profile{}, fmt.Errorf("consume verification of %s: %w", userID, err)
	}
	for range 5 {
		p, err := s.Me(ctx, userID, email)
		if err != nil {
			return Profile{}, err
		}
		now := s.now().UTC()
		next := p
		next.Phone, next.PhoneVerified, next.PhoneVerifiedAt = v.Phone, true, now
		next.UpdatedAt, next.Version = now, p.Version+1
		err = s.store.UpdateProfile(ctx, next, p.Version)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return Profile{}, fmt.Errorf("mark phone verified for %s: %w", userID, err)
		}
		s.log.InfoContext(ctx, "phone verified", "user_id", userID)
		return next, nil
	}
	return Profile{}, fmt.Errorf("mark phone verified for %s: %w", userID, ErrConflict)
}

// codeHash binds the code to its verification, user and number.
func codeHash(key []byte, v Verification, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(v.ID + "\x00" + v.UserID + "\x00" + v.Phone + "\x00" + code))
	return m.Sum(nil)
}

func sixDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}
