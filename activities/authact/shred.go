package authact

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// KeyShredder destroys a data subject's payload key (*codec.Codec
// implements it).
type KeyShredder interface {
	// Shred destroys the subject's key; shredding twice is not an error.
	Shred(ctx context.Context, subjectID string) error
}

// ShredActivities holds the crypto-shredding activity of task queue "auth".
// It is its own struct so the session activities need no codec.
type ShredActivities struct {
	keys KeyShredder
}

// NewShredActivities returns the shredding activity over keys.
func NewShredActivities(keys KeyShredder) *ShredActivities { return &ShredActivities{keys: keys} }

// ShredCustomerKey destroys the customer's payload data key (ACCEPTANCE
// G2): every workflow payload that named the customer as its data subject,
// in every history, no longer decodes, and new payloads for the customer are
// refused. It is idempotent (ACCEPTANCE T4): a repeat finds the key already
// destroyed and succeeds. Its own input is encrypted under the shared key,
// never the customer's, so its history stays readable after it ran.
func (a *ShredActivities) ShredCustomerKey(ctx context.Context, in ShredCustomerKeyInput) (ShredCustomerKeyResult, error) {
	if in.CustomerID == "" {
		return ShredCustomerKeyResult{}, temporal.NewNonRetryableApplicationError("customerId is required", ErrTypeInvalidInput, errors.New("empty customer id"))
	}
	if err := a.keys.Shred(ctx, in.CustomerID); err != nil {
		return ShredCustomerKeyResult{}, fmt.Errorf("shred customer key: customer %s: %w", in.CustomerID, err) // transient: retried
	}
	return ShredCustomerKeyResult{CustomerID: in.CustomerID, Shredded: true}, nil
}

// ShredCustomerKeyInput names the customer whose payload key is destroyed.
// It deliberately has no DataSubject method.
type ShredCustomerKeyInput struct {
	CustomerID string `json:"customerId"`
}

// ShredCustomerKeyResult reports the shredded customer.
type ShredCustomerKeyResult struct {
	CustomerID string `json:"customerId"`
	Shredded   bool   `json:"shredded"`
}
