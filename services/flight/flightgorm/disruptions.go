package flightgorm

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/flight"
)

type disruptionRow struct {
	FlightID        string `gorm:"primaryKey"`
	Seq             int    `gorm:"primaryKey"`
	Kind            string
	NewDepartureUTC *time.Time `gorm:"column:new_departure_utc"`
	NewArrivalUTC   *time.Time `gorm:"column:new_arrival_utc"`
	Reason          string
	Actor           string
	CreatedAt       time.Time
}

func (disruptionRow) TableName() string { return "flight_disruptions" }

func toDisruption(r disruptionRow) flight.Disruption {
	d := flight.Disruption{FlightID: r.FlightID, Seq: r.Seq, Kind: flight.DisruptionKind(r.Kind), Reason: r.Reason, Actor: r.Actor, CreatedAt: r.CreatedAt.UTC()}
	if r.NewDepartureUTC != nil {
		d.NewDepartureUTC = r.NewDepartureUTC.UTC()
	}
	if r.NewArrivalUTC != nil {
		d.NewArrivalUTC = r.NewArrivalUTC.UTC()
	}
	return d
}

func qFlightDisruptions(db *gorm.DB, flightID string, out *[]disruptionRow) *gorm.DB {
	return db.Where("flight_id = ?", flightID).Order("seq").Find(out)
}

func qAllDisruptions(db *gorm.DB, out *[]disruptionRow) *gorm.DB {
	return db.Order("flight_id, seq").Find(out)
}

func qDisruptionCount(db *gorm.DB, out *int64) *gorm.DB {
	return db.Model(&disruptionRow{}).Count(out)
}

// RecordDisruption records d as the flight's next disruption, with its
// flight.disrupted event in the same transaction, unless the latest one
// is the same (then it returns that one, created false). A cancelled
// flight takes no further disruption (flight.ErrFlightCancelled).
func (s *Store) RecordDisruption(ctx context.Context, d flight.Disruption) (got flight.Disruption, created bool, err error) {
	// A duplicate key: a concurrent request took the sequence number
	// first; read again (it may be this very disruption).
	err = againOnDuplicate(func() error {
		return s.db.Transaction(ctx, func(tx *sqldb.DB) error {
			created = false
			var rows []disruptionRow
			if err := qFlightDisruptions(tx.DB, d.FlightID, &rows).Error; err != nil {
				return err
			}
			next := d
			next.Seq = 1
			if len(rows) > 0 {
				last := toDisruption(rows[len(rows)-1])
				if last.Same(d) {
					got = last
					return nil
				}
				if last.Kind == flight.DisruptionCancelled {
					return fmt.Errorf("flight %s was cancelled (disruption %d): %w", d.FlightID, last.Seq, flight.ErrFlightCancelled)
				}
				next.Seq = last.Seq + 1
			}
			row := disruptionRow{FlightID: next.FlightID, Seq: next.Seq, Kind: string(next.Kind), Reason: next.Reason, Actor: next.Actor, CreatedAt: ts(next.CreatedAt)}
			if next.Kind == flight.DisruptionRetimed {
				dep, arr := ts(next.NewDepartureUTC), ts(next.NewArrivalUTC)
				row.NewDepartureUTC, row.NewArrivalUTC = &dep, &arr
			}
			if err := tx.DB.Create(&row).Error; err != nil {
				return err
			}
			e, err := outbox.New(fmt.Sprintf("%s/disruption/%d", next.FlightID, next.Seq), flight.EventFlightDisrupted,
				outbox.Aggregate{Type: "flight", ID: next.FlightID}, next.CreatedAt, next.EventData())
			if err != nil {
				return err
			}
			if err := outbox.Append(tx.DB, Domain, e); err != nil {
				return err
			}
			got, created = toDisruption(row), true
			return nil
		})
	})
	if err != nil {
		return flight.Disruption{}, false, fmt.Errorf("flightgorm: record disruption of %s: %w", d.FlightID, err)
	}
	return got, created, nil
}

// Disruptions returns the disruption in force (the latest) of every
// disrupted flight.
func (s *Store) Disruptions(ctx context.Context) (map[string]flight.Disruption, error) {
	var rows []disruptionRow
	if err := qAllDisruptions(s.db.WithContext(ctx), &rows).Error; err != nil {
		return nil, fmt.Errorf("flightgorm: disruptions: %w", err)
	}
	out := make(map[string]flight.Disruption, len(rows))
	for _, r := range rows {
		out[r.FlightID] = toDisruption(r) // ordered by seq: the latest wins
	}
	return out, nil
}
