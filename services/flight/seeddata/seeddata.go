// Package seeddata generates SkyFly's demo network deterministically: real
// airports, a hub-and-spoke route network around JFK, LHR, FRA, DXB and SIN,
// and daily flights with block times from great-circle distances and
// aircraft sized to the route. The same start date always gives the same
// schedule, so seeding is repeatable and idempotent.
package seeddata

import (
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/skyfly/skyfly/services/flight"
)

// Hubs are the network's hubs; every pair of hubs is linked.
func Hubs() []string { return []string{"JFK", "LHR", "FRA", "DXB", "SIN"} }

// spokes lists the airports each hub serves.
func spokes() map[string][]string {
	return map[string][]string{
		"JFK": {"BOS", "ORD", "LAX", "SFO", "MIA", "ATL", "SEA", "DFW", "IAD", "YYZ", "YVR", "MEX", "GRU", "EZE", "BOG", "LIM", "CDG", "AMS", "MAD", "FCO", "DUB", "LIS", "MAN", "HND", "ICN", "DEL", "DOH"},
		"LHR": {"BOS", "ORD", "LAX", "SFO", "MIA", "IAD", "YYZ", "YVR", "GRU", "CDG", "AMS", "MAD", "FCO", "MUC", "ZRH", "VIE", "CPH", "DUB", "LIS", "MAN", "EDI", "IST", "ATH", "CMN", "CAI", "JNB", "NBO", "DOH", "DEL", "BOM", "HKG", "HND"},
		"FRA": {"ORD", "IAD", "ATL", "YYZ", "MEX", "GRU", "EZE", "BOG", "CDG", "AMS", "MAD", "FCO", "MUC", "BER", "HAM", "ZRH", "VIE", "CPH", "LIS", "IST", "ATH", "CMN", "CAI", "JNB", "DEL", "BOM", "PEK", "ICN", "HND", "BKK"},
		"DXB": {"MUC", "FCO", "MAD", "MAN", "IST", "ATH", "CAI", "CMN", "JNB", "NBO", "DOH", "DEL", "BOM", "BKK", "KUL", "CGK", "MNL", "HKG", "PEK", "SYD", "MEL", "PER", "AKL", "BOS", "SEA"},
		"SIN": {"LAX", "SFO", "SEA", "HND", "ICN", "HKG", "PEK", "BKK", "KUL", "CGK", "MNL", "DEL", "BOM", "SYD", "MEL", "PER", "AKL", "JNB", "MUC", "CDG", "AMS"},
	}
}

// Route is an undirected airport pair flown both ways.
type Route struct{ A, B string }

// Routes returns the network's routes: every hub pair, then each hub's
// spokes, in a fixed order.
func Routes() []Route {
	hubs := Hubs()
	var out []Route
	for i := range hubs {
		for j := i + 1; j < len(hubs); j++ {
			out = append(out, Route{hubs[i], hubs[j]})
		}
	}
	sp := spokes()
	for _, h := range hubs {
		for _, s := range sp[h] {
			out = append(out, Route{h, s})
		}
	}
	return out
}

// Aircraft returns the fleet.
func Aircraft() []flight.Aircraft {
	return []flight.Aircraft{
		{Code: "320", Name: "Airbus A320", Cabins: []flight.CabinSeats{{Cabin: flight.CabinBusiness, Seats: 12}, {Cabin: flight.CabinEconomy, Seats: 150}}},
		{Code: "32Q", Name: "Airbus A321neo", Cabins: []flight.CabinSeats{{Cabin: flight.CabinBusiness, Seats: 20}, {Cabin: flight.CabinEconomy, Seats: 170}}},
		{Code: "789", Name: "Boeing 787-9", Cabins: []flight.CabinSeats{{Cabin: flight.CabinBusiness, Seats: 30}, {Cabin: flight.CabinPremium, Seats: 21}, {Cabin: flight.CabinEconomy, Seats: 195}}},
		{Code: "359", Name: "Airbus A350-900", Cabins: []flight.CabinSeats{{Cabin: flight.CabinBusiness, Seats: 42}, {Cabin: flight.CabinPremium, Seats: 24}, {Cabin: flight.CabinEconomy, Seats: 187}}},
		{Code: "77W", Name: "Boeing 777-300ER", Cabins: []flight.CabinSeats{{Cabin: flight.CabinFirst, Seats: 8}, {Cabin: flight.CabinBusiness, Seats: 42}, {Cabin: flight.CabinPremium, Seats: 24}, {Cabin: flight.CabinEconomy, Seats: 268}}},
	}
}

// Network is generated demo data.
type Network struct {
	Airports []flight.Airport
	Flights  []flight.Flight
}

// Generate builds the schedule for days local dates starting at start's
// calendar date (its year, month and day; the time of day is ignored). The
// result depends only on start and days. scale > 1 multiplies the daily
// frequencies (for benchmarks at a larger schedule size); use 1.
func Generate(start time.Time, days, scale int) (Network, error) {
	airports := Airports()
	byCode := make(map[string]flight.Airport, len(airports))
	zones := make(map[string]*time.Location, len(airports))
	for _, a := range airports {
		loc, err := time.LoadLocation(a.Zone)
		if err != nil {
			return Network{}, fmt.Errorf("seeddata: zone of %s: %w", a.Code, err)
		}
		byCode[a.Code] = a
		zones[a.Code] = loc
	}
	fleet := map[string]flight.Aircraft{}
	for _, ac := range Aircraft() {
		fleet[ac.Code] = ac
	}
	hub := map[string]bool{}
	for _, h := range Hubs() {
		hub[h] = true
	}
	if scale < 1 {
		scale = 1
	}
	type leg struct {
		from, to string
		number   string
		local    time.Duration // departure time of day, local
		block    time.Duration
		aircraft flight.Aircraft
		km       int
	}
	var legs []leg
	next := 100
	for _, r := range Routes() {
		a, okA := byCode[r.A]
		b, okB := byCode[r.B]
		if !okA || !okB {
			return Network{}, fmt.Errorf("seeddata: route %s-%s names an unknown airport", r.A, r.B)
		}
		km := flight.DistanceKm(a, b)
		ac := fleet[aircraftFor(km, hub[r.A] && hub[r.B])]
		freq := frequency(km) * scale
		for _, dir := range [][2]string{{r.A, r.B}, {r.B, r.A}} {
			for k := range freq {
				legs = append(legs, leg{
					from: dir[0], to: dir[1], number: fmt.Sprintf("SF%d", next),
					local:    departureTime(dir[0], dir[1], k, freq),
					block:    blockTime(km, byCode[dir[0]], byCode[dir[1]]),
					aircraft: ac, km: km,
				})
				next++
			}
		}
	}
	y, m, d := start.Date()
	flights := make([]flight.Flight, 0, len(legs)*days)
	for day := range days {
		for _, l := range legs {
			loc := zones[l.from]
			dep := time.Date(y, m, d+day, int(l.local.Hours()), int(l.local.Minutes())%60, 0, 0, loc)
			depUTC := dep.UTC()
			flights = append(flights, flight.Flight{
				ID:           flight.FlightID(l.number, dep),
				Number:       l.number,
				Origin:       l.from,
				Destination:  l.to,
				DepartureUTC: depUTC,
				ArrivalUTC:   depUTC.Add(l.block),
				Aircraft:     l.aircraft.Code,
				DistanceKm:   l.km,
				Cabins:       l.aircraft.Cabins,
			})
		}
	}
	return Network{Airports: airports, Flights: flights}, nil
}

// aircraftFor sizes the aircraft to the route: narrow-bodies short, 787 and
// A350 long, the 777 with first class on long trunk routes between hubs.
func aircraftFor(km int, trunk bool) string {
	switch {
	case km < 1200:
		return "320"
	case km < 3500:
		return "32Q"
	case trunk && km >= 5000:
		return "77W"
	case km < 9000:
		return "789"
	default:
		return "359"
	}
}

// frequency is the number of daily departures each way.
func frequency(km int) int {
	switch {
	case km < 2000:
		return 3
	case km < 6000:
		return 2
	default:
		return 1
	}
}

// blockTime is gate to gate: taxi plus cruise at a speed that grows with
// stage length, with a jet-stream tail wind eastbound, in 5-minute steps.
func blockTime(km int, from, to flight.Airport) time.Duration {
	speed := 780.0
	if km > 3000 {
		speed = 860
	}
	hours := float64(km) / speed
	east := math.Mod(to.Lon-from.Lon+540, 360)-180 > 0
	if east {
		hours *= 0.95
	} else {
		hours *= 1.05
	}
	minutes := 30 + hours*60
	return time.Duration(math.Round(minutes/5)*5) * time.Minute
}

// departureTime spreads a route's k-th of freq departures over the day
// (06:00 to 22:00 local) with a deterministic per-route offset.
func departureTime(from, to string, k, freq int) time.Duration {
	h := fnv.New32a()
	_, _ = h.Write([]byte(from + to))
	offset := time.Duration(h.Sum32()%19) * 5 * time.Minute // 0..90 minutes
	window := 16 * time.Hour / time.Duration(freq)
	return 6*time.Hour + time.Duration(k)*window + offset
}
