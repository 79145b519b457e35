package authact_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/skyfly/skyfly/activities/authact"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/temporal/codec"
)

type customerEmail struct {
	CustomerID string `json:"customerId"`
	Email      string `json:"email"`
}

func (c customerEmail) DataSubject() string { return c.CustomerID }

func newCodec(t *testing.T) *codec.Codec {
	t.Helper()
	keys, err := secrets.NewKeyring(filepath.Join(t.TempDir(), "keyring.json"), time.Now)
	require.NoError(t, err)
	c, err := codec.New(keys)
	require.NoError(t, err)
	return c
}

func TestShredCustomerKey_G2_T4_ShredsOnceAndRepeatsSafely(t *testing.T) {
	c := newCodec(t)
	dc := c.DataConverter()
	mine, err := dc.ToPayload(customerEmail{CustomerID: "cus-1", Email: "ada@example.com"})
	require.NoError(t, err)
	theirs, err := dc.ToPayload(customerEmail{CustomerID: "cus-2", Email: "bob@example.com"})
	require.NoError(t, err)

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	acts := authact.NewShredActivities(c)
	env.RegisterActivity(acts)
	for run := range 2 {
		val, err := env.ExecuteActivity(acts.ShredCustomerKey, authact.ShredCustomerKeyInput{CustomerID: "cus-1"})
		require.NoError(t, err, "run %d", run+1)
		var got authact.ShredCustomerKeyResult
		require.NoError(t, val.Get(&got))
		require.Equal(t, authact.ShredCustomerKeyResult{CustomerID: "cus-1", Shredded: true}, got)
	}

	var out customerEmail
	require.ErrorIs(t, dc.FromPayload(mine, &out), codec.ErrShredded)
	require.NoError(t, dc.FromPayload(theirs, &out), "another customer's payloads still decode")
	require.Equal(t, "bob@example.com", out.Email)
}

func TestShredCustomerKey_T5_EmptyCustomerIsNonRetryable(t *testing.T) {
	c := newCodec(t)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	acts := authact.NewShredActivities(c)
	env.RegisterActivity(acts)
	_, err := env.ExecuteActivity(acts.ShredCustomerKey, authact.ShredCustomerKeyInput{})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "got %v, want an application error", err)
	require.True(t, appErr.NonRetryable())
	require.Equal(t, authact.ErrTypeInvalidInput, appErr.Type())
}
