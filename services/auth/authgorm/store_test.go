package authgorm_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/auth/authgorm"
)

// TestStoreContract runs the auth.Store contract against every available
// database: SQLite always, PostgreSQL and MariaDB when their DSNs are set
// (always in CI).
func TestStoreContract(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(dialect, func(t *testing.T) {
			newStore := func(t *testing.T) *authgorm.Store { return authgorm.New(migrated(t, dsn(t))) }
			runContract(t, newStore)
		})
	}
}

// migrated opens the database of dsn with the auth migrations applied.
func migrated(t *testing.T, dsn string) *sqldb.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, authgorm.Migrate(ctx, db))
	return db
}

var t0 = testdate.At(0, 10, 0)

func newUser(t *testing.T, s auth.Store, id string) auth.User {
	t.Helper()
	u := auth.User{ID: id, Issuer: "https://idp.example", Subject: "sub-" + id, Email: id + "@example.com", Roles: []string{"customer"}, CreatedAt: t0, UpdatedAt: t0}
	require.NoError(t, s.CreateUser(context.Background(), u))
	return u
}

func newSession(t *testing.T, s auth.Store, userID, id, firstHash string) auth.Session {
	t.Helper()
	sess := auth.Session{ID: id, UserID: userID, Method: auth.MethodOIDC, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	require.NoError(t, s.CreateSession(context.Background(), sess, auth.RefreshToken{Hash: firstHash, SessionID: id, CreatedAt: t0, ExpiresAt: sess.ExpiresAt}))
	return sess
}

func runContract(t *testing.T, newStore func(t *testing.T) *authgorm.Store) {
	ctx := context.Background()

	t.Run("users are keyed by issuer and subject, never by email", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "u1")
		got, err := s.UserByIdentity(ctx, u.Issuer, u.Subject)
		require.NoError(t, err)
		require.Equal(t, u, got, "got user by identity, want the created one")

		dup := u
		dup.ID = "u2"
		require.ErrorIs(t, s.CreateUser(ctx, dup), auth.ErrConflict, "same (issuer, subject) twice")

		sameEmail := auth.User{ID: "u3", Issuer: "https://other.example", Subject: "x", Email: u.Email, CreatedAt: t0, UpdatedAt: t0}
		require.NoError(t, s.CreateUser(ctx, sameEmail), "the same email at another issuer is another user")

		_, err = s.UserByIdentity(ctx, u.Issuer, "nobody")
		require.ErrorIs(t, err, auth.ErrNotFound)
		_, err = s.UserByID(ctx, "nobody")
		require.ErrorIs(t, err, auth.ErrNotFound)

		u.Email, u.Disabled, u.Roles, u.UpdatedAt = "new@example.com", true, []string{"agent", "supervisor"}, t0.Add(time.Minute)
		require.NoError(t, s.UpdateUser(ctx, u))
		got, err = s.UserByID(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, u, got)
		require.ErrorIs(t, s.UpdateUser(ctx, auth.User{ID: "nobody"}), auth.ErrNotFound)
	})

	t.Run("passwords and TOTP secrets are replaced in place", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "u1")
		_, err := s.PasswordHash(ctx, u.ID)
		require.ErrorIs(t, err, auth.ErrNotFound)
		require.NoError(t, s.SetPassword(ctx, u.ID, "h1", t0))
		require.NoError(t, s.SetPassword(ctx, u.ID, "h2", t0))
		got, err := s.PasswordHash(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, "h2", got)

		require.NoError(t, s.SetTOTP(ctx, auth.TOTPSecret{UserID: u.ID, Ciphertext: []byte{1, 2}, KeyID: "k/v1", CreatedAt: t0}))
		require.NoError(t, s.SetTOTP(ctx, auth.TOTPSecret{UserID: u.ID, Ciphertext: []byte{3, 4, 0, 255}, KeyID: "k/v2", CreatedAt: t0}))
		sec, err := s.TOTP(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, auth.TOTPSecret{UserID: u.ID, Ciphertext: []byte{3, 4, 0, 255}, KeyID: "k/v2", CreatedAt: t0}, sec)
	})

	t.Run("M2 a TOTP step is used once, and never after a later one", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "u1")
		require.NoError(t, s.UseTOTPStep(ctx, u.ID, 100, t0))
		require.ErrorIs(t, s.UseTOTPStep(ctx, u.ID, 100, t0), auth.ErrConflict, "same step twice")
		require.ErrorIs(t, s.UseTOTPStep(ctx, u.ID, 99, t0), auth.ErrConflict, "an earlier step after a later one")
		require.NoError(t, s.UseTOTPStep(ctx, u.ID, 101, t0))
	})

	t.Run("M2 concurrent uses of one TOTP step: exactly one wins", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "u1")
		oneWins(t, 12, auth.ErrConflict, func() error { return s.UseTOTPStep(ctx, u.ID, 500, t0) })
	})

	t.Run("A3 refresh tokens rotate once; a rotated or revoked token cannot rotate", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "u1")
		sess := newSession(t, s, u.ID, "s1", "h1")
		next := func(h string) auth.RefreshToken {
			return auth.RefreshToken{Hash: h, SessionID: sess.ID, CreatedAt: t0, ExpiresAt: sess.ExpiresAt}
		}
		require.NoError(t, s.RotateRefreshToken(ctx, "h1", next("h2"), t0.Add(time.Minute)))
		require.ErrorIs(t, s.RotateRefreshToken(ctx, "h1", next("h3"), t0), auth.ErrConflict, "rotating h1 twice")
		old, err := s.RefreshToken(ctx, "h1")
		require.NoError(t, err)
		require.NotNil(t, old.RotatedAt)
		require.Equal(t, t0.Add(time.Minute), *old.RotatedAt)
		_, err = s.RefreshToken(ctx, "h3")
		require.ErrorIs(t, err, auth.ErrNotFound, "the losing successor must not exist")

		revoked, err := s.RevokeSession(ctx, sess.ID, "logout", t0.Add(2*time.Minute))
		require.NoError(t, err)
		require.True(t, revoked)
		revoked, err = s.RevokeSession(ctx, sess.ID, "logout", t0.Add(3*time.Minute))
		require.NoError(t, err)
		require.False(t, revoked, "second revoke reports nothing new")
		h2, err := s.RefreshToken(ctx, "h2")
		require.NoError(t, err)
		require.NotNil(t, h2.RevokedAt, "revoking the session revokes its family")
		require.ErrorIs(t, s.RotateRefreshToken(ctx, "h2", next("h4"), t0), auth.ErrConflict)
		got, err := s.Session(ctx, sess.ID)
		require.NoError(t, err)
		require.Equal(t, t0.Add(2*time.Minute), *got.RevokedAt)
		require.Equal(t, "logout", got.RevokeReason)
		require.False(t, got.Active(t0))
	})

	t.Run("A3 concurrent rotations of one token: exactly one wins", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "u1")
		sess := newSession(t, s, u.ID, "s1", "h0")
		var ok atomic.Int32
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				err := s.RotateRefreshToken(ctx, "h0", auth.RefreshToken{Hash: fmt.Sprintf("n%d", i), SessionID: sess.ID, CreatedAt: t0, ExpiresAt: sess.ExpiresAt}, t0)
				if err == nil {
					ok.Add(1)
				} else if !assertIs(err, auth.ErrConflict) {
					t.Errorf("rotate: unexpected error %v", err)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), ok.Load())
	})

	t.Run("A4 revoking a user's sessions lists them once and feeds the revocation list", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "u1")
		other := newUser(t, s, "u2")
		newSession(t, s, u.ID, "s1", "h1")
		newSession(t, s, u.ID, "s2", "h2")
		newSession(t, s, other.ID, "s3", "h3")
		ids, err := s.RevokeUserSessions(ctx, u.ID, "erasure", t0.Add(time.Minute))
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"s1", "s2"}, ids)
		ids, err = s.RevokeUserSessions(ctx, u.ID, "erasure", t0.Add(2*time.Minute))
		require.NoError(t, err)
		require.Empty(t, ids, "a repeat revokes nothing")
		live, err := s.Session(ctx, "s3")
		require.NoError(t, err)
		require.Nil(t, live.RevokedAt, "another user's session stays")

		got, err := s.RevokedSince(ctx, t0)
		require.NoError(t, err)
		require.Len(t, got, 2)
		got, err = s.RevokedSince(ctx, t0.Add(90*time.Second))
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("A1 an OIDC state is taken once and not after expiry", func(t *testing.T) {
		s := newStore(t)
		st := auth.OIDCState{StateHash: "sh", Nonce: "n", CodeVerifier: "v", RedirectURI: "https://app/cb", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
		require.NoError(t, s.PutOIDCState(ctx, st))
		got, err := s.TakeOIDCState(ctx, "sh", t0)
		require.NoError(t, err)
		require.Equal(t, st, got)
		_, err = s.TakeOIDCState(ctx, "sh", t0)
		require.ErrorIs(t, err, auth.ErrNotFound, "second take")

		st.StateHash = "old"
		require.NoError(t, s.PutOIDCState(ctx, st))
		_, err = s.TakeOIDCState(ctx, "old", t0.Add(time.Minute))
		require.ErrorIs(t, err, auth.ErrNotFound, "expired state")
	})

	t.Run("A1 concurrent callbacks with one state: exactly one takes it", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.PutOIDCState(ctx, auth.OIDCState{StateHash: "sh", Nonce: "n", CodeVerifier: "v", RedirectURI: "r", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}))
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := s.TakeOIDCState(ctx, "sh", t0); err == nil {
					ok.Add(1)
				} else if !assertIs(err, auth.ErrNotFound) {
					t.Errorf("take: unexpected error %v", err)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), ok.Load())
	})

	t.Run("login flows are found by kind until consumed or expired", func(t *testing.T) {
		s := newStore(t)
		f := auth.LoginFlow{IDHash: "f1", Kind: auth.FlowLogin, Email: "a@skyfly.dev", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
		require.NoError(t, s.PutLoginFlow(ctx, f))
		got, err := s.LoginFlow(ctx, "f1", auth.FlowLogin, t0)
		require.NoError(t, err)
		require.Equal(t, f, got)
		_, err = s.LoginFlow(ctx, "f1", auth.FlowMFA, t0)
		require.ErrorIs(t, err, auth.ErrNotFound, "wrong kind")
		_, err = s.LoginFlow(ctx, "f1", auth.FlowLogin, t0.Add(time.Minute))
		require.ErrorIs(t, err, auth.ErrNotFound, "expired")
		require.NoError(t, s.ConsumeLoginFlow(ctx, "f1", t0))
		require.ErrorIs(t, s.ConsumeLoginFlow(ctx, "f1", t0), auth.ErrNotFound, "consumed twice")
		_, err = s.LoginFlow(ctx, "f1", auth.FlowLogin, t0)
		require.ErrorIs(t, err, auth.ErrNotFound, "consumed")
	})

	t.Run("M3 concurrent failures all count, and old ones are forgotten", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for range 15 {
			wg.Go(func() {
				if _, err := s.RecordFailure(ctx, "k", t0, time.Hour); err != nil {
					t.Errorf("record failure: %v", err)
				}
			})
		}
		wg.Wait()
		got, err := s.Throttles(ctx, []string{"k", "absent"})
		require.NoError(t, err)
		require.Equal(t, []auth.Throttle{{Key: "k", Failures: 15, LastFailureAt: t0}}, got)

		th, err := s.RecordFailure(ctx, "k", t0.Add(2*time.Hour), time.Hour)
		require.NoError(t, err)
		require.Equal(t, 1, th.Failures, "a failure after the window restarts the count")
		require.NoError(t, s.ForgiveFailure(ctx, "k"))
		got, err = s.Throttles(ctx, []string{"k"})
		require.NoError(t, err)
		require.Equal(t, 0, got[0].Failures, "forgiven once")
		require.NoError(t, s.ForgiveFailure(ctx, "k"))
		got, err = s.Throttles(ctx, []string{"k"})
		require.NoError(t, err)
		require.Equal(t, 0, got[0].Failures, "never below zero")
		require.NoError(t, s.ForgiveFailure(ctx, "absent"))
		require.NoError(t, s.ResetThrottle(ctx, "k"))
		got, err = s.Throttles(ctx, []string{"k"})
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("security events are listed newest first", func(t *testing.T) {
		s := newStore(t)
		for i := range 3 {
			require.NoError(t, s.AppendEvent(ctx, auth.SecurityEvent{ID: fmt.Sprintf("e%d", i), OccurredAt: t0.Add(time.Duration(i) * time.Second), Kind: auth.EventLogin, UserID: "u1", IP: "10.0.0.1"}))
		}
		require.NoError(t, s.AppendEvent(ctx, auth.SecurityEvent{ID: "x", OccurredAt: t0, Kind: auth.EventLogin, UserID: "u2"}))
		got, err := s.Events(ctx, "u1", 2)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, "e2", got[0].ID)
		require.Equal(t, "e1", got[1].ID)
	})

	t.Run("purge removes expired flows, states and tokens", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, s, "u1")
		newSession(t, s, u.ID, "s1", "h1")
		require.NoError(t, s.PutOIDCState(ctx, auth.OIDCState{StateHash: "sh", Nonce: "n", CodeVerifier: "v", RedirectURI: "r", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}))
		require.NoError(t, s.PutLoginFlow(ctx, auth.LoginFlow{IDHash: "f", Kind: auth.FlowLogin, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}))
		require.NoError(t, s.Purge(ctx, t0.Add(2*time.Hour), t0.Add(2*time.Hour)))
		_, err := s.TakeOIDCState(ctx, "sh", t0)
		require.ErrorIs(t, err, auth.ErrNotFound)
		_, err = s.LoginFlow(ctx, "f", auth.FlowLogin, t0)
		require.ErrorIs(t, err, auth.ErrNotFound)
		_, err = s.RefreshToken(ctx, "h1")
		require.ErrorIs(t, err, auth.ErrNotFound)
	})

	runGovernanceContract(t, newStore)
}

func assertIs(err, target error) bool { return errors.Is(err, target) }
