package auth_test

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/auth"
)

// onEachDB runs a governance test on the real authgorm store over SQLite
// and PostgreSQL (always in CI).
func onEachDB(t *testing.T, test func(t *testing.T, f *fixture)) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres") {
		t.Run(dialect, func(t *testing.T) { test(t, newFixtureOn(t, dsn(t))) })
	}
}

func (f *fixture) staff(t *testing.T, email, role string) auth.StaffEnrollment {
	t.Helper()
	e, err := f.svc.CreateStaff(context.Background(), email, role, "")
	require.NoError(t, err)
	return e
}

// verifyWith answers a fresh challenge of e with code.
func (f *fixture) verifyWith(t *testing.T, e auth.StaffEnrollment, code string) (auth.Tokens, error) {
	t.Helper()
	return f.svc.VerifyMFA(context.Background(), f.challenge(t, e), code, "192.0.2.1")
}

// nextStep moves the clock to the next TOTP step, so the next login's code
// is not a reuse of the last one.
func (f *fixture) nextStep() { f.clock.Add(auth.TOTPPeriod) }

var recoveryShape = regexp.MustCompile(`^[a-z2-9]{5}-[a-z2-9]{5}$`)

func TestRecoveryCodes_IssuedHashedAndEachWorksOnce(t *testing.T) {
	onEachDB(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		e := f.staff(t, "agent@skyfly.test", auth.RoleAgent)
		require.Len(t, e.RecoveryCodes, auth.RecoveryCodeCount)
		seen := map[string]bool{}
		for _, c := range e.RecoveryCodes {
			require.Regexp(t, recoveryShape, c)
			require.False(t, seen[c], "codes are distinct")
			seen[c] = true
		}
		var stored []string
		require.NoError(t, f.db.DB.Raw("SELECT code_hash FROM auth_recovery_codes WHERE user_id = ?", e.User.ID).Scan(&stored).Error)
		require.Len(t, stored, auth.RecoveryCodeCount)
		for _, h := range stored {
			require.Len(t, h, 64, "an HMAC-SHA256, hex")
			require.False(t, seen[h], "a code is never stored in clear")
		}

		tok, err := f.verifyWith(t, e, e.RecoveryCodes[3])
		require.NoError(t, err, "a recovery code in place of the TOTP code")
		_, err = f.verifier.Verify(ctx, tok.AccessToken)
		require.NoError(t, err)
		left, err := f.svc.RecoveryCodesLeft(ctx, e.User.ID)
		require.NoError(t, err)
		require.Equal(t, auth.RecoveryCodeCount-1, left)

		_, err = f.verifyWith(t, e, e.RecoveryCodes[3])
		require.ErrorIs(t, err, auth.ErrCodeReused, "the same recovery code twice")
		_, err = f.verifyWith(t, e, "  "+upper(e.RecoveryCodes[4][:5])+" "+e.RecoveryCodes[4][6:])
		require.NoError(t, err, "case, spaces and dashes do not matter")
		_, err = f.verifyWith(t, e, "abcde-fghjk")
		require.ErrorIs(t, err, auth.ErrInvalidCode, "a code of the right shape that is none of the account's")

		other := f.staff(t, "other@skyfly.test", auth.RoleAgent)
		_, err = f.verifyWith(t, other, e.RecoveryCodes[5])
		require.ErrorIs(t, err, auth.ErrInvalidCode, "another account's code")
	})
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestRecoveryCodes_ConcurrentUseOfOneCodeSucceedsOnce(t *testing.T) {
	f := newFixture(t)
	e := f.staff(t, "agent@skyfly.test", auth.RoleAgent)
	const n = 6
	challenges := make([]string, n)
	for i := range challenges {
		challenges[i] = f.challenge(t, e)
	}
	f.verifyOnce(t, challenges, e.RecoveryCodes[0])
}

func TestRecoveryCodes_RegenerateReplacesTheOldOnes(t *testing.T) {
	onEachDB(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		e := f.staff(t, "agent@skyfly.test", auth.RoleAgent)
		_, err := f.verifyWith(t, e, e.RecoveryCodes[0])
		require.NoError(t, err)
		fresh, err := f.svc.RegenerateRecoveryCodes(ctx, e.User.ID)
		require.NoError(t, err)
		require.Len(t, fresh, auth.RecoveryCodeCount)
		left, err := f.svc.RecoveryCodesLeft(ctx, e.User.ID)
		require.NoError(t, err)
		require.Equal(t, auth.RecoveryCodeCount, left)
		_, err = f.verifyWith(t, e, e.RecoveryCodes[1])
		require.ErrorIs(t, err, auth.ErrInvalidCode, "an old code after regeneration")
		_, err = f.verifyWith(t, e, fresh[1])
		require.NoError(t, err)

		cust := f.customerUser(t)
		_, err = f.svc.RegenerateRecoveryCodes(ctx, cust)
		require.ErrorIs(t, err, auth.ErrNotFound, "customers have no recovery codes")
	})
}

// customerUser creates a customer account directly in the store.
func (f *fixture) customerUser(t *testing.T) string {
	t.Helper()
	now := f.clock.Now()
	u := auth.User{ID: "cust-1", Issuer: "https://idp.example", Subject: "c1", Email: "c@example.com", Roles: []string{auth.RoleCustomer}, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, f.store.CreateUser(context.Background(), u))
	return u.ID
}

// adminAndSignedInAgent creates an admin and an agent, the agent signed in.
func (f *fixture) adminAndSignedInAgent(t *testing.T) (admin, agent auth.StaffEnrollment, tok auth.Tokens) {
	t.Helper()
	admin = f.staff(t, "admin@skyfly.test", auth.RoleAdmin)
	agent = f.staff(t, "agent@skyfly.test", auth.RoleAgent)
	tok, err := f.staffLogin(t, agent, "192.0.2.1")
	require.NoError(t, err)
	return admin, agent, tok
}

func TestUpdateStaff_A4_DisableRevokesAccessAtOnceAndRefusesLogin(t *testing.T) {
	onEachDB(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		admin, agent, tok := f.adminAndSignedInAgent(t)
		_, err := f.verifier.Verify(ctx, tok.AccessToken)
		require.NoError(t, err)

		yes := true
		_, err = f.svc.UpdateStaffAccount(ctx, auth.Change{ActorID: admin.User.ID}, agent.User.ID, auth.StaffPatch{Disabled: &yes})
		require.ErrorIs(t, err, auth.ErrReasonRequired, "disabling needs a reason")
		u, err := f.svc.UpdateStaffAccount(ctx, auth.Change{ActorID: admin.User.ID, Reason: "left the company"}, agent.User.ID, auth.StaffPatch{Disabled: &yes})
		require.NoError(t, err)
		require.True(t, u.Disabled)

		_, err = f.verifier.Verify(ctx, tok.AccessToken)
		require.Error(t, err, "the disabled account's access token stops working at once")
		require.Contains(t, f.revoked.ids, tok.SessionID, "the revocation was published")
		_, err = f.svc.Refresh(ctx, tok.RefreshToken, "192.0.2.1")
		require.Error(t, err, "and its refresh token")
		f.nextStep()
		_, err = f.staffLogin(t, agent, "192.0.2.1")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials, "a disabled account cannot log in")

		no := false
		_, err = f.svc.UpdateStaffAccount(ctx, auth.Change{ActorID: admin.User.ID}, agent.User.ID, auth.StaffPatch{Disabled: &no})
		require.NoError(t, err, "enabling needs no reason")
		f.nextStep()
		_, err = f.staffLogin(t, agent, "192.0.2.2")
		require.NoError(t, err, "an enabled account logs in again")

		kinds := eventKinds(t, f, agent.User.ID)
		require.Contains(t, kinds, auth.EventUserDisabled)
		require.Contains(t, kinds, auth.EventUserEnabled)
	})
}

func eventKinds(t *testing.T, f *fixture, userID string) []string {
	t.Helper()
	events, err := f.svc.Events(context.Background(), userID, 100)
	require.NoError(t, err)
	kinds := make([]string, len(events))
	for i, e := range events {
		kinds[i] = e.Kind
	}
	return kinds
}

func TestUpdateStaff_RoleChangeNeedsAReasonAndRevokesTheOldRoles(t *testing.T) {
	onEachDB(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		admin, agent, tok := f.adminAndSignedInAgent(t)

		sup := auth.RoleSupervisor
		_, err := f.svc.UpdateStaffAccount(ctx, auth.Change{ActorID: admin.User.ID}, agent.User.ID, auth.StaffPatch{Role: &sup})
		require.ErrorIs(t, err, auth.ErrReasonRequired)
		bad := "pilot"
		_, err = f.svc.UpdateStaffAccount(ctx, auth.Change{ActorID: admin.User.ID, Reason: "x"}, agent.User.ID, auth.StaffPatch{Role: &bad})
		require.ErrorIs(t, err, auth.ErrInvalidRole)
		u, err := f.svc.UpdateStaffAccount(ctx, auth.Change{ActorID: admin.User.ID, Reason: "promoted"}, agent.User.ID, auth.StaffPatch{Role: &sup})
		require.NoError(t, err)
		require.Equal(t, []string{auth.RoleSupervisor}, u.Roles)
		_, err = f.verifier.Verify(ctx, tok.AccessToken)
		require.Error(t, err, "a token with the old roles stops working")
		f.nextStep()
		tok, err = f.staffLogin(t, agent, "192.0.2.1")
		require.NoError(t, err)
		p, err := f.verifier.Verify(ctx, tok.AccessToken)
		require.NoError(t, err)
		require.Equal(t, []string{auth.RoleSupervisor}, p.Roles)
		require.Contains(t, eventKinds(t, f, agent.User.ID), auth.EventRoleChanged)

		_, err = f.svc.UpdateStaffAccount(ctx, auth.Change{ActorID: admin.User.ID, Reason: "x"}, f.customerUser(t), auth.StaffPatch{Role: &sup})
		require.ErrorIs(t, err, auth.ErrNotFound, "a customer is no staff account")
	})
}

func TestUpdateStaff_NoSelfLockoutAndNeverWithoutAnAdmin(t *testing.T) {
	onEachDB(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a := f.staff(t, "a@skyfly.test", auth.RoleAdmin)
		yes, agent := true, auth.RoleAgent
		me := auth.Change{ActorID: a.User.ID, Reason: "testing"}
		_, err := f.svc.UpdateStaffAccount(ctx, me, a.User.ID, auth.StaffPatch{Disabled: &yes})
		require.ErrorIs(t, err, auth.ErrSelfLockout)
		_, err = f.svc.UpdateStaffAccount(ctx, me, a.User.ID, auth.StaffPatch{Role: &agent})
		require.ErrorIs(t, err, auth.ErrSelfLockout)
		_, err = f.svc.UpdateStaffAccount(ctx, auth.Change{ActorID: "cli", Reason: "testing"}, a.User.ID, auth.StaffPatch{Disabled: &yes})
		require.ErrorIs(t, err, auth.ErrLastAdmin, "the only admin stays")

		// Two admins disabling each other at the same moment: one must stay.
		b := f.staff(t, "b@skyfly.test", auth.RoleAdmin)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, pair := range [][2]string{{a.User.ID, b.User.ID}, {b.User.ID, a.User.ID}} {
			wg.Go(func() {
				_, errs[i] = f.svc.UpdateStaffAccount(ctx, auth.Change{ActorID: pair[0], Reason: "coup"}, pair[1], auth.StaffPatch{Disabled: &yes})
			})
		}
		wg.Wait()
		failed := 0
		for _, err := range errs {
			if err != nil {
				require.ErrorIs(t, err, auth.ErrLastAdmin)
				failed++
			}
		}
		require.Equal(t, 1, failed, "exactly one of the two disables is refused: %v", errs)
	})
}

func TestMFAReset_TwoPersonRule(t *testing.T) {
	onEachDB(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a := f.staff(t, "a@skyfly.test", auth.RoleAdmin)
		b := f.staff(t, "b@skyfly.test", auth.RoleAdmin)
		c := f.staff(t, "c@skyfly.test", auth.RoleAdmin)
		tok, err := f.staffLogin(t, c, "192.0.2.1")
		require.NoError(t, err)

		_, err = f.svc.RequestMFAReset(ctx, auth.Change{ActorID: a.User.ID}, c.User.ID)
		require.ErrorIs(t, err, auth.ErrReasonRequired)
		_, err = f.svc.RequestMFAReset(ctx, auth.Change{ActorID: a.User.ID, Reason: "x"}, f.customerUser(t))
		require.ErrorIs(t, err, auth.ErrNotFound)
		r, err := f.svc.RequestMFAReset(ctx, auth.Change{ActorID: a.User.ID, Reason: "lost phone"}, c.User.ID)
		require.NoError(t, err)
		require.Equal(t, 24*time.Hour, r.ExpiresAt.Sub(r.CreatedAt))

		_, err = f.svc.ApproveMFAReset(ctx, a.User.ID, r.ID)
		require.ErrorIs(t, err, auth.ErrSelfApproval, "the requester cannot approve")
		_, err = f.svc.ApproveMFAReset(ctx, c.User.ID, r.ID)
		require.ErrorIs(t, err, auth.ErrSelfApproval, "the account's owner cannot approve")
		_, err = f.svc.ApproveMFAReset(ctx, b.User.ID, "no-such-request")
		require.ErrorIs(t, err, auth.ErrNotFound)

		got, err := f.svc.ApproveMFAReset(ctx, b.User.ID, r.ID)
		require.NoError(t, err)
		require.Equal(t, c.User.ID, got.User.ID)
		require.NotEqual(t, c.TOTPSecret, got.TOTPSecret)
		require.Contains(t, got.TOTPURI, "otpauth://totp/SkyFly:c@skyfly.test")
		require.Len(t, got.RecoveryCodes, auth.RecoveryCodeCount)
		_, err = f.verifier.Verify(ctx, tok.AccessToken)
		require.Error(t, err, "the account's sessions end with the reset")

		_, err = f.svc.ApproveMFAReset(ctx, b.User.ID, r.ID)
		require.ErrorIs(t, err, auth.ErrResetUsed, "a request is approved once")

		f.nextStep()
		_, err = f.staffLogin(t, c, "192.0.2.1")
		require.ErrorIs(t, err, auth.ErrInvalidCode, "the old TOTP secret no longer works")
		_, err = f.verifyWith(t, c, c.RecoveryCodes[0])
		require.ErrorIs(t, err, auth.ErrInvalidCode, "nor the old recovery codes")
		c.TOTPSecret, c.RecoveryCodes = got.TOTPSecret, got.RecoveryCodes
		f.nextStep()
		_, err = f.staffLogin(t, c, "192.0.2.1")
		require.NoError(t, err, "the new secret works")
		_, err = f.verifyWith(t, c, got.RecoveryCodes[0])
		require.NoError(t, err, "and the new recovery codes")
		require.Contains(t, eventKinds(t, f, c.User.ID), auth.EventMFAReset)

		late, err := f.svc.RequestMFAReset(ctx, auth.Change{ActorID: a.User.ID, Reason: "lost again"}, c.User.ID)
		require.NoError(t, err)
		f.clock.Add(24 * time.Hour)
		_, err = f.svc.ApproveMFAReset(ctx, b.User.ID, late.ID)
		require.ErrorIs(t, err, auth.ErrResetExpired)
	})
}
