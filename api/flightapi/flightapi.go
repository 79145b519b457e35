// Package flightapi is the flight domain's HTTP API on Gin: search, flight
// details and availability (public), fare quotes (public, a customer token
// optional) and seat inventory holds (staff and service roles). Domain
// errors are translated to problem+json here, once.
package flightapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/skyfly/skyfly/api/auditapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/policy"
	"github.com/skyfly/skyfly/services/flight"
)

// Problem codes of the flight domain (besides problem's shared ones).
const (
	CodeQuoteInvalid = "quote_invalid"
	CodeHoldExpired  = "hold_expired"
	CodeHoldConflict = "hold_conflict"
)

// Config wires the router.
type Config struct {
	Log      *slog.Logger
	Service  *flight.Service
	Verifier *authn.Verifier
	// Policy decides who may call each route; nil compiles the embedded one.
	Policy      *policy.Engine
	Idempotency idempotency.Store
	// HoldTTL is the hold lifetime for service callers (default: the
	// service's HoldTTL); StaffHoldTTL for agents, supervisors and admins.
	HoldTTL      time.Duration
	StaffHoldTTL time.Duration
	// Temporal starts and queries DisruptionWorkflows; nil answers the
	// disruption routes 503.
	Temporal client.Client
	// Audit records staff requests (fail-closed) and serves the domain's
	// audit route to auditors; nil records nothing (unit tests only).
	Audit *auditapi.Recorder
}

type api struct {
	log          *slog.Logger
	svc          *flight.Service
	temporal     client.Client
	holdTTL      time.Duration
	staffHoldTTL time.Duration
}

// NewRouter returns the flight domain's handler for its /api/v1 routes.
func NewRouter(cfg Config) http.Handler {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{log: log, svc: cfg.Service, temporal: cfg.Temporal, holdTTL: cfg.HoldTTL, staffHoldTTL: cfg.StaffHoldTTL}
	if a.holdTTL <= 0 {
		a.holdTTL = cfg.Service.Config().HoldTTL
	}
	if a.staffHoldTTL <= 0 {
		a.staffHoldTTL = cfg.Service.Config().MaxHoldTTL
	}
	idem := idempotency.Middleware(cfg.Idempotency, idempotency.Options{Logger: log})
	e := problem.NewEngine(log)
	pol := cfg.Policy
	if pol == nil {
		pol = policy.MustNew(log)
	}
	v1 := e.Group("/api/v1", authn.Authenticate(cfg.Verifier), cfg.Audit.Middleware(), authn.Authorize(pol, "flight"))
	cfg.Audit.Routes(v1)
	v1.GET("/flights/search", a.search)
	v1.GET("/flights/:flightId", a.flight)
	v1.GET("/flights/:flightId/availability", a.availability)
	v1.POST("/pricing/quote", idem, a.quote)
	inv := v1.Group("/inventory", idem)
	inv.POST("/hold", a.hold)
	inv.POST("/release", a.release)
	inv.POST("/commit", a.commit)
	v1.GET("/staff/analytics/routes", a.routeSales)
	v1.POST("/staff/flights/:flightId/disruption", idem, a.disrupt)
	v1.GET("/staff/flights/:flightId/disruption", a.disruptionStatus)
	return e
}

// routeSales answers the per-route sales counters the analytics consumer
// keeps from booking events (staff only).
func (a *api) routeSales(c *gin.Context) {
	rs, err := a.svc.RouteSales(c.Request.Context())
	if err != nil {
		a.fail(c, err)
		return
	}
	if rs == nil {
		rs = []flight.RouteSales{}
	}
	c.JSON(http.StatusOK, gin.H{"routes": rs})
}

// fail answers a domain error as problem+json.
func (a *api) fail(c *gin.Context, err error) {
	var fe *flight.FieldError
	var exp *flight.QuoteExpiredError
	switch {
	case errors.As(err, &fe):
		problem.Write(c, problem.Validation(problem.FieldError{Field: fe.Field, Reason: fe.Reason}))
	case errors.As(err, &exp):
		p := problem.New(http.StatusGone, problem.CodeQuoteExpired, "the quote's price guarantee has expired; request a fresh quote")
		if exp.Fresh != nil {
			p = p.With("freshQuote", toQuote(*exp.Fresh))
		}
		problem.Write(c, p)
	case errors.Is(err, flight.ErrSeatUnavailable):
		problem.Write(c, problem.New(http.StatusConflict, problem.CodeSeatUnavailable, "the fare has no seats left for these passengers"))
	case errors.Is(err, flight.ErrFlightCancelled):
		problem.Write(c, problem.New(http.StatusConflict, CodeFlightCancelled, "the flight is cancelled; it sells no seats and takes no further change"))
	case errors.Is(err, flight.ErrQuoteExpired):
		problem.Write(c, problem.New(http.StatusGone, problem.CodeQuoteExpired, "the quote's price guarantee has expired; request a fresh quote"))
	case errors.Is(err, flight.ErrQuoteNotFound):
		problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "no such quote"))
	case errors.Is(err, flight.ErrFlightNotFound):
		problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "no such flight"))
	case errors.Is(err, flight.ErrHoldNotFound):
		problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "no such hold"))
	case errors.Is(err, flight.ErrQuoteInvalid):
		problem.Write(c, problem.New(http.StatusUnprocessableEntity, CodeQuoteInvalid, "the quote does not match this request"))
	case errors.Is(err, flight.ErrHoldExpired):
		problem.Write(c, problem.New(http.StatusConflict, CodeHoldExpired, "the hold expired or was released"))
	case errors.Is(err, flight.ErrHoldConflict):
		problem.Write(c, problem.New(http.StatusConflict, CodeHoldConflict, "this hold id is already used for another quote"))
	default:
		problem.Error(c, a.log, err)
	}
}

// ---- search

func (a *api) search(c *gin.Context) {
	var bad []problem.FieldError
	num := func(name string, def int) int {
		v := c.Query(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad = append(bad, problem.FieldError{Field: name, Reason: "must be an integer"})
		}
		return n
	}
	q := flight.SearchQuery{
		Origin:       c.Query("origin"),
		Destination:  c.Query("destination"),
		Date:         c.Query("date"),
		Passengers:   flight.Passengers{Adults: num("adults", 1), Children: num("children", 0), Infants: num("infants", 0)},
		Cabin:        flight.Cabin(strings.ToUpper(c.Query("cabin"))),
		MaxStops:     num("maxStops", 1),
		Sort:         c.Query("sort"),
		Limit:        num("limit", 20),
		Cursor:       c.Query("cursor"),
		DepartAfter:  c.Query("departAfter"),
		DepartBefore: c.Query("departBefore"),
	}
	if len(bad) > 0 {
		problem.Write(c, problem.Validation(bad...))
		return
	}
	res, err := a.svc.Search(c.Request.Context(), q)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := searchResponse{Itineraries: make([]itineraryJSON, len(res.Itineraries)), NextCursor: res.NextCursor}
	for i, it := range res.Itineraries {
		out.Itineraries[i] = toItinerary(it)
	}
	c.JSON(http.StatusOK, out)
}

type searchResponse struct {
	Itineraries []itineraryJSON `json:"itineraries"`
	NextCursor  string          `json:"nextCursor"`
}

type segmentJSON struct {
	FlightID         string    `json:"flightId"`
	FlightNumber     string    `json:"flightNumber"`
	Origin           string    `json:"origin"`
	Destination      string    `json:"destination"`
	DepartureTime    time.Time `json:"departureTime"` // origin's local time with its offset
	ArrivalTime      time.Time `json:"arrivalTime"`   // destination's local time with its offset
	DepartureTimeUTC time.Time `json:"departureTimeUtc"`
	ArrivalTimeUTC   time.Time `json:"arrivalTimeUtc"`
	Aircraft         string    `json:"aircraft"`
	International    bool      `json:"international"`
}

type conditionsJSON struct {
	Refundable    bool        `json:"refundable"`
	Changeable    bool        `json:"changeable"`
	ChangePenalty money.Money `json:"changePenalty"`
	RefundPenalty money.Money `json:"refundPenalty"`
	CheckedBags   int         `json:"checkedBags"`
}

type fareJSON struct {
	FareID       string         `json:"fareId"`
	Cabin        string         `json:"cabin"`
	BookingClass string         `json:"bookingClass"`
	Family       string         `json:"family"`
	Price        money.Money    `json:"price"`
	SeatsLeft    int            `json:"seatsLeft"`
	Conditions   conditionsJSON `json:"conditions"`
}

type itineraryJSON struct {
	ID              string        `json:"id"`
	Segments        []segmentJSON `json:"segments"`
	DurationMinutes int           `json:"durationMinutes"`
	Stops           int           `json:"stops"`
	Fares           []fareJSON    `json:"fares"`
}

func toSegment(s flight.Segment) segmentJSON {
	return segmentJSON{FlightID: s.FlightID, FlightNumber: s.FlightNumber, Origin: s.Origin, Destination: s.Destination,
		DepartureTime: s.Departure, ArrivalTime: s.Arrival, DepartureTimeUTC: s.Departure.UTC(), ArrivalTimeUTC: s.Arrival.UTC(),
		Aircraft: s.Aircraft, International: s.International}
}

func toConditions(c flight.Conditions) conditionsJSON {
	return conditionsJSON{Refundable: c.Refundable, Changeable: c.Changeable, ChangePenalty: c.ChangePenalty, RefundPenalty: c.RefundPenalty, CheckedBags: c.CheckedBags}
}

func toItinerary(it flight.Itinerary) itineraryJSON {
	out := itineraryJSON{ID: it.ID, DurationMinutes: int(it.Duration / time.Minute), Stops: it.Stops,
		Segments: make([]segmentJSON, len(it.Segments)), Fares: make([]fareJSON, len(it.Fares))}
	for i, s := range it.Segments {
		out.Segments[i] = toSegment(s)
	}
	for i, f := range it.Fares {
		out.Fares[i] = fareJSON{FareID: f.FareID, Cabin: string(f.Cabin), BookingClass: f.BookingClass, Family: f.Family,
			Price: f.Price, SeatsLeft: f.SeatsLeft, Conditions: toConditions(f.Conditions)}
	}
	return out
}

// ---- flights

type airportJSON struct {
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	City     string  `json:"city"`
	Country  string  `json:"country"`
	TimeZone string  `json:"timeZone"`
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
}

type cabinJSON struct {
	Cabin    string `json:"cabin"`
	Capacity int    `json:"capacity"`
}

type flightJSON struct {
	FlightID         string      `json:"flightId"`
	FlightNumber     string      `json:"flightNumber"`
	Origin           airportJSON `json:"origin"`
	Destination      airportJSON `json:"destination"`
	DepartureTime    time.Time   `json:"departureTime"`
	ArrivalTime      time.Time   `json:"arrivalTime"`
	DepartureTimeUTC time.Time   `json:"departureTimeUtc"`
	ArrivalTimeUTC   time.Time   `json:"arrivalTimeUtc"`
	DurationMinutes  int         `json:"durationMinutes"`
	Aircraft         string      `json:"aircraft"`
	DistanceKm       int         `json:"distanceKm"`
	Cabins           []cabinJSON `json:"cabins"`
	// Status is SCHEDULED, CANCELLED or RETIMED (the times above are then
	// the new ones).
	Status string `json:"status"`
}

func toAirport(a flight.Airport) airportJSON {
	return airportJSON{Code: a.Code, Name: a.Name, City: a.City, Country: a.Country, TimeZone: a.Zone, Lat: a.Lat, Lon: a.Lon}
}

func (a *api) flight(c *gin.Context) {
	f, err := a.svc.Flight(c.Request.Context(), c.Param("flightId"))
	if err != nil {
		a.fail(c, err)
		return
	}
	n := a.svc.Network()
	org, _ := n.Airport(f.Origin)
	dst, _ := n.Airport(f.Destination)
	out := flightJSON{FlightID: f.ID, FlightNumber: f.Number, Origin: toAirport(org), Destination: toAirport(dst),
		DepartureTime: f.DepartureUTC.In(n.Location(f.Origin)), ArrivalTime: f.ArrivalUTC.In(n.Location(f.Destination)),
		DepartureTimeUTC: f.DepartureUTC, ArrivalTimeUTC: f.ArrivalUTC, DurationMinutes: int(f.Duration() / time.Minute),
		Aircraft: f.Aircraft, DistanceKm: f.DistanceKm, Status: string(f.Status)}
	if f.Status == flight.FlightScheduled {
		out.Status = "SCHEDULED"
	}
	for _, cs := range f.Cabins {
		out.Cabins = append(out.Cabins, cabinJSON{Cabin: string(cs.Cabin), Capacity: cs.Seats})
	}
	c.JSON(http.StatusOK, out)
}

type classJSON struct {
	BookingClass string `json:"bookingClass"`
	Family       string `json:"family"`
	SeatsLeft    int    `json:"seatsLeft"`
}

type cabinAvailabilityJSON struct {
	Cabin          string      `json:"cabin"`
	SeatsLeft      int         `json:"seatsLeft"`
	Capacity       *int        `json:"capacity,omitempty"`       // staff only
	SeatsAvailable *int        `json:"seatsAvailable,omitempty"` // staff only: exact
	BookingClasses []classJSON `json:"bookingClasses"`
}

type availabilityJSON struct {
	FlightID string                  `json:"flightId"`
	Cabins   []cabinAvailabilityJSON `json:"cabins"`
}

// availability shows seats left per cabin and booking class, capped at 9
// for the public as GDSs do; staff and services see exact counts.
func (a *api) availability(c *gin.Context) {
	id := c.Param("flightId")
	cabins, err := a.svc.Availability(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err)
		return
	}
	p, _ := authn.PrincipalFrom(c)
	exact := p.IsStaff() || p.Has(authn.RoleService)
	show := func(n int) int {
		if exact {
			return n
		}
		return min(n, flight.SeatsLeftCap)
	}
	out := availabilityJSON{FlightID: id, Cabins: []cabinAvailabilityJSON{}}
	for _, ca := range cabins {
		cj := cabinAvailabilityJSON{Cabin: string(ca.Cabin), SeatsLeft: show(ca.Available), BookingClasses: []classJSON{}}
		if exact {
			capacity, avail := ca.Capacity, ca.Available
			cj.Capacity, cj.SeatsAvailable = &capacity, &avail
		}
		for _, b := range flight.BookingClasses(ca.Cabin) {
			cj.BookingClasses = append(cj.BookingClasses, classJSON{BookingClass: b.Code, Family: b.Family, SeatsLeft: show(b.SeatsLeft(ca))})
		}
		out.Cabins = append(out.Cabins, cj)
	}
	c.JSON(http.StatusOK, out)
}

// ---- quotes

type passengersJSON struct {
	Adults   int `json:"adults"`
	Children int `json:"children"`
	Infants  int `json:"infants"`
}

type quoteRequest struct {
	ItineraryID string         `json:"itineraryId"`
	FlightIDs   []string       `json:"flightIds"`
	FareID      string         `json:"fareId" binding:"required"`
	Passengers  passengersJSON `json:"passengers"`
}

type priceLineJSON struct {
	Code        string      `json:"code"`
	Description string      `json:"description"`
	Amount      money.Money `json:"amount"`
}

type quoteJSON struct {
	QuoteID      string          `json:"quoteId"`
	ItineraryID  string          `json:"itineraryId"`
	FlightIDs    []string        `json:"flightIds"`
	FareID       string          `json:"fareId"`
	Cabin        string          `json:"cabin"`
	BookingClass string          `json:"bookingClass"`
	Family       string          `json:"family"`
	Passengers   passengersJSON  `json:"passengers"`
	Segments     []segmentJSON   `json:"segments"`
	Total        money.Money     `json:"total"`
	Breakdown    []priceLineJSON `json:"breakdown"`
	Conditions   conditionsJSON  `json:"conditions"`
	ExpiresAt    time.Time       `json:"expiresAt"`
}

func toQuote(q flight.Quote) quoteJSON {
	out := quoteJSON{QuoteID: q.ID, ItineraryID: flight.ItineraryID(q.FlightIDs), FlightIDs: q.FlightIDs, FareID: q.FareID,
		Cabin: string(q.Cabin), BookingClass: q.BookingClass, Family: q.Family,
		Passengers: passengersJSON{Adults: q.Passengers.Adults, Children: q.Passengers.Children, Infants: q.Passengers.Infants},
		Total:      q.Total, Conditions: toConditions(q.Conditions), ExpiresAt: q.ExpiresAt}
	for _, s := range q.Segments {
		out.Segments = append(out.Segments, toSegment(s))
	}
	for _, l := range q.Breakdown {
		out.Breakdown = append(out.Breakdown, priceLineJSON{Code: l.Code, Description: l.Description, Amount: l.Amount})
	}
	return out
}

func (a *api) quote(c *gin.Context) {
	var req quoteRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	q, err := a.svc.CreateQuote(c.Request.Context(), flight.QuoteRequest{ItineraryID: req.ItineraryID, FlightIDs: req.FlightIDs, FareID: req.FareID,
		Passengers: flight.Passengers{Adults: req.Passengers.Adults, Children: req.Passengers.Children, Infants: req.Passengers.Infants}})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toQuote(q))
}

// ---- inventory

type holdRequest struct {
	QuoteID    string `json:"quoteId" binding:"required"`
	Seats      int    `json:"seats" binding:"gte=0"`
	HoldID     string `json:"holdId" binding:"max=64"`
	TTLSeconds int    `json:"ttlSeconds" binding:"gte=0"`
}

type holdSegmentJSON struct {
	FlightID     string `json:"flightId"`
	Cabin        string `json:"cabin"`
	BookingClass string `json:"bookingClass"`
	Seats        int    `json:"seats"`
}

type holdJSON struct {
	HoldID    string            `json:"holdId"`
	QuoteID   string            `json:"quoteId"`
	Status    string            `json:"status"`
	Seats     int               `json:"seats"`
	Segments  []holdSegmentJSON `json:"segments"`
	ExpiresAt time.Time         `json:"expiresAt"`
	Released  *bool             `json:"released,omitempty"`
}

func toHold(h flight.Hold) holdJSON {
	out := holdJSON{HoldID: h.ID, QuoteID: h.QuoteID, Status: string(h.Status), Seats: h.Seats, ExpiresAt: h.ExpiresAt, Segments: []holdSegmentJSON{}}
	for _, s := range h.Segments {
		out.Segments = append(out.Segments, holdSegmentJSON{FlightID: s.FlightID, Cabin: string(s.Cabin), BookingClass: s.BookingClass, Seats: s.Seats})
	}
	return out
}

func (a *api) hold(c *gin.Context) {
	var req holdRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	ttl := a.holdTTL
	if p, _ := authn.PrincipalFrom(c); p.IsStaff() {
		ttl = a.staffHoldTTL
	}
	if req.TTLSeconds > 0 {
		ttl = min(ttl, time.Duration(req.TTLSeconds)*time.Second)
	}
	h, err := a.svc.HoldSeats(c.Request.Context(), flight.HoldRequest{HoldID: req.HoldID, QuoteID: req.QuoteID, Seats: req.Seats, TTL: ttl})
	if err != nil {
		a.fail(c, err)
		return
	}
	if h.Status != flight.HoldHeld && h.Status != flight.HoldCommitted {
		a.fail(c, flight.ErrHoldExpired)
		return
	}
	c.JSON(http.StatusOK, toHold(h))
}

type holdIDRequest struct {
	HoldID string `json:"holdId" binding:"required,max=64"`
	Reason string `json:"reason" binding:"max=200"`
}

func (a *api) release(c *gin.Context) {
	var req holdIDRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	reason := req.Reason
	if reason == "" {
		reason = "released via API"
	}
	if p, ok := authn.PrincipalFrom(c); ok {
		reason += " by " + p.UserID
	}
	h, released, err := a.svc.ReleaseHold(c.Request.Context(), req.HoldID, reason)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := toHold(h)
	out.Released = &released
	c.JSON(http.StatusOK, out)
}

func (a *api) commit(c *gin.Context) {
	var req holdIDRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	h, err := a.svc.CommitHold(c.Request.Context(), req.HoldID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toHold(h))
}
