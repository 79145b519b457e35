// Package bookingapi is the booking domain's HTTP API on Gin: reserve,
// confirm, read, list, cancel and change bookings, and the supervisor's
// resolve action for bookings in NEEDS_ATTENTION. Reads come from the
// booking database; every state change goes through a saga workflow on
// Temporal (Update-With-Start for reserve, cancel and change quotes;
// Updates for confirm and accepting a change). Domain and workflow errors
// are translated to problem+json here, once.
package bookingapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/api/auditapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/policy"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/temporal/codec"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workflows/bookingsaga"
	"github.com/skyfly/skyfly/workflows/cancelsaga"
	"github.com/skyfly/skyfly/workflows/changesaga"
	"github.com/skyfly/skyfly/workflows/saga"
)

// Problem codes of the booking domain (besides problem's shared ones).
const (
	CodeBookingNotConfirmable = "booking_not_confirmable"
	CodeBookingNotCancellable = "booking_not_cancellable"
	CodeBookingNotChangeable  = "booking_not_changeable"
	CodeBookingFailed         = "booking_failed"
	CodeQuoteInvalid          = "quote_invalid"
	CodeNotParked             = "booking_not_parked"
)

// Config wires the router.
type Config struct {
	Log         *slog.Logger
	Service     *booking.Service
	Temporal    client.Client
	Verifier    *authn.Verifier
	Idempotency idempotency.Store
	// Policy decides routes and actions; nil compiles the embedded one.
	Policy *policy.Engine
	// HoldTTL is a customer's hold; StaffHoldTTL a staff member's.
	HoldTTL      time.Duration
	StaffHoldTTL time.Duration
	// UpdateTimeout bounds how long a request waits for a workflow update
	// (default 30 s).
	UpdateTimeout time.Duration
	// Stream times the live progress stream (GET /bookings/{id}/events).
	Stream StreamConfig
	// Audit records staff requests (fail-closed) and serves the domain's
	// audit route to auditors; nil records nothing (unit tests only).
	Audit *auditapi.Recorder
}

// StreamConfig times the live progress stream. Zero values take the
// defaults: poll 250 ms, heartbeat 15 s, at most 10 minutes per stream.
type StreamConfig struct {
	Poll      time.Duration
	Heartbeat time.Duration
	Max       time.Duration
}

type api struct {
	log      *slog.Logger
	svc      *booking.Service
	tc       client.Client
	holdTTL  time.Duration
	staffTTL time.Duration
	timeout  time.Duration
	stream   StreamConfig
	policy   *policy.Engine
}

// NewRouter returns the booking domain's handler for its /api/v1 routes.
func NewRouter(cfg Config) http.Handler {
	a := &api{log: cfg.Log, svc: cfg.Service, tc: cfg.Temporal, holdTTL: cfg.HoldTTL, staffTTL: cfg.StaffHoldTTL, timeout: cfg.UpdateTimeout}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.holdTTL <= 0 {
		a.holdTTL = 15 * time.Minute
	}
	if a.staffTTL <= 0 {
		a.staffTTL = a.holdTTL
	}
	if a.timeout <= 0 {
		a.timeout = 30 * time.Second
	}
	a.stream = cfg.Stream
	a.policy = cfg.Policy
	if a.policy == nil {
		a.policy = policy.MustNew(a.log)
	}
	if a.stream.Poll <= 0 {
		a.stream.Poll = defaultStreamPoll
	}
	if a.stream.Heartbeat <= 0 {
		a.stream.Heartbeat = defaultStreamHeartbeat
	}
	if a.stream.Max <= 0 {
		a.stream.Max = defaultStreamMax
	}
	idem := idempotency.Middleware(cfg.Idempotency, idempotency.Options{Required: true, Logger: a.log})
	e := problem.NewEngine(a.log)
	root := e.Group("/api/v1", authn.Authenticate(cfg.Verifier), cfg.Audit.Middleware(), authn.Authorize(a.policy, "booking"))
	cfg.Audit.Routes(root)
	v1 := root.Group("/bookings")
	v1.GET("", a.list)
	v1.GET("/:bookingId", a.get)
	v1.GET("/:bookingId/events", a.events)
	v1.POST("/reserve", idem, a.reserve)
	v1.POST("/:bookingId/confirm", idem, a.confirm)
	v1.POST("/:bookingId/cancel", idem, a.cancel)
	v1.POST("/:bookingId/change", idem, a.change)
	v1.POST("/:bookingId/resolve", idem, a.resolve)
	// Staff booking lookup (the NEEDS_ATTENTION queue is ?status=NEEDS_ATTENTION).
	root.GET("/staff/bookings", a.list)
	return e
}

func principal(c *gin.Context) authn.Principal {
	p, _ := authn.PrincipalFrom(c)
	return p
}

// load returns a booking the caller may do action on, as the policy
// decides: someone else's booking is answered like a missing one (A5).
func (a *api) load(c *gin.Context, action string) (booking.Booking, bool) {
	b, err := a.svc.Get(c.Request.Context(), c.Param("bookingId"))
	if errors.Is(err, booking.ErrNotFound) {
		problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "no such booking"))
		return booking.Booking{}, false
	}
	if err != nil {
		problem.Error(c, a.log, err)
		return booking.Booking{}, false
	}
	auditapi.SetCustomer(c, b.CustomerID)
	if !authn.Allowed(c, a.policy, "booking", action, policy.Resource{Type: "booking", Owner: b.CustomerID}) {
		return booking.Booking{}, false
	}
	return b, true
}

// ---- reads

func (a *api) get(c *gin.Context) {
	b, ok := a.load(c, "booking.read")
	if !ok {
		return
	}
	c.JSON(http.StatusOK, toView(b, nil))
}

func (a *api) list(c *gin.Context) {
	p := principal(c)
	f := booking.ListFilter{Status: booking.Status(c.Query("status")), Cursor: c.Query("cursor")}
	if f.Status != "" && !slices.Contains(booking.Statuses(), f.Status) {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "status", Reason: fmt.Sprintf("must be one of %v", booking.Statuses())}))
		return
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			problem.Write(c, problem.Validation(problem.FieldError{Field: "limit", Reason: "must be an integer from 1 to 100"}))
			return
		}
		f.Limit = n
	}
	if authn.May(c, a.policy, "booking", "booking.list_any") {
		f.PNR, f.FlightID, f.CustomerID = c.Query("pnr"), c.Query("flightId"), c.Query("customerId")
		f.FamilyName = strings.TrimSpace(c.Query("passenger"))
	} else {
		f.CustomerID = p.UserID
	}
	page, err := a.svc.List(c.Request.Context(), f)
	if errors.Is(err, booking.ErrInvalidCursor) {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "cursor", Reason: "is not a cursor this API returned"}))
		return
	}
	if err != nil {
		problem.Error(c, a.log, err)
		return
	}
	out := listView{Bookings: make([]bookingView, len(page.Bookings)), NextCursor: page.NextCursor}
	for i, b := range page.Bookings {
		out.Bookings[i] = toView(b, nil)
	}
	c.JSON(http.StatusOK, out)
}

// ---- reserve

type reserveRequest struct {
	QuoteID    string              `json:"quoteId"`
	Passengers []booking.Passenger `json:"passengers"`
	Contact    booking.Contact     `json:"contact"`
	// CustomerID lets staff book on a customer's behalf.
	CustomerID string `json:"customerId,omitempty"`
}

// bookingID derives the booking id from the caller and the
// Idempotency-Key, so a double submit lands on the same workflow even if
// the idempotency record were lost (I5).
func bookingID(userID, key string) string {
	sum := sha256.Sum256([]byte(userID + "\x00" + key))
	return booking.IDFromBytes("bk", sum[:16])
}

func (a *api) reserve(c *gin.Context) {
	var req reserveRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	var bad []problem.FieldError
	if req.QuoteID == "" {
		bad = append(bad, problem.FieldError{Field: "quoteId", Reason: "is required"})
	}
	if len(req.Passengers) == 0 {
		bad = append(bad, problem.FieldError{Field: "passengers", Reason: "must list at least one passenger"})
	}
	var ve *booking.ValidationError
	if err := booking.ValidateContact(req.Contact); errors.As(err, &ve) {
		for _, f := range ve.Fields {
			bad = append(bad, problem.FieldError{Field: f.Field, Reason: f.Reason})
		}
	}
	if len(bad) > 0 {
		problem.Write(c, problem.Validation(bad...))
		return
	}
	p := principal(c)
	customerID, ttl := p.UserID, a.holdTTL
	if req.CustomerID != "" && req.CustomerID != p.UserID {
		// Booking for someone else: staff only, as the policy says.
		if !authn.Allowed(c, a.policy, "booking", "booking.act_for_customer", policy.Resource{Type: "customer", Owner: req.CustomerID}) {
			return
		}
		customerID = req.CustomerID
	}
	if p.IsStaff() {
		ttl = a.staffTTL
	}
	id := bookingID(p.UserID, c.GetHeader(idempotency.Header))
	ctx, cancel := context.WithTimeout(c.Request.Context(), a.timeout)
	defer cancel()
	startOpts := client.StartWorkflowOptions{
		ID:                       queues.BookingWorkflowID(id),
		TaskQueue:                queues.BookingSaga,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(queues.AttrCustomerID).ValueSet(customerID),
			temporal.NewSearchAttributeKeyKeyword(queues.AttrBookingStatus).ValueSet(string(booking.StatusPending)),
		),
	}
	input := bookingsaga.Input{BookingID: id, CustomerID: customerID, Actor: p.UserID, HoldTTL: ttl}
	var st bookingsaga.State
	err := untilAnswered(ctx, func() error {
		// The same update id again joins the first call's update (Temporal
		// deduplicates it), so retrying after an RPC timeout is safe.
		start := a.tc.NewWithStartWorkflowOperation(startOpts, bookingsaga.WorkflowName, input)
		// The reserve request's passengers and contact carry no customer
		// id: the context names it, for the customer's payload key (G2).
		h, err := a.tc.UpdateWithStartWorkflow(codec.WithSubject(ctx, customerID), client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: start,
			UpdateOptions: client.UpdateWorkflowOptions{
				UpdateID: "reserve", UpdateName: bookingsaga.UpdateReserve, WaitForStage: client.WorkflowUpdateStageCompleted,
				Args: []any{bookingsaga.ReserveRequest{QuoteID: req.QuoteID, Passengers: req.Passengers, Contact: req.Contact}},
			},
		})
		if err != nil {
			return err
		}
		return h.Get(ctx, &st)
	})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	closed := errors.As(err, &started)
	if closed {
		// The workflow of this key already finished (its idempotency
		// record was abandoned after a 5xx, or expired): answer what it left.
		err = nil
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	b, err := a.svc.Get(c.Request.Context(), id)
	if closed && errors.Is(err, booking.ErrNotFound) {
		// It ended before it created the booking (quote or seats refused,
		// no reserve arrived): the caller asked for this booking, so not 404.
		a.log.InfoContext(c.Request.Context(), "reserve after its workflow closed without a booking", "bookingId", id)
		problem.Write(c, problem.New(http.StatusConflict, CodeBookingFailed,
			"the booking saga of this Idempotency-Key already ended without a booking; reserve again with a new Idempotency-Key").
			With("bookingId", id).With("workflowId", queues.BookingWorkflowID(id)))
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toView(b, &st))
}

// ---- confirm

type paymentRequest struct {
	Provider  string `json:"provider"`
	Token     string `json:"token"`
	ReturnURL string `json:"returnUrl,omitempty"`
}

type confirmRequest struct {
	Payment paymentRequest `json:"payment"`
}

func (a *api) confirm(c *gin.Context) {
	var req confirmRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	var bad []problem.FieldError
	if req.Payment.Provider == "" {
		bad = append(bad, problem.FieldError{Field: "payment.provider", Reason: "is required"})
	}
	if req.Payment.Token == "" {
		bad = append(bad, problem.FieldError{Field: "payment.token", Reason: "is required"})
	}
	if len(bad) > 0 {
		problem.Write(c, problem.Validation(bad...))
		return
	}
	b, ok := a.load(c, "booking.confirm")
	if !ok {
		return
	}
	if b.Status == booking.StatusConfirmed {
		c.JSON(http.StatusOK, toView(b, nil))
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), a.timeout)
	defer cancel()
	var st bookingsaga.State
	err := untilAnswered(ctx, func() error {
		h, err := a.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: queues.BookingWorkflowID(b.ID), UpdateName: bookingsaga.UpdateConfirm,
			UpdateID: "confirm-" + c.GetHeader(idempotency.Header), WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{bookingsaga.ConfirmRequest{Provider: req.Payment.Provider, Token: req.Payment.Token, ReturnURL: req.Payment.ReturnURL}},
		})
		if err != nil {
			return err
		}
		return h.Get(ctx, &st)
	})
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		err = temporal.NewApplicationError("booking is "+string(b.Status), bookingsaga.ErrTypeNotConfirmable)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	if b, err = a.svc.Get(c.Request.Context(), b.ID); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toView(b, &st))
}

// ---- cancel

type cancelRequest struct {
	QuoteID string `json:"quoteId,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// WaivePenalty asks for a refund without the fare's penalty
	// (supervisors; the policy decides).
	WaivePenalty bool `json:"waivePenalty,omitempty"`
}

func (a *api) cancel(c *gin.Context) {
	var req cancelRequest
	if c.Request.ContentLength != 0 && !problem.BindJSON(c, &req) {
		return
	}
	b, ok := a.load(c, "booking.cancel")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	p := principal(c)
	if req.QuoteID == "" {
		if req.WaivePenalty && !authn.Allowed(c, a.policy, "booking", "booking.waive_fee", policy.Resource{Type: "booking", Owner: b.CustomerID}) {
			return
		}
		q, err := a.svc.QuoteCancellationFor(ctx, b.ID, booking.CancelTerms{WaivePenalty: req.WaivePenalty})
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, cancelQuoteView{QuoteID: q.QuoteID, Refund: q.Refund, Penalty: q.Penalty, PenaltyWaived: q.Waived, RefundTo: b.PaymentID, ExpiresAt: q.ExpiresAt})
		return
	}
	if p.IsStaff() && req.Reason == "" {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "reason", Reason: "is required for staff cancellations"}))
		return
	}
	q, err := a.svc.CancelQuote(ctx, b.ID, req.QuoteID)
	if err != nil {
		a.fail(c, err)
		return
	}
	if b.Status != booking.StatusConfirmed && b.Status != booking.StatusCancelling {
		a.fail(c, booking.ErrNotCancellable)
		return
	}
	payments, err := a.svc.PaymentIDs(ctx, b)
	if err != nil {
		a.fail(c, err)
		return
	}
	uctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	start := a.tc.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: queues.CancelWorkflowID(b.ID), TaskQueue: queues.BookingSaga,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(queues.AttrCustomerID).ValueSet(b.CustomerID),
			temporal.NewSearchAttributeKeyKeyword(queues.AttrPNR).ValueSet(b.PNR),
		),
	}, cancelsaga.WorkflowName, cancelsaga.Input{
		BookingID: b.ID, CustomerID: b.CustomerID, PNR: b.PNR, QuoteID: q.QuoteID, HoldID: b.HoldID, PaymentIDs: payments,
		FlightIDs: b.FlightIDs(), Refund: q.Refund, Penalty: q.Penalty, Actor: p.UserID, Reason: req.Reason, Contact: b.Contact,
	})
	h, err := a.tc.UpdateWithStartWorkflow(uctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateID: "started", UpdateName: cancelsaga.UpdateStarted, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	var st cancelsaga.State
	if err == nil {
		err = h.Get(uctx, &st)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	if b, err = a.svc.Get(ctx, b.ID); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, toView(b, nil))
}

// ---- change

type changeRequest struct {
	FareID       string          `json:"fareId,omitempty"`
	FlightIDs    []string        `json:"flightIds,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	QuoteID      string          `json:"quoteId,omitempty"`
	WaivePenalty bool            `json:"waivePenalty,omitempty"`
	Payment      *paymentRequest `json:"payment,omitempty"`
}

func (a *api) change(c *gin.Context) {
	var req changeRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	b, ok := a.load(c, "booking.change")
	if !ok {
		return
	}
	p := principal(c)
	ctx, cancel := context.WithTimeout(c.Request.Context(), a.timeout)
	defer cancel()
	if req.QuoteID != "" {
		a.acceptChange(c, ctx, b, req)
		return
	}
	if req.FareID == "" {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "fareId", Reason: "is required"}))
		return
	}
	if req.WaivePenalty && !authn.Allowed(c, a.policy, "booking", "booking.waive_fee", policy.Resource{Type: "booking", Owner: b.CustomerID}) {
		return
	}
	if p.IsStaff() && req.Reason == "" {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "reason", Reason: "is required for staff changes"}))
		return
	}
	if b.Status != booking.StatusConfirmed {
		a.fail(c, booking.ErrNotChangeable)
		return
	}
	flights := req.FlightIDs
	if len(flights) == 0 {
		flights = b.FlightIDs()
	}
	changeID, err := booking.NewID("ch")
	if err != nil {
		problem.Error(c, a.log, err)
		return
	}
	start := a.tc.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: queues.ChangeWorkflowID(b.ID, changeID), TaskQueue: queues.BookingSaga,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(queues.AttrCustomerID).ValueSet(b.CustomerID),
			temporal.NewSearchAttributeKeyKeyword(queues.AttrPNR).ValueSet(b.PNR),
		),
	}, changesaga.WorkflowName, changesaga.Input{
		BookingID: b.ID, ChangeID: changeID, CustomerID: b.CustomerID, PNR: b.PNR, OldHoldID: b.HoldID, PaymentID: b.PaymentID,
		OldFlightIDs: b.FlightIDs(), Passengers: bookingsaga.PassengerCounts(b.Passengers), Contact: b.Contact, HoldTTL: a.holdTTL,
	})
	h, err := a.tc.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateID: "quote", UpdateName: changesaga.UpdateQuote, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{changesaga.QuoteRequest{FlightIDs: flights, FareID: req.FareID, Actor: p.UserID, Reason: req.Reason, Waive: req.WaivePenalty, Staff: p.IsStaff()}}},
	})
	var st changesaga.State
	if err == nil {
		err = h.Get(ctx, &st)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	ch := st.Change
	c.JSON(http.StatusOK, changeQuoteView{QuoteID: ch.ID, NewFlightIDs: ch.NewFlightIDs, NewFareID: ch.NewFareID, NewTotal: ch.NewTotal,
		FareDifference: ch.FareDifference, Penalty: ch.Penalty, PenaltyWaived: ch.Waived, Due: ch.Due, ExpiresAt: ch.ExpiresAt})
}

func (a *api) acceptChange(c *gin.Context, ctx context.Context, b booking.Booking, req changeRequest) {
	ch, err := a.svc.GetChange(ctx, req.QuoteID)
	if err != nil || ch.BookingID != b.ID {
		problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "no such change quote for this booking"))
		return
	}
	accept := changesaga.AcceptRequest{}
	if req.Payment != nil {
		accept.Provider, accept.Token = req.Payment.Provider, req.Payment.Token
	}
	h, err := a.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: queues.ChangeWorkflowID(b.ID, ch.ID), UpdateName: changesaga.UpdateAccept, UpdateID: "accept",
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{accept},
	})
	var st changesaga.State
	if err == nil {
		err = h.Get(ctx, &st)
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		problem.Write(c, problem.New(http.StatusGone, problem.CodeQuoteExpired, "the change quote expired; ask for a new one"))
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	if b, err = a.svc.Get(ctx, b.ID); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, toView(b, nil))
}

// ---- resolve

type resolveRequest struct {
	Action string `json:"action"` // retry or resolve
	Reason string `json:"reason"`
	// ChangeID names the change workflow when that is the parked one.
	ChangeID string `json:"changeId,omitempty"`
}

func (a *api) resolve(c *gin.Context) {
	var req resolveRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	if req.Action != saga.SignalRetry && req.Action != saga.SignalResolve {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "action", Reason: "must be retry or resolve"}))
		return
	}
	if req.Reason == "" {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "reason", Reason: "is required"}))
		return
	}
	b, ok := a.load(c, "booking.read")
	if !ok {
		return
	}
	if b.Status != booking.StatusNeedsAttention {
		problem.Write(c, problem.New(http.StatusConflict, CodeNotParked, "the booking is "+string(b.Status)+", not NEEDS_ATTENTION"))
		return
	}
	ids := []string{queues.BookingWorkflowID(b.ID), queues.CancelWorkflowID(b.ID)}
	if req.ChangeID != "" {
		ids = []string{queues.ChangeWorkflowID(b.ID, req.ChangeID)}
	}
	var payload any = saga.Resolution{Operator: principal(c).UserID, Reason: req.Reason}
	for _, id := range ids {
		err := a.tc.SignalWorkflow(c.Request.Context(), id, "", req.Action, payload)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			continue
		}
		if err != nil {
			problem.Error(c, a.log, err)
			return
		}
		a.log.InfoContext(c.Request.Context(), "operator action on a parked booking", "bookingId", b.ID, "workflowId", id,
			"action", req.Action, "operator", principal(c).UserID, "reason", req.Reason)
		c.JSON(http.StatusAccepted, gin.H{"bookingId": b.ID, "workflowId": id, "action": req.Action})
		return
	}
	problem.Write(c, problem.New(http.StatusConflict, CodeNotParked, "no running workflow of this booking waits for an operator"))
}

// ---- errors

// fail translates domain sentinels and workflow refusals into problems.
func (a *api) fail(c *gin.Context, err error) {
	var ve *booking.ValidationError
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &ve):
		problem.Write(c, validation(ve.Fields))
	case errors.Is(err, booking.ErrNotFound):
		problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "no such booking"))
	case errors.Is(err, booking.ErrQuoteExpired):
		problem.Write(c, problem.New(http.StatusGone, problem.CodeQuoteExpired, "the quote expired; ask for a new one"))
	case errors.Is(err, booking.ErrNotCancellable):
		problem.Write(c, problem.New(http.StatusConflict, CodeBookingNotCancellable, "only a confirmed booking can be cancelled"))
	case errors.Is(err, booking.ErrNotChangeable):
		problem.Write(c, problem.New(http.StatusConflict, CodeBookingNotChangeable, "this booking cannot be changed"))
	case errors.As(err, &appErr):
		a.failWorkflow(c, appErr, err)
	case errors.Is(err, context.DeadlineExceeded), isRPCTimeout(err):
		problem.Write(c, problem.New(http.StatusServiceUnavailable, problem.CodeUnavailable, "the booking saga did not answer in time; retry with the same Idempotency-Key"))
	default:
		problem.Error(c, a.log, err)
	}
}

func (a *api) failWorkflow(c *gin.Context, appErr *temporal.ApplicationError, err error) {
	switch appErr.Type() {
	case flightact.ErrTypeSeatUnavailable:
		problem.Write(c, problem.New(http.StatusConflict, problem.CodeSeatUnavailable, "the fare has no seats left for these passengers"))
	case flightact.ErrTypeQuoteExpired:
		problem.Write(c, problem.New(http.StatusGone, problem.CodeQuoteExpired, "the quote's price guarantee has expired; request a fresh quote"))
	case flightact.ErrTypeQuoteInvalid:
		problem.Write(c, problem.New(http.StatusUnprocessableEntity, CodeQuoteInvalid, "the quote does not match these passengers"))
	case "InvalidBooking":
		var fields []booking.FieldError
		if appErr.HasDetails() && appErr.Details(&fields) == nil && len(fields) > 0 {
			problem.Write(c, validation(fields))
			return
		}
		problem.Write(c, problem.New(http.StatusBadRequest, problem.CodeInvalidRequest, appErr.Message()))
	case bookingsaga.ErrTypeInvalidRequest:
		problem.Write(c, problem.New(http.StatusBadRequest, problem.CodeInvalidRequest, appErr.Message()))
	case paymentact.ErrTypePaymentDeclined:
		var code string
		if appErr.HasDetails() {
			_ = appErr.Details(&code)
		}
		problem.Write(c, problem.New(http.StatusPaymentRequired, problem.CodePaymentDeclined, "the payment was declined; the seats stay held until the hold expires").With("declineCode", code))
	case bookingsaga.ErrTypeNotConfirmable:
		problem.Write(c, problem.New(http.StatusConflict, CodeBookingNotConfirmable, appErr.Message()))
	case changesaga.ErrTypeNotAcceptable:
		problem.Write(c, problem.New(http.StatusConflict, CodeBookingNotChangeable, appErr.Message()))
	case bookingsaga.ErrTypeFailed, changesaga.ErrTypeFailed, "CancellationFailed":
		a.log.WarnContext(c.Request.Context(), "saga failed and was compensated", "error", err)
		problem.Write(c, problem.New(http.StatusConflict, CodeBookingFailed, appErr.Message()))
	default:
		problem.Error(c, a.log, err)
	}
}

// untilAnswered calls an update until it answers or ctx ends: a busy
// server may time the RPC out while the update still runs, and asking
// again with the same update id joins it.
func untilAnswered(ctx context.Context, call func() error) error {
	for {
		err := call()
		if !isRPCTimeout(err) || ctx.Err() != nil {
			return err
		}
	}
}

func isRPCTimeout(err error) bool {
	var timeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	var deadline *serviceerror.DeadlineExceeded
	var canceled *serviceerror.Canceled
	return errors.As(err, &timeout) || errors.As(err, &deadline) || errors.As(err, &canceled)
}

func validation(fields []booking.FieldError) *problem.Problem {
	out := make([]problem.FieldError, len(fields))
	for i, f := range fields {
		out[i] = problem.FieldError{Field: f.Field, Reason: f.Reason}
	}
	return problem.Validation(out...)
}
