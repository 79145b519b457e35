package flightgorm

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/flight"
)

// TestStore_I3_SQLServerQueriesAreValidTSQL renders every query the store
// runs on the SQL Server dialect and checks it has no FOR UPDATE and no
// LIMIT (SQL Server rejects both).
func TestStore_I3_SQLServerQueriesAreValidTSQL(t *testing.T) {
	dry, err := sqldb.DryRunSQLServer()
	require.NoError(t, err)
	seg := flight.HoldSegment{FlightID: fid("SF1"), Cabin: flight.CabinEconomy, BookingClass: "M", Seats: 2, MaxSold: 170}
	now := t0
	var strs []string
	var airports []airportRow
	var flights []flightRow
	var inv []inventoryRow
	var quotes []quoteRow
	var holds []holdRow
	var segs []holdSegmentRow
	var stamps []stampRow
	var count int64
	var disruptions []disruptionRow
	queries := map[string]func(db *gorm.DB) *gorm.DB{
		"airport codes":      func(db *gorm.DB) *gorm.DB { return qAirportCodes(db, []string{"JFK", "LHR"}, &strs) },
		"airports":           func(db *gorm.DB) *gorm.DB { return qAirports(db, &airports) },
		"flight ids":         func(db *gorm.DB) *gorm.DB { return qFlightIDs(db, []string{"a", "b"}, &strs) },
		"flights from":       func(db *gorm.DB) *gorm.DB { return qFlightsFrom(db, now, &flights) },
		"capacities from":    func(db *gorm.DB) *gorm.DB { return qCapacitiesFrom(db, now, &inv) },
		"flight":             func(db *gorm.DB) *gorm.DB { return qFlight(db, "a", &flights) },
		"schedule stamp":     func(db *gorm.DB) *gorm.DB { return qScheduleStamp(db, &stamps) },
		"disruption count":   func(db *gorm.DB) *gorm.DB { return qDisruptionCount(db, &count) },
		"flight disruptions": func(db *gorm.DB) *gorm.DB { return qFlightDisruptions(db, "a", &disruptions) },
		"all disruptions":    func(db *gorm.DB) *gorm.DB { return qAllDisruptions(db, &disruptions) },
		"inventory":          func(db *gorm.DB) *gorm.DB { return qInventory(db, []string{"a"}, &inv) },
		"changed flights":    func(db *gorm.DB) *gorm.DB { return qChangedFlights(db, now, &strs) },
		"quote":              func(db *gorm.DB) *gorm.DB { return qQuote(db, "q", &quotes) },
		"hold":               func(db *gorm.DB) *gorm.DB { return qHold(db, "h", &holds) },
		"hold segments":      func(db *gorm.DB) *gorm.DB { return qHoldSegments(db, "h", &segs) },
		"take seats":         func(db *gorm.DB) *gorm.DB { return qTakeSeats(db, seg) },
		"return seats": func(db *gorm.DB) *gorm.DB {
			return qReturnSeats(db, holdSegmentRow{HoldID: "h", FlightID: "a", Cabin: "Y", Seats: 2})
		},
		"release": func(db *gorm.DB) *gorm.DB {
			return qTransition(db, "h", []flight.HoldStatus{flight.HoldHeld, flight.HoldCommitted}, flight.HoldReleased, now, "r", "")
		},
		"expire": func(db *gorm.DB) *gorm.DB {
			return qTransition(db, "h", []flight.HoldStatus{flight.HoldHeld}, flight.HoldExpired, now, "expired", "<=")
		},
		"commit": func(db *gorm.DB) *gorm.DB {
			return qTransition(db, "h", []flight.HoldStatus{flight.HoldHeld}, flight.HoldCommitted, now, "", ">")
		},
		"expired holds":   func(db *gorm.DB) *gorm.DB { return qExpiredHolds(db, now, 100, &strs) },
		"insert flights":  func(db *gorm.DB) *gorm.DB { return db.Create(&[]flightRow{{ID: "a"}, {ID: "b"}}) },
		"insert hold":     func(db *gorm.DB) *gorm.DB { return db.Create(&holdRow{ID: "h"}) },
		"insert segments": func(db *gorm.DB) *gorm.DB { return db.Create(&[]holdSegmentRow{{HoldID: "h", FlightID: "a"}}) },
		"insert quote":    func(db *gorm.DB) *gorm.DB { return db.Create(&quoteRow{ID: "q"}) },
	}
	forbidden := regexp.MustCompile(`(?i)\bFOR\s+UPDATE\b|\bLIMIT\b`)
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			stmt := q(dry.Session(&gorm.Session{DryRun: true, NewDB: true})).Statement
			sql := stmt.SQL.String()
			t.Logf("T-SQL: %s", sql)
			require.NotEmpty(t, sql)
			require.False(t, forbidden.MatchString(sql), "got T-SQL %q, want no FOR UPDATE or LIMIT", sql)
			if strings.HasPrefix(sql, "UPDATE") {
				require.Contains(t, sql, "WHERE", "an UPDATE must be conditional")
			}
		})
	}
}

// TestStore_I4_DeadlockIsRetried provokes a real deadlock on PostgreSQL and
// MariaDB (two transactions taking seats on two flights in opposite order)
// and checks that the loser is retried and both transactions take effect once.
func TestStore_I4_DeadlockIsRetried(t *testing.T) {
	dsns := testenv.SQLDSNs(t, "postgres", "mysql")
	delete(dsns, "sqlite") // SQLite serializes writers: it cannot deadlock
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, dsn(t))
			s := New(db)
			f1, f2 := seedFlights(t, s, 10)
			var ready sync.WaitGroup
			ready.Add(2)
			var attempts, retryable atomic.Int32
			txn := func(first, second flight.Flight) error {
				var try int
				return db.Transaction(ctx, func(tx *sqldb.DB) error {
					try++
					attempts.Add(1)
					take := func(f flight.Flight) error {
						res := qTakeSeats(tx.DB, flight.HoldSegment{FlightID: f.ID, Cabin: flight.CabinEconomy, BookingClass: "Y", Seats: 1, MaxSold: 10})
						if res.Error != nil && sqldb.IsRetryable(res.Error) {
							retryable.Add(1)
						}
						return res.Error
					}
					if err := take(first); err != nil {
						return err
					}
					if try == 1 {
						ready.Done()
						ready.Wait() // both hold their first row lock now
					}
					return take(second)
				})
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			wg.Go(func() { errs[0] = txn(f1, f2) })
			wg.Go(func() { errs[1] = txn(f2, f1) })
			wg.Wait()
			require.NoError(t, errs[0])
			require.NoError(t, errs[1])
			require.GreaterOrEqual(t, retryable.Load(), int32(1), "got no deadlock error, want one")
			require.GreaterOrEqual(t, attempts.Load(), int32(3), "got %d attempts, want a retry", attempts.Load())
			require.Equal(t, 8, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
			require.Equal(t, 8, seatsLeft(t, s, f2.ID, flight.CabinEconomy))
		})
	}
}
