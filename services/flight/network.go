package flight

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Connection rules.
const (
	// MCTDomestic is the minimum connection time when both flights stay in
	// one country.
	MCTDomestic = 45 * time.Minute
	// MCTInternational is the minimum connection time otherwise.
	MCTInternational = 60 * time.Minute
	// MaxConnection is the longest layover offered (longer is a stopover).
	MaxConnection = 24 * time.Hour
	// MaxOnwardPerInbound bounds how many onward flights (the earliest that
	// make the connection) are offered after one inbound flight, as
	// connection builders do: later ones are dominated by the earlier ones.
	MaxOnwardPerInbound = 3
)

// Network is an immutable in-memory view of airports and the schedule,
// indexed for search. Build one with NewNetwork; the service swaps it
// atomically when the schedule changes.
type Network struct {
	airports map[string]Airport
	zones    map[string]*time.Location
	flights  map[string]*Flight
	// byOriginDate holds flights by origin and local departure date, sorted
	// by departure.
	byOriginDate map[string][]*Flight
	// byRoute holds flights by origin-destination, sorted by departure.
	byRoute map[string][]*Flight
	// classes and taxes are the fare tables, resolved once for the hot path.
	classes map[Cabin][]BookingClass
	taxes   map[string][]airportTax
}

// NewNetwork indexes airports and flights. Every flight's airports must be
// known and their zones loadable.
func NewNetwork(airports []Airport, flights []Flight) (*Network, error) {
	n := &Network{
		airports:     make(map[string]Airport, len(airports)),
		zones:        make(map[string]*time.Location, len(airports)),
		flights:      make(map[string]*Flight, len(flights)),
		byOriginDate: map[string][]*Flight{},
		byRoute:      map[string][]*Flight{},
		classes:      map[Cabin][]BookingClass{},
		taxes:        map[string][]airportTax{},
	}
	for _, c := range []Cabin{CabinFirst, CabinBusiness, CabinPremium, CabinEconomy} {
		n.classes[c] = BookingClasses(c)
	}
	for _, a := range airports {
		loc, err := time.LoadLocation(a.Zone)
		if err != nil {
			return nil, fmt.Errorf("network: airport %s zone %q: %w", a.Code, a.Zone, err)
		}
		n.airports[a.Code] = a
		n.zones[a.Code] = loc
		if _, ok := n.taxes[a.Country]; !ok {
			n.taxes[a.Country] = departureTaxes(a.Country)
		}
	}
	for i := range flights {
		f := &flights[i]
		loc, ok := n.zones[f.Origin]
		if !ok {
			return nil, fmt.Errorf("network: flight %s: unknown origin %s", f.ID, f.Origin)
		}
		if _, ok := n.zones[f.Destination]; !ok {
			return nil, fmt.Errorf("network: flight %s: unknown destination %s", f.ID, f.Destination)
		}
		n.flights[f.ID] = f
		if f.Status == FlightCancelled {
			continue // known by id, never offered
		}
		dk := dateKey(f.Origin, f.DepartureUTC.In(loc).Format(time.DateOnly))
		n.byOriginDate[dk] = append(n.byOriginDate[dk], f)
		rk := routeKey(f.Origin, f.Destination)
		n.byRoute[rk] = append(n.byRoute[rk], f)
	}
	byDep := func(a, b *Flight) int {
		if c := a.DepartureUTC.Compare(b.DepartureUTC); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	for _, fs := range n.byOriginDate {
		slices.SortFunc(fs, byDep)
	}
	for _, fs := range n.byRoute {
		slices.SortFunc(fs, byDep)
	}
	return n, nil
}

func dateKey(origin, date string) string { return origin + "|" + date }
func routeKey(from, to string) string    { return from + "|" + to }

// Airport returns an airport by IATA code.
func (n *Network) Airport(code string) (Airport, bool) {
	a, ok := n.airports[code]
	return a, ok
}

// Airports returns every airport, sorted by code.
func (n *Network) Airports() []Airport {
	out := make([]Airport, 0, len(n.airports))
	for _, a := range n.airports {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Airport) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// Flight returns a flight by id.
func (n *Network) Flight(id string) (Flight, bool) {
	f, ok := n.flights[id]
	if !ok {
		return Flight{}, false
	}
	return *f, true
}

// FlightCount is the number of flights in the schedule.
func (n *Network) FlightCount() int { return len(n.flights) }

// Location returns the time zone of an airport (UTC when unknown).
func (n *Network) Location(code string) *time.Location {
	if l, ok := n.zones[code]; ok {
		return l
	}
	return time.UTC
}

// International reports whether a flight crosses a border.
func (n *Network) International(f *Flight) bool {
	return n.airports[f.Origin].Country != n.airports[f.Destination].Country
}

// MinimumConnection is the MCT between inbound and outbound at their shared
// airport: domestic only when all three airports are in one country.
func (n *Network) MinimumConnection(inbound, outbound *Flight) time.Duration {
	c := n.airports[inbound.Origin].Country
	if n.airports[inbound.Destination].Country == c && n.airports[outbound.Destination].Country == c {
		return MCTDomestic
	}
	return MCTInternational
}

// segment renders a flight as a segment with local times.
func (n *Network) segment(f *Flight) Segment {
	return Segment{
		FlightID:      f.ID,
		FlightNumber:  f.Number,
		Origin:        f.Origin,
		Destination:   f.Destination,
		Departure:     f.DepartureUTC.In(n.Location(f.Origin)),
		Arrival:       f.ArrivalUTC.In(n.Location(f.Destination)),
		Aircraft:      f.Aircraft,
		International: n.International(f),
	}
}

// Connects checks that flights form a flyable itinerary: each leaves from
// where the previous one landed, after the minimum connection time and
// within MaxConnection. It returns the flights.
func (n *Network) Connects(ids []string) ([]*Flight, error) {
	if len(ids) == 0 || len(ids) > 2 {
		return nil, invalid("flightIds", "must name one or two flights")
	}
	fs := make([]*Flight, len(ids))
	for i, id := range ids {
		f, ok := n.flights[id]
		if !ok {
			return nil, fmt.Errorf("flight %s: %w", id, ErrFlightNotFound)
		}
		if f.Status == FlightCancelled {
			return nil, fmt.Errorf("flight %s: %w", id, ErrFlightCancelled)
		}
		fs[i] = f
	}
	for i := 1; i < len(fs); i++ {
		in, out := fs[i-1], fs[i]
		gap := out.DepartureUTC.Sub(in.ArrivalUTC)
		if in.Destination != out.Origin || gap < n.MinimumConnection(in, out) || gap >= MaxConnection || out.Destination == fs[0].Origin {
			return nil, invalid("flightIds", fmt.Sprintf("%s does not connect to %s", in.ID, out.ID))
		}
	}
	return fs, nil
}

// candidates returns the itineraries (as flight lists) from origin on the
// local date with up to maxStops stops.
func (n *Network) candidates(origin, destination, date string, maxStops int) [][]*Flight {
	var out [][]*Flight
	for _, f1 := range n.byOriginDate[dateKey(origin, date)] {
		if f1.Destination == destination {
			out = append(out, []*Flight{f1})
			continue
		}
		if maxStops < 1 || f1.Destination == origin {
			continue
		}
		onward := n.byRoute[routeKey(f1.Destination, destination)]
		// first onward flight not before the earliest possible connection
		i, _ := slices.BinarySearchFunc(onward, f1.ArrivalUTC.Add(MCTDomestic), func(f *Flight, t time.Time) int {
			return f.DepartureUTC.Compare(t)
		})
		for taken := 0; i < len(onward) && taken < MaxOnwardPerInbound; i++ {
			f2 := onward[i]
			gap := f2.DepartureUTC.Sub(f1.ArrivalUTC)
			if gap >= MaxConnection {
				break
			}
			if gap < n.MinimumConnection(f1, f2) {
				continue
			}
			out = append(out, []*Flight{f1, f2})
			taken++
		}
	}
	return out
}

// distanceKm is the great-circle distance between two airports.
func distanceKm(a, b Airport) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// DistanceKm is the great-circle distance between two airports in km.
func DistanceKm(a, b Airport) int { return int(math.Round(distanceKm(a, b))) }
