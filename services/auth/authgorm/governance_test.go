package authgorm_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/auth/authgorm"
)

func newStaffUser(t *testing.T, s auth.Store, id, role string) auth.User {
	t.Helper()
	u := auth.User{ID: id, Issuer: auth.StaffIssuer, Subject: id + "@skyfly.test", Email: id + "@skyfly.test", Roles: []string{role}, CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, s.CreateUser(context.Background(), u))
	return u
}

func codes(userID string, hashes ...string) []auth.RecoveryCode {
	out := make([]auth.RecoveryCode, len(hashes))
	for i, h := range hashes {
		out[i] = auth.RecoveryCode{UserID: userID, Hash: h, KeyVersion: 1, CreatedAt: t0}
	}
	return out
}

// oneWins runs f n times at once and requires exactly one success, every
// other call failing with loser.
func oneWins(t *testing.T, n int, loser error, f func() error) {
	t.Helper()
	var ok, lost atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			switch err := f(); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, loser):
				lost.Add(1)
			default:
				t.Errorf("unexpected error %v", err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int32(1), ok.Load(), "got %d successes, want 1", ok.Load())
	require.Equal(t, int32(n-1), lost.Load(), "got %d losers, want %d", lost.Load(), n-1)
}

// runGovernanceContract is the part of the auth.Store contract that staff
// access governance relies on.
func runGovernanceContract(t *testing.T, newStore func(t *testing.T) *authgorm.Store) {
	ctx := context.Background()

	t.Run("staff users are listed by email, customers are not", func(t *testing.T) {
		s := newStore(t)
		newStaffUser(t, s, "zed", auth.RoleAgent)
		newStaffUser(t, s, "amy", auth.RoleAdmin)
		newUser(t, s, "cust")
		got, err := s.StaffUsers(ctx)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, []string{"amy", "zed"}, []string{got[0].ID, got[1].ID})
	})

	t.Run("the last active admin cannot be demoted or disabled", func(t *testing.T) {
		s := newStore(t)
		a := newStaffUser(t, s, "a1", auth.RoleAdmin)
		ag := newStaffUser(t, s, "ag", auth.RoleAgent)

		demoted := a
		demoted.Roles = []string{auth.RoleAgent}
		require.ErrorIs(t, s.UpdateStaff(ctx, demoted), auth.ErrLastAdmin, "demote the only admin")
		disabled := a
		disabled.Disabled = true
		require.ErrorIs(t, s.UpdateStaff(ctx, disabled), auth.ErrLastAdmin, "disable the only admin")
		got, err := s.UserByID(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, a, got, "a refused change leaves the row as it was")

		ag.Roles = []string{auth.RoleAdmin}
		ag.UpdatedAt = t0.Add(time.Minute)
		require.NoError(t, s.UpdateStaff(ctx, ag), "promote a second admin")
		require.NoError(t, s.UpdateStaff(ctx, disabled), "with a second admin the first may go")
		got, err = s.UserByID(ctx, a.ID)
		require.NoError(t, err)
		require.True(t, got.Disabled)
		ag.Disabled = true
		require.ErrorIs(t, s.UpdateStaff(ctx, ag), auth.ErrLastAdmin, "a disabled admin does not count")

		require.ErrorIs(t, s.UpdateStaff(ctx, auth.User{ID: "cust", Roles: []string{auth.RoleAdmin}}), auth.ErrNotFound)
	})

	t.Run("two admins disabling each other at once: exactly one succeeds", func(t *testing.T) {
		for round := range 5 {
			s := newStore(t)
			a := newStaffUser(t, s, "a", auth.RoleAdmin)
			b := newStaffUser(t, s, "b", auth.RoleAdmin)
			a.Disabled, b.Disabled = true, true
			var ok, last atomic.Int32
			var wg sync.WaitGroup
			for _, u := range []auth.User{a, b} {
				wg.Go(func() {
					err := s.UpdateStaff(ctx, u)
					switch {
					case err == nil:
						ok.Add(1)
					case assertIs(err, auth.ErrLastAdmin):
						last.Add(1)
					default:
						t.Errorf("round %d: disable %s: %v", round, u.ID, err)
					}
				})
			}
			wg.Wait()
			require.Equal(t, int32(1), ok.Load(), "round %d: got %d successes, want 1", round, ok.Load())
			require.Equal(t, int32(1), last.Load(), "round %d", round)
		}
	})

	t.Run("a recovery code is used once; replacing the codes forgets the old ones", func(t *testing.T) {
		s := newStore(t)
		u := newStaffUser(t, s, "s1", auth.RoleAgent)
		other := newStaffUser(t, s, "s2", auth.RoleAgent)
		require.NoError(t, s.ReplaceRecoveryCodes(ctx, u.ID, codes(u.ID, "h1", "h2", "h3")))
		require.NoError(t, s.ReplaceRecoveryCodes(ctx, other.ID, codes(other.ID, "o1")))
		n, err := s.RecoveryCodesLeft(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, 3, n)

		require.NoError(t, s.UseRecoveryCode(ctx, u.ID, "h2", t0))
		require.ErrorIs(t, s.UseRecoveryCode(ctx, u.ID, "h2", t0), auth.ErrConflict, "second use")
		require.ErrorIs(t, s.UseRecoveryCode(ctx, u.ID, "nope", t0), auth.ErrNotFound)
		require.ErrorIs(t, s.UseRecoveryCode(ctx, u.ID, "o1", t0), auth.ErrNotFound, "another account's code")
		n, err = s.RecoveryCodesLeft(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, 2, n)

		require.NoError(t, s.ReplaceRecoveryCodes(ctx, u.ID, codes(u.ID, "n1", "n2")))
		require.ErrorIs(t, s.UseRecoveryCode(ctx, u.ID, "h1", t0), auth.ErrNotFound, "an old code after regeneration")
		n, err = s.RecoveryCodesLeft(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		n, err = s.RecoveryCodesLeft(ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, 1, n, "the other account's codes are untouched")
	})

	t.Run("concurrent uses of one recovery code: exactly one wins", func(t *testing.T) {
		s := newStore(t)
		u := newStaffUser(t, s, "s1", auth.RoleAgent)
		require.NoError(t, s.ReplaceRecoveryCodes(ctx, u.ID, codes(u.ID, "h1")))
		oneWins(t, 12, auth.ErrConflict, func() error { return s.UseRecoveryCode(ctx, u.ID, "h1", t0) })
	})

	t.Run("an MFA reset is approved once and replaces the secret, used steps and codes together", func(t *testing.T) {
		s := newStore(t)
		u := newStaffUser(t, s, "s1", auth.RoleAgent)
		require.NoError(t, s.SetTOTP(ctx, auth.TOTPSecret{UserID: u.ID, Ciphertext: []byte{1}, KeyID: "k/v1", CreatedAt: t0}))
		require.NoError(t, s.UseTOTPStep(ctx, u.ID, 900, t0))
		require.NoError(t, s.ReplaceRecoveryCodes(ctx, u.ID, codes(u.ID, "old")))

		r := auth.MFAReset{ID: "r1", UserID: u.ID, RequestedBy: "admin-1", Reason: "lost phone", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		require.NoError(t, s.CreateMFAReset(ctx, r))
		got, err := s.MFAReset(ctx, "r1")
		require.NoError(t, err)
		require.Equal(t, r, got)
		_, err = s.MFAReset(ctx, "nope")
		require.ErrorIs(t, err, auth.ErrNotFound)

		require.Error(t, s.CompleteMFAReset(ctx, "r1", "admin-1", t0, auth.TOTPSecret{UserID: u.ID, Ciphertext: []byte{9}, KeyID: "k/v1", CreatedAt: t0}, nil),
			"the database refuses an approval by the requester")
		secret := auth.TOTPSecret{UserID: u.ID, Ciphertext: []byte{2, 3}, KeyID: "k/v2", CreatedAt: t0.Add(time.Minute)}
		require.NoError(t, s.CompleteMFAReset(ctx, "r1", "admin-2", t0.Add(time.Minute), secret, codes(u.ID, "new1", "new2")))
		sec, err := s.TOTP(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, secret, sec)
		require.NoError(t, s.UseTOTPStep(ctx, u.ID, 900, t0), "the new secret's steps start clean")
		require.ErrorIs(t, s.UseRecoveryCode(ctx, u.ID, "old", t0), auth.ErrNotFound)
		require.NoError(t, s.UseRecoveryCode(ctx, u.ID, "new1", t0))
		got, err = s.MFAReset(ctx, "r1")
		require.NoError(t, err)
		require.Equal(t, "admin-2", got.ApprovedBy)
		require.NotNil(t, got.ApprovedAt)
		require.True(t, got.ApprovedAt.Equal(t0.Add(time.Minute)))

		require.ErrorIs(t, s.CompleteMFAReset(ctx, "r1", "admin-3", t0, secret, nil), auth.ErrConflict, "approved twice")
	})
}
