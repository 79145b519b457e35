// Package flightgorm is the flight domain's Store on GORM: SQLite (the
// embedded default), MySQL/MariaDB (production), PostgreSQL, and SQL Server
// SQL that stays valid T-SQL. Seat holds are one conditional UPDATE per
// flight inside a retried transaction, backed by a CHECK constraint, so
// inventory can never go negative.
package flightgorm

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/flight"
)

//go:embed migrations
var migrations embed.FS

// MigrationTable is the goose version table of the flight domain.
const MigrationTable = "flight_migrations"

// Migrate applies the flight schema to db.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("flightgorm: migrations: %w", err)
	}
	if err := sqldb.Migrate(ctx, db, sub, MigrationTable); err != nil {
		return fmt.Errorf("flightgorm: %w", err)
	}
	if err := outbox.Migrate(ctx, db); err != nil {
		return fmt.Errorf("flightgorm: %w", err)
	}
	return nil
}

// Domain names the flight domain's outbox topic (skyfly.flight.v1).
const Domain = "flight"

// appendHoldEvent writes the event of the hold id reaching status to inside
// tx, the transaction that moved it.
func appendHoldEvent(tx *gorm.DB, id string, to flight.HoldStatus, at time.Time) error {
	h, ok, err := readHold(tx, id)
	if err != nil || !ok {
		return err
	}
	he := flight.EventOfHold(h, to, at)
	e, err := outbox.New(he.ID, he.Type, outbox.Aggregate{Type: "hold", ID: id}, he.At, he.Data)
	if err != nil {
		return err
	}
	return outbox.Append(tx, Domain, e)
}

// againOnDuplicate runs a transaction up to three times while it fails on
// a duplicate key: a concurrent writer inserted the same row first (on
// PostgreSQL that aborts the whole transaction), and the next attempt
// finds it.
func againOnDuplicate(tx func() error) error {
	var err error
	for range 3 {
		if err = tx(); !errors.Is(err, gorm.ErrDuplicatedKey) {
			return err
		}
	}
	return err
}

// batchSize bounds rows per INSERT while seeding (well under every
// dialect's bind-parameter limit: 8 columns × 250 rows < 2100 for SQL Server).
const batchSize = 250

// Store implements flight.Store.
type Store struct {
	db *sqldb.DB
}

var _ flight.Store = (*Store)(nil)

// New returns a store on a migrated database.
func New(db *sqldb.DB) *Store { return &Store{db: db} }

// bulk is the database for bulk loads (seeding, loading the schedule):
// their long statements are expected, so only failed statements are logged,
// not slow-query warnings.
func (s *Store) bulk() *sqldb.DB {
	return &sqldb.DB{DB: s.db.Session(&gorm.Session{Logger: failuresOnly{s.db.Logger}}), Dialect: s.db.Dialect}
}

// failuresOnly traces only statements that failed.
type failuresOnly struct{ logger.Interface }

// LogMode keeps the wrapper.
func (f failuresOnly) LogMode(l logger.LogLevel) logger.Interface {
	return failuresOnly{f.Interface.LogMode(l)}
}

// Trace forwards failed statements only.
func (f failuresOnly) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if err != nil {
		f.Interface.Trace(ctx, begin, fc, err)
	}
}

type airportRow struct {
	Code    string `gorm:"primaryKey"`
	Name    string
	City    string
	Country string
	Zone    string
	Lat     float64
	Lon     float64
}

func (airportRow) TableName() string { return "flight_airports" }

type flightRow struct {
	ID           string `gorm:"primaryKey"`
	Number       string
	Origin       string
	Destination  string
	DepartureUTC time.Time `gorm:"column:departure_utc"`
	ArrivalUTC   time.Time `gorm:"column:arrival_utc"`
	Aircraft     string
	DistanceKm   int
}

func (flightRow) TableName() string { return "flight_flights" }

type inventoryRow struct {
	FlightID       string `gorm:"primaryKey"`
	Cabin          string `gorm:"primaryKey"`
	Capacity       int
	SeatsAvailable int
}

func (inventoryRow) TableName() string { return "flight_inventory" }

type quoteRow struct {
	ID          string `gorm:"primaryKey"`
	FlightIDs   string `gorm:"column:flight_ids"`
	FareID      string
	Adults      int
	Children    int
	Infants     int
	TotalAmount int64
	Currency    string
	Payload     string
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt   time.Time
}

func (quoteRow) TableName() string { return "flight_quotes" }

type holdRow struct {
	ID        string `gorm:"primaryKey"`
	QuoteID   string
	Status    string
	Seats     int
	Reason    string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
	ExpiresAt time.Time
}

func (holdRow) TableName() string { return "flight_holds" }

type holdSegmentRow struct {
	HoldID       string `gorm:"primaryKey"`
	FlightID     string `gorm:"primaryKey"`
	Cabin        string
	BookingClass string
	Seats        int
}

func (holdSegmentRow) TableName() string { return "flight_hold_segments" }

// ts is how every time is stored: UTC, microseconds (MySQL DATETIME(6)).
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func toAirport(r airportRow) flight.Airport {
	return flight.Airport{Code: r.Code, Name: r.Name, City: r.City, Country: r.Country, Zone: r.Zone, Lat: r.Lat, Lon: r.Lon}
}

func toFlight(r flightRow, cabins []flight.CabinSeats) flight.Flight {
	return flight.Flight{ID: r.ID, Number: r.Number, Origin: r.Origin, Destination: r.Destination,
		DepartureUTC: r.DepartureUTC.UTC(), ArrivalUTC: r.ArrivalUTC.UTC(), Aircraft: r.Aircraft, DistanceKm: r.DistanceKm, Cabins: cabins}
}

func toHold(r holdRow, segs []holdSegmentRow) flight.Hold {
	h := flight.Hold{ID: r.ID, QuoteID: r.QuoteID, Status: flight.HoldStatus(r.Status), Seats: r.Seats, Reason: r.Reason,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
	for _, s := range segs {
		h.Segments = append(h.Segments, flight.HoldSegment{FlightID: s.FlightID, Cabin: flight.Cabin(s.Cabin), BookingClass: s.BookingClass, Seats: s.Seats})
	}
	return h
}

// cabinOrder sorts cabins F, J, W, Y.
func cabinOrder(c string) int { return strings.Index("FJWY", c) }

// ---- queries: each store query is built by one of these functions so the
// I3 test can render every one of them as T-SQL.

func qAirportCodes(db *gorm.DB, codes []string, out *[]string) *gorm.DB {
	return db.Model(&airportRow{}).Where("code IN ?", codes).Pluck("code", out)
}

func qAirports(db *gorm.DB, out *[]airportRow) *gorm.DB {
	return db.Order("code").Find(out)
}

func qFlightIDs(db *gorm.DB, ids []string, out *[]string) *gorm.DB {
	return db.Model(&flightRow{}).Where("id IN ?", ids).Pluck("id", out)
}

func qFlightsFrom(db *gorm.DB, from time.Time, out *[]flightRow) *gorm.DB {
	return db.Where("departure_utc >= ?", ts(from)).Order("departure_utc, id").Find(out)
}

func qCapacitiesFrom(db *gorm.DB, from time.Time, out *[]inventoryRow) *gorm.DB {
	return db.Table("flight_inventory AS i").Select("i.flight_id, i.cabin, i.capacity, i.seats_available").
		Joins("JOIN flight_flights AS f ON f.id = i.flight_id").Where("f.departure_utc >= ?", ts(from)).Find(out)
}

func qScheduleStamp(db *gorm.DB, out *[]stampRow) *gorm.DB {
	return db.Model(&flightRow{}).Select("COUNT(*) AS flights, MAX(id) AS max_id").Find(out)
}

type stampRow struct {
	Flights int64
	MaxID   *string
}

func qFlight(db *gorm.DB, id string, out *[]flightRow) *gorm.DB {
	return db.Where("id = ?", id).Find(out)
}

func qInventory(db *gorm.DB, ids []string, out *[]inventoryRow) *gorm.DB {
	return db.Where("flight_id IN ?", ids).Find(out)
}

func qChangedFlights(db *gorm.DB, since time.Time, out *[]string) *gorm.DB {
	return db.Table("flight_hold_segments AS s").Distinct("s.flight_id").
		Joins("JOIN flight_holds AS h ON h.id = s.hold_id").Where("h.updated_at >= ?", ts(since)).Pluck("s.flight_id", out)
}

func qQuote(db *gorm.DB, id string, out *[]quoteRow) *gorm.DB {
	return db.Where("id = ?", id).Find(out)
}

func qHold(db *gorm.DB, id string, out *[]holdRow) *gorm.DB {
	return db.Where("id = ?", id).Find(out)
}

func qHoldSegments(db *gorm.DB, id string, out *[]holdSegmentRow) *gorm.DB {
	return db.Where("hold_id = ?", id).Order("flight_id").Find(out)
}

// qTakeSeats is the oversell guard: it decrements the cabin counter only if
// enough seats are left and the booking class's bucket stays open.
func qTakeSeats(db *gorm.DB, s flight.HoldSegment) *gorm.DB {
	return db.Model(&inventoryRow{}).
		Where("flight_id = ? AND cabin = ? AND seats_available >= ? AND capacity - seats_available + ? <= ?",
			s.FlightID, string(s.Cabin), s.Seats, s.Seats, s.MaxSold).
		Update("seats_available", gorm.Expr("seats_available - ?", s.Seats))
}

func qReturnSeats(db *gorm.DB, s holdSegmentRow) *gorm.DB {
	return db.Model(&inventoryRow{}).Where("flight_id = ? AND cabin = ?", s.FlightID, s.Cabin).
		Update("seats_available", gorm.Expr("seats_available + ?", s.Seats))
}

// qTransition moves a hold from one of the from states to to. cond adds a
// condition on expires_at ("<=" expired, ">" unexpired, "" none).
func qTransition(db *gorm.DB, id string, from []flight.HoldStatus, to flight.HoldStatus, at time.Time, reason, cond string) *gorm.DB {
	states := make([]string, len(from))
	for i, s := range from {
		states[i] = string(s)
	}
	q := db.Model(&holdRow{}).Where("id = ? AND status IN ?", id, states)
	switch cond {
	case "<=":
		q = q.Where("expires_at <= ?", ts(at))
	case ">":
		q = q.Where("expires_at > ?", ts(at))
	}
	updates := map[string]any{"status": string(to), "updated_at": ts(at)}
	if reason != "" {
		updates["reason"] = truncate(reason, 200)
	}
	return q.Updates(updates)
}

func qExpiredHolds(db *gorm.DB, now time.Time, limit int, out *[]string) *gorm.DB {
	return db.Model(&holdRow{}).Where("status = ? AND expires_at <= ?", string(flight.HoldHeld), ts(now)).
		Order("expires_at").Limit(limit).Pluck("id", out)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ---- network

// SaveAirports inserts the airports that are missing.
func (s *Store) SaveAirports(ctx context.Context, airports []flight.Airport) error {
	if len(airports) == 0 {
		return nil
	}
	codes := make([]string, len(airports))
	for i, a := range airports {
		codes[i] = a.Code
	}
	var have []string
	if err := qAirportCodes(s.db.WithContext(ctx), codes, &have).Error; err != nil {
		return fmt.Errorf("flightgorm: existing airports: %w", err)
	}
	var rows []airportRow
	for _, a := range airports {
		if !slices.Contains(have, a.Code) {
			rows = append(rows, airportRow{Code: a.Code, Name: a.Name, City: a.City, Country: a.Country, Zone: a.Zone, Lat: a.Lat, Lon: a.Lon})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := s.db.WithContext(ctx).CreateInBatches(rows, batchSize).Error; err != nil {
		return fmt.Errorf("flightgorm: insert airports: %w", err)
	}
	return nil
}

// InsertFlights inserts the missing flights with full seat counters, one
// transaction per chunk of flights.
func (s *Store) InsertFlights(ctx context.Context, flights []flight.Flight) (int, error) {
	inserted := 0
	const chunk = 2000
	for start := 0; start < len(flights); start += chunk {
		part := flights[start:min(len(flights), start+chunk)]
		n, err := s.insertChunk(ctx, part)
		if err != nil {
			return inserted, err
		}
		inserted += n
	}
	return inserted, nil
}

func (s *Store) insertChunk(ctx context.Context, flights []flight.Flight) (int, error) {
	ids := make([]string, len(flights))
	for i, f := range flights {
		ids[i] = f.ID
	}
	have := map[string]bool{}
	for start := 0; start < len(ids); start += 500 {
		var got []string
		if err := qFlightIDs(s.db.WithContext(ctx), ids[start:min(len(ids), start+500)], &got).Error; err != nil {
			return 0, fmt.Errorf("flightgorm: existing flights: %w", err)
		}
		for _, id := range got {
			have[id] = true
		}
	}
	var rows []flightRow
	var inv []inventoryRow
	for _, f := range flights {
		if have[f.ID] {
			continue
		}
		have[f.ID] = true
		rows = append(rows, flightRow{ID: f.ID, Number: f.Number, Origin: f.Origin, Destination: f.Destination,
			DepartureUTC: ts(f.DepartureUTC), ArrivalUTC: ts(f.ArrivalUTC), Aircraft: f.Aircraft, DistanceKm: f.DistanceKm})
		for _, c := range f.Cabins {
			inv = append(inv, inventoryRow{FlightID: f.ID, Cabin: string(c.Cabin), Capacity: c.Seats, SeatsAvailable: c.Seats})
		}
	}
	if len(rows) == 0 {
		return 0, nil
	}
	err := s.bulk().Transaction(ctx, func(tx *sqldb.DB) error {
		if err := tx.CreateInBatches(rows, batchSize).Error; err != nil {
			return fmt.Errorf("insert flights: %w", err)
		}
		if err := tx.CreateInBatches(inv, batchSize).Error; err != nil {
			return fmt.Errorf("insert inventory: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("flightgorm: %w", err)
	}
	return len(rows), nil
}

// Airports returns every airport.
func (s *Store) Airports(ctx context.Context) ([]flight.Airport, error) {
	var rows []airportRow
	if err := qAirports(s.db.WithContext(ctx), &rows).Error; err != nil {
		return nil, fmt.Errorf("flightgorm: airports: %w", err)
	}
	out := make([]flight.Airport, len(rows))
	for i, r := range rows {
		out[i] = toAirport(r)
	}
	return out, nil
}

// Flights returns the flights departing at or after from with their cabins.
func (s *Store) Flights(ctx context.Context, from time.Time) ([]flight.Flight, error) {
	var rows []flightRow
	if err := qFlightsFrom(s.bulk().WithContext(ctx), from, &rows).Error; err != nil {
		return nil, fmt.Errorf("flightgorm: flights: %w", err)
	}
	var inv []inventoryRow
	if err := qCapacitiesFrom(s.bulk().WithContext(ctx), from, &inv).Error; err != nil {
		return nil, fmt.Errorf("flightgorm: cabins: %w", err)
	}
	cabins := make(map[string][]flight.CabinSeats, len(rows))
	for _, r := range inv {
		cabins[r.FlightID] = append(cabins[r.FlightID], flight.CabinSeats{Cabin: flight.Cabin(r.Cabin), Seats: r.Capacity})
	}
	out := make([]flight.Flight, len(rows))
	for i, r := range rows {
		cs := cabins[r.ID]
		slices.SortFunc(cs, func(a, b flight.CabinSeats) int { return cabinOrder(string(a.Cabin)) - cabinOrder(string(b.Cabin)) })
		out[i] = toFlight(r, cs)
	}
	return out, nil
}

// ScheduleStamp is the number of stored flights and the greatest flight id.
func (s *Store) ScheduleStamp(ctx context.Context) (string, error) {
	var rows []stampRow
	if err := qScheduleStamp(s.db.WithContext(ctx), &rows).Error; err != nil {
		return "", fmt.Errorf("flightgorm: schedule stamp: %w", err)
	}
	if len(rows) == 0 || rows[0].MaxID == nil {
		return "0", nil
	}
	// Disruptions change the schedule too (cancelled or retimed flights).
	var disruptions int64
	if err := qDisruptionCount(s.db.WithContext(ctx), &disruptions).Error; err != nil {
		return "", fmt.Errorf("flightgorm: schedule stamp: %w", err)
	}
	return fmt.Sprintf("%d/%s/%d", rows[0].Flights, *rows[0].MaxID, disruptions), nil
}

// Flight returns one flight with its cabins.
func (s *Store) Flight(ctx context.Context, id string) (flight.Flight, error) {
	var rows []flightRow
	if err := qFlight(s.db.WithContext(ctx), id, &rows).Error; err != nil {
		return flight.Flight{}, fmt.Errorf("flightgorm: flight %s: %w", id, err)
	}
	if len(rows) == 0 {
		return flight.Flight{}, fmt.Errorf("flightgorm: flight %s: %w", id, flight.ErrFlightNotFound)
	}
	avail, err := s.Availability(ctx, []string{id})
	if err != nil {
		return flight.Flight{}, err
	}
	var cs []flight.CabinSeats
	for _, c := range avail[id] {
		cs = append(cs, flight.CabinSeats{Cabin: c.Cabin, Seats: c.Capacity})
	}
	return toFlight(rows[0], cs), nil
}

// Availability returns the seat counters of flights, cabins in F, J, W, Y order.
func (s *Store) Availability(ctx context.Context, ids []string) (map[string][]flight.CabinAvailability, error) {
	out := make(map[string][]flight.CabinAvailability, len(ids))
	for start := 0; start < len(ids); start += 500 {
		var rows []inventoryRow
		if err := qInventory(s.db.WithContext(ctx), ids[start:min(len(ids), start+500)], &rows).Error; err != nil {
			return nil, fmt.Errorf("flightgorm: availability: %w", err)
		}
		for _, r := range rows {
			out[r.FlightID] = append(out[r.FlightID], flight.CabinAvailability{Cabin: flight.Cabin(r.Cabin), Capacity: r.Capacity, Available: r.SeatsAvailable})
		}
	}
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b flight.CabinAvailability) int {
			return cabinOrder(string(a.Cabin)) - cabinOrder(string(b.Cabin))
		})
	}
	return out, nil
}

// SeatCounters returns the seat counters of the flights departing at or
// after from, in one read.
func (s *Store) SeatCounters(ctx context.Context, from time.Time) ([]flight.SeatCounter, error) {
	var rows []inventoryRow
	if err := qCapacitiesFrom(s.bulk().WithContext(ctx), from, &rows).Error; err != nil {
		return nil, fmt.Errorf("flightgorm: seat counters: %w", err)
	}
	out := make([]flight.SeatCounter, len(rows))
	for i, r := range rows {
		out[i] = flight.SeatCounter{FlightID: r.FlightID, Cabin: flight.Cabin(r.Cabin), Available: r.SeatsAvailable}
	}
	return out, nil
}

// ChangedFlights returns the flights of the holds changed at or after since.
func (s *Store) ChangedFlights(ctx context.Context, since time.Time) ([]string, error) {
	var ids []string
	if err := qChangedFlights(s.db.WithContext(ctx), since, &ids).Error; err != nil {
		return nil, fmt.Errorf("flightgorm: changed flights: %w", err)
	}
	return ids, nil
}

// ---- quotes

// quotePayload is the stored form of a quote's details.
type quotePayload struct {
	Cabin        string             `json:"cabin"`
	BookingClass string             `json:"bookingClass"`
	Family       string             `json:"family"`
	Segments     []flight.Segment   `json:"segments"`
	Breakdown    []flight.PriceLine `json:"breakdown"`
	Conditions   flight.Conditions  `json:"conditions"`
}

// SaveQuote stores a quote.
func (s *Store) SaveQuote(ctx context.Context, q flight.Quote) error {
	payload, err := json.Marshal(quotePayload{Cabin: string(q.Cabin), BookingClass: q.BookingClass, Family: q.Family,
		Segments: q.Segments, Breakdown: q.Breakdown, Conditions: q.Conditions})
	if err != nil {
		return fmt.Errorf("flightgorm: encode quote %s: %w", q.ID, err)
	}
	row := quoteRow{ID: q.ID, FlightIDs: strings.Join(q.FlightIDs, ","), FareID: q.FareID,
		Adults: q.Passengers.Adults, Children: q.Passengers.Children, Infants: q.Passengers.Infants,
		TotalAmount: q.Total.Amount, Currency: q.Total.Currency, Payload: string(payload),
		CreatedAt: ts(q.CreatedAt), ExpiresAt: ts(q.ExpiresAt)}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("flightgorm: save quote %s: %w", q.ID, err)
	}
	return nil
}

// Quote returns a stored quote.
func (s *Store) Quote(ctx context.Context, id string) (flight.Quote, error) {
	var rows []quoteRow
	if err := qQuote(s.db.WithContext(ctx), id, &rows).Error; err != nil {
		return flight.Quote{}, fmt.Errorf("flightgorm: quote %s: %w", id, err)
	}
	if len(rows) == 0 {
		return flight.Quote{}, fmt.Errorf("flightgorm: quote %s: %w", id, flight.ErrQuoteNotFound)
	}
	r := rows[0]
	var p quotePayload
	if err := json.Unmarshal([]byte(r.Payload), &p); err != nil {
		return flight.Quote{}, fmt.Errorf("flightgorm: decode quote %s: %w", id, err)
	}
	return flight.Quote{
		ID: r.ID, FlightIDs: strings.Split(r.FlightIDs, ","), FareID: r.FareID,
		Cabin: flight.Cabin(p.Cabin), BookingClass: p.BookingClass, Family: p.Family,
		Passengers: flight.Passengers{Adults: r.Adults, Children: r.Children, Infants: r.Infants},
		Segments:   p.Segments, Total: money.New(r.TotalAmount, r.Currency), Breakdown: p.Breakdown, Conditions: p.Conditions,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
	}, nil
}

// ---- holds

func readHold(db *gorm.DB, id string) (flight.Hold, bool, error) {
	var rows []holdRow
	if err := qHold(db, id, &rows).Error; err != nil {
		return flight.Hold{}, false, err
	}
	if len(rows) == 0 {
		return flight.Hold{}, false, nil
	}
	var segs []holdSegmentRow
	if err := qHoldSegments(db, id, &segs).Error; err != nil {
		return flight.Hold{}, false, err
	}
	return toHold(rows[0], segs), true, nil
}

// Hold returns a hold with its segments.
func (s *Store) Hold(ctx context.Context, id string) (flight.Hold, error) {
	h, ok, err := readHold(s.db.WithContext(ctx), id)
	if err != nil {
		return flight.Hold{}, fmt.Errorf("flightgorm: hold %s: %w", id, err)
	}
	if !ok {
		return flight.Hold{}, fmt.Errorf("flightgorm: hold %s: %w", id, flight.ErrHoldNotFound)
	}
	return h, nil
}

// CreateHold records the hold and takes its seats in one transaction.
func (s *Store) CreateHold(ctx context.Context, h flight.Hold) (flight.Hold, bool, error) {
	segs := slices.Clone(h.Segments)
	// a fixed lock order across flights: concurrent connection holds never deadlock
	slices.SortFunc(segs, func(a, b flight.HoldSegment) int { return strings.Compare(a.FlightID, b.FlightID) })
	var existing flight.Hold
	var found bool
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		var err error
		existing, found, err = readHold(tx.DB, h.ID)
		if err != nil || found {
			return err
		}
		row := holdRow{ID: h.ID, QuoteID: h.QuoteID, Status: string(flight.HoldHeld), Seats: h.Seats,
			Reason: truncate(h.Reason, 200), CreatedAt: ts(h.CreatedAt), UpdatedAt: ts(h.CreatedAt), ExpiresAt: ts(h.ExpiresAt)}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		segRows := make([]holdSegmentRow, len(segs))
		for i, sg := range segs {
			segRows[i] = holdSegmentRow{HoldID: h.ID, FlightID: sg.FlightID, Cabin: string(sg.Cabin), BookingClass: sg.BookingClass, Seats: sg.Seats}
		}
		if len(segRows) > 0 {
			if err := tx.Create(&segRows).Error; err != nil {
				return err
			}
		}
		for _, sg := range segs {
			res := qTakeSeats(tx.DB, sg)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("flight %s cabin %s class %s, %d seats: %w", sg.FlightID, sg.Cabin, sg.BookingClass, sg.Seats, flight.ErrSeatUnavailable)
			}
		}
		return appendHoldEvent(tx.DB, h.ID, flight.HoldHeld, h.CreatedAt)
	})
	switch {
	case errors.Is(err, gorm.ErrDuplicatedKey):
		// a concurrent call with the same id won the insert
		got, gerr := s.Hold(ctx, h.ID)
		if gerr != nil {
			return flight.Hold{}, false, gerr
		}
		existing, found, err = got, true, nil
	case err != nil:
		return flight.Hold{}, false, fmt.Errorf("flightgorm: create hold %s: %w", h.ID, err)
	}
	if found {
		if existing.QuoteID != h.QuoteID && existing.QuoteID != "" {
			return flight.Hold{}, false, fmt.Errorf("flightgorm: hold %s: %w", h.ID, flight.ErrHoldConflict)
		}
		return existing, false, nil
	}
	s2, err := s.Hold(ctx, h.ID)
	if err != nil {
		return flight.Hold{}, false, err
	}
	return s2, true, nil
}

// ReleaseHold releases a held or committed hold once; an unknown id leaves a
// RELEASED tombstone.
func (s *Store) ReleaseHold(ctx context.Context, id, reason string, at time.Time) (flight.Hold, bool, error) {
	if reason == "" {
		reason = "released"
	}
	released, err := s.finish(ctx, id, []flight.HoldStatus{flight.HoldHeld, flight.HoldCommitted}, flight.HoldReleased, at, reason, "")
	if err != nil {
		return flight.Hold{}, false, err
	}
	if !released {
		err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
			_, found, err := readHold(tx.DB, id)
			if err != nil || found {
				return err
			}
			return tx.Create(&holdRow{ID: id, Status: string(flight.HoldReleased), Reason: truncate(reason, 200),
				CreatedAt: ts(at), UpdatedAt: ts(at), ExpiresAt: ts(at)}).Error
		})
		if err != nil && !errors.Is(err, gorm.ErrDuplicatedKey) {
			return flight.Hold{}, false, fmt.Errorf("flightgorm: release hold %s: %w", id, err)
		}
	}
	h, err := s.Hold(ctx, id)
	if err != nil {
		return flight.Hold{}, false, err
	}
	return h, released, nil
}

// ExpireHold expires a HELD hold past its expiry once.
func (s *Store) ExpireHold(ctx context.Context, id string, now time.Time) (bool, error) {
	return s.finish(ctx, id, []flight.HoldStatus{flight.HoldHeld}, flight.HoldExpired, now, "expired", "<=")
}

// finish moves a hold to a final state and returns its seats, in one
// transaction; only the call whose status UPDATE matched returns seats (I6).
func (s *Store) finish(ctx context.Context, id string, from []flight.HoldStatus, to flight.HoldStatus, at time.Time, reason, cond string) (bool, error) {
	var done bool
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		done = false
		res := qTransition(tx.DB, id, from, to, at, reason, cond)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil
		}
		var segs []holdSegmentRow
		if err := qHoldSegments(tx.DB, id, &segs).Error; err != nil {
			return err
		}
		for _, sg := range segs {
			r := qReturnSeats(tx.DB, sg)
			if r.Error != nil {
				return r.Error
			}
			if r.RowsAffected != 1 {
				return fmt.Errorf("return %d seats to flight %s cabin %s: no counter", sg.Seats, sg.FlightID, sg.Cabin)
			}
		}
		done = true
		return appendHoldEvent(tx.DB, id, to, at)
	})
	if err != nil {
		return false, fmt.Errorf("flightgorm: %s hold %s: %w", strings.ToLower(string(to)), id, err)
	}
	return done, nil
}

// CommitHold commits a held, unexpired hold (idempotent).
func (s *Store) CommitHold(ctx context.Context, id string, now time.Time) (flight.Hold, error) {
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		res := qTransition(tx.DB, id, []flight.HoldStatus{flight.HoldHeld}, flight.HoldCommitted, now, "", ">")
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return appendHoldEvent(tx.DB, id, flight.HoldCommitted, now)
	})
	if err != nil {
		return flight.Hold{}, fmt.Errorf("flightgorm: commit hold %s: %w", id, err)
	}
	h, err := s.Hold(ctx, id)
	if err != nil {
		return flight.Hold{}, err
	}
	if h.Status != flight.HoldCommitted {
		return flight.Hold{}, fmt.Errorf("flightgorm: commit hold %s (%s): %w", id, h.Status, flight.ErrHoldExpired)
	}
	return h, nil
}

// ExpiredHolds lists HELD holds past their expiry, oldest first.
func (s *Store) ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var ids []string
	if err := qExpiredHolds(s.db.WithContext(ctx), now, limit, &ids).Error; err != nil {
		return nil, fmt.Errorf("flightgorm: expired holds: %w", err)
	}
	return ids, nil
}
