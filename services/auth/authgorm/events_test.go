package authgorm_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/auth/authgorm"
)

// TestSessionEvents_WrittenWithTheChange: logging in (a session created)
// and revoking a session each write one auth event in the same
// transaction, keyed by the user, with ids and a reason code only; a
// second revocation changes nothing and writes nothing. On every available
// database.
func TestSessionEvents_WrittenWithTheChange(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db := migrated(t, dsn(t))
			s := authgorm.New(db)
			u := newUser(t, s, "u1")
			newSession(t, s, u.ID, "s1", "h1")
			newSession(t, s, u.ID, "s2", "h2")
			newSession(t, s, u.ID, "s3", "h3")

			ok, err := s.RevokeSession(ctx, "s1", "logout", t0)
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = s.RevokeSession(ctx, "s1", "logout", t0)
			require.NoError(t, err)
			require.False(t, ok)
			revoked, err := s.RevokeUserSessions(ctx, u.ID, "disabled: complaint by "+u.Email, t0)
			require.NoError(t, err)
			require.Equal(t, []string{"s2", "s3"}, revoked)

			recs, err := outbox.NewStore(db).Pending(ctx, 100)
			require.NoError(t, err)
			type ev struct{ id, typ, reason string }
			var got []ev
			for _, r := range recs {
				require.Equal(t, outbox.Topic("auth"), r.Topic)
				require.Equal(t, u.ID, r.Key, "keyed by the user")
				require.NotContains(t, string(r.Payload), u.Email, "an auth event carries the e-mail address")
				require.NotContains(t, string(r.Payload), "complaint", "an auth event carries free text")
				e, err := r.Event()
				require.NoError(t, err)
				var d auth.SessionEventData
				require.NoError(t, json.Unmarshal(e.Data, &d))
				require.Equal(t, u.ID, d.UserID)
				got = append(got, ev{e.ID, e.Type, d.Reason})
			}
			require.Equal(t, []ev{
				{"s1/started", auth.DomainEventSessionStarted, ""},
				{"s2/started", auth.DomainEventSessionStarted, ""},
				{"s3/started", auth.DomainEventSessionStarted, ""},
				{"s1/revoked", auth.DomainEventSessionRevoked, "logout"},
				{"s2/revoked", auth.DomainEventSessionRevoked, "disabled"},
				{"s3/revoked", auth.DomainEventSessionRevoked, "disabled"},
			}, got)
		})
	}
}

// TestUserErasedEvent_WrittenWithTheErasure: erasing a user writes one
// auth.user.erased event (the user id only) and a revocation per open
// session in the transaction that tombstones the identity; a second
// erasure changes nothing and writes nothing, and an erasure that fails
// (an unknown user) leaves no event behind. On every available database.
func TestUserErasedEvent_WrittenWithTheErasure(t *testing.T) {
	for dialect, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db := migrated(t, dsn(t))
			s, ob := authgorm.New(db), outbox.NewStore(db)
			u := newUser(t, s, "u_gone")
			newSession(t, s, u.ID, "s_gone", "h_gone")
			before, err := ob.Pending(ctx, 100)
			require.NoError(t, err)

			erased, err := s.EraseUser(ctx, u.ID, t0)
			require.NoError(t, err)
			require.True(t, erased)
			erased, err = s.EraseUser(ctx, u.ID, t0)
			require.NoError(t, err)
			require.False(t, erased, "a second erasure is a no-op")
			_, err = s.EraseUser(ctx, "u_nobody", t0)
			require.ErrorIs(t, err, auth.ErrNotFound)

			recs, err := ob.Pending(ctx, 100)
			require.NoError(t, err)
			type ev struct{ id, typ string }
			var got []ev
			for _, r := range recs[len(before):] {
				require.Equal(t, outbox.Topic("auth"), r.Topic)
				require.Equal(t, u.ID, r.Key, "keyed by the user")
				require.NotContains(t, string(r.Payload), u.Email, "an erasure event carries the e-mail address")
				e, err := r.Event()
				require.NoError(t, err)
				got = append(got, ev{e.ID, e.Type})
				if e.Type == auth.DomainEventUserErased {
					var d auth.UserErasedData
					require.NoError(t, json.Unmarshal(e.Data, &d))
					require.Equal(t, auth.UserErasedData{UserID: u.ID}, d)
					require.True(t, e.OccurredAt.Equal(t0), "occurredAt %v, want the erasure's time %v", e.OccurredAt, t0)
				}
			}
			require.Equal(t, []ev{{"s_gone/revoked", auth.DomainEventSessionRevoked}, {u.ID + "/erased", auth.DomainEventUserErased}}, got,
				"one revocation and one erasure event, none for the repeated or failed erasure")
		})
	}
}
