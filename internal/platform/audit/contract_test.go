package audit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/bson"
	"gorm.io/gorm"

	"github.com/skyfly/skyfly/internal/platform/audit"
	"github.com/skyfly/skyfly/internal/platform/mongodb"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

// backend is one store under test plus the raw access an attacker with
// database credentials has, to tamper with it.
type backend struct {
	log audit.Log
	// edit changes the reason of entry seq; remove deletes it; swap
	// exchanges the positions of two entries.
	edit   func(t *testing.T, seq int64)
	remove func(t *testing.T, seq int64)
	swap   func(t *testing.T, a, b int64)
	// open returns another Log on the same chain (another process).
	open func(t *testing.T) audit.Log
}

func sqlBackend(t *testing.T, dsn string) backend {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, audit.Migrate(ctx, db))
	require.NoError(t, audit.Migrate(ctx, db), "migrating twice is a no-op")
	open := func(t *testing.T) audit.Log {
		l, err := audit.NewGormLog(ctx, db, "booking")
		require.NoError(t, err)
		return l
	}
	exec := func(t *testing.T, q string, args ...any) {
		t.Helper()
		res := db.Exec(q, args...)
		require.NoError(t, res.Error)
		require.NotZero(t, res.RowsAffected, q)
	}
	return backend{
		log:  open(t),
		open: open,
		edit: func(t *testing.T, seq int64) {
			exec(t, "UPDATE audit_log SET reason = ? WHERE chain = ? AND seq = ?", "edited", "booking", seq)
		},
		remove: func(t *testing.T, seq int64) {
			exec(t, "DELETE FROM audit_log WHERE chain = ? AND seq = ?", "booking", seq)
		},
		swap: func(t *testing.T, a, b int64) {
			require.NoError(t, db.Transaction(ctx, func(tx *sqldb.DB) error {
				for _, s := range [][2]int64{{a, -1}, {b, a}, {-1, b}} {
					if err := tx.Exec("UPDATE audit_log SET seq = ? WHERE chain = ? AND seq = ?", s[1], "booking", s[0]).Error; err != nil {
						return err
					}
				}
				return nil
			}))
		},
	}
}

func mongoBackend(t *testing.T, uri string) backend {
	t.Helper()
	ctx := context.Background()
	c, err := mongodb.Connect(ctx, mongodb.Config{DSN: uri, WriteConcern: "1"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	require.NoError(t, audit.EnsureMongoIndexes(ctx, c.DB))
	coll := c.DB.Collection(audit.CollLog)
	one := func(t *testing.T, filter, update bson.M) {
		t.Helper()
		res, err := coll.UpdateOne(ctx, filter, update)
		require.NoError(t, err)
		require.Equal(t, int64(1), res.MatchedCount)
	}
	return backend{
		log:  audit.NewMongoLog(c.DB, "customer"),
		open: func(*testing.T) audit.Log { return audit.NewMongoLog(c.DB, "customer") },
		edit: func(t *testing.T, seq int64) {
			one(t, bson.M{"chain": "customer", "seq": seq}, bson.M{"$set": bson.M{"reason": "edited"}})
		},
		remove: func(t *testing.T, seq int64) {
			res, err := coll.DeleteOne(ctx, bson.M{"chain": "customer", "seq": seq})
			require.NoError(t, err)
			require.Equal(t, int64(1), res.DeletedCount)
		},
		swap: func(t *testing.T, a, b int64) {
			one(t, bson.M{"chain": "customer", "seq": a}, bson.M{"$set": bson.M{"seq": int64(-1)}})
			one(t, bson.M{"chain": "customer", "seq": b}, bson.M{"$set": bson.M{"seq": a}})
			one(t, bson.M{"chain": "customer", "seq": int64(-1)}, bson.M{"$set": bson.M{"seq": b}})
		},
	}
}

// eachBackend runs f on SQLite, PostgreSQL, MariaDB and FerretDB (on SQLite
// and on PostgreSQL).
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for name, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(name, func(t *testing.T) { f(t, sqlBackend(t, dsn(t))) })
	}
	for _, h := range testenv.FerretDBHandlers() {
		t.Run("ferretdb-"+h, func(t *testing.T) { f(t, mongoBackend(t, testenv.FerretDB(t, h))) })
	}
}

func entry(i int) audit.Entry {
	return audit.Entry{
		At: testdate.At(0, 0, i).Add(123456789 * time.Nanosecond), Actor: fmt.Sprintf("staff-%d", i%3), ActorRole: "agent",
		Action: "GET /api/v1/bookings/:bookingId", Domain: "booking", CustomerID: fmt.Sprintf("cust-%d", i%2),
		Resources: []string{fmt.Sprintf("bookingId=bk_%d", i)}, Reason: "customer called", RequestID: fmt.Sprintf("req-%d", i),
		Outcome: audit.OutcomeSuccess, Status: 200,
	}
}

func appendN(t *testing.T, l audit.Log, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		e, err := l.Append(context.Background(), entry(i))
		require.NoError(t, err)
		require.Equal(t, int64(i), e.Seq)
	}
}

func verify(t *testing.T, l audit.Log) audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), l)
	require.NoError(t, err)
	return rep
}

func TestLog_A5_AppendFindVerify(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		require.True(t, verify(t, b.log).OK, "an empty chain verifies")
		appendN(t, b.log, 5)
		head, err := b.log.Head(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(5), head.Seq)

		got, err := b.log.Page(ctx, 0, 10)
		require.NoError(t, err)
		require.Len(t, got, 5)
		want := entry(3)
		require.Equal(t, want.Resources, got[2].Resources)
		require.Equal(t, want.At.Truncate(time.Millisecond), got[2].At, "times are kept to the millisecond")
		require.Equal(t, got[1].Hash, got[2].PrevHash)

		byBooking, err := b.log.Find(ctx, audit.Query{Subject: "bk_3"})
		require.NoError(t, err)
		require.Len(t, byBooking, 1)
		require.Equal(t, int64(3), byBooking[0].Seq)
		byCustomer, err := b.log.Find(ctx, audit.Query{Subject: "cust-1"})
		require.NoError(t, err)
		require.Len(t, byCustomer, 3, "entries 1, 3 and 5")
		wild, err := b.log.Find(ctx, audit.Query{Subject: "bk_%"})
		require.NoError(t, err)
		require.Empty(t, wild, "a subject is matched exactly, wildcards are literal")
		byActor, err := b.log.Find(ctx, audit.Query{Actor: "staff-0", Subject: "bk_3"})
		require.NoError(t, err)
		require.Len(t, byActor, 1)

		rep := verify(t, b.log)
		require.True(t, rep.OK, rep.Reason)
		require.Equal(t, int64(5), rep.Checked)
	})
}

func TestLog_A5_RefusesIncompleteEntries(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		for name, mutate := range map[string]func(*audit.Entry){
			"no actor":        func(e *audit.Entry) { e.Actor = "" },
			"no action":       func(e *audit.Entry) { e.Action = "" },
			"unknown outcome": func(e *audit.Entry) { e.Outcome = "maybe" },
		} {
			e := entry(1)
			mutate(&e)
			_, err := b.log.Append(context.Background(), e)
			require.ErrorIs(t, err, audit.ErrInvalidEntry, name)
		}
	})
}

// TestLog_A5_ConcurrentAppendsNeverFork: writers through two handles (two
// processes) append at once; the chain has every entry once, without gaps,
// and verifies.
func TestLog_A5_ConcurrentAppendsNeverFork(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		const writers, each = 6, 8
		logs := []audit.Log{b.log, b.open(t)}
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if _, err := logs[w%2].Append(context.Background(), entry(w*each+i+1)); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		rep := verify(t, b.log)
		require.True(t, rep.OK, rep.Reason)
		require.Equal(t, int64(writers*each), rep.Checked)
		all, err := b.log.Page(context.Background(), 0, 1000)
		require.NoError(t, err)
		reqs := map[string]bool{}
		for _, e := range all {
			reqs[e.RequestID] = true
		}
		require.Len(t, reqs, writers*each, "every append is in the chain once")
	})
}

// TestLog_A5_TamperIsDetected: an edited, deleted, reordered or truncated
// entry breaks the chain at that entry, in each store.
func TestLog_A5_TamperIsDetected(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func(t *testing.T, b backend)
		wantBad int64
		reason  string
	}{
		{"an edited entry", func(t *testing.T, b backend) { b.edit(t, 3) }, 3, "edited"},
		{"a deleted entry", func(t *testing.T, b backend) { b.remove(t, 2) }, 2, "missing"},
		{"two entries swapped", func(t *testing.T, b backend) { b.swap(t, 2, 4) }, 2, "prev_hash"},
		{"the newest entries deleted", func(t *testing.T, b backend) { b.remove(t, 5); b.remove(t, 4) }, 4, "deleted at the end"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				appendN(t, b.log, 5)
				require.True(t, verify(t, b.log).OK)
				tc.tamper(t, b)
				rep := verify(t, b.log)
				require.False(t, rep.OK)
				require.Equal(t, tc.wantBad, rep.BadSeq, rep.Reason)
				require.True(t, strings.Contains(rep.Reason, tc.reason), "got reason %q, want it to mention %q", rep.Reason, tc.reason)
			})
		})
	}
}

// TestGormLog_I3_SQLServerDialect renders the store's statements with GORM's
// sqlserver dialect (dry run) and checks they are T-SQL.
func TestGormLog_I3_SQLServerDialect(t *testing.T) {
	dry, err := sqldb.DryRunSQLServer()
	require.NoError(t, err)
	rec := &sqlRecorder{}
	l := audit.NewGormLogWithGorm(dry.Session(&gorm.Session{Logger: rec}), "booking")
	ctx := context.Background()
	_, _ = l.Append(ctx, entry(1))
	_, _ = l.Head(ctx)
	_, _ = l.Page(ctx, 0, 10)
	_, _ = l.Find(ctx, audit.Query{Subject: "bk_1", Actor: "a", Limit: 5})
	rec.check(t, 5)
}
