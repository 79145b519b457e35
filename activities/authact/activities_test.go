package authact_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/skyfly/skyfly/activities/authact"
	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/auth/authgorm"
)

func newService(t *testing.T) *auth.Service {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, authgorm.Migrate(ctx, db))
	keys, err := secrets.NewKeyring(filepath.Join(t.TempDir(), "keyring.json"), time.Now)
	require.NoError(t, err)
	signer := authapi.NewSigner(keys, "skyfly-auth", "skyfly-api", 15*time.Minute)
	svc, err := auth.NewService(auth.Deps{Store: authgorm.New(db), Keys: keys, Tokens: signer},
		auth.Config{Argon2: &auth.Argon2Params{Memory: 8 * 1024, Time: 1, Threads: 1}})
	require.NoError(t, err)
	return svc
}

func TestRevokeUserSessions_T4_RunTwiceRevokesOnce(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	enr, err := svc.CreateStaff(ctx, "a@skyfly.dev", auth.RoleAgent, "")
	require.NoError(t, err)
	for i := range 2 {
		login, err := svc.StartStaffLogin(ctx, enr.User.Email)
		require.NoError(t, err)
		mfa, err := svc.VerifyStaffPassword(ctx, login, enr.Password, "192.0.2.1")
		require.NoError(t, err)
		ch, _, err := svc.StartMFAChallenge(ctx, mfa, auth.MethodTOTP)
		require.NoError(t, err)
		code, err := auth.TOTPCode(enr.TOTPSecret, time.Now().Add(-time.Duration(1-i)*auth.TOTPPeriod))
		require.NoError(t, err)
		_, err = svc.VerifyMFA(ctx, ch, code, "192.0.2.1")
		require.NoError(t, err)
	}

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	acts := authact.New(svc)
	env.RegisterActivity(acts)
	in := authact.RevokeUserSessionsInput{UserID: enr.User.ID, Reason: "erasure"}

	val, err := env.ExecuteActivity(acts.RevokeUserSessions, in)
	require.NoError(t, err)
	var got authact.RevokeUserSessionsResult
	require.NoError(t, val.Get(&got))
	require.Equal(t, authact.RevokeUserSessionsResult{Revoked: 2}, got, "first run revokes both sessions")

	val, err = env.ExecuteActivity(acts.RevokeUserSessions, in)
	require.NoError(t, err)
	require.NoError(t, val.Get(&got))
	require.Equal(t, authact.RevokeUserSessionsResult{Revoked: 0}, got, "a repeat has no further effect")
}

func TestRevokeUserSessions_T5_EmptyUserIsNonRetryable(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	acts := authact.New(newService(t))
	env.RegisterActivity(acts)
	_, err := env.ExecuteActivity(acts.RevokeUserSessions, authact.RevokeUserSessionsInput{})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "got %v, want an application error", err)
	require.True(t, appErr.NonRetryable())
	require.Equal(t, authact.ErrTypeInvalidInput, appErr.Type())
}
