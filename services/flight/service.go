package flight

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Store is what the flight service needs from its database. Implementations
// (flightgorm) must pass the contract suite in flightgorm's tests.
type Store interface {
	// ApplySale adds d to its route's sales counters once per consumer and
	// event id, reporting false for an event it applied before.
	ApplySale(ctx context.Context, consumer, eventID string, d SaleDelta, at time.Time) (bool, error)
	// RouteSales returns every route's sales counters, busiest first.
	RouteSales(ctx context.Context) ([]RouteSales, error)
	// SaveAirports inserts the airports that are missing.
	SaveAirports(ctx context.Context, airports []Airport) error
	// InsertFlights inserts the flights (with one seat counter per cabin at
	// full capacity) whose ids are missing, in batches, and returns how
	// many it inserted.
	InsertFlights(ctx context.Context, flights []Flight) (int, error)
	// Airports returns every airport.
	Airports(ctx context.Context) ([]Airport, error)
	// Flights returns the flights departing at or after from, with cabins.
	Flights(ctx context.Context, from time.Time) ([]Flight, error)
	// ScheduleStamp summarises the stored schedule (flight count and latest
	// departure) so a reload can be skipped when nothing was seeded.
	ScheduleStamp(ctx context.Context) (string, error)
	// Flight returns one flight; ErrFlightNotFound when missing.
	Flight(ctx context.Context, id string) (Flight, error)
	// Availability returns the seat counters of the flights by flight id.
	Availability(ctx context.Context, flightIDs []string) (map[string][]CabinAvailability, error)
	// SeatCounters returns the seat counter of every cabin of the flights
	// departing at or after from (one read for the whole schedule).
	SeatCounters(ctx context.Context, from time.Time) ([]SeatCounter, error)
	// ChangedFlights returns the flights whose seat counters a hold changed
	// (created, released or expired it) at or after since.
	ChangedFlights(ctx context.Context, since time.Time) ([]string, error)

	// SaveQuote stores a quote.
	SaveQuote(ctx context.Context, q Quote) error
	// Quote returns a quote; ErrQuoteNotFound when missing.
	Quote(ctx context.Context, id string) (Quote, error)

	// CreateHold takes the hold's seats from every segment and records the
	// hold in one transaction. When a hold with h.ID exists it returns that
	// hold and created=false without touching seats (ErrHoldConflict when
	// it belongs to another quote). It returns ErrSeatUnavailable when a
	// segment's cabin or booking class cannot take the seats.
	CreateHold(ctx context.Context, h Hold) (hold Hold, created bool, err error)
	// Hold returns a hold; ErrHoldNotFound when missing.
	Hold(ctx context.Context, id string) (Hold, error)
	// ReleaseHold moves a HELD or COMMITTED hold to RELEASED and returns
	// its seats, once: released reports whether this call did it. Releasing
	// a released or expired hold is a no-op; releasing an unknown id
	// records a RELEASED tombstone (no seats) so a late CreateHold with that
	// id takes nothing.
	ReleaseHold(ctx context.Context, id, reason string, at time.Time) (hold Hold, released bool, err error)
	// ExpireHold moves a HELD hold whose expiry is not after now to EXPIRED
	// and returns its seats, once.
	ExpireHold(ctx context.Context, id string, now time.Time) (bool, error)
	// CommitHold moves a HELD, unexpired hold to COMMITTED (idempotent on a
	// committed hold). ErrHoldExpired when it expired or was released,
	// ErrHoldNotFound when missing.
	CommitHold(ctx context.Context, id string, now time.Time) (Hold, error)
	// ExpiredHolds lists up to limit HELD holds that expired by now.
	ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]string, error)

	// RecordDisruption records d as its flight's next disruption (Seq =
	// latest + 1) with its flight.disrupted event in one transaction,
	// unless the latest one is the Same: then it returns that one and
	// created=false. ErrFlightCancelled when the flight was cancelled.
	RecordDisruption(ctx context.Context, d Disruption) (got Disruption, created bool, err error)
	// Disruptions returns the disruption in force of every disrupted flight.
	Disruptions(ctx context.Context) (map[string]Disruption, error)
}

// Config tunes the service. Zero values take the defaults noted.
type Config struct {
	// QuoteTTL is a quote's price guarantee (default 20m).
	QuoteTTL time.Duration
	// HoldTTL is a hold's lifetime when the caller gives none (default 15m).
	HoldTTL time.Duration
	// MaxHoldTTL caps a requested hold lifetime (default 24h, the staff TTL).
	MaxHoldTTL time.Duration
	// SearchCacheTTL bounds how long a search result is reused (default 30s).
	SearchCacheTTL time.Duration
	// AvailabilityTTL is how often the seat counters searches read from
	// memory catch up with inventory changes made by other processes, from
	// the store's feed of changed flights (default 5s). Changes made
	// through this process update them at once; quotes and holds always
	// read the database.
	AvailabilityTTL time.Duration
	// SweepInterval is how often the sweeper looks for expired holds
	// (default 15s).
	SweepInterval time.Duration
	// ReloadInterval is how often the schedule's stamp is checked, reloading
	// it when another process seeded flights (default 15s; an unchanged
	// stamp costs one small query).
	ReloadInterval time.Duration
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.QuoteTTL, 20*time.Minute)
	def(&c.HoldTTL, 15*time.Minute)
	def(&c.MaxHoldTTL, 24*time.Hour)
	def(&c.SearchCacheTTL, 30*time.Second)
	def(&c.AvailabilityTTL, 5*time.Second)
	def(&c.SweepInterval, 15*time.Second)
	def(&c.ReloadInterval, 15*time.Second)
	return c
}

// Service is the flight domain: search, quotes and seat inventory.
type Service struct {
	log     *slog.Logger
	store   Store
	now     func() time.Time
	cache   SearchCache
	cfg     Config
	network atomic.Pointer[Network]
	// stamp is the ScheduleStamp the current network was loaded at.
	stamp atomic.Pointer[string]
	// changes counts inventory changes made through this service; a search
	// that raced one does not cache what it read (it may predate the change).
	changes atomic.Uint64
	// seatMu serializes writes to the network's seat counters with the
	// swap of the network on Reload; seatSeq orders the reads they come
	// from so that an older read never overwrites a newer one.
	seatMu  sync.Mutex
	seatSeq atomic.Uint64
	// seatsPolled is when the feed of changed flights was last read.
	seatsPolled time.Time
}

// NewService returns a service over store. cache may be nil (an in-process
// cache is used); now is the clock. Call Reload before serving.
func NewService(log *slog.Logger, store Store, now func() time.Time, cache SearchCache, cfg Config) *Service {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if cache == nil {
		cache = NewMemoryCache(4096, cfg.SearchCacheTTL, now)
	}
	s := &Service{log: log, store: store, now: now, cache: cache, cfg: cfg}
	empty, _ := NewNetwork(nil, nil)
	s.network.Store(empty)
	return s
}

// Logger returns the service's logger (adapters log with it).
func (s *Service) Logger() *slog.Logger { return s.log }

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Network returns the current in-memory network.
func (s *Service) Network() *Network { return s.network.Load() }

// Reload rebuilds the in-memory network from the store: airports, the
// flights departing from a day ago on and their seat counters.
func (s *Service) Reload(ctx context.Context) error {
	from := s.now().Add(-24 * time.Hour)
	stamp, err := s.store.ScheduleStamp(ctx)
	if err != nil {
		return fmt.Errorf("reload network: %w", err)
	}
	airports, err := s.store.Airports(ctx)
	if err != nil {
		return fmt.Errorf("reload network: %w", err)
	}
	flights, err := s.store.Flights(ctx, from)
	if err != nil {
		return fmt.Errorf("reload network: %w", err)
	}
	seq := s.seatSeq.Add(1)
	counters, err := s.store.SeatCounters(ctx, from)
	if err != nil {
		return fmt.Errorf("reload network: %w", err)
	}
	disruptions, err := s.store.Disruptions(ctx)
	if err != nil {
		return fmt.Errorf("reload network: %w", err)
	}
	applyDisruptions(flights, disruptions)
	n, err := NewNetwork(airports, flights)
	if err != nil {
		return fmt.Errorf("reload network: %w", err)
	}
	n.seats.load(n.ord, seq, counters)
	s.seatMu.Lock()
	old := s.network.Load()
	n.seats.copyNewer(old.seats, seq, func(i int) int32 {
		if j, ok := n.ord[old.list[i].ID]; ok {
			return j
		}
		return -1
	})
	s.network.Store(n)
	s.seatMu.Unlock()
	s.changes.Add(1) // a search that raced the swap does not cache the old network
	s.stamp.Store(&stamp)
	s.log.DebugContext(ctx, "flight network loaded", "airports", len(airports), "flights", len(flights))
	return nil
}

// SeedResult summarises a seeding run.
type SeedResult struct {
	Airports int
	Flights  int
	Inserted int
	Took     time.Duration
}

// Seed inserts the airports and flights that are missing and reloads the
// network. It is idempotent.
func (s *Service) Seed(ctx context.Context, airports []Airport, flights []Flight) (SeedResult, error) {
	start := time.Now()
	if err := s.store.SaveAirports(ctx, airports); err != nil {
		return SeedResult{}, fmt.Errorf("seed airports: %w", err)
	}
	n, err := s.store.InsertFlights(ctx, flights)
	if err != nil {
		return SeedResult{}, fmt.Errorf("seed flights: %w", err)
	}
	if err := s.Reload(ctx); err != nil {
		return SeedResult{}, err
	}
	return SeedResult{Airports: len(airports), Flights: len(flights), Inserted: n, Took: time.Since(start)}, nil
}

// RunReloader reloads the network every ReloadInterval until ctx ends (a
// background job, so flights seeded by another process appear).
func (s *Service) RunReloader(ctx context.Context) error {
	t := time.NewTicker(s.cfg.ReloadInterval)
	defer t.Stop()
	seats := time.NewTicker(s.cfg.AvailabilityTTL)
	defer seats.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.reloadIfChanged(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "flight network reload failed", "err", err)
			}
		case <-seats.C:
			if err := s.refreshChangedSeats(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "seat counter refresh failed", "err", err)
			}
		}
	}
}

// refreshChangedSeats re-reads the seat counters of the flights whose
// inventory changed since the previous poll (by any process; the window
// overlaps the previous one by AvailabilityTTL to absorb clock skew) and
// drops the cached results showing those whose counters moved. Only the
// reloader goroutine calls it.
func (s *Service) refreshChangedSeats(ctx context.Context) error {
	now := s.now()
	since := s.seatsPolled.Add(-s.cfg.AvailabilityTTL)
	if s.seatsPolled.IsZero() {
		since = now.Add(-2 * s.cfg.AvailabilityTTL)
	}
	ids, err := s.store.ChangedFlights(ctx, since)
	if err != nil {
		return fmt.Errorf("changed flights: %w", err)
	}
	s.seatsPolled = now
	return s.refreshSeats(ctx, ids)
}

// refreshSeats reads the seat counters of ids into the network and drops
// the cached search results showing those that moved.
func (s *Service) refreshSeats(ctx context.Context, ids []string) error {
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(len(ids), start+500)]
		seq := s.seatSeq.Add(1)
		got, err := s.store.Availability(ctx, chunk)
		if err != nil {
			return fmt.Errorf("refresh seats: %w", err)
		}
		var changed []string
		s.seatMu.Lock()
		n := s.network.Load()
		for _, id := range chunk {
			if i, ok := n.ord[id]; ok && n.seats.set(i, seq, got[id]) {
				changed = append(changed, id)
			}
		}
		s.seatMu.Unlock()
		if len(changed) > 0 {
			s.changes.Add(1)
			s.cache.Invalidate(ctx, n.CacheTags(changed))
		}
	}
	return nil
}

// reloadIfChanged reloads the network when the stored schedule changed
// (another process seeded it); a full reload of an unchanged schedule would
// only burn CPU.
func (s *Service) reloadIfChanged(ctx context.Context) error {
	stamp, err := s.store.ScheduleStamp(ctx)
	if err != nil {
		return fmt.Errorf("schedule stamp: %w", err)
	}
	if cur := s.stamp.Load(); cur != nil && *cur == stamp {
		return nil
	}
	return s.Reload(ctx)
}

// Flight returns a flight with its local times from the network, falling
// back to the store. ErrFlightNotFound when unknown.
func (s *Service) Flight(ctx context.Context, id string) (Flight, error) {
	if f, ok := s.Network().Flight(id); ok {
		return f, nil
	}
	f, err := s.store.Flight(ctx, id)
	if err != nil {
		return Flight{}, fmt.Errorf("flight %s: %w", id, err)
	}
	return f, nil
}

// Availability returns a flight's seat counters.
func (s *Service) Availability(ctx context.Context, id string) ([]CabinAvailability, error) {
	if _, err := s.Flight(ctx, id); err != nil {
		return nil, err
	}
	m, err := s.store.Availability(ctx, []string{id})
	if err != nil {
		return nil, fmt.Errorf("availability of %s: %w", id, err)
	}
	return m[id], nil
}

// newID returns prefix + 20 random base32 characters (100 bits).
func newID(prefix string) string {
	b := make([]byte, 13)
	_, _ = rand.Read(b)
	return prefix + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:20]
}
