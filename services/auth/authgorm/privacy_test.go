package authgorm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/auth/authgorm"
)

// TestStore_G2_EraseUserTombstonesTheIdentity: after EraseUser the user
// row keeps only its id, its sessions are revoked and its events lose
// their IP addresses; another user is untouched; a second call is a no-op.
func TestStore_G2_EraseUserTombstonesTheIdentity(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := authgorm.New(migrated(t, dsn(t)))
			u := newUser(t, s, "u_erase")
			other := newUser(t, s, "u_keep")
			newSession(t, s, u.ID, "s_erase", "h_erase")
			newSession(t, s, other.ID, "s_keep", "h_keep")
			require.NoError(t, s.AppendEvent(ctx, auth.SecurityEvent{ID: "ev1", OccurredAt: t0, Kind: auth.EventLogin, UserID: u.ID, SessionID: "s_erase", IP: "203.0.113.7"}))

			sessions, err := s.UserSessions(ctx, u.ID)
			require.NoError(t, err)
			require.Len(t, sessions, 1)

			erased, err := s.EraseUser(ctx, u.ID, t0.Add(time.Hour))
			require.NoError(t, err)
			require.True(t, erased)

			got, err := s.UserByID(ctx, u.ID)
			require.NoError(t, err)
			require.True(t, got.Erased())
			require.True(t, got.Disabled)
			require.Empty(t, got.Email)
			require.Empty(t, got.Name)
			_, err = s.UserByIdentity(ctx, u.Issuer, u.Subject)
			require.ErrorIs(t, err, auth.ErrNotFound, "the provider account no longer maps to the user")
			sess, err := s.Session(ctx, "s_erase")
			require.NoError(t, err)
			require.NotNil(t, sess.RevokedAt, "sessions are revoked at once")
			events, err := s.Events(ctx, u.ID, 10)
			require.NoError(t, err)
			kinds := map[string]bool{}
			for _, e := range events {
				require.Empty(t, e.IP, "no IP address is kept")
				kinds[e.Kind] = true
			}
			require.True(t, kinds[auth.EventUserErased])

			kept, err := s.UserByID(ctx, other.ID)
			require.NoError(t, err)
			require.Equal(t, other.Email, kept.Email)
			ks, err := s.Session(ctx, "s_keep")
			require.NoError(t, err)
			require.Nil(t, ks.RevokedAt)

			erased, err = s.EraseUser(ctx, u.ID, t0.Add(2*time.Hour))
			require.NoError(t, err)
			require.False(t, erased, "a second erasure is a no-op")
			_, err = s.EraseUser(ctx, "u_nobody", t0)
			require.ErrorIs(t, err, auth.ErrNotFound)
		})
	}
}
