package payment

import (
	"context"
	"fmt"
)

// CreateAndAuthorizeInput creates an intent and authorizes it in one call,
// as Stripe's create-with-confirm does: the saga's payment step is one
// round trip instead of two. Each half keeps its own idempotency key, so a
// retry returns the same intent and the same authorization (ACCEPTANCE P1,
// T4), and the intent's key is the one CreateIntent alone would use: a
// caller that lost the answer finds the intent with CreateIntent.
type CreateAndAuthorizeInput struct {
	Intent       CreateIntentInput
	AuthorizeKey string
	Token        string
	ReturnURL    string
}

// CreateAndAuthorize creates (or finds, on the same key) the intent and
// authorizes it (or replays its authorization). When the creation fails the
// returned intent is zero and the error is CreateIntent's; when the
// authorization fails the intent is returned with Authorize's error (a
// decline is a *DeclineError carrying the payment id, 3-D Secure is the
// intent in requires_action without error).
func (s *Service) CreateAndAuthorize(ctx context.Context, in CreateAndAuthorizeInput) (Intent, error) {
	created, err := s.CreateIntent(ctx, in.Intent)
	if err != nil {
		return Intent{}, err
	}
	out, err := s.Authorize(ctx, AuthorizeInput{
		IdempotencyKey: in.AuthorizeKey, PaymentID: created.ID, Token: in.Token, ReturnURL: in.ReturnURL, Actor: in.Intent.Actor,
	})
	if out.ID == "" {
		out = created
	}
	if err != nil {
		return out, fmt.Errorf("create and authorize: %w", err)
	}
	return out, nil
}
