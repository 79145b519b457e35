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
	all, ok := s.cache.Get(ctx, key)
	if !ok {
		before := s.changes.Load()
		var flightIDs []string
		all, flightIDs, err = s.search(ctx, s.Network(), q)
		if err != nil {
			return SearchResult{}, err
		}
		if s.changes.Load() == before {
			s.cache.Put(ctx, key, all, flightIDs)
		}
	}
	if offset > len(all) {
		offset = len(all)
	}
	end := min(len(all), offset+q.Limit)
	res := SearchResult{Itineraries: all[offset:end]}
	if end < len(all) {
		res.NextCursor = cursorFor(key, end)
	}
	return res, nil
}

// search computes the full sorted result of a normalized query and the
// flights it depends on.
func (s *Service) search(ctx context.Context, n *Network, q SearchQuery) ([]Itinerary, []string, error) {
	if _, ok := n.Airport(q.Origin); !ok {
		return nil, nil, invalid("origin", "is not an airport SkyFly serves")
	}
	if _, ok := n.Airport(q.Destination); !ok {
		return nil, nil, invalid("destination", "is not an airport SkyFly serves")
	}
	cands := n.candidates(q.Origin, q.Destination, q.Date, q.MaxStops)
	now := s.now()
	cands = slices.DeleteFunc(cands, func(fs []*Flight) bool {
		return !fs[0].DepartureUTC.After(now) || !inWindow(n, fs[0], q.DepartAfter, q.DepartBefore)
	})
	seen := map[string]bool{}
	var ids []string
	for _, fs := range cands {
		for _, f := range fs {
			if !seen[f.ID] {
				seen[f.ID] = true
				ids = append(ids, f.ID)
			}
		}
	}
	if len(ids) == 0 {
		return []Itinerary{}, nil, nil
	}
	avail, err := s.avail.get(ctx, s.now(), ids, s.store.Availability, &s.changes)
	if err != nil {
		return nil, nil, fmt.Errorf("search %s-%s %s: %w", q.Origin, q.Destination, q.Date, err)
	}
	out := make([]Itinerary, 0, len(cands))
	for _, fs := range cands {
		it := n.itinerary(fs, q.Cabin, q.Passengers, avail)
		if len(it.Fares) > 0 {
			out = append(out, it)
		}
	}
	sortItineraries(out, q.Sort)
	return out, ids, nil
}

func inWindow(n *Network, f *Flight, after, before string) bool {
	local := f.DepartureUTC.In(n.Location(f.Origin)).Format("15:04")
	return (after == "" || local >= after) && (before == "" || local <= before)
}

// itinerary prices flights for a cabin: per fare family, the cheapest
// booking class open on every segment for the passengers' seats.
func (n *Network) itinerary(fs []*Flight, cabin Cabin, pax Passengers, avail map[string][]CabinAvailability) Itinerary {
	it := Itinerary{Stops: len(fs) - 1, Duration: fs[len(fs)-1].ArrivalUTC.Sub(fs[0].DepartureUTC)}
	segs := n.priceSegments(fs)
	families := map[string]bool{}
	for _, class := range n.classes[cabin] {
		if families[class.Family] {
			continue
		}
		left := -1
		for _, f := range fs {
			c, ok := cabinOf(avail[f.ID], cabin)
			if !ok {
				left = 0
				break
			}
			l := class.SeatsLeft(c)
			if left < 0 || l < left {
				left = l
			}
		}
		if left < pax.Seats() {
			continue
		}
		families[class.Family] = true
		if it.Fares == nil {
			it.Fares = make([]FareOption, 0, 3)
		}
		it.Fares = append(it.Fares, FareOption{
			FareID:       FareID(cabin, class.Code),
			Cabin:        cabin,
			BookingClass: class.Code,
			Family:       class.Family,
			Price:        priceTotal(segs, class, pax),
			SeatsLeft:    min(left, SeatsLeftCap),
			Conditions:   FamilyConditions(class.Family, cabin),
		})
	}
	if len(it.Fares) == 0 {
		return it // sold out: the caller drops it
	}
	ids := make([]string, len(fs))
	it.Segments = make([]Segment, len(fs))
	for i, f := range fs {
		ids[i] = f.ID
		it.Segments[i] = n.segment(f)
	}
	it.ID = ItineraryID(ids)
	return it
}

func (n *Network) priceSegments(fs []*Flight) []priceSegment {
	segs := make([]priceSegment, len(fs))
	for i, f := range fs {
		country := n.airports[f.Origin].Country
		segs[i] = priceSegment{DistanceKm: f.DistanceKm, OriginCountry: country, International: n.International(f), taxes: n.taxes[country]}
	}
	return segs
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
