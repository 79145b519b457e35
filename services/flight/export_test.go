package flight

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// CandidateIDs exposes the precomputed-index candidate walk to the
// external tests: the itinerary ids from origin to destination on date.
func (n *Network) CandidateIDs(origin, destination, date string, maxStops int) []string {
	var out []string
	for _, fs := range n.candidateFlights(origin, destination, date, maxStops) {
		out = append(out, ItineraryID(ids(fs)))
	}
	return out
}

// BruteForceCandidateIDs is the reference the indexes must agree with:
// every departure from origin on the local date, each non-direct one
// followed by the first MaxOnwardPerInbound onward flights that make the
// connection (the algorithm searches used before the route-and-date
// indexes, walking all of the origin's departures).
func (n *Network) BruteForceCandidateIDs(origin, destination, date string, maxStops int) []string {
	var deps []*Flight
	for i := range n.list {
		f := &n.list[i]
		if f.Status != FlightCancelled && f.Origin == origin && f.DepartureUTC.In(n.Location(origin)).Format(time.DateOnly) == date {
			deps = append(deps, f)
		}
	}
	byDep := func(a, b *Flight) int {
		if c := a.DepartureUTC.Compare(b.DepartureUTC); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	}
	slices.SortFunc(deps, byDep)
	var out []string
	for _, f1 := range deps {
		if f1.Destination == destination {
			out = append(out, f1.ID)
			continue
		}
		if maxStops < 1 {
			continue
		}
		var onward []*Flight
		for i := range n.list {
			f2 := &n.list[i]
			if f2.Status != FlightCancelled && f2.Origin == f1.Destination && f2.Destination == destination {
				onward = append(onward, f2)
			}
		}
		slices.SortFunc(onward, byDep)
		taken := 0
		for _, f2 := range onward {
			gap := f2.DepartureUTC.Sub(f1.ArrivalUTC)
			if gap < n.MinimumConnection(f1, f2) || gap >= MaxConnection {
				continue
			}
			if taken == MaxOnwardPerInbound {
				break
			}
			out = append(out, f1.ID+"_"+f2.ID)
			taken++
		}
	}
	return out
}

// InstallSchedule makes airports and flights the service's network with
// every cabin at full capacity, without a store round trip: the search
// core benchmarks use it for schedules too big to seed into SQLite
// quickly (searches read only the network and its seat counters).
func (s *Service) InstallSchedule(airports []Airport, flights []Flight) error {
	n, err := NewNetwork(airports, flights)
	if err != nil {
		return err
	}
	seq := s.seatSeq.Add(1)
	for i := range n.list {
		cabins := make([]CabinAvailability, len(n.list[i].Cabins))
		for k, c := range n.list[i].Cabins {
			cabins[k] = CabinAvailability{Cabin: c.Cabin, Capacity: c.Seats, Available: c.Seats}
		}
		n.seats.set(int32(i), seq, cabins)
	}
	s.network.Store(n)
	return nil
}

// SearchAllForTest is the search path before page-only building, kept as
// the oracle of the page property test: every candidate built, priced and
// sorted by its itinerary's fields (price, duration, departure, then id).
func (s *Service) SearchAllForTest(q SearchQuery) ([]Itinerary, error) {
	q, err := q.normalize()
	if err != nil {
		return nil, err
	}
	n := s.Network()
	now := s.now()
	cands := n.candidates(nil, q.Origin, q.Destination, q.Date, q.MaxStops, n.departsWithin(now, q.DepartAfter, q.DepartBefore))
	out := []Itinerary{}
	for _, c := range cands {
		if it, ok := n.itinerary(c, q.Cabin, q.Passengers); ok {
			out = append(out, it)
		}
	}
	sortItineraries(out, q.Sort)
	return out, nil
}

func sortItineraries(its []Itinerary, by string) {
	type key struct {
		price int64
		dur   time.Duration
		dep   time.Time
		id    string
		it    Itinerary
	}
	keys := make([]key, len(its))
	for i, it := range its {
		p := it.Fares[0].Price.Amount
		for _, f := range it.Fares[1:] {
			p = min(p, f.Price.Amount)
		}
		keys[i] = key{price: p, dur: it.Duration, dep: it.Segments[0].Departure, id: it.ID, it: it}
	}
	slices.SortFunc(keys, func(a, b key) int {
		var c int
		switch by {
		case SortDeparture:
			c = cmp.Or(a.dep.Compare(b.dep), cmp.Compare(a.price, b.price), cmp.Compare(a.dur, b.dur))
		case SortDuration:
			c = cmp.Or(cmp.Compare(a.dur, b.dur), cmp.Compare(a.price, b.price), a.dep.Compare(b.dep))
		default:
			c = cmp.Or(cmp.Compare(a.price, b.price), cmp.Compare(a.dur, b.dur), a.dep.Compare(b.dep))
		}
		return cmp.Or(c, strings.Compare(a.id, b.id))
	})
	for i := range keys {
		its[i] = keys[i].it
	}
}

// SellRandomlyForTest sets every cabin of every flight to a random number
// of available seats (a quarter of the cabins sold out, the others 1 to
// capacity), so that booking classes close and a candidate's cheapest fare
// is often above its cabin's lowest.
func (s *Service) SellRandomlyForTest(rng *rand.Rand) {
	n := s.Network()
	seq := s.seatSeq.Add(1)
	for i := range n.list {
		cabins := make([]CabinAvailability, len(n.list[i].Cabins))
		for k, c := range n.list[i].Cabins {
			avail := 0
			if rng.IntN(4) > 0 {
				avail = 1 + rng.IntN(c.Seats)
			}
			cabins[k] = CabinAvailability{Cabin: c.Cabin, Capacity: c.Seats, Available: avail}
		}
		n.seats.set(int32(i), seq, cabins)
	}
	s.changes.Add(1)
}

// SellOutForTest sells out every cabin of a flight and drops the cached
// pages with its tags, as a hold's write-through does (refreshSeats).
func (s *Service) SellOutForTest(ctx context.Context, flightID string) {
	n := s.Network()
	i := n.ord[flightID]
	cabins := make([]CabinAvailability, len(n.list[i].Cabins))
	for k, c := range n.list[i].Cabins {
		cabins[k] = CabinAvailability{Cabin: c.Cabin, Capacity: c.Seats}
	}
	n.seats.set(i, s.seatSeq.Add(1), cabins)
	s.changes.Add(1)
	s.cache.Invalidate(ctx, n.CacheTags([]string{flightID}))
}

// TariffMismatchesForTest compares the ranker's integer prices (route
// tariffs) with priceTotal for every route and every pair of routes that
// connect, every cabin, booking class and passenger mix, and checks that
// the cabin's lower bound is never above a class's price. It returns the
// differences found and the number of prices compared.
func (n *Network) TariffMismatchesForTest(paxes []Passengers) ([]string, int) {
	first := map[uint16]int32{} // a flight of each route
	for i := range n.list {
		if _, ok := first[n.routeOf[i]]; !ok {
			first[n.routeOf[i]] = int32(i)
		}
	}
	var cands []legPair
	for _, a := range first {
		cands = append(cands, legPair{first: a, onward: -1})
		for _, b := range first {
			if n.list[a].Destination == n.list[b].Origin && n.list[b].Destination != n.list[a].Origin {
				cands = append(cands, legPair{first: a, onward: b})
			}
		}
	}
	var bad []string
	compared := 0
	for _, c := range cands {
		fs := n.flightsOf(c)
		segs := n.priceSegments(fs)
		for _, cabin := range allCabins() {
			for _, pax := range paxes {
				r, _ := n.newRanker(cabin, pax, SortPrice)
				t := r.tariffs(c)
				lower := t.lowerBound(pax)
				for ci, class := range n.classes[cabin] {
					got := t.classTotal(pax, ci)
					want := priceTotal(segs, class, pax).Amount
					compared++
					if got != want || lower > want {
						bad = append(bad, fmt.Sprintf("%s %s %s %+v: tariff %d, priceTotal %d, lower bound %d", ItineraryID(ids(fs)), cabin, class.Code, pax, got, want, lower))
					}
				}
			}
		}
	}
	return bad, compared
}
