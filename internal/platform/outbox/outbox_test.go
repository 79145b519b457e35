package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

func openDB(t *testing.T, dsn string) *sqldb.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, outbox.Migrate(ctx, db))
	return db
}

func event(t *testing.T, id, agg string, at time.Time) outbox.Event {
	t.Helper()
	e, err := outbox.New(id, "booking.confirmed", outbox.Aggregate{Type: "booking", ID: agg}, at, map[string]string{"bookingId": agg})
	require.NoError(t, err)
	return e
}

// TestOutbox_Contract runs the outbox store against every SQL database.
func TestOutbox_Contract(t *testing.T) {
	for name, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, dsn(t))
			s := outbox.NewStore(db)
			now := time.Now().UTC().Truncate(time.Millisecond)

			t.Run("an event rolled back with its change is never published", func(t *testing.T) {
				err := db.Transaction(ctx, func(tx *sqldb.DB) error {
					require.NoError(t, outbox.Append(tx.DB, "booking", event(t, "rolled-back", "bk1", now)))
					return errors.New("the change failed")
				})
				require.Error(t, err)
				got, err := s.Pending(ctx, 10)
				require.NoError(t, err)
				require.Empty(t, got)
			})

			t.Run("committed events are pending in sequence order until marked sent", func(t *testing.T) {
				for i := range 3 {
					require.NoError(t, db.Transaction(ctx, func(tx *sqldb.DB) error {
						return outbox.Append(tx.DB, "booking", event(t, fmt.Sprintf("e%d", i), "bk1", now.Add(time.Duration(i)*time.Second)))
					}))
				}
				got, err := s.Pending(ctx, 10)
				require.NoError(t, err)
				require.Len(t, got, 3)
				for i, r := range got {
					e, err := r.Event()
					require.NoError(t, err)
					require.Equal(t, fmt.Sprintf("e%d", i), e.ID)
					require.Equal(t, "skyfly.booking.v1", r.Topic)
					require.Equal(t, "bk1", r.Key, "keyed by aggregate")
					require.Equal(t, outbox.SchemaVersion, e.Version)
					if i > 0 {
						require.Greater(t, r.Seq, got[i-1].Seq)
					}
				}
				n, oldest, err := s.Backlog(ctx)
				require.NoError(t, err)
				require.Equal(t, int64(3), n)
				require.WithinDuration(t, now, oldest, time.Millisecond)

				require.NoError(t, s.MarkSent(ctx, []int64{got[0].Seq, got[1].Seq}, now))
				left, err := s.Pending(ctx, 10)
				require.NoError(t, err)
				require.Len(t, left, 1)
				require.Equal(t, got[2].Seq, left[0].Seq)

				all, err := s.ByAggregate(ctx, "bk1", got[0].Seq, 10)
				require.NoError(t, err)
				require.Len(t, all, 2, "events after a sequence, sent or not")
			})

			t.Run("an event id is unique", func(t *testing.T) {
				err := db.Transaction(ctx, func(tx *sqldb.DB) error {
					return outbox.Append(tx.DB, "booking", event(t, "e0", "bk1", now))
				})
				require.Error(t, err)
			})

			t.Run("one relay holds the lease until it expires", func(t *testing.T) {
				ok, err := s.Acquire(ctx, "relay:booking", "a", now, time.Minute)
				require.NoError(t, err)
				require.True(t, ok)
				ok, err = s.Acquire(ctx, "relay:booking", "b", now.Add(time.Second), time.Minute)
				require.NoError(t, err)
				require.False(t, ok, "b waits while a holds it")
				ok, err = s.Acquire(ctx, "relay:booking", "a", now.Add(2*time.Second), time.Minute)
				require.NoError(t, err)
				require.True(t, ok, "a renews")
				ok, err = s.Acquire(ctx, "relay:booking", "b", now.Add(2*time.Minute), time.Minute)
				require.NoError(t, err)
				require.True(t, ok, "b takes over an expired lease")
			})

			t.Run("a consumer applies an event once", func(t *testing.T) {
				apply := func() error {
					return db.Transaction(ctx, func(tx *sqldb.DB) error {
						return outbox.Once(tx.DB, "notifications", "e1", now)
					})
				}
				require.NoError(t, apply())
				require.ErrorIs(t, apply(), outbox.ErrSeen)
				require.NoError(t, db.Transaction(ctx, func(tx *sqldb.DB) error {
					return outbox.Once(tx.DB, "analytics", "e1", now)
				}), "another consumer group has its own inbox")
			})
		})
	}
}

// TestOutbox_SQLServerDialect renders every outbox statement as T-SQL (I3):
// no LIMIT, no FOR UPDATE.
func TestOutbox_SQLServerDialect(t *testing.T) {
	ctx := context.Background()
	gdb, err := sqldb.DryRunSQLServer()
	require.NoError(t, err)
	var stmts []string
	capture := func(tx *gorm.DB) { stmts = append(stmts, tx.Statement.SQL.String()) }
	require.NoError(t, gdb.Callback().Create().After("gorm:create").Register("capture", capture))
	require.NoError(t, gdb.Callback().Query().After("gorm:query").Register("capture", capture))
	require.NoError(t, gdb.Callback().Update().After("gorm:update").Register("capture", capture))
	db := &sqldb.DB{DB: gdb, Dialect: sqldb.SQLServer}
	s := outbox.NewStore(db)
	now := time.Now()
	require.NoError(t, outbox.Append(gdb, "booking", event(t, "e1", "bk1", now)))
	_, err = s.Pending(ctx, 200)
	require.NoError(t, err)
	_, err = s.ByAggregate(ctx, "bk1", 0, 100)
	require.NoError(t, err)
	require.NoError(t, s.MarkSent(ctx, []int64{1, 2}, now))
	require.NoError(t, s.MarkAttempt(ctx, []int64{1}))
	_, err = s.Acquire(ctx, "relay:booking", "a", now, time.Minute)
	require.NoError(t, err)
	require.NoError(t, outbox.Once(gdb, "c", "e1", now))
	require.GreaterOrEqual(t, len(stmts), 7)
	for _, q := range stmts {
		require.NotContains(t, q, "LIMIT", q)
		require.NotContains(t, q, "FOR UPDATE", q)
	}
	require.Contains(t, strings.Join(stmts, "\n"), "FETCH NEXT", "paging is T-SQL")
}
