package flightact_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/services/flight/flightgorm"
	"github.com/skyfly/skyfly/services/flight/seeddata"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type fixture struct {
	env   *testsuite.TestActivityEnvironment
	acts  *flightact.Activities
	svc   *flight.Service
	clock *clock
}

// start is the first day of the seeded schedule and the day of the fixed
// clock (noon UTC), today.
var start = testdate.Today()

var flightID = "SF100-" + testdate.Compact(start.AddDate(0, 0, 1)) // JFK-LHR tomorrow, 777 with 268 economy seats

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, flightgorm.Migrate(ctx, db))
	c := &clock{t: start.Add(12 * time.Hour)}
	svc := flight.NewService(slog.New(slog.DiscardHandler), flightgorm.New(db), c.Now, nil, flight.Config{})
	n, err := seeddata.Generate(start, 3, 1)
	require.NoError(t, err)
	_, err = svc.Seed(ctx, n.Airports, n.Flights)
	require.NoError(t, err)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	acts := flightact.New(svc)
	env.RegisterActivity(acts)
	return &fixture{env: env, acts: acts, svc: svc, clock: c}
}

func (f *fixture) economyLeft(t *testing.T) int {
	t.Helper()
	cs, err := f.svc.Availability(context.Background(), flightID)
	require.NoError(t, err)
	for _, c := range cs {
		if c.Cabin == flight.CabinEconomy {
			return c.Available
		}
	}
	return -1
}

func (f *fixture) quote(t *testing.T, fare string, pax flightact.PassengerCounts) flightact.Quote {
	t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.PriceItinerary, flightact.PriceItineraryInput{FlightIDs: []string{flightID}, FareID: fare, Passengers: pax})
	require.NoError(t, err)
	var res flightact.PriceItineraryResult
	require.NoError(t, v.Get(&res))
	return res.Quote
}

func requireRefusal(t *testing.T, err error, wantType string) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "got %v, want an application error", err)
	require.Equal(t, wantType, appErr.Type())
	require.True(t, appErr.NonRetryable(), "a business refusal must be non-retryable")
	return appErr
}

func TestActivities_T4_HoldCommitReleaseTwiceHaveOneEffect(t *testing.T) {
	f := newFixture(t)
	q := f.quote(t, "Y-M", flightact.PassengerCounts{Adults: 2, Children: 1, Infants: 1})
	require.Equal(t, 3, q.Passengers.Seats())
	require.Equal(t, "LHR", q.Segments[0].Destination)
	require.True(t, q.Segments[0].International)
	before := f.economyLeft(t)

	var first, second flightact.HoldSeatsResult
	for i, out := range []*flightact.HoldSeatsResult{&first, &second} {
		v, err := f.env.ExecuteActivity(f.acts.HoldSeats, flightact.HoldSeatsInput{HoldID: "booking-1", QuoteID: q.QuoteID, TTL: 15 * time.Minute})
		require.NoError(t, err, "run %d", i+1)
		require.NoError(t, v.Get(out))
	}
	require.Equal(t, first, second)
	require.Equal(t, "HELD", first.Status)
	require.Equal(t, 3, first.Seats)
	require.Equal(t, before-3, f.economyLeft(t), "two runs, one hold")

	for range 2 {
		v, err := f.env.ExecuteActivity(f.acts.CommitHold, flightact.CommitHoldInput{HoldID: "booking-1"})
		require.NoError(t, err)
		var res flightact.CommitHoldResult
		require.NoError(t, v.Get(&res))
		require.Equal(t, "COMMITTED", res.Status)
	}
	require.Equal(t, before-3, f.economyLeft(t))

	released := 0
	for range 2 {
		v, err := f.env.ExecuteActivity(f.acts.ReleaseHold, flightact.ReleaseHoldInput{HoldID: "booking-1", Reason: "cancelled"})
		require.NoError(t, err)
		var res flightact.ReleaseHoldResult
		require.NoError(t, v.Get(&res))
		require.Equal(t, "RELEASED", res.Status)
		if res.Released {
			released++
		}
	}
	require.Equal(t, 1, released, "two releases, one effect")
	require.Equal(t, before, f.economyLeft(t))
}

func TestActivities_T5_RefusalsAreNonRetryable(t *testing.T) {
	f := newFixture(t)
	t.Run("seat unavailable", func(t *testing.T) {
		_, err := f.env.ExecuteActivity(f.acts.PriceItinerary, flightact.PriceItineraryInput{FlightIDs: []string{flightID}, FareID: "F-F", Passengers: flightact.PassengerCounts{Adults: 9}})
		requireRefusal(t, err, flightact.ErrTypeSeatUnavailable) // 8 first-class seats
	})
	t.Run("quote expired carries a fresh quote", func(t *testing.T) {
		q := f.quote(t, "Y-K", flightact.PassengerCounts{Adults: 1})
		f.clock.Add(21 * time.Minute)
		_, err := f.env.ExecuteActivity(f.acts.ValidateQuote, flightact.ValidateQuoteInput{QuoteID: q.QuoteID, Passengers: q.Passengers})
		appErr := requireRefusal(t, err, flightact.ErrTypeQuoteExpired)
		var fresh flightact.Quote
		require.NoError(t, appErr.Details(&fresh))
		require.NotEqual(t, q.QuoteID, fresh.QuoteID)
		require.Equal(t, q.Total, fresh.Total)
		_, err = f.env.ExecuteActivity(f.acts.HoldSeats, flightact.HoldSeatsInput{HoldID: "late", QuoteID: q.QuoteID})
		requireRefusal(t, err, flightact.ErrTypeQuoteExpired)
	})
	t.Run("quote for other passengers", func(t *testing.T) {
		q := f.quote(t, "Y-K", flightact.PassengerCounts{Adults: 1})
		_, err := f.env.ExecuteActivity(f.acts.ValidateQuote, flightact.ValidateQuoteInput{QuoteID: q.QuoteID, Passengers: flightact.PassengerCounts{Adults: 2}})
		requireRefusal(t, err, flightact.ErrTypeQuoteInvalid)
		_, err = f.env.ExecuteActivity(f.acts.ValidateQuote, flightact.ValidateQuoteInput{QuoteID: "q_unknown", Passengers: q.Passengers})
		requireRefusal(t, err, flightact.ErrTypeQuoteInvalid)
	})
	t.Run("hold expired before commit", func(t *testing.T) {
		q := f.quote(t, "Y-K", flightact.PassengerCounts{Adults: 1})
		_, err := f.env.ExecuteActivity(f.acts.HoldSeats, flightact.HoldSeatsInput{HoldID: "short", QuoteID: q.QuoteID, TTL: time.Minute})
		require.NoError(t, err)
		f.clock.Add(time.Minute)
		_, err = f.env.ExecuteActivity(f.acts.CommitHold, flightact.CommitHoldInput{HoldID: "short"})
		requireRefusal(t, err, flightact.ErrTypeHoldExpired)
		_, err = f.env.ExecuteActivity(f.acts.CommitHold, flightact.CommitHoldInput{HoldID: "never"})
		requireRefusal(t, err, flightact.ErrTypeHoldNotFound)
	})
	t.Run("T8 a release that overtakes its hold leaves nothing held", func(t *testing.T) {
		before := f.economyLeft(t)
		v, err := f.env.ExecuteActivity(f.acts.ReleaseHold, flightact.ReleaseHoldInput{HoldID: "overtaken", Reason: "compensation"})
		require.NoError(t, err)
		var rel flightact.ReleaseHoldResult
		require.NoError(t, v.Get(&rel))
		require.False(t, rel.Released)
		q := f.quote(t, "Y-K", flightact.PassengerCounts{Adults: 1})
		_, err = f.env.ExecuteActivity(f.acts.HoldSeats, flightact.HoldSeatsInput{HoldID: "overtaken", QuoteID: q.QuoteID})
		requireRefusal(t, err, flightact.ErrTypeHoldExpired)
		require.Equal(t, before, f.economyLeft(t))
	})
}
