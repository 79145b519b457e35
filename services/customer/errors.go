package customer

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Stores return ErrNotFound, ErrAlreadyExists, ErrConflict
// and ErrDuplicate; the service returns the rest.
var (
	// ErrNotFound: no such profile, verification or notification.
	ErrNotFound = errors.New("customer: not found")
	// ErrAlreadyExists: a profile with this user id exists.
	ErrAlreadyExists = errors.New("customer: already exists")
	// ErrConflict: the record changed since it was read.
	ErrConflict = errors.New("customer: concurrent update")
	// ErrDuplicate: a notification with this dedupe key exists.
	ErrDuplicate = errors.New("customer: duplicate notification")

	// ErrInvalid: the input failed validation (see ValidationError).
	ErrInvalid = errors.New("customer: invalid input")

	// ErrVerificationNotRequested: no verification code is pending.
	ErrVerificationNotRequested = errors.New("customer: no verification code was requested")
	// ErrVerificationExpired: the code is older than its TTL.
	ErrVerificationExpired = errors.New("customer: verification code expired")
	// ErrVerificationAttempts: the code's attempts are used up.
	ErrVerificationAttempts = errors.New("customer: too many verification attempts")
	// ErrVerificationUsed: the code was already used.
	ErrVerificationUsed = errors.New("customer: verification code already used")
	// ErrVerificationMismatch: the code is wrong.
	ErrVerificationMismatch = errors.New("customer: wrong verification code")

	// ErrUnknownTemplate: the template id is not on the allow-list.
	ErrUnknownTemplate = errors.New("customer: unknown notification template")
	// ErrMissingTemplateData: the template needs data the request lacks
	// (see TemplateDataError).
	ErrMissingTemplateData = errors.New("customer: missing template data")
	// ErrChannelNotAllowed: the template is not sent on this channel.
	ErrChannelNotAllowed = errors.New("customer: template not available on channel")
	// ErrChannelUnavailable: no adapter is configured for the channel.
	ErrChannelUnavailable = errors.New("customer: channel not configured")
	// ErrNoRecipient: the recipient is unknown or has no address on the channel.
	ErrNoRecipient = errors.New("customer: no recipient address")
	// ErrRateLimited: a rate limit refused the request (see RateLimitError).
	ErrRateLimited = errors.New("customer: rate limited")
	// ErrDeliveryFailed: the channel adapter failed to deliver; retry.
	ErrDeliveryFailed = errors.New("customer: delivery failed")
)

// FieldError names one invalid field by its JSON path.
type FieldError struct {
	Field  string
	Reason string
}

// ValidationError lists invalid fields. It matches ErrInvalid.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + " " + f.Reason
	}
	return "customer: invalid input: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func (e *ValidationError) add(field, reason string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: reason})
}

func (e *ValidationError) orNil() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// TemplateDataError names the data keys a template needs but did not get.
// It matches ErrMissingTemplateData.
type TemplateDataError struct {
	TemplateID string
	Missing    []string
}

func (e *TemplateDataError) Error() string {
	return fmt.Sprintf("customer: template %s: missing data %s", e.TemplateID, strings.Join(e.Missing, ", "))
}

// Is makes errors.Is(err, ErrMissingTemplateData) true.
func (e *TemplateDataError) Is(target error) bool { return target == ErrMissingTemplateData }

// RateLimitError says which limit refused a request and when to retry. It
// matches ErrRateLimited.
type RateLimitError struct {
	Limit      string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("customer: rate limited by %s; retry after %s", e.Limit, e.RetryAfter)
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// VerificationError is a wrong code with the attempts left. It matches
// ErrVerificationMismatch.
type VerificationError struct {
	AttemptsLeft int
}

func (e *VerificationError) Error() string {
	return fmt.Sprintf("customer: wrong verification code; %d attempts left", e.AttemptsLeft)
}

// Is makes errors.Is(err, ErrVerificationMismatch) true.
func (e *VerificationError) Is(target error) bool { return target == ErrVerificationMismatch }
