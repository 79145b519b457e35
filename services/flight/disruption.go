package flight

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrFlightCancelled: the flight was cancelled; it sells no seats.
var ErrFlightCancelled = errors.New("flight: flight cancelled")

// ErrNoAlternative: no itinerary can take a disrupted booking's passengers.
var ErrNoAlternative = errors.New("flight: no alternative itinerary")

// DisruptionKind says what happened to a flight.
type DisruptionKind string

// Disruption kinds.
const (
	// DisruptionCancelled: the flight does not operate.
	DisruptionCancelled DisruptionKind = "CANCELLED"
	// DisruptionRetimed: the flight operates at new times.
	DisruptionRetimed DisruptionKind = "RETIMED"
)

// EventFlightDisrupted is the event of a recorded disruption (skyfly.flight.v1).
const EventFlightDisrupted = "flight.disrupted"

// Disruption is one recorded disruption of a flight. A flight's
// disruptions are numbered from 1; the latest one is in force.
type Disruption struct {
	FlightID string
	Seq      int
	Kind     DisruptionKind
	// NewDepartureUTC and NewArrivalUTC are the new times of a retime.
	NewDepartureUTC time.Time
	NewArrivalUTC   time.Time
	Reason          string
	Actor           string
	CreatedAt       time.Time
}

// Same reports whether d and o disrupt the flight the same way (a repeated
// request, not a new disruption).
func (d Disruption) Same(o Disruption) bool {
	return d.FlightID == o.FlightID && d.Kind == o.Kind &&
		d.NewDepartureUTC.Equal(o.NewDepartureUTC) && d.NewArrivalUTC.Equal(o.NewArrivalUTC)
}

// DisruptionEventData is the data of flight.disrupted (no personal data).
type DisruptionEventData struct {
	FlightID        string         `json:"flightId"`
	Seq             int            `json:"seq"`
	Kind            DisruptionKind `json:"kind"`
	NewDepartureUTC *time.Time     `json:"newDepartureUtc,omitempty"`
	NewArrivalUTC   *time.Time     `json:"newArrivalUtc,omitempty"`
	Reason          string         `json:"reason"`
}

// EventData returns the event payload of d.
func (d Disruption) EventData() DisruptionEventData {
	e := DisruptionEventData{FlightID: d.FlightID, Seq: d.Seq, Kind: d.Kind, Reason: d.Reason}
	if d.Kind == DisruptionRetimed {
		dep, arr := d.NewDepartureUTC.UTC(), d.NewArrivalUTC.UTC()
		e.NewDepartureUTC, e.NewArrivalUTC = &dep, &arr
	}
	return e
}

// DisruptRequest asks to cancel or retime a flight.
type DisruptRequest struct {
	FlightID        string
	Kind            DisruptionKind
	NewDepartureUTC time.Time
	NewArrivalUTC   time.Time
	Reason          string
	Actor           string
}

// Disrupt records that a flight is cancelled (it stops selling at once) or
// retimed. Repeating a request returns the disruption it recorded and
// created=false, so a retried staff action starts nothing twice; a
// different request on the same flight is its next disruption. A cancelled
// flight cannot be disrupted again. Errors: *FieldError (ErrInvalid),
// ErrFlightNotFound, ErrFlightCancelled.
func (s *Service) Disrupt(ctx context.Context, req DisruptRequest) (Disruption, bool, error) {
	if req.Reason == "" {
		return Disruption{}, false, invalid("reason", "is required")
	}
	if len(req.Reason) > 500 {
		return Disruption{}, false, invalid("reason", "must be at most 500 characters")
	}
	f, err := s.Flight(ctx, req.FlightID)
	if err != nil {
		return Disruption{}, false, err
	}
	d := Disruption{FlightID: f.ID, Kind: req.Kind, Reason: req.Reason, Actor: req.Actor, CreatedAt: s.now().UTC()}
	switch req.Kind {
	case DisruptionCancelled:
	case DisruptionRetimed:
		switch {
		case req.NewDepartureUTC.IsZero():
			return Disruption{}, false, invalid("newDeparture", "is required for a retime")
		case req.NewArrivalUTC.IsZero():
			return Disruption{}, false, invalid("newArrival", "is required for a retime")
		case !req.NewArrivalUTC.After(req.NewDepartureUTC):
			return Disruption{}, false, invalid("newArrival", "must be after newDeparture")
		case req.NewArrivalUTC.Sub(req.NewDepartureUTC) > 20*time.Hour:
			return Disruption{}, false, invalid("newArrival", "makes a block time over 20 hours")
		case req.NewDepartureUTC.Sub(f.DepartureUTC) > 72*time.Hour || f.DepartureUTC.Sub(req.NewDepartureUTC) > 72*time.Hour:
			return Disruption{}, false, invalid("newDeparture", "moves the flight by more than 72 hours; cancel it instead")
		}
		d.NewDepartureUTC, d.NewArrivalUTC = req.NewDepartureUTC.UTC(), req.NewArrivalUTC.UTC()
	default:
		return Disruption{}, false, invalid("kind", "must be CANCELLED or RETIMED")
	}
	got, created, err := s.store.RecordDisruption(ctx, d)
	if err != nil {
		return Disruption{}, false, fmt.Errorf("disrupt %s: %w", f.ID, err)
	}
	if created {
		s.log.WarnContext(ctx, "flight disrupted", "flight_id", got.FlightID, "seq", got.Seq, "kind", got.Kind, "actor", got.Actor, "reason", got.Reason)
		// The flight's pages before the change and, for a retime onto
		// another day, those of its new day.
		s.cache.Invalidate(ctx, s.Network().CacheTags([]string{got.FlightID}))
		if err := s.Reload(ctx); err != nil {
			return Disruption{}, false, err
		}
		s.cache.Invalidate(ctx, s.Network().CacheTags([]string{got.FlightID}))
	}
	return got, created, nil
}

// Disruption returns the disruption in force on a flight; ok is false when
// the flight operates as scheduled.
func (s *Service) Disruption(ctx context.Context, flightID string) (Disruption, bool, error) {
	all, err := s.store.Disruptions(ctx)
	if err != nil {
		return Disruption{}, false, fmt.Errorf("disruption of %s: %w", flightID, err)
	}
	d, ok := all[flightID]
	return d, ok, nil
}

// applyDisruptions gives the flights the disruptions in force: a cancelled
// flight is marked (the network sells nothing on it), a retimed one gets
// its new times.
func applyDisruptions(flights []Flight, ds map[string]Disruption) {
	if len(ds) == 0 {
		return
	}
	for i := range flights {
		d, ok := ds[flights[i].ID]
		if !ok {
			continue
		}
		flights[i].Status = FlightStatus(d.Kind)
		if d.Kind == DisruptionRetimed {
			flights[i].DepartureUTC, flights[i].ArrivalUTC = d.NewDepartureUTC, d.NewArrivalUTC
		}
	}
}

// ProtectRequest asks for protected rebooking of a disrupted itinerary.
type ProtectRequest struct {
	// HoldID is the idempotency key of the new seats.
	HoldID string
	// FlightIDs is the booked itinerary.
	FlightIDs  []string
	Cabin      Cabin
	Passengers Passengers
	// TTL is how long the new seats stay held before the change commits them.
	TTL time.Duration
	// Days is how many days after the original departure alternatives may
	// leave (default 2).
	Days int
}

// Protection is the outcome of protecting an itinerary.
type Protection struct {
	// Affected is false when the booked itinerary still flies (a retime
	// that keeps every connection): nothing was held.
	Affected bool
	Quote    Quote
	Hold     Hold
}

// Protect finds the best alternative for a disrupted itinerary and holds
// its seats: same origin and destination, leaving no earlier than the
// original departure (or now), direct or with one connection, in the same
// cabin or a better one, earliest arrival first. The hold is in the
// cabin's top booking class (protected passengers take any seat the cabin
// has, as airlines re-accommodate). Seats are taken through the same
// guarded hold as a sale, so alternatives cannot oversell: a candidate
// that fills up meanwhile is skipped. Repeating a call with the same
// HoldID returns the hold it made. Errors: ErrNoAlternative, *FieldError.
func (s *Service) Protect(ctx context.Context, req ProtectRequest) (Protection, error) {
	if req.HoldID == "" {
		return Protection{}, invalid("holdId", "is required")
	}
	if err := req.Passengers.Validate(); err != nil {
		return Protection{}, err
	}
	if !req.Cabin.Valid() {
		return Protection{}, invalid("cabin", "is not a cabin")
	}
	if h, err := s.store.Hold(ctx, req.HoldID); err == nil && h.QuoteID != "" {
		q, err := s.Quote(ctx, h.QuoteID)
		if err != nil {
			return Protection{}, fmt.Errorf("protect %s: %w", req.HoldID, err)
		}
		return Protection{Affected: true, Quote: q, Hold: h}, nil
	} else if err != nil && !errors.Is(err, ErrHoldNotFound) {
		return Protection{}, fmt.Errorf("protect %s: %w", req.HoldID, err)
	}
	n := s.Network()
	old := make([]*Flight, 0, len(req.FlightIDs))
	for _, id := range req.FlightIDs {
		f, ok := n.Flight(id)
		if !ok {
			return Protection{}, fmt.Errorf("protect %s: flight %s: %w", req.HoldID, id, ErrFlightNotFound)
		}
		old = append(old, &f)
	}
	if len(old) == 0 {
		return Protection{}, invalid("flightIds", "is required")
	}
	if _, err := n.Connects(req.FlightIDs); err == nil {
		return Protection{Affected: false}, nil
	}
	now := s.now()
	earliest := old[0].DepartureUTC
	if orig, err := s.store.Flight(ctx, old[0].ID); err == nil && orig.DepartureUTC.Before(earliest) {
		earliest = orig.DepartureUTC // a retime's new time may be later than the booked one
	}
	earliest = maxTime(earliest, now.Add(time.Hour))
	days := req.Days
	if days <= 0 {
		days = 2
	}
	origin, destination := old[0].Origin, old[len(old)-1].Destination
	loc := n.Location(origin)
	var cands [][]*Flight
	for d := -1; d <= days; d++ {
		date := earliest.In(loc).AddDate(0, 0, d).Format(time.DateOnly)
		for _, fs := range n.candidateFlights(origin, destination, date, 1) {
			if fs[0].DepartureUTC.Before(earliest) || slices.Equal(ids(fs), req.FlightIDs) {
				continue
			}
			cands = append(cands, fs)
		}
	}
	slices.SortStableFunc(cands, func(a, b []*Flight) int {
		if c := a[len(a)-1].ArrivalUTC.Compare(b[len(b)-1].ArrivalUTC); c != 0 {
			return c
		}
		return cmp.Compare(len(a), len(b))
	})
	seats := req.Passengers.Seats()
	for _, fs := range cands {
		for _, cabin := range cabinsFrom(req.Cabin) {
			if !hasCabin(fs, cabin) {
				continue
			}
			classes := BookingClasses(cabin)
			top := classes[len(classes)-1]
			q, err := s.CreateQuote(ctx, QuoteRequest{FlightIDs: ids(fs), FareID: FareID(cabin, top.Code), Passengers: req.Passengers})
			if errors.Is(err, ErrSeatUnavailable) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrFlightCancelled) {
				continue
			}
			if err != nil {
				return Protection{}, fmt.Errorf("protect %s: %w", req.HoldID, err)
			}
			h, err := s.HoldSeats(ctx, HoldRequest{HoldID: req.HoldID, QuoteID: q.ID, Seats: seats, TTL: req.TTL})
			if errors.Is(err, ErrSeatUnavailable) {
				continue // a sibling rebooking took the last seats meanwhile
			}
			if err != nil {
				return Protection{}, fmt.Errorf("protect %s: %w", req.HoldID, err)
			}
			if h.QuoteID != q.ID {
				// a concurrent attempt with this hold id won: return its hold
				q, err = s.Quote(ctx, h.QuoteID)
				if err != nil {
					return Protection{}, fmt.Errorf("protect %s: %w", req.HoldID, err)
				}
			}
			return Protection{Affected: true, Quote: q, Hold: h}, nil
		}
	}
	return Protection{}, fmt.Errorf("protect %s: %s→%s for %d seats in %s or better: %w", req.HoldID, origin, destination, seats, req.Cabin, ErrNoAlternative)
}

// cabinsFrom returns c and the cabins above it, c first.
func cabinsFrom(c Cabin) []Cabin {
	order := []Cabin{CabinEconomy, CabinPremium, CabinBusiness, CabinFirst}
	i := slices.Index(order, c)
	if i < 0 {
		return nil
	}
	return order[i:]
}

func hasCabin(fs []*Flight, c Cabin) bool {
	for _, f := range fs {
		if f.Capacity(c) == 0 {
			return false
		}
	}
	return true
}

func ids(fs []*Flight) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
