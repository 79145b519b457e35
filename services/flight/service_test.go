package flight_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/services/flight/flightgorm"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var testAirports = []flight.Airport{
	{Code: "BOS", Name: "Logan", City: "Boston", Country: "US", Zone: "America/New_York", Lat: 42.3656, Lon: -71.0096},
	{Code: "JFK", Name: "Kennedy", City: "New York", Country: "US", Zone: "America/New_York", Lat: 40.6413, Lon: -73.7781},
	{Code: "LAX", Name: "Los Angeles", City: "Los Angeles", Country: "US", Zone: "America/Los_Angeles", Lat: 33.9416, Lon: -118.4085},
	{Code: "LHR", Name: "Heathrow", City: "London", Country: "GB", Zone: "Europe/London", Lat: 51.47, Lon: -0.4543},
	{Code: "SIN", Name: "Changi", City: "Singapore", Country: "SG", Zone: "Asia/Singapore", Lat: 1.3644, Lon: 103.9915},
}

// base is the schedule's first day: a December day ahead of the clock, so
// the local times asserted below are on EST (-05:00) in New York, PST in Los
// Angeles and GMT in London whatever day the suite runs. The fixture clock
// is fixed and derived from it.
var base = testdate.Winter(1)

// at is day days after base at hour:minute UTC.
func at(day, hour, minute int) time.Time {
	return base.AddDate(0, 0, day).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

// date is the ISO date day days after base (a search date).
func date(day int) string { return testdate.ISO(base.AddDate(0, 0, day)) }

// local is the RFC3339 text of a local time on the date day days after
// base: local(0, "18:30:00-05:00").
func local(day int, hms string) string { return date(day) + "T" + hms }

// fid is the id of the flight number departing on base's local date.
func fid(number string) string { return number + "-" + testdate.Compact(base) }

// conn is the id of the connection itinerary of flight numbers on base's date.
func conn(first, second string) string { return fid(first) + "_" + fid(second) }

func fl(number, from, to string, dep time.Time, block time.Duration, km int, ySeats int) flight.Flight {
	return flight.Flight{Number: number, Origin: from, Destination: to, DepartureUTC: dep, ArrivalUTC: dep.Add(block), Aircraft: "789", DistanceKm: km,
		Cabins: []flight.CabinSeats{{Cabin: flight.CabinBusiness, Seats: 8}, {Cabin: flight.CabinEconomy, Seats: ySeats}}}
}

// testFlights: BOS→JFK lands 10:00Z; onward JFK→LHR at 10:40Z (inside the
// 60-min international MCT), 11:00Z (exactly MCT) and JFK→LAX at 10:40Z
// (45-min domestic MCT: too short) and 10:45Z (ok); SIN↔LAX across the
// date line.
func testFlights() []flight.Flight {
	fs := []flight.Flight{
		fl("SF10", "BOS", "JFK", at(0, 8, 45), 75*time.Minute, 300, 150),
		fl("SF20", "JFK", "LHR", at(0, 10, 40), 7*time.Hour, 5540, 200),
		fl("SF21", "JFK", "LHR", at(0, 11, 0), 7*time.Hour, 5540, 200),
		fl("SF22", "JFK", "LHR", at(0, 23, 30), 6*time.Hour+30*time.Minute, 5540, 200),
		fl("SF30", "JFK", "LAX", at(0, 10, 40), 6*time.Hour, 3980, 150),
		fl("SF31", "JFK", "LAX", at(0, 10, 45), 6*time.Hour, 3980, 150),
		fl("SF40", "BOS", "LHR", at(0, 22, 0), 6*time.Hour+20*time.Minute, 5250, 4),
		// SIN 09:00+08 (01:00Z), 15h30 → LAX 08:30-08 the same calendar day
		fl("SF50", "SIN", "LAX", at(0, 1, 0), 15*time.Hour+30*time.Minute, 14100, 200),
		// LAX 22:00-08 on Dec 1 (06:00Z Dec 2), 17h30 → SIN 07:30+08 on Dec 3
		fl("SF51", "LAX", "SIN", at(1, 6, 0), 17*time.Hour+30*time.Minute, 14100, 200),
	}
	for i := range fs {
		loc, _ := time.LoadLocation(zoneOf(fs[i].Origin))
		fs[i].ID = flight.FlightID(fs[i].Number, fs[i].DepartureUTC.In(loc))
	}
	return fs
}

func zoneOf(code string) string {
	for _, a := range testAirports {
		if a.Code == code {
			return a.Zone
		}
	}
	return "UTC"
}

type fixture struct {
	svc   *flight.Service
	store *flightgorm.Store
	db    *sqldb.DB
	clock *clock
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, flightgorm.Migrate(ctx, db))
	store := flightgorm.New(db)
	c := &clock{t: at(-11, 12, 0)}
	svc := flight.NewService(slog.New(slog.DiscardHandler), store, c.Now, nil, flight.Config{})
	_, err = svc.Seed(ctx, testAirports, testFlights())
	require.NoError(t, err)
	return &fixture{svc: svc, store: store, db: db, clock: c}
}

func query(from, to, date string) flight.SearchQuery {
	return flight.SearchQuery{Origin: from, Destination: to, Date: date, Passengers: flight.Passengers{Adults: 1}, MaxStops: 1}
}

func ids(its []flight.Itinerary) []string {
	out := make([]string, len(its))
	for i, it := range its {
		out[i] = it.ID
	}
	return out
}

func TestSearch_DirectFlightsInLocalTime(t *testing.T) {
	f := newFixture(t)
	res, err := f.svc.Search(context.Background(), flight.SearchQuery{Origin: "jfk", Destination: "LHR", Date: date(0), Passengers: flight.Passengers{Adults: 1}, Sort: flight.SortDeparture})
	require.NoError(t, err)
	require.Equal(t, []string{fid("SF20"), fid("SF21"), fid("SF22")}, ids(res.Itineraries))
	seg := res.Itineraries[2].Segments[0]
	require.Equal(t, local(0, "18:30:00-05:00"), seg.Departure.Format(time.RFC3339), "departure in New York time")
	require.Equal(t, local(1, "06:00:00Z"), seg.Arrival.Format(time.RFC3339), "arrival in London time")
	require.Equal(t, 0, res.Itineraries[0].Stops)
	require.True(t, seg.International)

	f.clock.Advance(at(0, 10, 40).Sub(f.clock.Now()))
	res, err = f.svc.Search(context.Background(), flight.SearchQuery{Origin: "JFK", Destination: "LHR", Date: date(0), Passengers: flight.Passengers{Adults: 1}, MaxStops: 0, Sort: flight.SortDeparture})
	require.NoError(t, err)
	require.Equal(t, []string{fid("SF21"), fid("SF22")}, ids(res.Itineraries), "a departed flight is not sold")
}

func TestSearch_ConnectionRespectsMinimumConnectionTime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t.Run("international connection needs 60 minutes", func(t *testing.T) {
		res, err := f.svc.Search(ctx, query("BOS", "LHR", date(0)))
		require.NoError(t, err)
		got := ids(res.Itineraries)
		require.Contains(t, got, conn("SF10", "SF21"), "60 minutes is enough")
		require.NotContains(t, got, conn("SF10", "SF20"), "40 minutes is below the MCT")
		require.Contains(t, got, conn("SF10", "SF22"))
		require.Contains(t, got, fid("SF40"), "the direct flight")
	})
	t.Run("domestic connection needs 45 minutes", func(t *testing.T) {
		res, err := f.svc.Search(ctx, query("BOS", "LAX", date(0)))
		require.NoError(t, err)
		require.Equal(t, []string{conn("SF10", "SF31")}, ids(res.Itineraries))
		it := res.Itineraries[0]
		require.Equal(t, 1, it.Stops)
		require.Equal(t, 8*time.Hour, it.Duration, "08:45Z to 16:45Z")
		require.Equal(t, local(0, "03:45:00-05:00"), it.Segments[0].Departure.Format(time.RFC3339))
		require.Equal(t, local(0, "08:45:00-08:00"), it.Segments[1].Arrival.Format(time.RFC3339))
	})
	t.Run("maxStops 0 keeps direct flights only", func(t *testing.T) {
		q := query("BOS", "LHR", date(0))
		q.MaxStops = 0
		res, err := f.svc.Search(ctx, q)
		require.NoError(t, err)
		require.Equal(t, []string{fid("SF40")}, ids(res.Itineraries))
	})
}

func TestSearch_AcrossTheDateLine(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	east, err := f.svc.Search(ctx, query("SIN", "LAX", date(0)))
	require.NoError(t, err)
	require.Len(t, east.Itineraries, 1)
	seg := east.Itineraries[0].Segments[0]
	require.Equal(t, local(0, "09:00:00+08:00"), seg.Departure.Format(time.RFC3339))
	require.Equal(t, local(0, "08:30:00-08:00"), seg.Arrival.Format(time.RFC3339), "lands before it left, by the local clock")
	require.Equal(t, 15*time.Hour+30*time.Minute, east.Itineraries[0].Duration)

	// LAX 22:00 local on Dec 1 is Dec 2 in UTC: the search date is local.
	west, err := f.svc.Search(ctx, query("LAX", "SIN", date(0)))
	require.NoError(t, err)
	require.Len(t, west.Itineraries, 1)
	seg = west.Itineraries[0].Segments[0]
	require.Equal(t, fid("SF51"), seg.FlightID)
	require.Equal(t, local(0, "22:00:00-08:00"), seg.Departure.Format(time.RFC3339))
	require.Equal(t, local(2, "07:30:00+08:00"), seg.Arrival.Format(time.RFC3339))
	none, err := f.svc.Search(ctx, query("LAX", "SIN", date(1)))
	require.NoError(t, err)
	require.Empty(t, none.Itineraries)
}

func TestSearch_FaresSeatsAndBuckets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	q := query("JFK", "LHR", date(0))
	q.MaxStops = 0
	res, err := f.svc.Search(ctx, q)
	require.NoError(t, err)
	it := res.Itineraries[0]
	require.Len(t, it.Fares, 3, "one fare per family")
	var families []string
	for _, fare := range it.Fares {
		families = append(families, fare.Family)
		require.Equal(t, flight.SeatsLeftCap, fare.SeatsLeft, "seats left are capped at 9")
		require.Equal(t, "EUR", fare.Price.Currency)
	}
	require.Equal(t, []string{flight.FamilyLight, flight.FamilyStandard, flight.FamilyFlex}, families)
	require.Equal(t, "Y-O", it.Fares[0].FareID, "the cheapest bucket sells first")
	require.Less(t, it.Fares[0].Price.Amount, it.Fares[1].Price.Amount)
	require.False(t, it.Fares[0].Conditions.Refundable)
	require.Equal(t, 2, it.Fares[2].Conditions.CheckedBags)

	// Fill the O bucket (30 % of 200 = 60 seats) through holds: the search
	// cache is invalidated and the Light fare moves up to Q.
	cheapest := it.Fares[0].Price.Amount
	flightID := it.Segments[0].FlightID
	for i, n := range []int{9, 9, 9, 9, 9, 9, 6} {
		quote, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{flightID}, FareID: "Y-O", Passengers: flight.Passengers{Adults: n}})
		require.NoError(t, err, "hold %d", i)
		_, err = f.svc.HoldSeats(ctx, flight.HoldRequest{QuoteID: quote.ID})
		require.NoError(t, err)
	}
	res, err = f.svc.Search(ctx, q)
	require.NoError(t, err)
	var light flight.FareOption
	for _, it := range res.Itineraries {
		if it.ID == flightID {
			light = it.Fares[0]
		}
	}
	require.Equal(t, "Y-Q", light.FareID, "60 sold: bucket O (30 % of 200) is closed")
	require.Greater(t, light.Price.Amount, cheapest)

	// a small cabin shows its real count below the cap
	small, err := f.svc.Search(ctx, flight.SearchQuery{Origin: "BOS", Destination: "LHR", Date: date(0), Passengers: flight.Passengers{Adults: 1}, MaxStops: 0})
	require.NoError(t, err)
	var left []int
	for _, fare := range small.Itineraries[0].Fares {
		left = append(left, fare.SeatsLeft)
	}
	require.Equal(t, []int{1, 2, 3}, left, "4 seats: O sells 1 (30 %), K 2 (70 %), B 3 (95 %)")
}

func TestSearch_SortFilterAndCursor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	q := query("BOS", "LHR", date(0))
	q.Sort = flight.SortDuration
	all, err := f.svc.Search(ctx, q)
	require.NoError(t, err)
	require.Len(t, all.Itineraries, 3)
	for i := 1; i < len(all.Itineraries); i++ {
		require.LessOrEqual(t, all.Itineraries[i-1].Duration, all.Itineraries[i].Duration)
	}
	require.Equal(t, fid("SF40"), all.Itineraries[0].ID)

	q.Limit = 2
	page1, err := f.svc.Search(ctx, q)
	require.NoError(t, err)
	require.Len(t, page1.Itineraries, 2)
	require.NotEmpty(t, page1.NextCursor)
	q.Cursor = page1.NextCursor
	page2, err := f.svc.Search(ctx, q)
	require.NoError(t, err)
	require.Len(t, page2.Itineraries, 1)
	require.Empty(t, page2.NextCursor)
	require.Equal(t, ids(all.Itineraries), append(ids(page1.Itineraries), ids(page2.Itineraries)...))

	other := query("JFK", "LHR", date(0))
	other.Cursor = page1.NextCursor
	_, err = f.svc.Search(ctx, other)
	require.ErrorIs(t, err, flight.ErrInvalid, "a cursor of another search is refused")

	w := query("BOS", "LHR", date(0))
	w.DepartAfter, w.DepartBefore = "12:00", "23:59"
	win, err := f.svc.Search(ctx, w)
	require.NoError(t, err)
	require.Equal(t, []string{fid("SF40")}, ids(win.Itineraries), "only the 17:00 local departure")

	for _, bad := range []flight.SearchQuery{
		{Origin: "BOS", Destination: "BOS", Date: date(0), Passengers: flight.Passengers{Adults: 1}},
		{Origin: "BOS", Destination: "LHR", Date: base.Format("01/02/2006"), Passengers: flight.Passengers{Adults: 1}},
		{Origin: "BOS", Destination: "LHR", Date: date(0), Passengers: flight.Passengers{Adults: 1, Infants: 2}},
		{Origin: "BOS", Destination: "LHR", Date: date(0), Passengers: flight.Passengers{Adults: 1}, Sort: "random"},
		{Origin: "XXX", Destination: "LHR", Date: date(0), Passengers: flight.Passengers{Adults: 1}},
	} {
		_, err := f.svc.Search(ctx, bad)
		require.ErrorIs(t, err, flight.ErrInvalid, "%+v", bad)
	}
}

func TestQuote_PricesPassengersWithTaxesByCode(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	adult, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{ItineraryID: conn("SF10", "SF21"), FareID: "Y-K", Passengers: flight.Passengers{Adults: 1}})
	require.NoError(t, err)
	family, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{ItineraryID: conn("SF10", "SF21"), FareID: "Y-K", Passengers: flight.Passengers{Adults: 2, Children: 1, Infants: 1}})
	require.NoError(t, err)
	require.Equal(t, f.clock.Now().Add(20*time.Minute), family.ExpiresAt)
	require.Equal(t, flight.FamilyStandard, family.Family)
	lines := map[string]int64{}
	var sum int64
	for _, l := range family.Breakdown {
		lines[l.Code] = l.Amount.Amount
		sum += l.Amount.Amount
	}
	require.Equal(t, family.Total.Amount, sum, "the breakdown adds up to the total")
	adultBase := lines["BASE-ADT"] / 2
	require.Equal(t, adultBase*75/100, lines["BASE-CHD"], "children pay 75 %")
	require.Equal(t, adultBase*10/100, lines["BASE-INF"], "infants pay 10 %")
	require.Contains(t, lines, "US", "US departure taxes")
	require.Contains(t, lines, "YQ")
	require.Greater(t, family.Total.Amount, 2*adult.Total.Amount)

	res, err := f.svc.Search(ctx, flight.SearchQuery{Origin: "BOS", Destination: "LHR", Date: date(0), Passengers: family.Passengers, MaxStops: 1})
	require.NoError(t, err)
	var shown int64
	for _, it := range res.Itineraries {
		for _, fare := range it.Fares {
			if it.ID == conn("SF10", "SF21") && fare.FareID == "Y-K" {
				shown = fare.Price.Amount
			}
		}
	}
	require.Equal(t, family.Total.Amount, shown, "the quote confirms the price the search showed")

	stored, err := f.svc.Quote(ctx, family.ID)
	require.NoError(t, err)
	require.Equal(t, family.Total, stored.Total)
	require.Equal(t, "America/New_York", stored.Segments[0].Departure.Location().String())
}

func TestQuote_RefusesWhatCannotBeFlown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for name, req := range map[string]flight.QuoteRequest{
		"connection below MCT":   {FlightIDs: []string{fid("SF10"), fid("SF20")}, FareID: "Y-M", Passengers: flight.Passengers{Adults: 1}},
		"segments not adjacent":  {FlightIDs: []string{fid("SF10"), fid("SF50")}, FareID: "Y-M", Passengers: flight.Passengers{Adults: 1}},
		"unknown booking class":  {FlightIDs: []string{fid("SF21")}, FareID: "Y-Z", Passengers: flight.Passengers{Adults: 1}},
		"cabin not on aircraft":  {FlightIDs: []string{fid("SF21")}, FareID: "F-F", Passengers: flight.Passengers{Adults: 1}},
		"itinerary and flights ": {ItineraryID: fid("SF20"), FlightIDs: []string{fid("SF21")}, FareID: "Y-M", Passengers: flight.Passengers{Adults: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.CreateQuote(ctx, req)
			require.Error(t, err)
			require.True(t, errors.Is(err, flight.ErrInvalid) || errors.Is(err, flight.ErrSeatUnavailable), "got %v", err)
		})
	}
	_, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{fid("SF99")}, FareID: "Y-M", Passengers: flight.Passengers{Adults: 1}})
	require.ErrorIs(t, err, flight.ErrFlightNotFound)
	_, err = f.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{fid("SF40")}, FareID: "Y-Y", Passengers: flight.Passengers{Adults: 5}})
	require.ErrorIs(t, err, flight.ErrSeatUnavailable, "5 seats on a 4-seat cabin")
}

func TestQuote_ExpiredOrAlteredIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pax := flight.Passengers{Adults: 2}
	q, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{fid("SF21")}, FareID: "Y-M", Passengers: pax})
	require.NoError(t, err)
	_, err = f.svc.ValidateQuote(ctx, q.ID, pax)
	require.NoError(t, err)
	_, err = f.svc.ValidateQuote(ctx, q.ID, flight.Passengers{Adults: 3})
	require.ErrorIs(t, err, flight.ErrQuoteInvalid, "passengers differ from the quote")
	_, err = f.svc.HoldSeats(ctx, flight.HoldRequest{QuoteID: q.ID, Seats: 5})
	require.ErrorIs(t, err, flight.ErrQuoteInvalid, "seats differ from the quote")
	_, err = f.svc.ValidateQuote(ctx, "q_FORGED", pax)
	require.ErrorIs(t, err, flight.ErrQuoteNotFound)

	f.clock.Advance(20 * time.Minute)
	_, err = f.svc.ValidateQuote(ctx, q.ID, pax)
	require.ErrorIs(t, err, flight.ErrQuoteExpired)
	var exp *flight.QuoteExpiredError
	require.ErrorAs(t, err, &exp)
	require.NotNil(t, exp.Fresh, "a fresh quote is suggested")
	require.NotEqual(t, q.ID, exp.Fresh.ID)
	require.Equal(t, q.Total, exp.Fresh.Total)
	require.Equal(t, f.clock.Now().Add(20*time.Minute), exp.Fresh.ExpiresAt)
	_, err = f.svc.HoldSeats(ctx, flight.HoldRequest{QuoteID: q.ID})
	require.ErrorIs(t, err, flight.ErrQuoteExpired)
}

func TestInventory_HoldCommitReleaseAndSweep(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	q, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{ItineraryID: conn("SF10", "SF21"), FareID: "Y-M", Passengers: flight.Passengers{Adults: 2, Infants: 1}})
	require.NoError(t, err)
	left := func(id string) int {
		cs, err := f.svc.Availability(ctx, id)
		require.NoError(t, err)
		for _, c := range cs {
			if c.Cabin == flight.CabinEconomy {
				return c.Available
			}
		}
		return -1
	}

	t.Run("T4 the same hold id twice holds once", func(t *testing.T) {
		h, err := f.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_a", QuoteID: q.ID, TTL: 10 * time.Minute})
		require.NoError(t, err)
		require.Equal(t, 2, h.Seats, "the infant sits on a lap")
		require.Equal(t, f.clock.Now().Add(10*time.Minute), h.ExpiresAt)
		again, err := f.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_a", QuoteID: q.ID})
		require.NoError(t, err)
		require.Equal(t, h.ExpiresAt, again.ExpiresAt)
		require.Equal(t, 148, left(fid("SF10")))
		require.Equal(t, 198, left(fid("SF21")))
	})

	t.Run("commit keeps the seats sold", func(t *testing.T) {
		h, err := f.svc.CommitHold(ctx, "h_a")
		require.NoError(t, err)
		require.Equal(t, flight.HoldCommitted, h.Status)
		_, err = f.svc.CommitHold(ctx, "h_a")
		require.NoError(t, err)
		require.Equal(t, 148, left(fid("SF10")))
	})

	t.Run("the sweeper returns an abandoned hold to sale after its TTL", func(t *testing.T) {
		h, err := f.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_b", QuoteID: q.ID, TTL: 5 * time.Minute})
		require.NoError(t, err)
		require.Equal(t, 146, left(fid("SF10")))
		n, err := f.svc.SweepExpiredHolds(ctx)
		require.NoError(t, err)
		require.Equal(t, 0, n, "nothing expired yet")
		f.clock.Advance(5 * time.Minute)
		_, err = f.svc.CommitHold(ctx, h.ID)
		require.ErrorIs(t, err, flight.ErrHoldExpired, "an expired hold cannot be committed")
		n, err = f.svc.SweepExpiredHolds(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, 148, left(fid("SF10")))
		got, err := f.svc.Hold(ctx, h.ID)
		require.NoError(t, err)
		require.Equal(t, flight.HoldExpired, got.Status)
	})

	t.Run("I6 a release concurrent with the sweeper restores seats once", func(t *testing.T) {
		q2, err := f.svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{fid("SF21")}, FareID: "Y-M", Passengers: flight.Passengers{Adults: 3}})
		require.NoError(t, err)
		_, err = f.svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_c", QuoteID: q2.ID, TTL: time.Minute})
		require.NoError(t, err)
		require.Equal(t, 195, left(fid("SF21")))
		f.clock.Advance(time.Minute)
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = f.svc.SweepExpiredHolds(ctx) })
		wg.Go(func() { _, _, _ = f.svc.ReleaseHold(ctx, "h_c", "customer") })
		wg.Go(func() { _, _, _ = f.svc.ReleaseHold(ctx, "h_c", "customer again") })
		wg.Wait()
		require.Equal(t, 198, left(fid("SF21")))
	})

	t.Run("cancelling a committed booking releases its seats", func(t *testing.T) {
		h, released, err := f.svc.ReleaseHold(ctx, "h_a", "cancelled")
		require.NoError(t, err)
		require.True(t, released)
		require.Equal(t, flight.HoldReleased, h.Status)
		require.Equal(t, 150, left(fid("SF10")))
	})
}

func TestSeed_IsIdempotent(t *testing.T) {
	f := newFixture(t)
	res, err := f.svc.Seed(context.Background(), testAirports, testFlights())
	require.NoError(t, err)
	require.Equal(t, 0, res.Inserted)
	require.Equal(t, len(testFlights()), f.svc.Network().FlightCount())
}

func TestInventory_SweeperJobReturnsExpiredHoldsToSale(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	svc := flight.NewService(slog.New(slog.DiscardHandler), f.store, f.clock.Now, nil, flight.Config{SweepInterval: 10 * time.Millisecond})
	require.NoError(t, svc.Reload(ctx))
	q, err := svc.CreateQuote(ctx, flight.QuoteRequest{FlightIDs: []string{fid("SF21")}, FareID: "Y-M", Passengers: flight.Passengers{Adults: 2}})
	require.NoError(t, err)
	_, err = svc.HoldSeats(ctx, flight.HoldRequest{HoldID: "h_job", QuoteID: q.ID, TTL: time.Minute})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- svc.RunSweeper(ctx) }()
	f.clock.Advance(time.Minute)
	require.Eventually(t, func() bool {
		h, err := svc.Hold(ctx, "h_job")
		return err == nil && h.Status == flight.HoldExpired
	}, 5*time.Second, 10*time.Millisecond)
	cs, err := svc.Availability(ctx, fid("SF21"))
	require.NoError(t, err)
	require.Equal(t, 200, cs[1].Available, "got %+v", cs)
	cancel()
	require.NoError(t, <-done)
}

func TestService_ReloaderPicksUpFlightsSeededElsewhere(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	svc := flight.NewService(slog.New(slog.DiscardHandler), f.store, f.clock.Now, nil, flight.Config{ReloadInterval: 10 * time.Millisecond})
	require.NoError(t, svc.Reload(ctx))
	before := svc.Network().FlightCount()
	done := make(chan error, 1)
	go func() { done <- svc.RunReloader(ctx) }()
	extra := fl("SF60", "JFK", "LAX", at(1, 15, 0), 6*time.Hour, 3980, 150)
	extra.ID = "SF60-" + testdate.Compact(base.AddDate(0, 0, 1))
	n, err := f.store.InsertFlights(ctx, []flight.Flight{extra}) // another process seeding
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Eventually(t, func() bool { return svc.Network().FlightCount() == before+1 }, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}
