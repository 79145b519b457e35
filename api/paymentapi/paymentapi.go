// Package paymentapi is the payment domain's HTTP API on Gin: payment intents
// (create, authorize, capture, refund, read) for staff and service callers,
// the provider webhook endpoint, and the sandbox provider's 3-D Secure
// challenge page. It translates payment sentinels to problem+json once, here.
package paymentapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/auditapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/internal/platform/policy"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

// Problem codes of the payment API (beside those in api/problem).
const (
	CodeCardDataRejected    = "card_data_rejected"
	CodeInvalidState        = "payment_invalid_state"
	CodeNothingToRefund     = "nothing_to_refund"
	CodeInvalidSignature    = "webhook_signature_invalid"
	CodeProviderUnavailable = "provider_unavailable"
)

// maxBody bounds request bodies (webhooks included).
const maxBody = 64 << 10

// Config holds the handler's dependencies.
type Config struct {
	Log      *slog.Logger
	Service  *payment.Service
	Verifier *authn.Verifier
	// Policy decides who may call each route; nil compiles the embedded one.
	Policy *policy.Engine
	// Idempotency stores Idempotency-Key records in the payment database.
	Idempotency idempotency.Store
	// Sandbox serves the 3-D Secure challenge page; nil disables the page.
	Sandbox *sandbox.Provider
	Now     func() time.Time
	// Audit records staff requests (fail-closed) and serves the domain's
	// audit route to auditors; nil records nothing (unit tests only).
	Audit *auditapi.Recorder
}

type handler struct {
	log     *slog.Logger
	svc     *payment.Service
	sandbox *sandbox.Provider
	page    *template.Template
}

// NewHandler returns the payment routes of API.md under /api/v1/payments.
func NewHandler(cfg Config) (http.Handler, error) {
	if cfg.Service == nil || cfg.Verifier == nil || cfg.Idempotency == nil {
		return nil, errors.New("paymentapi: NewHandler needs a Service, a Verifier and an Idempotency store")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	page, err := template.New("challenge").Parse(challengeHTML)
	if err != nil {
		return nil, fmt.Errorf("paymentapi: challenge template: %w", err)
	}
	h := &handler{log: cfg.Log, svc: cfg.Service, sandbox: cfg.Sandbox, page: page}

	e := problem.NewEngine(cfg.Log)
	pol := cfg.Policy
	if pol == nil {
		pol = policy.MustNew(cfg.Log)
	}
	e.Use(authn.Authenticate(cfg.Verifier), cfg.Audit.Middleware(), authn.Authorize(pol, "payment"))
	cfg.Audit.Routes(e.Group("/api/v1"))
	idem := idempotency.Middleware(cfg.Idempotency, idempotency.Options{Required: true, Now: cfg.Now, Logger: cfg.Log})

	g := e.Group("/api/v1/payments")
	g.POST("/intent", rejectCardData, idem, h.createIntent)
	g.GET("/:paymentId", h.get)
	g.POST("/:paymentId/authorize", rejectCardData, idem, h.authorize)
	g.POST("/:paymentId/capture", rejectCardData, idem, h.capture)
	g.POST("/:paymentId/refund", rejectCardData, idem, h.refund)
	g.POST("/webhooks/provider", h.webhook)
	g.GET("/sandbox/challenge/:paymentId", h.challengePage)
	g.POST("/sandbox/challenge/:paymentId", h.challengeSubmit)
	return e, nil
}

// respond answers an intent and names its customer and booking in the
// request's audit entry.
func respond(c *gin.Context, status int, in payment.Intent) {
	auditapi.SetCustomer(c, in.CustomerID)
	auditapi.AddResource(c, "bookingId", in.BookingID)
	c.JSON(status, toJSON(in))
}

// paymentJSON is a payment intent as clients see it.
type paymentJSON struct {
	PaymentID     string      `json:"paymentId"`
	BookingID     string      `json:"bookingId"`
	CustomerID    string      `json:"customerId,omitempty"`
	Provider      string      `json:"provider"`
	Status        string      `json:"status"`
	BookingStatus string      `json:"bookingStatus"`
	Amount        money.Money `json:"amount"`
	Captured      money.Money `json:"captured"`
	Refunded      money.Money `json:"refunded"`
	Brand         string      `json:"brand,omitempty"`
	Last4         string      `json:"last4,omitempty"`
	DeclineCode   string      `json:"declineCode,omitempty"`
	NextAction    *nextAction `json:"nextAction,omitempty"`
	CreatedAt     time.Time   `json:"createdAt"`
	UpdatedAt     time.Time   `json:"updatedAt"`
}

type nextAction struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

func toJSON(in payment.Intent) paymentJSON {
	bs, _ := payment.BookingStatusFor(in.Status)
	out := paymentJSON{
		PaymentID: in.ID, BookingID: in.BookingID, CustomerID: in.CustomerID, Provider: in.Provider, Status: string(in.Status),
		BookingStatus: bs, Amount: in.Amount, Captured: in.CapturedMoney(), Refunded: in.RefundedMoney(),
		Brand: in.Brand, Last4: in.Last4, DeclineCode: in.DeclineCode, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
	}
	if in.Status == payment.StatusRequiresAction && in.NextActionURL != "" {
		out.NextAction = &nextAction{Type: "redirect", URL: in.NextActionURL}
	}
	return out
}

type createIntentRequest struct {
	BookingID  string       `json:"bookingId" binding:"required,max=64"`
	CustomerID string       `json:"customerId" binding:"max=64"`
	Amount     *money.Money `json:"amount" binding:"required"`
	Provider   string       `json:"provider" binding:"required,max=32"`
}

type authorizeRequest struct {
	Token     string `json:"token" binding:"required,max=100"`
	ReturnURL string `json:"returnUrl" binding:"max=500"`
}

type captureRequest struct {
	Amount *money.Money `json:"amount"`
}

type refundRequest struct {
	Amount *money.Money `json:"amount"`
	Reason string       `json:"reason" binding:"required,max=1000"`
}

func (h *handler) createIntent(c *gin.Context) {
	var req createIntentRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	in, err := h.svc.CreateIntent(c.Request.Context(), payment.CreateIntentInput{
		IdempotencyKey: opKey(c), BookingID: req.BookingID, CustomerID: req.CustomerID, Amount: *req.Amount, Provider: req.Provider, Actor: actor(c),
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusCreated, in)
}

func (h *handler) get(c *gin.Context) {
	in, err := h.svc.Get(c.Request.Context(), c.Param("paymentId"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, in)
}

func (h *handler) authorize(c *gin.Context) {
	var req authorizeRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	in, err := h.svc.Authorize(c.Request.Context(), payment.AuthorizeInput{
		IdempotencyKey: opKey(c), PaymentID: c.Param("paymentId"), Token: req.Token, ReturnURL: req.ReturnURL, Actor: actor(c),
	})
	var de *payment.DeclineError
	if errors.As(err, &de) {
		problem.Write(c, problem.New(http.StatusPaymentRequired, problem.CodePaymentDeclined, "the card was declined: "+de.Code).
			With("declineCode", de.Code).With("paymentId", de.PaymentID).With("payment", toJSON(in)))
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, in)
}

func (h *handler) capture(c *gin.Context) {
	var req captureRequest
	if c.Request.ContentLength != 0 && !problem.BindJSON(c, &req) {
		return
	}
	in, err := h.svc.Capture(c.Request.Context(), payment.CaptureInput{IdempotencyKey: opKey(c), PaymentID: c.Param("paymentId"), Amount: req.Amount, Actor: actor(c)})
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, in)
}

func (h *handler) refund(c *gin.Context) {
	var req refundRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	in, err := h.svc.Refund(c.Request.Context(), payment.RefundInput{
		IdempotencyKey: opKey(c), PaymentID: c.Param("paymentId"), Amount: req.Amount, Reason: req.Reason, Actor: actor(c),
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, in)
}

// webhook verifies the provider signature over the raw body and answers 2xx
// once the event is stored (ACCEPTANCE W1–W5).
func (h *handler) webhook(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		problem.Write(c, problem.New(http.StatusRequestEntityTooLarge, problem.CodeInvalidRequest, "the webhook body is too large"))
		return
	}
	res, err := h.svc.HandleWebhook(c.Request.Context(), c.GetHeader(payment.SignatureHeader), body)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"received": true, "eventId": res.EventID, "outcome": res.Outcome})
}

// fail answers a domain error with its problem.
func (h *handler) fail(c *gin.Context, err error) {
	var ie *payment.InputError
	var de *payment.DeclineError
	switch {
	case errors.As(err, &de):
		problem.Write(c, problem.New(http.StatusPaymentRequired, problem.CodePaymentDeclined, "the card was declined: "+de.Code).With("declineCode", de.Code).With("paymentId", de.PaymentID))
	case errors.Is(err, payment.ErrCardData):
		problem.Write(c, problem.New(http.StatusBadRequest, CodeCardDataRejected, "card numbers are not accepted; send a provider token"))
	case errors.As(err, &ie):
		problem.Write(c, problem.Validation(problem.FieldError{Field: ie.Field, Reason: ie.Reason}))
	case errors.Is(err, payment.ErrUnknownProvider):
		problem.Write(c, problem.Validation(problem.FieldError{Field: "provider", Reason: "is not a configured payment provider"}))
	case errors.Is(err, payment.ErrNotFound):
		problem.Write(c, problem.Newf(http.StatusNotFound, problem.CodeNotFound, "payment %s does not exist", c.Param("paymentId")))
	case errors.Is(err, payment.ErrIdempotencyConflict):
		problem.Write(c, problem.New(http.StatusUnprocessableEntity, problem.CodeIdempotencyConflict, "this Idempotency-Key was already used with different parameters"))
	case errors.Is(err, payment.ErrInFlight):
		p := problem.New(http.StatusConflict, problem.CodeIdempotencyInFlight, "a request with this Idempotency-Key is still being processed")
		p.RetryAfter = time.Second
		problem.Write(c, p)
	case errors.Is(err, payment.ErrNothingToRefund):
		problem.Write(c, problem.New(http.StatusConflict, CodeNothingToRefund, "the payment has no captured money left to refund"))
	case errors.Is(err, payment.ErrInvalidTransition), errors.Is(err, payment.ErrVersionConflict):
		problem.Write(c, problem.New(http.StatusConflict, CodeInvalidState, "the payment's state does not allow this operation now"))
	case errors.Is(err, payment.ErrSignature), errors.Is(err, payment.ErrTimestamp):
		h.log.WarnContext(c.Request.Context(), "webhook refused", "err", err, "request_id", problem.RequestID(c))
		problem.Write(c, problem.New(http.StatusBadRequest, CodeInvalidSignature, "the webhook signature is missing, invalid or outside the time tolerance"))
	case errors.Is(err, payment.ErrProviderUnavailable):
		h.log.WarnContext(c.Request.Context(), "payment provider unavailable", "err", err, "request_id", problem.RequestID(c))
		p := problem.New(http.StatusServiceUnavailable, CodeProviderUnavailable, "the payment provider is unavailable; retry with the same Idempotency-Key")
		p.RetryAfter = 2 * time.Second
		problem.Write(c, p)
	default:
		problem.Error(c, h.log, err)
	}
}

// rejectCardData refuses any request whose body contains something that
// looks like a card number before it is parsed, stored or logged
// (ACCEPTANCE C1).
func rejectCardData(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		problem.Write(c, problem.New(http.StatusRequestEntityTooLarge, problem.CodeInvalidRequest, "the request body is too large"))
		return
	}
	if payment.LooksLikePAN(string(body)) {
		problem.Write(c, problem.New(http.StatusBadRequest, CodeCardDataRejected, "card numbers are not accepted; send a provider token"))
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	c.Next()
}

// opKey derives the service-level idempotency key from the caller, the
// route and the Idempotency-Key header, so that keys of different callers
// or operations never collide.
func opKey(c *gin.Context) string {
	p, _ := authn.PrincipalFrom(c)
	sum := sha256.Sum256([]byte(p.UserID + "\n" + c.Request.URL.Path + "\n" + c.GetHeader(idempotency.Header)))
	// Hex digits become letters so that the key, like every id SkyFly
	// makes, can never look like a card number.
	return "api:" + strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return 'g' + (r - '0')
		}
		return r
	}, hex.EncodeToString(sum[:]))
}

func actor(c *gin.Context) string {
	p, ok := authn.PrincipalFrom(c)
	if !ok {
		return "anonymous"
	}
	return "user:" + p.UserID
}
