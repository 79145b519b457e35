package flight

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
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
// atomically when the schedule changes. Only its seat counters (seats)
// change in place.
type Network struct {
	airports map[string]Airport
	zones    map[string]*time.Location
	// list holds every flight; the indexes below hold positions in it.
	list []Flight
	ord  map[string]int32
	// byRouteDate holds the flights offered by origin, destination and
	// local departure date at the origin, sorted by departure.
	byRouteDate map[string][]int32
	// byRoute holds the flights offered by origin-destination, sorted by
	// departure.
	byRoute map[string][]int32
	// via holds, by origin-destination, the airports a one-stop connection
	// can change at: those with a route from the origin and one to the
	// destination. A search walks only those routes, never every departure
	// from the origin.
	via map[string][]string
	// routeOf holds each flight's route (indexed like list) and routes what
	// pricing and rendering need of a route, resolved once instead of by
	// airport look-ups per itinerary.
	routeOf []uint16
	routes  []routeInfo
	// dayOf holds each flight's route-and-local-date (indexed like list)
	// as a position in days, the keys of byRouteDate: the search cache's
	// tags (CacheTags).
	dayOf []int32
	days  []string
	// seats are the flights' seat counters, indexed like list.
	seats *seatBook
	// classes and taxes are the fare tables, resolved once for the hot path.
	classes map[Cabin][]BookingClass
	fareIDs map[Cabin][]string // FareID of each of classes
	taxes   map[string][]airportTax
}

// routeInfo is what an itinerary needs of a flight's route (origin,
// destination and distance).
type routeInfo struct {
	from, to      *time.Location
	originCountry string
	international bool
	taxes         []airportTax
	// tariffs are the route's fares resolved per cabin (by cabinIndex), so
	// that ranking a search candidate is integer arithmetic.
	tariffs [numCabins]routeTariff
}

// segment is what pricing needs of a flight of km on the route.
func (r *routeInfo) segment(km int) priceSegment {
	return priceSegment{DistanceKm: km, OriginCountry: r.originCountry, International: r.international, taxes: r.taxes}
}

// routeTariff is one cabin's pricing on a route: the leg fare of each of
// the cabin's booking classes (legFare, in the order of BookingClasses),
// the smallest of them, and the charges per seated passenger and per
// infant (legCharges). fareTotal(itineraryBase(sum of legFares), sum of
// charges) is priceTotal's result, without its per-line work.
type routeTariff struct {
	legFares           []int64
	minLegFare         int64
	perSeat, perInfant int64
}

// numCabins is the number of cabins; cabinIndex numbers them.
const numCabins = 4

// allCabins are the cabins in cabinIndex order.
func allCabins() [numCabins]Cabin {
	return [numCabins]Cabin{CabinFirst, CabinBusiness, CabinPremium, CabinEconomy}
}

func newRouteTariffs(seg priceSegment) [numCabins]routeTariff {
	var ts [numCabins]routeTariff
	perSeat, perInfant := legCharges(seg)
	for i, c := range allCabins() {
		t := routeTariff{perSeat: perSeat, perInfant: perInfant}
		for k, b := range BookingClasses(c) {
			f := legFare(seg.DistanceKm, b)
			t.legFares = append(t.legFares, f)
			if k == 0 || f < t.minLegFare {
				t.minLegFare = f
			}
		}
		ts[i] = t
	}
	return ts
}

// NewNetwork indexes airports and flights. Every flight's airports must be
// known and their zones loadable. Its seat counters start unknown (nothing
// is offered) until the service loads them.
func NewNetwork(airports []Airport, flights []Flight) (*Network, error) {
	n := &Network{
		airports:    make(map[string]Airport, len(airports)),
		zones:       make(map[string]*time.Location, len(airports)),
		list:        flights,
		ord:         make(map[string]int32, len(flights)),
		byRouteDate: map[string][]int32{},
		byRoute:     map[string][]int32{},
		via:         map[string][]string{},
		routeOf:     make([]uint16, len(flights)),
		dayOf:       make([]int32, len(flights)),
		seats:       newSeatBook(len(flights)),
		classes:     map[Cabin][]BookingClass{},
		fareIDs:     map[Cabin][]string{},
		taxes:       map[string][]airportTax{},
	}
	for _, c := range allCabins() {
		n.classes[c] = BookingClasses(c)
		for _, b := range n.classes[c] {
			n.fareIDs[c] = append(n.fareIDs[c], FareID(c, b.Code))
		}
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
	onward := map[string][]string{} // airport → destinations with a route
	routeIdx := map[string]uint16{}
	dayIdx := map[string]int32{}
	for i := range flights {
		f := &flights[i]
		loc, ok := n.zones[f.Origin]
		if !ok {
			return nil, fmt.Errorf("network: flight %s: unknown origin %s", f.ID, f.Origin)
		}
		if _, ok := n.zones[f.Destination]; !ok {
			return nil, fmt.Errorf("network: flight %s: unknown destination %s", f.ID, f.Destination)
		}
		n.ord[f.ID] = int32(i)
		rk := routeKey(f.Origin, f.Destination)
		// A route's tariffs follow its distance, which every flight of a
		// route has the same of in practice; a flight with another
		// distance gets a route entry of its own.
		rik := rk + "|" + strconv.Itoa(f.DistanceKm)
		ri, ok := routeIdx[rik]
		if !ok {
			if len(n.routes) == math.MaxUint16 {
				return nil, fmt.Errorf("network: more than %d routes", math.MaxUint16)
			}
			ri = uint16(len(n.routes))
			routeIdx[rik] = ri
			country := n.airports[f.Origin].Country
			r := routeInfo{from: loc, to: n.zones[f.Destination], originCountry: country,
				international: n.International(f), taxes: n.taxes[country]}
			r.tariffs = newRouteTariffs(r.segment(f.DistanceKm))
			n.routes = append(n.routes, r)
		}
		n.routeOf[i] = ri
		dk := routeDateKey(f.Origin, f.Destination, f.DepartureUTC.In(loc).Format(time.DateOnly))
		di, ok := dayIdx[dk]
		if !ok {
			di = int32(len(n.days))
			dayIdx[dk] = di
			n.days = append(n.days, dk)
		}
		n.dayOf[i] = di
		if f.Status == FlightCancelled {
			continue // known by id, never offered
		}
		if _, ok := n.byRoute[rk]; !ok {
			onward[f.Origin] = append(onward[f.Origin], f.Destination)
		}
		n.byRoute[rk] = append(n.byRoute[rk], int32(i))
		n.byRouteDate[dk] = append(n.byRouteDate[dk], int32(i))
	}
	byDep := func(a, b int32) int {
		fa, fb := &flights[a], &flights[b]
		if c := fa.DepartureUTC.Compare(fb.DepartureUTC); c != 0 {
			return c
		}
		return strings.Compare(fa.ID, fb.ID)
	}
	for _, fs := range n.byRouteDate {
		slices.SortFunc(fs, byDep)
	}
	for _, fs := range n.byRoute {
		slices.SortFunc(fs, byDep)
	}
	for origin, hubs := range onward {
		slices.Sort(hubs)
		for _, hub := range hubs {
			for _, dest := range onward[hub] {
				if dest != origin {
					k := routeKey(origin, dest)
					n.via[k] = append(n.via[k], hub)
				}
			}
		}
	}
	return n, nil
}

func routeDateKey(from, to, date string) string { return from + "|" + to + "|" + date }
func routeKey(from, to string) string           { return from + "|" + to }

// CacheTags are the search cache's tags of flights: the route and local
// departure date of each ("JFK|LHR|2026-12-15"), once. A search result is
// tagged with those of every flight it was built from (resultTags), so a
// change on one flight drops the cached pages of its route and day: a
// handful of tags per result however many flights a day the routes have.
// Flights the network does not know have none (no result shows them).
func (n *Network) CacheTags(flightIDs []string) []string {
	if n == nil {
		return nil // nothing loaded, nothing cached
	}
	var days []int32
	for _, id := range flightIDs {
		if i, ok := n.ord[id]; ok {
			days = n.addDay(days, i)
		}
	}
	return n.dayTags(days)
}

// resultTags are the cache tags of a result built from cands.
func (n *Network) resultTags(cands []legPair) []string {
	var seen [16]int32
	days := seen[:0]
	for _, c := range cands {
		days = n.addDay(days, c.first)
		if c.onward >= 0 {
			days = n.addDay(days, c.onward)
		}
	}
	return n.dayTags(days)
}

// addDay appends flight i's route-and-day to days unless it is there
// (the last one first: neighbouring candidates mostly share it).
func (n *Network) addDay(days []int32, i int32) []int32 {
	d := n.dayOf[i]
	if len(days) > 0 && days[len(days)-1] == d || slices.Contains(days, d) {
		return days
	}
	return append(days, d)
}

// dayTags are the tags of route-and-days.
func (n *Network) dayTags(days []int32) []string {
	if len(days) == 0 {
		return nil
	}
	tags := make([]string, len(days))
	for i, d := range days {
		tags[i] = n.days[d]
	}
	return tags
}

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
	i, ok := n.ord[id]
	if !ok {
		return Flight{}, false
	}
	return n.list[i], true
}

// FlightCount is the number of flights in the schedule.
func (n *Network) FlightCount() int { return len(n.list) }

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

// segmentAt renders flight i of list as a segment with local times.
func (n *Network) segmentAt(i int32) Segment {
	f, r := &n.list[i], &n.routes[n.routeOf[i]]
	return Segment{
		FlightID:      f.ID,
		FlightNumber:  f.Number,
		Origin:        f.Origin,
		Destination:   f.Destination,
		Departure:     f.DepartureUTC.In(r.from),
		Arrival:       f.ArrivalUTC.In(r.to),
		Aircraft:      f.Aircraft,
		International: r.international,
	}
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
		o, ok := n.ord[id]
		if !ok {
			return nil, fmt.Errorf("flight %s: %w", id, ErrFlightNotFound)
		}
		f := &n.list[o]
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

// leg pair is a candidate itinerary: the positions in Network.list of its
// first flight and of its onward flight (-1 for a direct flight).
type legPair struct{ first, onward int32 }

// candidates appends to out the itineraries from origin to destination
// leaving on the local date with up to maxStops stops whose first flight
// passes keep (nil keeps all). It walks the precomputed route-and-date
// lists of the direct route and of the routes to each connecting airport,
// so its cost follows the flights that can be offered, not the size of
// the schedule.
func (n *Network) candidates(out []legPair, origin, destination, date string, maxStops int, keep func(int32) bool) []legPair {
	for _, i := range n.byRouteDate[routeDateKey(origin, destination, date)] {
		if keep == nil || keep(i) {
			out = append(out, legPair{first: i, onward: -1})
		}
	}
	if maxStops < 1 {
		return out
	}
	for _, hub := range n.via[routeKey(origin, destination)] {
		if hub == destination {
			continue
		}
		onward := n.byRoute[routeKey(hub, destination)]
		for _, i := range n.byRouteDate[routeDateKey(origin, hub, date)] {
			f1 := &n.list[i]
			if keep != nil && !keep(i) {
				continue
			}
			// first onward flight not before the earliest possible connection
			earliest := f1.ArrivalUTC.Add(MCTDomestic)
			j, _ := slices.BinarySearchFunc(onward, earliest, func(k int32, t time.Time) int {
				return n.list[k].DepartureUTC.Compare(t)
			})
			for taken := 0; j < len(onward) && taken < MaxOnwardPerInbound; j++ {
				f2 := &n.list[onward[j]]
				gap := f2.DepartureUTC.Sub(f1.ArrivalUTC)
				if gap >= MaxConnection {
					break
				}
				if gap < n.MinimumConnection(f1, f2) {
					continue
				}
				out = append(out, legPair{first: i, onward: onward[j]})
				taken++
			}
		}
	}
	return out
}

// candidateFlights is candidates as flight lists, ordered by the first
// flight's departure (then id), direct flights before connections.
func (n *Network) candidateFlights(origin, destination, date string, maxStops int) [][]*Flight {
	cands := n.candidates(nil, origin, destination, date, maxStops, nil)
	slices.SortStableFunc(cands, func(a, b legPair) int {
		fa, fb := &n.list[a.first], &n.list[b.first]
		return cmp.Or(fa.DepartureUTC.Compare(fb.DepartureUTC), strings.Compare(fa.ID, fb.ID))
	})
	out := make([][]*Flight, len(cands))
	for i, c := range cands {
		out[i] = n.flightsOf(c)
	}
	return out
}

// flightsOf returns the flights of a candidate.
func (n *Network) flightsOf(c legPair) []*Flight {
	if c.onward < 0 {
		return []*Flight{&n.list[c.first]}
	}
	return []*Flight{&n.list[c.first], &n.list[c.onward]}
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
