package flightgorm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/flight"
)

type routeSalesRow struct {
	Origin      string `gorm:"primaryKey"`
	Destination string `gorm:"primaryKey"`
	Currency    string `gorm:"primaryKey"`
	Confirmed   int64
	Cancelled   int64
	SeatsSold   int64
	Revenue     int64
	UpdatedAt   time.Time
}

func (routeSalesRow) TableName() string { return "route_sales" }

// ApplySale adds d to its route's counters once per consumer and event id:
// the counters and the inbox entry commit together, so a redelivered event
// changes nothing and reports applied false.
func (s *Store) ApplySale(ctx context.Context, consumer, eventID string, d flight.SaleDelta, at time.Time) (applied bool, err error) {
	// Two first sales of a route race to insert its row: the loser's
	// transaction fails on the primary key (PostgreSQL aborts it) and is run
	// again, finding the row this time.
	err = againOnDuplicate(func() error {
		applied, err = s.applySale(ctx, consumer, eventID, d, at)
		return err
	})
	if errors.Is(err, outbox.ErrSeen) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("flightgorm: route sales %s-%s: %w", d.Origin, d.Destination, err)
	}
	return applied, nil
}

func (s *Store) applySale(ctx context.Context, consumer, eventID string, d flight.SaleDelta, at time.Time) (applied bool, err error) {
	err = s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		applied = false
		if err := outbox.Once(tx.DB, consumer, eventID, at); err != nil {
			return err
		}
		res := tx.DB.Model(&routeSalesRow{}).Where("origin = ? AND destination = ? AND currency = ?", d.Origin, d.Destination, d.Currency).
			Updates(map[string]any{
				"confirmed": gorm.Expr("confirmed + ?", d.Confirmed), "cancelled": gorm.Expr("cancelled + ?", d.Cancelled),
				"seats_sold": gorm.Expr("seats_sold + ?", d.Seats), "revenue": gorm.Expr("revenue + ?", d.Revenue), "updated_at": at.UTC(),
			})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			row := routeSalesRow{Origin: d.Origin, Destination: d.Destination, Currency: d.Currency, Confirmed: d.Confirmed,
				Cancelled: d.Cancelled, SeatsSold: d.Seats, Revenue: d.Revenue, UpdatedAt: at.UTC()}
			if err := tx.DB.Create(&row).Error; err != nil {
				return err
			}
		}
		applied = true
		return nil
	})
	return applied, err
}

// RouteSales returns every route's counters, busiest first.
func (s *Store) RouteSales(ctx context.Context) ([]flight.RouteSales, error) {
	var rows []routeSalesRow
	if err := s.db.WithContext(ctx).Order("confirmed DESC, origin, destination, currency").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("flightgorm: route sales: %w", err)
	}
	out := make([]flight.RouteSales, len(rows))
	for i, r := range rows {
		out[i] = flight.RouteSales{Origin: r.Origin, Destination: r.Destination, Currency: r.Currency, Confirmed: r.Confirmed,
			Cancelled: r.Cancelled, SeatsSold: r.SeatsSold, Revenue: r.Revenue, UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}
