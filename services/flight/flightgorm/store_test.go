package flightgorm

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/flight"
)

// t0 is the departure of the first test flight, tomorrow at 08:00 UTC; the
// store takes its "now" from the caller, and the tests pass t0 and times
// around it.
var t0 = testdate.At(1, 8, 0)

// fid is the id of the flight number departing on t0's date.
func fid(number string) string { return number + "-" + testdate.Compact(t0) }

func openDB(t testing.TB, dsn string) *sqldb.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn, MaxOpenConns: 40})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, Migrate(ctx, db))
	return db
}

// eachStore runs fn against a fresh, migrated store on every available
// dialect (the contract suite).
func eachStore(t *testing.T, fn func(t *testing.T, s *Store, db *sqldb.DB)) {
	for name, dsn := range testenv.SQLDSNs(t, "sqlite", "postgres", "mysql") {
		t.Run(name, func(t *testing.T) {
			db := openDB(t, dsn(t))
			fn(t, New(db), db)
		})
	}
}

func airports() []flight.Airport {
	return []flight.Airport{
		{Code: "AAA", Name: "Alpha", City: "Alpha City", Country: "US", Zone: "America/New_York", Lat: 40, Lon: -73},
		{Code: "BBB", Name: "Bravo", City: "Bravo City", Country: "GB", Zone: "Europe/London", Lat: 51, Lon: 0},
		{Code: "CCC", Name: "Charlie", City: "Charlie City", Country: "DE", Zone: "Europe/Berlin", Lat: 50, Lon: 8},
	}
}

// seedFlights inserts two flights AAA-BBB and BBB-CCC with capacity seats in Y.
func seedFlights(t testing.TB, s *Store, capacity int) (f1, f2 flight.Flight) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.SaveAirports(ctx, airports()))
	f1 = flight.Flight{ID: fid("SF1"), Number: "SF1", Origin: "AAA", Destination: "BBB", DepartureUTC: t0, ArrivalUTC: t0.Add(7 * time.Hour),
		Aircraft: "789", DistanceKm: 5500, Cabins: []flight.CabinSeats{{Cabin: flight.CabinBusiness, Seats: 4}, {Cabin: flight.CabinEconomy, Seats: capacity}}}
	f2 = flight.Flight{ID: fid("SF2"), Number: "SF2", Origin: "BBB", Destination: "CCC", DepartureUTC: t0.Add(9 * time.Hour), ArrivalUTC: t0.Add(10*time.Hour + 30*time.Minute),
		Aircraft: "320", DistanceKm: 650, Cabins: []flight.CabinSeats{{Cabin: flight.CabinEconomy, Seats: capacity}}}
	n, err := s.InsertFlights(ctx, []flight.Flight{f1, f2})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	return f1, f2
}

func seatsLeft(t testing.TB, s *Store, flightID string, c flight.Cabin) int {
	t.Helper()
	m, err := s.Availability(context.Background(), []string{flightID})
	require.NoError(t, err)
	for _, ca := range m[flightID] {
		if ca.Cabin == c {
			return ca.Available
		}
	}
	t.Fatalf("flight %s has no cabin %s", flightID, c)
	return 0
}

func hold(id, quote string, seats int, expires time.Time, flights ...flight.Flight) flight.Hold {
	h := flight.Hold{ID: id, QuoteID: quote, Status: flight.HoldHeld, Seats: seats, CreatedAt: t0.Add(-time.Hour), ExpiresAt: expires}
	for _, f := range flights {
		h.Segments = append(h.Segments, flight.HoldSegment{FlightID: f.ID, Cabin: flight.CabinEconomy, BookingClass: "Y", Seats: seats, MaxSold: f.Capacity(flight.CabinEconomy)})
	}
	return h
}

func TestStore_Contract(t *testing.T) {
	ctx := context.Background()
	eachStore(t, func(t *testing.T, s *Store, db *sqldb.DB) {
		f1, f2 := seedFlights(t, s, 10)

		t.Run("the schedule stamp counts the flights", func(t *testing.T) {
			stamp, err := s.ScheduleStamp(ctx)
			require.NoError(t, err)
			require.Equal(t, "2/"+fid("SF2")+"/0", stamp)
		})

		t.Run("seeding again inserts nothing", func(t *testing.T) {
			require.NoError(t, s.SaveAirports(ctx, airports()))
			n, err := s.InsertFlights(ctx, []flight.Flight{f1, f2})
			require.NoError(t, err)
			require.Equal(t, 0, n, "got %d inserted, want 0", n)
		})

		t.Run("flights come back in UTC with their cabins", func(t *testing.T) {
			fs, err := s.Flights(ctx, t0.Add(-time.Hour))
			require.NoError(t, err)
			require.Len(t, fs, 2)
			require.Equal(t, f1.ID, fs[0].ID)
			require.True(t, fs[0].DepartureUTC.Equal(f1.DepartureUTC), "got %v, want %v", fs[0].DepartureUTC, f1.DepartureUTC)
			require.Equal(t, f1.Cabins, fs[0].Cabins)
			later, err := s.Flights(ctx, t0.Add(time.Hour))
			require.NoError(t, err)
			require.Len(t, later, 1)
			got, err := s.Flight(ctx, f2.ID)
			require.NoError(t, err)
			require.Equal(t, f2.Cabins, got.Cabins)
			_, err = s.Flight(ctx, fid("SF9"))
			require.ErrorIs(t, err, flight.ErrFlightNotFound)
			as, err := s.Airports(ctx)
			require.NoError(t, err)
			require.Equal(t, airports(), as)
		})

		t.Run("a quote round-trips and an unknown one is not found", func(t *testing.T) {
			q := flight.Quote{ID: "q_1", FlightIDs: []string{f1.ID, f2.ID}, FareID: "Y-M", Cabin: flight.CabinEconomy, BookingClass: "M", Family: flight.FamilyStandard,
				Passengers: flight.Passengers{Adults: 2, Children: 1, Infants: 1},
				Segments:   []flight.Segment{{FlightID: f1.ID, FlightNumber: "SF1", Origin: "AAA", Destination: "BBB", Departure: f1.DepartureUTC, Arrival: f1.ArrivalUTC, Aircraft: "789", International: true}},
				Total:      money.New(123456, "EUR"), Breakdown: []flight.PriceLine{{Code: "BASE-ADT", Description: "Base", Amount: money.New(123456, "EUR")}},
				Conditions: flight.FamilyConditions(flight.FamilyStandard, flight.CabinEconomy), CreatedAt: t0, ExpiresAt: t0.Add(20 * time.Minute)}
			require.NoError(t, s.SaveQuote(ctx, q))
			got, err := s.Quote(ctx, "q_1")
			require.NoError(t, err)
			require.Equal(t, q.Total, got.Total)
			require.Equal(t, q.Passengers, got.Passengers)
			require.Equal(t, q.FlightIDs, got.FlightIDs)
			require.Equal(t, q.Breakdown, got.Breakdown)
			require.True(t, got.ExpiresAt.Equal(q.ExpiresAt))
			require.True(t, got.Segments[0].Departure.Equal(f1.DepartureUTC))
			_, err = s.Quote(ctx, "q_missing")
			require.ErrorIs(t, err, flight.ErrQuoteNotFound)
		})

		t.Run("T4 a hold takes seats once however often it is created", func(t *testing.T) {
			h, created, err := s.CreateHold(ctx, hold("h_t4", "q_1", 2, t0.Add(time.Hour), f1, f2))
			require.NoError(t, err)
			require.True(t, created)
			require.Equal(t, flight.HoldHeld, h.Status)
			require.Len(t, h.Segments, 2)
			again, created, err := s.CreateHold(ctx, hold("h_t4", "q_1", 2, t0.Add(time.Hour), f1, f2))
			require.NoError(t, err)
			require.False(t, created)
			require.Equal(t, h.ID, again.ID)
			require.Equal(t, 8, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
			require.Equal(t, 8, seatsLeft(t, s, f2.ID, flight.CabinEconomy))
			_, _, err = s.CreateHold(ctx, hold("h_t4", "q_other", 2, t0.Add(time.Hour), f1))
			require.ErrorIs(t, err, flight.ErrHoldConflict)
		})

		t.Run("I2 a hold beyond the seats left is a typed refusal and takes nothing", func(t *testing.T) {
			_, _, err := s.CreateHold(ctx, hold("h_big", "q_1", 9, t0.Add(time.Hour), f1))
			require.ErrorIs(t, err, flight.ErrSeatUnavailable)
			_, err = s.Hold(ctx, "h_big")
			require.ErrorIs(t, err, flight.ErrHoldNotFound)
			require.Equal(t, 8, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
		})

		t.Run("a connection is held on both flights or on neither", func(t *testing.T) {
			fill := hold("h_fill", "q_1", 8, t0.Add(time.Hour), f2)
			_, _, err := s.CreateHold(ctx, fill)
			require.NoError(t, err)
			_, _, err = s.CreateHold(ctx, hold("h_conn", "q_1", 1, t0.Add(time.Hour), f1, f2))
			require.ErrorIs(t, err, flight.ErrSeatUnavailable)
			require.Equal(t, 8, seatsLeft(t, s, f1.ID, flight.CabinEconomy), "first flight must be untouched")
			_, released, err := s.ReleaseHold(ctx, "h_fill", "test", t0)
			require.NoError(t, err)
			require.True(t, released)
		})

		t.Run("a closed booking-class bucket refuses although the cabin has seats", func(t *testing.T) {
			h := hold("h_bucket", "q_1", 1, t0.Add(time.Hour), f1)
			h.Segments[0].MaxSold = 2 // 2 seats already sold on f1
			_, _, err := s.CreateHold(ctx, h)
			require.ErrorIs(t, err, flight.ErrSeatUnavailable)
			h.Segments[0].MaxSold = 3
			_, created, err := s.CreateHold(ctx, h)
			require.NoError(t, err)
			require.True(t, created)
			_, _, err = s.ReleaseHold(ctx, "h_bucket", "test", t0)
			require.NoError(t, err)
		})

		t.Run("I6 releasing twice restores seats once", func(t *testing.T) {
			_, _, err := s.CreateHold(ctx, hold("h_rel", "q_1", 3, t0.Add(time.Hour), f1))
			require.NoError(t, err)
			require.Equal(t, 5, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
			h, released, err := s.ReleaseHold(ctx, "h_rel", "customer cancelled", t0)
			require.NoError(t, err)
			require.True(t, released)
			require.Equal(t, flight.HoldReleased, h.Status)
			h, released, err = s.ReleaseHold(ctx, "h_rel", "again", t0)
			require.NoError(t, err)
			require.False(t, released)
			require.Equal(t, flight.HoldReleased, h.Status)
			require.Equal(t, 8, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
		})

		t.Run("I6 a release racing the expiry restores seats once", func(t *testing.T) {
			for i := range 10 {
				id := fmt.Sprintf("h_race_%d", i)
				_, _, err := s.CreateHold(ctx, hold(id, "q_1", 2, t0, f1))
				require.NoError(t, err)
				var wg sync.WaitGroup
				results := make([]bool, 2)
				errs := make([]error, 2)
				wg.Go(func() { _, results[0], errs[0] = s.ReleaseHold(ctx, id, "race", t0.Add(time.Minute)) })
				wg.Go(func() { results[1], errs[1] = s.ExpireHold(ctx, id, t0.Add(time.Minute)) })
				wg.Wait()
				require.NoError(t, errs[0])
				require.NoError(t, errs[1])
				require.True(t, results[0] != results[1], "got release=%v expire=%v, want exactly one", results[0], results[1])
				require.Equal(t, 8, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
			}
		})

		t.Run("commit is idempotent and refused after expiry or release", func(t *testing.T) {
			_, _, err := s.CreateHold(ctx, hold("h_commit", "q_1", 1, t0.Add(time.Hour), f1))
			require.NoError(t, err)
			h, err := s.CommitHold(ctx, "h_commit", t0)
			require.NoError(t, err)
			require.Equal(t, flight.HoldCommitted, h.Status)
			h, err = s.CommitHold(ctx, "h_commit", t0)
			require.NoError(t, err)
			require.Equal(t, flight.HoldCommitted, h.Status)
			ok, err := s.ExpireHold(ctx, "h_commit", t0.Add(2*time.Hour))
			require.NoError(t, err)
			require.False(t, ok, "a committed hold never expires")
			require.Equal(t, 7, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
			_, released, err := s.ReleaseHold(ctx, "h_commit", "cancellation", t0)
			require.NoError(t, err)
			require.True(t, released, "a committed hold is released on cancellation")
			require.Equal(t, 8, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
			_, err = s.CommitHold(ctx, "h_commit", t0)
			require.ErrorIs(t, err, flight.ErrHoldExpired)

			_, _, err = s.CreateHold(ctx, hold("h_late", "q_1", 1, t0.Add(time.Minute), f1))
			require.NoError(t, err)
			_, err = s.CommitHold(ctx, "h_late", t0.Add(time.Minute))
			require.ErrorIs(t, err, flight.ErrHoldExpired)
			_, err = s.CommitHold(ctx, "h_nothing", t0)
			require.ErrorIs(t, err, flight.ErrHoldNotFound)
			_, _, err = s.ReleaseHold(ctx, "h_late", "cleanup", t0)
			require.NoError(t, err)
		})

		t.Run("expired holds are listed and expire once", func(t *testing.T) {
			_, _, err := s.CreateHold(ctx, hold("h_exp", "q_1", 2, t0.Add(10*time.Minute), f1))
			require.NoError(t, err)
			ids, err := s.ExpiredHolds(ctx, t0.Add(5*time.Minute), 10)
			require.NoError(t, err)
			require.NotContains(t, ids, "h_exp")
			ids, err = s.ExpiredHolds(ctx, t0.Add(10*time.Minute), 10)
			require.NoError(t, err)
			require.Contains(t, ids, "h_exp")
			ok, err := s.ExpireHold(ctx, "h_exp", t0.Add(10*time.Minute))
			require.NoError(t, err)
			require.True(t, ok)
			ok, err = s.ExpireHold(ctx, "h_exp", t0.Add(10*time.Minute))
			require.NoError(t, err)
			require.False(t, ok)
			h, err := s.Hold(ctx, "h_exp")
			require.NoError(t, err)
			require.Equal(t, flight.HoldExpired, h.Status)
			require.Equal(t, 8, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
		})

		t.Run("releasing an unknown hold leaves a tombstone a late hold cannot use", func(t *testing.T) {
			h, released, err := s.ReleaseHold(ctx, "h_ghost", "compensation", t0)
			require.NoError(t, err)
			require.False(t, released)
			require.Equal(t, flight.HoldReleased, h.Status)
			got, created, err := s.CreateHold(ctx, hold("h_ghost", "q_1", 2, t0.Add(time.Hour), f1))
			require.NoError(t, err)
			require.False(t, created)
			require.Equal(t, flight.HoldReleased, got.Status)
			require.Equal(t, 8, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
		})

		t.Run("seat counters come in one read and the changed-flights feed names what holds changed", func(t *testing.T) {
			from := t0.Add(-time.Hour)
			before, err := s.SeatCounters(ctx, from)
			require.NoError(t, err)
			got := map[string]int{}
			for _, c := range before {
				got[c.FlightID+"/"+string(c.Cabin)] = c.Available
			}
			require.Equal(t, seatsLeft(t, s, f1.ID, flight.CabinEconomy), got[f1.ID+"/Y"])
			require.Equal(t, seatsLeft(t, s, f1.ID, flight.CabinBusiness), got[f1.ID+"/J"])
			require.Equal(t, seatsLeft(t, s, f2.ID, flight.CabinEconomy), got[f2.ID+"/Y"])
			require.Len(t, before, 3, "J and Y on the first flight, Y on the second")
			later, err := s.SeatCounters(ctx, f2.DepartureUTC.Add(time.Minute))
			require.NoError(t, err)
			require.Empty(t, later, "flights departed before from are left out")

			mark := t0.AddDate(0, 0, 30) // after every change the subtests above made
			h := hold("h_feed", "q_feed", 1, t0.Add(time.Hour), f2)
			h.CreatedAt = mark
			_, created, err := s.CreateHold(ctx, h)
			require.NoError(t, err)
			require.True(t, created)
			changed, err := s.ChangedFlights(ctx, mark)
			require.NoError(t, err)
			require.Equal(t, []string{f2.ID}, changed)
			changed, err = s.ChangedFlights(ctx, mark.Add(time.Minute))
			require.NoError(t, err)
			require.Empty(t, changed, "nothing changed since")
			_, released, err := s.ReleaseHold(ctx, "h_feed", "test", mark.Add(2*time.Minute))
			require.NoError(t, err)
			require.True(t, released)
			changed, err = s.ChangedFlights(ctx, mark.Add(time.Minute))
			require.NoError(t, err)
			require.Equal(t, []string{f2.ID}, changed, "the release changed it again")
		})

		t.Run("disruptions are numbered per flight, recorded once, and end with a cancellation", func(t *testing.T) {
			retime := flight.Disruption{FlightID: f2.ID, Kind: flight.DisruptionRetimed, NewDepartureUTC: t0.Add(10 * time.Hour),
				NewArrivalUTC: t0.Add(11*time.Hour + 30*time.Minute), Reason: "crew", Actor: "sup", CreatedAt: t0}
			d1, created, err := s.RecordDisruption(ctx, retime)
			require.NoError(t, err)
			require.True(t, created)
			require.Equal(t, 1, d1.Seq)
			require.True(t, d1.NewDepartureUTC.Equal(retime.NewDepartureUTC))
			again, created, err := s.RecordDisruption(ctx, retime)
			require.NoError(t, err)
			require.False(t, created, "the same disruption twice is one")
			require.Equal(t, 1, again.Seq)
			stamp, err := s.ScheduleStamp(ctx)
			require.NoError(t, err)
			require.Equal(t, "2/"+fid("SF2")+"/1", stamp, "a disruption changes the schedule stamp")

			d2, created, err := s.RecordDisruption(ctx, flight.Disruption{FlightID: f2.ID, Kind: flight.DisruptionCancelled, Reason: "weather", Actor: "sup", CreatedAt: t0})
			require.NoError(t, err)
			require.True(t, created)
			require.Equal(t, 2, d2.Seq)
			_, _, err = s.RecordDisruption(ctx, retime)
			require.ErrorIs(t, err, flight.ErrFlightCancelled)

			all, err := s.Disruptions(ctx)
			require.NoError(t, err)
			require.Len(t, all, 1)
			require.Equal(t, flight.DisruptionCancelled, all[f2.ID].Kind, "the latest one is in force")
			var events int64
			require.NoError(t, db.Table("outbox_events").Where("event_type = ? AND aggregate_id = ?", flight.EventFlightDisrupted, f2.ID).Count(&events).Error)
			require.Equal(t, int64(2), events, "one event per recorded disruption")
		})

		t.Run("concurrent identical disruptions record one", func(t *testing.T) {
			var wg sync.WaitGroup
			results := make([]bool, 8)
			errs := make([]error, 8)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, results[i], errs[i] = s.RecordDisruption(ctx, flight.Disruption{FlightID: f1.ID, Kind: flight.DisruptionCancelled, Reason: "r", Actor: "a", CreatedAt: t0})
				}()
			}
			wg.Wait()
			created := 0
			for i := range results {
				require.NoError(t, errs[i])
				if results[i] {
					created++
				}
			}
			require.Equal(t, 1, created)
		})
	})
}

// TestStore_I1_NoOverbooking: 200 concurrent single-seat holds against k
// seats, repeated, on every dialect: exactly min(200, k) succeed, the
// counter never goes negative, and held seats add up to what was taken.
func TestStore_I1_NoOverbooking(t *testing.T) {
	ctx := context.Background()
	const buyers = 200
	eachStore(t, func(t *testing.T, s *Store, db *sqldb.DB) {
		require.NoError(t, s.SaveAirports(ctx, airports()))
		for round, k := range []int{1, 37, 199, 200, 260} {
			f := flight.Flight{ID: fid(fmt.Sprintf("SF%d", 100+round)), Number: fmt.Sprintf("SF%d", 100+round), Origin: "AAA", Destination: "BBB",
				DepartureUTC: t0, ArrivalUTC: t0.Add(7 * time.Hour), Aircraft: "789", DistanceKm: 5500, Cabins: []flight.CabinSeats{{Cabin: flight.CabinEconomy, Seats: k}}}
			_, err := s.InsertFlights(ctx, []flight.Flight{f})
			require.NoError(t, err)
			var mu sync.Mutex
			ok, refused := 0, 0
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range buyers {
				wg.Go(func() {
					<-start
					_, _, err := s.CreateHold(ctx, hold(fmt.Sprintf("h_i1_%d_%d", round, i), "q_i1", 1, t0.Add(time.Hour), f))
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok++
					default:
						require.ErrorIs(t, err, flight.ErrSeatUnavailable)
						refused++
					}
				})
			}
			close(start)
			wg.Wait()
			want := min(buyers, k)
			require.Equal(t, want, ok, "k=%d: got %d holds, want %d", k, ok, want)
			require.Equal(t, buyers-want, refused)
			left := seatsLeft(t, s, f.ID, flight.CabinEconomy)
			require.Equal(t, k-want, left, "k=%d: got %d left, want %d", k, left, k-want)
			require.GreaterOrEqual(t, left, 0)
			var held int64
			require.NoError(t, db.Raw("SELECT COALESCE(SUM(seats), 0) FROM flight_hold_segments WHERE flight_id = ?", f.ID).Scan(&held).Error)
			require.Equal(t, int64(k-left), held, "k=%d: got %d held seats, want %d", k, held, k-left)
		}
	})
}

// TestStore_I2_CheckConstraintKeepsAvailabilityNonNegative writes a negative
// counter behind the store's back: every dialect refuses it.
func TestStore_I2_CheckConstraintKeepsAvailabilityNonNegative(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store, db *sqldb.DB) {
		f1, _ := seedFlights(t, s, 5)
		err := db.Exec("UPDATE flight_inventory SET seats_available = seats_available - 6 WHERE flight_id = ? AND cabin = 'Y'", f1.ID).Error
		require.Error(t, err, "a negative seats_available must violate the CHECK constraint")
		require.Equal(t, 5, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
	})
}

// TestStore_I1_ConnectionHoldsNeverOversell races holds over two flights
// given in both segment orders: exactly the capacity succeeds on both
// flights and nothing deadlocks for good.
func TestStore_I1_ConnectionHoldsNeverOversell(t *testing.T) {
	ctx := context.Background()
	eachStore(t, func(t *testing.T, s *Store, db *sqldb.DB) {
		const capacity, buyers = 50, 80
		f1, f2 := seedFlights(t, s, capacity)
		var mu sync.Mutex
		ok := 0
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range buyers {
			wg.Go(func() {
				<-start
				legs := []flight.Flight{f1, f2}
				if i%2 == 1 {
					legs = []flight.Flight{f2, f1}
				}
				_, _, err := s.CreateHold(ctx, hold(fmt.Sprintf("h_conn_%d", i), "q_conn", 1, t0.Add(time.Hour), legs...))
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
					return
				}
				require.ErrorIs(t, err, flight.ErrSeatUnavailable)
			})
		}
		close(start)
		wg.Wait()
		require.Equal(t, capacity, ok, "got %d connection holds, want %d", ok, capacity)
		require.Equal(t, 0, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
		require.Equal(t, 0, seatsLeft(t, s, f2.ID, flight.CabinEconomy))
	})
}

// TestStore_T4_ConcurrentDuplicateHoldsTakeSeatsOnce runs the same hold id
// concurrently (a retried activity racing its first attempt): one creates
// it, the others get it back, seats are taken once.
func TestStore_T4_ConcurrentDuplicateHoldsTakeSeatsOnce(t *testing.T) {
	ctx := context.Background()
	eachStore(t, func(t *testing.T, s *Store, db *sqldb.DB) {
		f1, f2 := seedFlights(t, s, 10)
		var mu sync.Mutex
		created := 0
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 20 {
			wg.Go(func() {
				<-start
				h, c, err := s.CreateHold(ctx, hold("h_dup", "q_dup", 2, t0.Add(time.Hour), f1, f2))
				mu.Lock()
				defer mu.Unlock()
				require.NoError(t, err)
				require.Equal(t, "h_dup", h.ID)
				require.Equal(t, flight.HoldHeld, h.Status)
				if c {
					created++
				}
			})
		}
		close(start)
		wg.Wait()
		require.Equal(t, 1, created, "got %d creations, want 1", created)
		require.Equal(t, 8, seatsLeft(t, s, f1.ID, flight.CabinEconomy))
		require.Equal(t, 8, seatsLeft(t, s, f2.ID, flight.CabinEconomy))
	})
}
