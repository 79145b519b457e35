package flight

import (
	"slices"
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
