package flight

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sort orders of search results.
const (
	SortPrice     = "price"
	SortDeparture = "departure"
	SortDuration  = "duration"
)

// SeatsLeftCap is the most seats a search shows per fare, as GDSs do.
const SeatsLeftCap = 9

// SearchQuery is a shopping request.
type SearchQuery struct {
	Origin      string
	Destination string
	Date        string // local departure date at the origin, YYYY-MM-DD
	Passengers  Passengers
	Cabin       Cabin // default Y
	MaxStops    int   // 0 or 1 (default 1 when negative)
	Sort        string
	Limit       int    // default 20, at most 100
	Cursor      string // opaque, from a previous page
	// DepartAfter and DepartBefore bound the local departure time of the
	// first flight ("HH:MM", inclusive); empty means unbounded.
	DepartAfter  string
	DepartBefore string
}

// SearchResult is one page of itineraries.
type SearchResult struct {
	Itineraries []Itinerary
	NextCursor  string
}

// normalize validates q and fills defaults.
func (q SearchQuery) normalize() (SearchQuery, error) {
	q.Origin = strings.ToUpper(strings.TrimSpace(q.Origin))
	q.Destination = strings.ToUpper(strings.TrimSpace(q.Destination))
	if len(q.Origin) != 3 {
		return q, invalid("origin", "must be an IATA airport code")
	}
	if len(q.Destination) != 3 {
		return q, invalid("destination", "must be an IATA airport code")
	}
	if q.Origin == q.Destination {
		return q, invalid("destination", "must differ from origin")
	}
	if _, err := time.Parse(time.DateOnly, q.Date); err != nil {
		return q, invalid("date", "must be a date YYYY-MM-DD")
	}
	if err := q.Passengers.Validate(); err != nil {
		return q, err
	}
	if q.Cabin == "" {
		q.Cabin = CabinEconomy
	}
	if !q.Cabin.Valid() {
		return q, invalid("cabin", "must be one of F, J, W, Y")
	}
	if q.MaxStops < 0 {
		q.MaxStops = 1
	}
	if q.MaxStops > 1 {
		q.MaxStops = 1 // SkyFly sells direct flights and one-stop connections
	}
	if q.Sort == "" {
		q.Sort = SortPrice
	}
	if q.Sort != SortPrice && q.Sort != SortDeparture && q.Sort != SortDuration {
		return q, invalid("sort", "must be price, departure or duration")
	}
	if q.Limit == 0 {
		q.Limit = 20
	}
	if q.Limit < 0 || q.Limit > 100 {
		return q, invalid("limit", "must be between 1 and 100")
	}
	for _, w := range []struct{ field, v string }{{"departAfter", q.DepartAfter}, {"departBefore", q.DepartBefore}} {
		if w.v == "" {
			continue
		}
		if _, err := time.Parse("15:04", w.v); err != nil {
			return q, invalid(w.field, "must be a local time HH:MM")
		}
	}
	return q, nil
}

// cacheKey identifies the full sorted result of a query (not its page).
func (q SearchQuery) cacheKey() string {
	return fmt.Sprintf("%s|%s|%s|%d.%d.%d|%s|%d|%s|%s|%s", q.Origin, q.Destination, q.Date,
		q.Passengers.Adults, q.Passengers.Children, q.Passengers.Infants, q.Cabin, q.MaxStops, q.Sort, q.DepartAfter, q.DepartBefore)
}

func cursorFor(key string, offset int) string {
	h := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString([]byte("v1." + hex.EncodeToString(h[:6]) + "." + strconv.Itoa(offset)))
}

func parseCursor(key, cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	parts := strings.Split(string(raw), ".")
	h := sha256.Sum256([]byte(key))
	if err != nil || len(parts) != 3 || parts[0] != "v1" || parts[1] != hex.EncodeToString(h[:6]) {
		return 0, invalid("cursor", "does not belong to this search")
	}
	off, err := strconv.Atoi(parts[2])
	if err != nil || off < 0 {
		return 0, invalid("cursor", "is malformed")
	}
	return off, nil
}

// Search returns itineraries for q: direct flights and one-stop connections
// that respect the minimum connection time, with the fares the passengers
// can still buy. Results are cached until a hold on one of their flights
// changes inventory or the cache TTL passes.
func (s *Service) Search(ctx context.Context, q SearchQuery) (SearchResult, error) {
	q, err := q.normalize()
	if err != nil {
		return SearchResult{}, err
	}
	key := q.cacheKey()
	offset, err := parseCursor(key, q.Cursor)
	if err != nil {
		return SearchResult{}, err
	}
	// The cache keeps pages (with one itinerary more than the page, so
	// that the next cursor needs no count), tagged with the routes and
	// days of every flight of the full result: a hold on any of them can
	// move itineraries into or out of this page.
	pageKey := key + "|" + strconv.Itoa(offset) + "|" + strconv.Itoa(q.Limit)
	page, _, ok := s.cache.Get(ctx, pageKey)
	if !ok {
		before := s.changes.Load()
		var tags []string
		page, tags, err = s.search(ctx, s.Network(), q, offset, q.Limit+1)
		if err != nil {
			return SearchResult{}, err
		}
		if s.changes.Load() == before {
			s.cache.Put(ctx, pageKey, page, tags)
		}
	}
	res := SearchResult{Itineraries: page[:min(len(page), q.Limit)]}
	if len(page) > q.Limit {
		res.NextCursor = cursorFor(key, offset+q.Limit)
	}
	return res, nil
}

// search computes the itineraries at positions [offset, offset+n) of the
// sorted result of a normalized query and the cache tags of the whole
// result (resultTags). It ranks the candidates by a compact key (the sort
// fields and the legs' indices, see rankKey) into a bounded max-heap of
// the offset+n best, and builds, prices and renders only the page. A
// candidate whose lower bound (its key were its cabin's cheapest booking
// class open on every leg) sorts after the heap's worst is skipped
// without reading its seats: once the heap is full, most of a large
// result is, so the cost of a search follows the page more than the
// schedule. It reads seat counters from the network's in-memory seat
// book, never from the database.
func (s *Service) search(_ context.Context, n *Network, q SearchQuery, offset, limit int) ([]Itinerary, []string, error) {
	if _, ok := n.Airport(q.Origin); !ok {
		return nil, nil, invalid("origin", "is not an airport SkyFly serves")
	}
	if _, ok := n.Airport(q.Destination); !ok {
		return nil, nil, invalid("destination", "is not an airport SkyFly serves")
	}
	now := s.now()
	cands := n.candidates(nil, q.Origin, q.Destination, q.Date, q.MaxStops, n.departsWithin(now, q.DepartAfter, q.DepartBefore))
	if len(cands) == 0 {
		return []Itinerary{}, nil, nil
	}
	r, ok := n.newRanker(q.Cabin, q.Passengers, q.Sort)
	if !ok {
		return nil, nil, invalid("cabin", "must be one of F, J, W, Y")
	}
	end := offset + limit
	h := make([]rankKey, 0, min(end, len(cands))) // max-heap: h[0] is the worst kept key
	for _, c := range cands {
		t := r.tariffs(c)
		if len(h) == end && r.compare(r.keyAt(c, t.lowerBound(r.pax)), h[0]) > 0 {
			continue // cannot reach the page, whatever its seats
		}
		k, ok := r.key(c, t)
		switch {
		case !ok:
		case len(h) < end:
			h = append(h, k)
			siftUp(h, len(h)-1, r.compare)
		case r.compare(k, h[0]) < 0:
			h[0] = k
			siftDown(h, 0, r.compare)
		}
	}
	slices.SortFunc(h, r.compare)
	out := make([]Itinerary, 0, max(0, len(h)-offset))
	for _, k := range h[min(offset, len(h)):] {
		if it, ok := n.itinerary(k.c, q.Cabin, q.Passengers); ok {
			out = append(out, it)
		}
	}
	return out, n.resultTags(cands), nil
}

// departsWithin keeps the flights that depart after now within the local
// departure window [after, before] ("HH:MM", empty = unbounded).
func (n *Network) departsWithin(now time.Time, afterHHMM, beforeHHMM string) func(int32) bool {
	after, before := clockMinutes(afterHHMM, 0), clockMinutes(beforeHHMM, 24*60)
	return func(i int32) bool {
		f := &n.list[i]
		if !f.DepartureUTC.After(now) {
			return false
		}
		if after == 0 && before == 24*60 {
			return true // no window: no local clock to work out
		}
		h, m, _ := f.DepartureUTC.In(n.routes[n.routeOf[i]].from).Clock()
		local := h*60 + m
		return local >= after && local <= before
	}
}

// clockMinutes parses a validated "HH:MM" into minutes after midnight
// (def when empty).
func clockMinutes(hhmm string, def int) int {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		return def
	}
	return t.Hour()*60 + t.Minute()
}

// itinerary prices a candidate for a cabin: per fare family, the cheapest
// booking class open on every segment for the passengers' seats, from the
// in-memory seat counters. ok is false when nothing can be sold.
func (n *Network) itinerary(c legPair, cabin Cabin, pax Passengers) (Itinerary, bool) {
	legs := [2]int32{c.first, c.onward}
	nlegs := 1
	if c.onward >= 0 {
		nlegs = 2
	}
	var fares []FareOption
	fareIDs := n.fareIDs[cabin]
	var segBuf [2]priceSegment
	segs := segBuf[:nlegs]
	for k := range nlegs {
		segs[k] = n.routes[n.routeOf[legs[k]]].segment(n.list[legs[k]].DistanceKm)
	}
	ok := n.offers(c, cabin, n.classes[cabin], pax, func(ci int, class BookingClass, left int) {
		if fares == nil {
			fares = make([]FareOption, 0, 3)
		}
		fares = append(fares, FareOption{
			FareID:       fareIDs[ci],
			Cabin:        cabin,
			BookingClass: class.Code,
			Family:       class.Family,
			Price:        priceTotal(segs, class, pax),
			SeatsLeft:    min(left, SeatsLeftCap),
			Conditions:   FamilyConditions(class.Family, cabin),
		})
	})
	if !ok {
		return Itinerary{}, false
	}
	if len(fares) == 0 {
		return Itinerary{}, false // sold out
	}
	first, last := &n.list[c.first], &n.list[legs[nlegs-1]]
	it := Itinerary{Stops: nlegs - 1, Duration: last.ArrivalUTC.Sub(first.DepartureUTC), Fares: fares}
	it.Segments = make([]Segment, nlegs)
	for k := range nlegs {
		it.Segments[k] = n.segmentAt(legs[k])
	}
	if nlegs == 1 {
		it.ID = first.ID
	} else {
		it.ID = first.ID + "_" + last.ID
	}
	return it, true
}

func (n *Network) priceSegments(fs []*Flight) []priceSegment {
	segs := make([]priceSegment, len(fs))
	for i, f := range fs {
		segs[i] = n.priceSegment(f)
	}
	return segs
}

func (n *Network) priceSegment(f *Flight) priceSegment {
	country := n.airports[f.Origin].Country
	return priceSegment{DistanceKm: f.DistanceKm, OriginCountry: country, International: n.International(f), taxes: n.taxes[country]}
}

func cabinOf(cs []CabinAvailability, c Cabin) (CabinAvailability, bool) {
	for _, x := range cs {
		if x.Cabin == c {
			return x, true
		}
	}
	return CabinAvailability{}, false
}

// ItineraryID joins flight ids into an itinerary id.
func ItineraryID(flightIDs []string) string { return strings.Join(flightIDs, "_") }

// ParseItineraryID splits an itinerary id into flight ids.
func ParseItineraryID(id string) []string {
	if id == "" {
		return nil
	}
	return strings.Split(id, "_")
}

// offers calls yield for each fare a candidate offers in a cabin, in the
// order of the cabin's booking classes (classes): per fare family the
// cheapest booking class open on every segment for the passengers' seats,
// from the in-memory seat counters. It reports whether anything can be
// sold. itinerary and the ranker both walk the fares through it, so that
// the rank of a candidate is the price of the itinerary it becomes.
func (n *Network) offers(c legPair, cabin Cabin, classes []BookingClass, pax Passengers, yield func(ci int, class BookingClass, left int)) bool {
	legs := [2]int32{c.first, c.onward}
	nlegs := 1
	if c.onward >= 0 {
		nlegs = 2
	}
	var cabins [2]CabinAvailability
	for k := range nlegs {
		avail, ok := n.seats.available(legs[k], cabin)
		if !ok {
			return false
		}
		cabins[k] = CabinAvailability{Cabin: cabin, Capacity: n.list[legs[k]].Capacity(cabin), Available: avail}
	}
	var families [3]string // at most one option per family
	nfam := 0
	any := false
	for ci, class := range classes {
		if slices.Contains(families[:nfam], class.Family) {
			continue
		}
		left := class.SeatsLeft(cabins[0])
		if nlegs == 2 {
			left = min(left, class.SeatsLeft(cabins[1]))
		}
		if left < pax.Seats() {
			continue
		}
		if nfam < len(families) {
			families[nfam] = class.Family
			nfam++
		}
		any = true
		yield(ci, class, left)
	}
	return any
}

// rankKey is what a search sorts by, without building the itinerary: the
// cheapest fare's total, the elapsed time, the first departure (UTC
// nanoseconds) and the legs (whose flight ids break ties, as the
// itinerary id would).
type rankKey struct {
	price int64
	dur   time.Duration
	dep   int64
	c     legPair
}

// ranker ranks the candidates of one search: a cabin, passengers and a
// sort order.
type ranker struct {
	n       *Network
	cabin   Cabin
	cabinIx int
	classes []BookingClass
	pax     Passengers
	by      string
}

// newRanker is false for an unknown cabin.
func (n *Network) newRanker(cabin Cabin, pax Passengers, by string) (ranker, bool) {
	ix := cabinIndex(cabin)
	return ranker{n: n, cabin: cabin, cabinIx: ix, classes: n.classes[cabin], pax: pax, by: by}, ix >= 0
}

// keyAt is c's key with a price.
func (r *ranker) keyAt(c legPair, price int64) rankKey {
	first, last := &r.n.list[c.first], &r.n.list[c.first]
	if c.onward >= 0 {
		last = &r.n.list[c.onward]
	}
	return rankKey{price: price, dur: last.ArrivalUTC.Sub(first.DepartureUTC), dep: first.DepartureUTC.UnixNano(), c: c}
}

// candidateTariff is a candidate's pricing in one cabin: its legs' route
// tariffs and their charges summed.
type candidateTariff struct {
	legs               [2]*routeTariff
	nlegs              int
	perSeat, perInfant int64
}

// tariffs is c's candidateTariff in the ranker's cabin.
func (r *ranker) tariffs(c legPair) candidateTariff {
	n := r.n
	t := candidateTariff{nlegs: 1}
	t.legs[0] = &n.routes[n.routeOf[c.first]].tariffs[r.cabinIx]
	if c.onward >= 0 {
		t.legs[1] = &n.routes[n.routeOf[c.onward]].tariffs[r.cabinIx]
		t.nlegs = 2
	}
	for _, l := range t.legs[:t.nlegs] {
		t.perSeat += l.perSeat
		t.perInfant += l.perInfant
	}
	return t
}

// total is the fare for pax with fare(leg) on each leg: priceTotal's
// result when fare gives a booking class's legFare.
func (t candidateTariff) total(pax Passengers, fare func(*routeTariff) int64) int64 {
	var sum int64
	for _, l := range t.legs[:t.nlegs] {
		sum += fare(l)
	}
	return fareTotal(itineraryBase(sum, t.nlegs), t.perSeat, t.perInfant, pax)
}

// classTotal is the fare for pax in the cabin's booking class ci.
func (t candidateTariff) classTotal(pax Passengers, ci int) int64 {
	return t.total(pax, func(l *routeTariff) int64 { return l.legFares[ci] })
}

// lowerBound is the fare for pax if the cabin's cheapest leg fares were
// open on every leg. Whatever its seats, a candidate's key never sorts
// before its key at this price: only the price can be higher, and every
// sort order ranks a higher price after (the other fields being the same).
func (t candidateTariff) lowerBound(pax Passengers) int64 {
	return t.total(pax, func(l *routeTariff) int64 { return l.minLegFare })
}

// key ranks a candidate by the cheapest fare it offers (offers, priced
// from its tariff t: the same total as the itinerary's fare); ok is false
// when nothing can be sold (the candidate does not become an itinerary).
func (r *ranker) key(c legPair, t candidateTariff) (rankKey, bool) {
	var price int64
	priced := false
	ok := r.n.offers(c, r.cabin, r.classes, r.pax, func(ci int, _ BookingClass, _ int) {
		p := t.classTotal(r.pax, ci)
		if !priced || p < price {
			price, priced = p, true
		}
	})
	if !ok {
		return rankKey{}, false
	}
	return r.keyAt(c, price), true
}

// compare is the ranker's total order of results (compareRank).
func (r *ranker) compare(a, b rankKey) int { return r.n.compareRank(a, b, r.by) }

// compareRank is the total order of search results: the sort's fields,
// then the itinerary id (the first flight's id, "_" and the onward
// flight's id for a connection).
func (n *Network) compareRank(a, b rankKey, by string) int {
	var c int
	switch by {
	case SortDeparture:
		c = cmp.Or(cmp.Compare(a.dep, b.dep), cmp.Compare(a.price, b.price), cmp.Compare(a.dur, b.dur))
	case SortDuration:
		c = cmp.Or(cmp.Compare(a.dur, b.dur), cmp.Compare(a.price, b.price), cmp.Compare(a.dep, b.dep))
	default:
		c = cmp.Or(cmp.Compare(a.price, b.price), cmp.Compare(a.dur, b.dur), cmp.Compare(a.dep, b.dep))
	}
	if c != 0 {
		return c
	}
	return n.compareIDs(a.c, b.c)
}

// compareIDs compares the itinerary ids of two candidates without
// joining them, except when one first flight's id is a proper prefix of
// the other's (then the joined ids are compared).
func (n *Network) compareIDs(a, b legPair) int {
	a0, b0 := n.list[a.first].ID, n.list[b.first].ID
	if a0 == b0 {
		switch {
		case a.onward < 0 && b.onward < 0:
			return 0
		case a.onward < 0:
			return -1 // "X" < "X_..."
		case b.onward < 0:
			return 1
		}
		return strings.Compare(n.list[a.onward].ID, n.list[b.onward].ID)
	}
	if !strings.HasPrefix(a0, b0) && !strings.HasPrefix(b0, a0) {
		return strings.Compare(a0, b0)
	}
	return strings.Compare(n.joinedID(a), n.joinedID(b))
}

func (n *Network) joinedID(c legPair) string {
	if c.onward < 0 {
		return n.list[c.first].ID
	}
	return n.list[c.first].ID + "_" + n.list[c.onward].ID
}

// siftUp restores the max-heap property of h above i.
func siftUp(h []rankKey, i int, cmpf func(a, b rankKey) int) {
	for i > 0 {
		p := (i - 1) / 2
		if cmpf(h[i], h[p]) <= 0 {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// siftDown restores the max-heap property of h below i.
func siftDown(h []rankKey, i int, cmpf func(a, b rankKey) int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && cmpf(h[r], h[l]) > 0 {
			m = r
		}
		if cmpf(h[m], h[i]) <= 0 {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
