// Package bookinggorm implements booking.Store on GORM for SQL Server
// (production), SQLite (embedded default) and PostgreSQL, with embedded
// per-dialect migrations. Every query it issues is plain enough to be valid
// T-SQL: no FOR UPDATE, no LIMIT (pagination renders OFFSET/FETCH there),
// optimistic locking by version instead of row locks.
package bookinggorm

import (
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/booking"
)

//go:embed migrations
var migrations embed.FS

// MigrationTable is the goose version table of the booking domain.
const MigrationTable = "booking_migrations"

// Migrations returns the per-dialect migration directories.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embed above guarantees the directory
	}
	return sub
}

// Migrate applies the booking migrations to db, the outbox's included.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	if err := sqldb.Migrate(ctx, db, Migrations(), MigrationTable); err != nil {
		return fmt.Errorf("booking migrate: %w", err)
	}
	if err := outbox.Migrate(ctx, db); err != nil {
		return fmt.Errorf("booking migrate: %w", err)
	}
	return nil
}

// Domain names the booking domain's outbox topic (skyfly.booking.v1).
const Domain = "booking"

// appendEvents writes the events of b's history entries from index from on
// to the outbox, inside the transaction that stores those entries.
func appendEvents(tx *gorm.DB, b booking.Booking, from int) error {
	des := booking.EventsFrom(b, from)
	events := make([]outbox.Event, 0, len(des))
	for _, de := range des {
		e, err := outbox.New(de.ID, de.Type, outbox.Aggregate{Type: "booking", ID: b.ID}, de.At, de.Data)
		if err != nil {
			return err
		}
		events = append(events, e)
	}
	return outbox.Append(tx, Domain, events...)
}

// Store is the GORM booking.Store.
type Store struct {
	db *gorm.DB
}

// New returns a Store on db.
func New(db *sqldb.DB) *Store { return &Store{db: db.DB} }

// NewWithGorm returns a Store on a raw GORM handle (the T-SQL dry-run test).
func NewWithGorm(db *gorm.DB) *Store { return &Store{db: db} }

var _ booking.Store = (*Store)(nil)

type bookingRow struct {
	ID             string `gorm:"primaryKey"`
	PNR            string `gorm:"column:pnr"`
	CustomerID     string
	Status         string
	Version        int64
	HoldID         string
	HoldExpiresAt  *time.Time
	PaymentID      string
	ChangeID       string
	Currency       string
	TotalAmount    int64
	PaidAmount     int64
	RefundedAmount int64
	FareJSON       string `gorm:"column:fare_json"`
	ContactEmail   string
	ContactPhone   string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (bookingRow) TableName() string { return "bookings" }

type passengerRow struct {
	BookingID    string `gorm:"primaryKey"`
	Seq          int    `gorm:"primaryKey"`
	ID           string `gorm:"column:id"`
	Type         string
	Title        string
	GivenName    string
	FamilyName   string
	DateOfBirth  string
	Gender       string
	InfantOf     *int
	DocumentJSON *string `gorm:"column:document_json"`
}

func (passengerRow) TableName() string { return "booking_passengers" }

type segmentRow struct {
	BookingID     string `gorm:"primaryKey"`
	Seq           int    `gorm:"primaryKey"`
	FlightID      string
	FlightNumber  string
	Origin        string
	Destination   string
	DepartureTime time.Time
	ArrivalTime   time.Time
	DepartureZone string
	ArrivalZone   string
	International bool
}

func (segmentRow) TableName() string { return "booking_segments" }

type ticketRow struct {
	Number      string `gorm:"primaryKey"`
	BookingID   string
	PassengerID string
	Status      string
	IssuedAt    time.Time
}

func (ticketRow) TableName() string { return "booking_tickets" }

type historyRow struct {
	BookingID  string `gorm:"primaryKey"`
	Seq        int    `gorm:"primaryKey"`
	At         time.Time
	FromStatus string
	ToStatus   string
	Event      string
	Actor      string
	Reason     string
}

func (historyRow) TableName() string { return "booking_history" }

type cancelQuoteRow struct {
	QuoteID       string `gorm:"primaryKey"`
	BookingID     string
	Currency      string
	RefundAmount  int64
	PenaltyAmount int64
	ExpiresAt     time.Time
	CreatedAt     time.Time
}

func (cancelQuoteRow) TableName() string { return "booking_cancel_quotes" }

type changeRow struct {
	ID          string `gorm:"primaryKey"`
	BookingID   string
	Status      string
	PayloadJSON string `gorm:"column:payload_json"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (changeRow) TableName() string { return "booking_changes" }

// Create inserts a booking with its children in one transaction.
func (s *Store) Create(ctx context.Context, b booking.Booking) error {
	row, err := toRow(b)
	if err != nil {
		return err
	}
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := insertPassengers(tx, b); err != nil {
			return err
		}
		if err := insertSegments(tx, b.ID, b.Segments); err != nil {
			return err
		}
		if err := insertTickets(tx, b.ID, b.Tickets); err != nil {
			return err
		}
		if err := insertHistory(tx, b.ID, 0, b.History); err != nil {
			return err
		}
		return appendEvents(tx, b, 0)
	})
	if isDuplicate(err) {
		// Tell a taken PNR from an existing booking id.
		var n int64
		if cerr := s.db.WithContext(ctx).Model(&bookingRow{}).Where("id = ?", b.ID).Count(&n).Error; cerr == nil && n > 0 {
			return fmt.Errorf("create booking %s: %w", b.ID, booking.ErrDuplicate)
		}
		return fmt.Errorf("create booking %s: pnr %s: %w", b.ID, b.PNR, booking.ErrDuplicatePNR)
	}
	if err != nil {
		return fmt.Errorf("create booking %s: %w", b.ID, err)
	}
	return nil
}

// Get loads a booking and its children.
func (s *Store) Get(ctx context.Context, id string) (booking.Booking, error) {
	return s.getWhere(ctx, "id = ?", id)
}

// GetByPNR loads a booking by record locator.
func (s *Store) GetByPNR(ctx context.Context, pnr string) (booking.Booking, error) {
	return s.getWhere(ctx, "pnr = ?", pnr)
}

func (s *Store) getWhere(ctx context.Context, where string, arg string) (booking.Booking, error) {
	db := s.db.WithContext(ctx)
	var rows []bookingRow
	if err := db.Where(where, arg).Find(&rows).Error; err != nil {
		return booking.Booking{}, fmt.Errorf("get booking %s: %w", arg, err)
	}
	if len(rows) == 0 {
		if db.DryRun {
			rows = append(rows, bookingRow{ID: arg, FareJSON: "{}"})
		} else {
			return booking.Booking{}, fmt.Errorf("get booking %s: %w", arg, booking.ErrNotFound)
		}
	}
	bs, err := s.load(db, rows)
	if err != nil {
		return booking.Booking{}, err
	}
	return bs[0], nil
}

// load reads the children of rows with one query per child table.
func (s *Store) load(db *gorm.DB, rows []bookingRow) ([]booking.Booking, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var ps []passengerRow
	if err := db.Where("booking_id IN ?", ids).Order("booking_id, seq").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("load passengers: %w", err)
	}
	var ss []segmentRow
	if err := db.Where("booking_id IN ?", ids).Order("booking_id, seq").Find(&ss).Error; err != nil {
		return nil, fmt.Errorf("load segments: %w", err)
	}
	var ts []ticketRow
	if err := db.Where("booking_id IN ?", ids).Order("issued_at, passenger_id").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("load tickets: %w", err)
	}
	var hs []historyRow
	if err := db.Where("booking_id IN ?", ids).Order("booking_id, seq").Find(&hs).Error; err != nil {
		return nil, fmt.Errorf("load history: %w", err)
	}
	out := make([]booking.Booking, len(rows))
	idx := map[string]int{}
	for i, r := range rows {
		b, err := toBooking(r)
		if err != nil {
			return nil, err
		}
		out[i] = b
		idx[r.ID] = i
	}
	for _, p := range ps {
		b := &out[idx[p.BookingID]]
		pass := booking.Passenger{ID: p.ID, Type: booking.PassengerType(p.Type), Title: p.Title, GivenName: p.GivenName,
			FamilyName: p.FamilyName, DateOfBirth: p.DateOfBirth, Gender: p.Gender, InfantOf: p.InfantOf}
		if p.DocumentJSON != nil {
			var d booking.Document
			if err := json.Unmarshal([]byte(*p.DocumentJSON), &d); err != nil {
				return nil, fmt.Errorf("load passenger %s document: %w", p.ID, err)
			}
			pass.Document = &d
		}
		b.Passengers = append(b.Passengers, pass)
	}
	for _, sg := range ss {
		b := &out[idx[sg.BookingID]]
		b.Segments = append(b.Segments, booking.Segment{
			FlightID: sg.FlightID, FlightNumber: sg.FlightNumber, Origin: sg.Origin, Destination: sg.Destination,
			DepartureTime: inZone(sg.DepartureTime, sg.DepartureZone), ArrivalTime: inZone(sg.ArrivalTime, sg.ArrivalZone),
			International: sg.International,
		})
	}
	for _, t := range ts {
		b := &out[idx[t.BookingID]]
		b.Tickets = append(b.Tickets, booking.Ticket{Number: t.Number, PassengerID: t.PassengerID, Status: t.Status, IssuedAt: t.IssuedAt.UTC()})
	}
	for _, h := range hs {
		b := &out[idx[h.BookingID]]
		b.History = append(b.History, booking.HistoryEntry{At: h.At.UTC(), From: booking.Status(h.FromStatus), To: booking.Status(h.ToStatus),
			Event: h.Event, Actor: h.Actor, Reason: h.Reason})
	}
	return out, nil
}

// List pages bookings newest first with a keyset cursor on (created_at, id).
func (s *Store) List(ctx context.Context, f booking.ListFilter) (booking.Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	if limit > 100 {
		limit = 100
	}
	q := s.db.WithContext(ctx).Model(&bookingRow{})
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	if f.PNR != "" {
		q = q.Where("pnr = ?", f.PNR)
	}
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.FlightID != "" {
		q = q.Where("id IN (?)", s.db.Model(&segmentRow{}).Select("booking_id").Where("flight_id = ?", f.FlightID))
	}
	if f.FamilyName != "" {
		q = q.Where("id IN (?)", s.db.Model(&passengerRow{}).Select("booking_id").Where("LOWER(family_name) = ?", strings.ToLower(f.FamilyName)))
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return booking.Page{}, fmt.Errorf("list bookings: %w", err)
		}
		q = q.Where("(created_at < ? OR (created_at = ? AND id < ?))", at, at, id)
	}
	var rows []bookingRow
	if err := q.Order("created_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return booking.Page{}, fmt.Errorf("list bookings: %w", err)
	}
	var page booking.Page
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	if len(rows) == 0 {
		page.Bookings = []booking.Booking{}
		return page, nil
	}
	bs, err := s.load(s.db.WithContext(ctx), rows)
	if err != nil {
		return booking.Page{}, fmt.Errorf("list bookings: %w", err)
	}
	page.Bookings = bs
	return page, nil
}

// Update saves b under optimistic locking. The child-table writes come
// first and the version-checked header update last, in one transaction: a
// lost race rolls everything back.
func (s *Store) Update(ctx context.Context, b booking.Booking) (booking.Booking, error) {
	row, err := toRow(b)
	if err != nil {
		return booking.Booking{}, err
	}
	var affected int64
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		var current []int64
		if err := tx.Model(&bookingRow{}).Where("id = ?", b.ID).Pluck("version", &current).Error; err != nil {
			return err
		}
		if !tx.DryRun {
			if len(current) == 0 {
				return booking.ErrNotFound
			}
			if current[0] != b.Version {
				return booking.ErrVersionConflict
			}
		}
		var stored int64
		if err := tx.Model(&historyRow{}).Where("booking_id = ?", b.ID).Count(&stored).Error; err != nil {
			return err
		}
		if int(stored) < len(b.History) {
			if err := insertHistory(tx, b.ID, int(stored), b.History[stored:]); err != nil {
				return err
			}
			if err := appendEvents(tx, b, int(stored)); err != nil {
				return err
			}
		}
		if err := tx.Where("booking_id = ?", b.ID).Delete(&segmentRow{}).Error; err != nil {
			return err
		}
		if err := insertSegments(tx, b.ID, b.Segments); err != nil {
			return err
		}
		if err := tx.Where("booking_id = ?", b.ID).Delete(&ticketRow{}).Error; err != nil {
			return err
		}
		if err := insertTickets(tx, b.ID, b.Tickets); err != nil {
			return err
		}
		res := tx.Model(&bookingRow{}).Where("id = ? AND version = ?", b.ID, b.Version).Updates(map[string]any{
			"status": row.Status, "version": b.Version + 1, "hold_id": row.HoldID, "hold_expires_at": row.HoldExpiresAt,
			"payment_id": row.PaymentID, "change_id": row.ChangeID, "currency": row.Currency, "total_amount": row.TotalAmount, "paid_amount": row.PaidAmount,
			"refunded_amount": row.RefundedAmount, "fare_json": row.FareJSON, "updated_at": row.UpdatedAt,
		})
		if res.Error != nil {
			return res.Error
		}
		affected = res.RowsAffected
		if affected == 0 && !tx.DryRun {
			return booking.ErrVersionConflict
		}
		return nil
	})
	if errors.Is(err, booking.ErrNotFound) {
		return booking.Booking{}, fmt.Errorf("update booking %s: %w", b.ID, booking.ErrNotFound)
	}
	if errors.Is(err, booking.ErrVersionConflict) || isDuplicate(err) {
		// A duplicate history sequence means another writer appended first.
		return booking.Booking{}, fmt.Errorf("update booking %s at version %d: %w", b.ID, b.Version, booking.ErrVersionConflict)
	}
	if err != nil {
		return booking.Booking{}, fmt.Errorf("update booking %s: %w", b.ID, err)
	}
	b.Version++
	return b, nil
}

// TransitionFrom moves a booking between statuses in one compare-and-set:
// the header update names the expected status (UPDATE … WHERE id = ? AND
// status = ?) and bumps the version; the history entry and its outbox
// event are written in the same transaction. Like Update, it writes the
// history first and the header last, so the two never wait on each other
// in opposite orders (no deadlock); a writer that appended the same history
// sequence first makes it start over. No row matched: the booking is
// missing or in another status, which it reports.
func (s *Store) TransitionFrom(ctx context.Context, id string, from, to booking.Status, entry booking.HistoryEntry) (booking.Booking, error) {
	entry.From, entry.To, entry.At = from, to, entry.At.UTC()
	for attempt := 0; ; attempt++ {
		b, err := s.transitionFrom(ctx, id, from, to, entry)
		if isDuplicate(err) && attempt < 10 {
			continue
		}
		if err != nil {
			return booking.Booking{}, fmt.Errorf("transition booking %s %s → %s: %w", id, from, to, err)
		}
		return b, nil
	}
}

func (s *Store) transitionFrom(ctx context.Context, id string, from, to booking.Status, entry booking.HistoryEntry) (booking.Booking, error) {
	var saved booking.Booking
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		var rows []bookingRow
		if err := tx.Where("id = ?", id).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			if !tx.DryRun {
				return booking.ErrNotFound
			}
			rows = append(rows, bookingRow{ID: id, FareJSON: "{}"})
		}
		if booking.Status(rows[0].Status) != from && !tx.DryRun {
			return &booking.StatusConflictError{BookingID: id, Expected: from, Actual: booking.Status(rows[0].Status)}
		}
		bs, err := s.load(tx, rows)
		if err != nil {
			return err
		}
		b := bs[0]
		seq := len(b.History)
		if err := insertHistory(tx, id, seq, []booking.HistoryEntry{entry}); err != nil {
			return err
		}
		b.History = append(b.History, entry)
		b.Status, b.Version, b.UpdatedAt = to, b.Version+1, entry.At
		if to == booking.StatusConfirmed {
			b.ChangeID = "" // no change holds a confirmed booking
		}
		if err := appendEvents(tx, b, seq); err != nil {
			return err
		}
		res := tx.Model(&bookingRow{}).Where("id = ? AND status = ?", id, string(from)).
			Updates(map[string]any{"status": string(to), "version": gorm.Expr("version + 1"), "change_id": b.ChangeID, "updated_at": entry.At})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 && !tx.DryRun {
			var current []string
			if err := tx.Model(&bookingRow{}).Where("id = ?", id).Pluck("status", &current).Error; err != nil {
				return err
			}
			if len(current) == 0 {
				return booking.ErrNotFound
			}
			return &booking.StatusConflictError{BookingID: id, Expected: from, Actual: booking.Status(current[0])}
		}
		saved = b
		return nil
	})
	return saved, err
}

// SaveCancelQuote stores a cancellation quote.
func (s *Store) SaveCancelQuote(ctx context.Context, q booking.CancelQuote) error {
	row := cancelQuoteRow{QuoteID: q.QuoteID, BookingID: q.BookingID, Currency: q.Refund.Currency, RefundAmount: q.Refund.Amount,
		PenaltyAmount: q.Penalty.Amount, ExpiresAt: q.ExpiresAt.UTC(), CreatedAt: q.CreatedAt.UTC()}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("save cancel quote %s: %w", q.QuoteID, err)
	}
	return nil
}

// GetCancelQuote loads a cancellation quote.
func (s *Store) GetCancelQuote(ctx context.Context, quoteID string) (booking.CancelQuote, error) {
	var rows []cancelQuoteRow
	if err := s.db.WithContext(ctx).Where("quote_id = ?", quoteID).Find(&rows).Error; err != nil {
		return booking.CancelQuote{}, fmt.Errorf("get cancel quote %s: %w", quoteID, err)
	}
	if len(rows) == 0 {
		return booking.CancelQuote{}, fmt.Errorf("get cancel quote %s: %w", quoteID, booking.ErrNotFound)
	}
	r := rows[0]
	return booking.CancelQuote{QuoteID: r.QuoteID, BookingID: r.BookingID, Refund: money.New(r.RefundAmount, r.Currency),
		Penalty: money.New(r.PenaltyAmount, r.Currency), ExpiresAt: r.ExpiresAt.UTC(), CreatedAt: r.CreatedAt.UTC()}, nil
}

// SaveChange updates a change record, inserting it when new.
func (s *Store) SaveChange(ctx context.Context, c booking.Change) error {
	payload, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("save change %s: %w", c.ID, err)
	}
	row := changeRow{ID: c.ID, BookingID: c.BookingID, Status: c.Status, PayloadJSON: string(payload), CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	db := s.db.WithContext(ctx)
	res := db.Model(&changeRow{}).Where("id = ?", c.ID).Updates(map[string]any{"status": row.Status, "payload_json": row.PayloadJSON, "updated_at": row.UpdatedAt})
	if res.Error != nil {
		return fmt.Errorf("save change %s: %w", c.ID, res.Error)
	}
	if res.RowsAffected > 0 && !db.DryRun {
		return nil
	}
	if err := db.Create(&row).Error; err != nil {
		return fmt.Errorf("save change %s: %w", c.ID, err)
	}
	return nil
}

// GetChange loads a change record.
func (s *Store) GetChange(ctx context.Context, id string) (booking.Change, error) {
	var rows []changeRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Find(&rows).Error; err != nil {
		return booking.Change{}, fmt.Errorf("get change %s: %w", id, err)
	}
	if len(rows) == 0 {
		return booking.Change{}, fmt.Errorf("get change %s: %w", id, booking.ErrNotFound)
	}
	var c booking.Change
	if err := json.Unmarshal([]byte(rows[0].PayloadJSON), &c); err != nil {
		return booking.Change{}, fmt.Errorf("get change %s: %w", id, err)
	}
	return c, nil
}

// ListChanges loads a booking's change records, oldest first.
func (s *Store) ListChanges(ctx context.Context, bookingID string) ([]booking.Change, error) {
	var rows []changeRow
	if err := s.db.WithContext(ctx).Where("booking_id = ?", bookingID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list changes of %s: %w", bookingID, err)
	}
	out := make([]booking.Change, len(rows))
	for i, r := range rows {
		if err := json.Unmarshal([]byte(r.PayloadJSON), &out[i]); err != nil {
			return nil, fmt.Errorf("list changes of %s: change %s: %w", bookingID, r.ID, err)
		}
	}
	return out, nil
}

func insertPassengers(tx *gorm.DB, b booking.Booking) error {
	if len(b.Passengers) == 0 {
		return nil
	}
	rows := make([]passengerRow, len(b.Passengers))
	for i, p := range b.Passengers {
		rows[i] = passengerRow{BookingID: b.ID, Seq: i, ID: p.ID, Type: string(p.Type), Title: p.Title, GivenName: p.GivenName,
			FamilyName: p.FamilyName, DateOfBirth: p.DateOfBirth, Gender: p.Gender, InfantOf: p.InfantOf}
		if p.Document != nil {
			d, err := json.Marshal(p.Document)
			if err != nil {
				return err
			}
			s := string(d)
			rows[i].DocumentJSON = &s
		}
	}
	return tx.Create(&rows).Error
}

func insertSegments(tx *gorm.DB, id string, segs []booking.Segment) error {
	if len(segs) == 0 {
		return nil
	}
	rows := make([]segmentRow, len(segs))
	for i, s := range segs {
		rows[i] = segmentRow{BookingID: id, Seq: i, FlightID: s.FlightID, FlightNumber: s.FlightNumber, Origin: s.Origin,
			Destination: s.Destination, DepartureTime: s.DepartureTime.UTC(), ArrivalTime: s.ArrivalTime.UTC(),
			DepartureZone: s.DepartureTime.Format("Z07:00"), ArrivalZone: s.ArrivalTime.Format("Z07:00"), International: s.International}
	}
	return tx.Create(&rows).Error
}

func insertTickets(tx *gorm.DB, id string, ts []booking.Ticket) error {
	if len(ts) == 0 {
		return nil
	}
	rows := make([]ticketRow, len(ts))
	for i, t := range ts {
		rows[i] = ticketRow{Number: t.Number, BookingID: id, PassengerID: t.PassengerID, Status: t.Status, IssuedAt: t.IssuedAt.UTC()}
	}
	return tx.Create(&rows).Error
}

func insertHistory(tx *gorm.DB, id string, from int, hs []booking.HistoryEntry) error {
	if len(hs) == 0 {
		return nil
	}
	rows := make([]historyRow, len(hs))
	for i, h := range hs {
		rows[i] = historyRow{BookingID: id, Seq: from + i, At: h.At.UTC(), FromStatus: string(h.From), ToStatus: string(h.To),
			Event: h.Event, Actor: h.Actor, Reason: h.Reason}
	}
	return tx.Create(&rows).Error
}

func toRow(b booking.Booking) (bookingRow, error) {
	fare, err := json.Marshal(b.Fare)
	if err != nil {
		return bookingRow{}, fmt.Errorf("booking %s fare: %w", b.ID, err)
	}
	var exp *time.Time
	if b.HoldExpiresAt != nil {
		t := b.HoldExpiresAt.UTC()
		exp = &t
	}
	return bookingRow{ID: b.ID, PNR: b.PNR, CustomerID: b.CustomerID, Status: string(b.Status), Version: b.Version,
		HoldID: b.HoldID, HoldExpiresAt: exp, PaymentID: b.PaymentID, ChangeID: b.ChangeID, Currency: b.Total.Currency,
		TotalAmount: b.Total.Amount, PaidAmount: b.Paid.Amount, RefundedAmount: b.Refunded.Amount, FareJSON: string(fare),
		ContactEmail: b.Contact.Email, ContactPhone: b.Contact.Phone, CreatedAt: b.CreatedAt.UTC(), UpdatedAt: b.UpdatedAt.UTC()}, nil
}

func toBooking(r bookingRow) (booking.Booking, error) {
	var fare booking.Fare
	if err := json.Unmarshal([]byte(r.FareJSON), &fare); err != nil {
		return booking.Booking{}, fmt.Errorf("booking %s fare: %w", r.ID, err)
	}
	var exp *time.Time
	if r.HoldExpiresAt != nil {
		t := r.HoldExpiresAt.UTC()
		exp = &t
	}
	return booking.Booking{ID: r.ID, PNR: r.PNR, CustomerID: r.CustomerID, Status: booking.Status(r.Status), Version: r.Version,
		HoldID: r.HoldID, HoldExpiresAt: exp, PaymentID: r.PaymentID, ChangeID: r.ChangeID, Total: money.New(r.TotalAmount, r.Currency),
		Paid: money.New(r.PaidAmount, r.Currency), Refunded: money.New(r.RefundedAmount, r.Currency), Fare: fare,
		Contact: booking.Contact{Email: r.ContactEmail, Phone: r.ContactPhone}, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Passengers: []booking.Passenger{}, Segments: []booking.Segment{}, Tickets: []booking.Ticket{}, History: []booking.HistoryEntry{}}, nil
}

// transaction runs fn in a transaction; a dry-run handle (the T-SQL test)
// has no connection to begin one on, so fn renders its statements directly.
func (s *Store) transaction(ctx context.Context, fn func(tx *gorm.DB) error) error {
	db := s.db.WithContext(ctx)
	if db.DryRun {
		return fn(db)
	}
	// Deadlocks and serialization failures re-run the whole transaction (I4).
	return sqldb.Retry(ctx, sqldb.DefaultRetry(), func(ctx context.Context) error {
		return db.WithContext(ctx).Transaction(fn)
	})
}

// isDuplicate recognises unique-key violations: GORM's translated error, or
// modernc SQLite's extended codes (its driver is not covered by
// TranslateError).
func isDuplicate(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var le *sqlite.Error
	if errors.As(err, &le) {
		return le.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || le.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// inZone shows a stored UTC instant at its recorded UTC offset.
func inZone(t time.Time, offset string) time.Time {
	if offset == "" || offset == "Z" {
		return t.UTC()
	}
	z, err := time.Parse("Z07:00", offset)
	if err != nil {
		return t.UTC()
	}
	_, off := z.Zone()
	return t.In(time.FixedZone("", off))
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UTC().UnixNano(), 10) + "|" + id))
}

func decodeCursor(c string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("decode cursor: %w: %w", booking.ErrInvalidCursor, err)
	}
	ns, id, ok := strings.Cut(string(raw), "|")
	n, perr := strconv.ParseInt(ns, 10, 64)
	if !ok || perr != nil {
		return time.Time{}, "", fmt.Errorf("decode cursor: %w", booking.ErrInvalidCursor)
	}
	return time.Unix(0, n).UTC(), id, nil
}
