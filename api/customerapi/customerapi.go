// Package customerapi is the customer domain's HTTP API on Gin: the caller's
// own profile (/users/me, always the token's subject: ACCEPTANCE A5), mobile
// phone verification, template notifications for staff and service callers,
// and, in development mode only, the development outbox. Domain errors are
// translated to problem+json here, once.
package customerapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/skyfly/skyfly/api/auditapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/policy"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
)

// Problem codes of the customer domain (besides problem's shared ones).
const (
	CodeTemplateUnknown          = "template_unknown"
	CodeTemplateDataMissing      = "template_data_missing"
	CodeTemplateChannel          = "template_channel_mismatch"
	CodeRecipientUnreachable     = "recipient_unreachable"
	CodeChannelUnavailable       = "channel_unavailable"
	CodeDeliveryFailed           = "delivery_failed"
	CodeVerificationNotRequested = "verification_not_requested"
	CodeVerificationExpired      = "verification_expired"
	CodeVerificationLocked       = "verification_locked"
	CodeVerificationUsed         = "verification_used"
	CodeVerificationCodeInvalid  = "verification_code_invalid"
	CodeUnsupportedMediaType     = "unsupported_media_type"
)

// maxBody bounds request bodies.
const maxBody = 64 << 10

// Config wires the router.
type Config struct {
	Log      *slog.Logger
	Service  *customer.Service
	Notifier *customer.Notifier
	Verifier *authn.Verifier
	// Policy decides who may call each route; nil compiles the embedded one.
	Policy      *policy.Engine
	Idempotency idempotency.Store
	// Privacy and Temporal serve data export and erasure (G1, G2); without
	// them those routes answer 503.
	Privacy  *customer.Privacy
	Temporal client.Client
	// ExportTTL is how long an export file lives; ErasureCoolingOff the
	// wait before an erasure runs (defaults 7 days each).
	ExportTTL         time.Duration
	ErasureCoolingOff time.Duration
	// Outbox, when set, is served at GET /api/v1/dev/outbox (development
	// mode only; leave nil otherwise and the route does not exist).
	Outbox *customerchannel.Outbox
	Now    func() time.Time
	// Audit records staff requests (fail-closed) and serves the domain's
	// audit route to auditors; nil records nothing (unit tests only).
	Audit *auditapi.Recorder
}

type api struct {
	log      *slog.Logger
	svc      *customer.Service
	notifier *customer.Notifier
	outbox   *customerchannel.Outbox
}

// NewRouter returns the customer domain's handler for its /api/v1 routes.
func NewRouter(cfg Config) http.Handler {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{log: log, svc: cfg.Service, notifier: cfg.Notifier, outbox: cfg.Outbox}
	idem := idempotency.Middleware(cfg.Idempotency, idempotency.Options{Logger: log, Now: cfg.Now})
	e := problem.NewEngine(log)
	pol := cfg.Policy
	if pol == nil {
		pol = policy.MustNew(log)
	}
	v1 := e.Group("/api/v1", authn.Authenticate(cfg.Verifier), cfg.Audit.Middleware(), authn.Authorize(pol, "customer"))
	cfg.Audit.Routes(v1)

	me := v1.Group("/users/me")
	me.GET("", a.getMe)
	me.PATCH("", a.patchMe)
	me.POST("/mobile/verify/request", idem, a.requestVerification)
	me.POST("/mobile/verify/confirm", idem, a.confirmVerification)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	pa := &privacyAPI{log: log, p: cfg.Privacy, tc: cfg.Temporal, exportTTL: cfg.ExportTTL, coolingOff: cfg.ErasureCoolingOff, now: now}
	pa.routes(me, v1.Group("/staff/customers"), idem, cfg.Audit.SelfService())

	notify := v1.Group("/notifications", idem)
	for _, ch := range customer.Channels() {
		notify.POST("/"+string(ch), a.sendNotification(ch))
	}

	if cfg.Outbox != nil {
		v1.GET("/dev/outbox", a.devOutbox)
	}
	return e
}

// principal returns the caller; the routes using it sit behind Require.
func principal(c *gin.Context) authn.Principal {
	p, _ := authn.PrincipalFrom(c)
	return p
}

// fail answers a domain error as problem+json.
func (a *api) fail(c *gin.Context, err error) {
	var ve *customer.ValidationError
	var de *customer.TemplateDataError
	var rl *customer.RateLimitError
	var vm *customer.VerificationError
	switch {
	case errors.As(err, &ve):
		fields := make([]problem.FieldError, len(ve.Fields))
		for i, f := range ve.Fields {
			fields[i] = problem.FieldError{Field: f.Field, Reason: f.Reason}
		}
		problem.Write(c, problem.Validation(fields...))
	case errors.As(err, &de):
		p := problem.Newf(http.StatusUnprocessableEntity, CodeTemplateDataMissing, "template %s needs data %v", de.TemplateID, de.Missing)
		fields := make([]problem.FieldError, len(de.Missing))
		for i, k := range de.Missing {
			fields[i] = problem.FieldError{Field: "data." + k, Reason: "is required by the template"}
		}
		p.Errors = fields
		problem.Write(c, p.With("missing", de.Missing))
	case errors.As(err, &rl):
		p := problem.Newf(http.StatusTooManyRequests, problem.CodeRateLimited, "too many requests (%s limit); retry later", rl.Limit)
		p.RetryAfter = rl.RetryAfter
		problem.Write(c, p.With("limit", rl.Limit))
	case errors.As(err, &vm):
		problem.Write(c, problem.New(http.StatusBadRequest, CodeVerificationCodeInvalid, "the verification code is wrong").With("attemptsLeft", vm.AttemptsLeft))
	case errors.Is(err, customer.ErrUnknownTemplate):
		problem.Write(c, problem.New(http.StatusUnprocessableEntity, CodeTemplateUnknown, "templateId is not on the allow-list").With("templates", a.notifier.Templates().IDs()))
	case errors.Is(err, customer.ErrChannelNotAllowed):
		problem.Write(c, problem.New(http.StatusUnprocessableEntity, CodeTemplateChannel, "this template is not sent on this channel"))
	case errors.Is(err, customer.ErrNoRecipient):
		problem.Write(c, problem.New(http.StatusUnprocessableEntity, CodeRecipientUnreachable, "the user has no verified address on this channel"))
	case errors.Is(err, customer.ErrChannelUnavailable):
		problem.Write(c, problem.New(http.StatusServiceUnavailable, CodeChannelUnavailable, "this channel is not configured"))
	case errors.Is(err, customer.ErrVerificationNotRequested):
		problem.Write(c, problem.New(http.StatusConflict, CodeVerificationNotRequested, "no verification code is pending; request one first"))
	case errors.Is(err, customer.ErrVerificationExpired):
		problem.Write(c, problem.New(http.StatusConflict, CodeVerificationExpired, "the verification code expired; request a new one"))
	case errors.Is(err, customer.ErrVerificationAttempts):
		problem.Write(c, problem.New(http.StatusConflict, CodeVerificationLocked, "too many wrong codes; request a new one"))
	case errors.Is(err, customer.ErrVerificationUsed):
		problem.Write(c, problem.New(http.StatusConflict, CodeVerificationUsed, "the verification code was already used"))
	case errors.Is(err, customer.ErrDeliveryFailed):
		problem.Write(c, problem.New(http.StatusBadGateway, CodeDeliveryFailed, "the channel provider did not accept the message; retry later"))
	case errors.Is(err, customer.ErrConflict):
		problem.Write(c, problem.New(http.StatusConflict, problem.CodeConflict, "the profile changed concurrently; retry"))
	default:
		problem.Error(c, a.log, err)
	}
}

// ---- profile

func (a *api) getMe(c *gin.Context) {
	p := principal(c)
	prof, err := a.svc.Me(c.Request.Context(), p.UserID, p.Email)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toProfileJSON(prof))
}

func (a *api) patchMe(c *gin.Context) {
	switch ct := c.ContentType(); ct {
	case "application/merge-patch+json", "application/json":
	default:
		c.Header("Accept-Patch", "application/merge-patch+json")
		problem.Write(c, problem.Newf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "PATCH takes application/merge-patch+json (RFC 7396), not %q", ct))
		return
	}
	body, err := readBody(c)
	if err != nil {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "", Reason: err.Error()}))
		return
	}
	patch, perr := parsePatch(body)
	if perr != nil {
		problem.Write(c, perr)
		return
	}
	p := principal(c)
	// A patch that does not fit the current profile fails with a *Problem,
	// which fail answers as itself.
	prof, err := a.svc.Patch(c.Request.Context(), p.UserID, p.Email, func(cur customer.Editable) (customer.Editable, error) {
		next, perr := applyPatch(cur, patch)
		if perr != nil {
			return customer.Editable{}, perr
		}
		return next, nil
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toProfileJSON(prof))
}

// ---- verification

type verifyRequest struct {
	Phone string `json:"phone" binding:"required"`
}

func (a *api) requestVerification(c *gin.Context) {
	var req verifyRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	p := principal(c)
	v, err := a.svc.RequestPhoneVerification(c.Request.Context(), p.UserID, p.Email, req.Phone)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"expiresAt": v.ExpiresAt.UTC().Format(time.RFC3339)})
}

type confirmRequest struct {
	Code string `json:"code" binding:"required,len=6,numeric"`
}

func (a *api) confirmVerification(c *gin.Context) {
	var req confirmRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	p := principal(c)
	prof, err := a.svc.ConfirmPhoneVerification(c.Request.Context(), p.UserID, p.Email, req.Code)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toProfileJSON(prof))
}

// ---- notifications

type notificationRequest struct {
	UserID     string            `json:"userId"`
	To         string            `json:"to"`
	TemplateID string            `json:"templateId" binding:"required"`
	Data       map[string]string `json:"data"`
	Language   string            `json:"language" binding:"omitempty,oneof=en de"`
}

func (a *api) sendNotification(ch customer.Channel) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req notificationRequest
		if !problem.BindJSON(c, &req) {
			return
		}
		if (req.UserID == "") == (req.To == "") {
			problem.Write(c, problem.Validation(
				problem.FieldError{Field: "userId", Reason: "exactly one of userId and to is required"},
				problem.FieldError{Field: "to", Reason: "exactly one of userId and to is required"}))
			return
		}
		auditapi.SetCustomer(c, req.UserID)
		if req.UserID != "" {
			if _, err := a.svc.Profile(c.Request.Context(), req.UserID); errors.Is(err, customer.ErrNotFound) {
				problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "no such user"))
				return
			} else if err != nil {
				a.fail(c, err)
				return
			}
		}
		res, err := a.notifier.Send(c.Request.Context(), customer.SendRequest{
			Channel: ch, UserID: req.UserID, To: req.To, TemplateID: req.TemplateID, Language: req.Language, Data: req.Data,
		})
		if errors.Is(err, customer.ErrDeliveryFailed) {
			problem.Write(c, problem.New(http.StatusBadGateway, CodeDeliveryFailed, "the channel provider did not accept the message; it is recorded as failed").
				With("notificationId", res.Notification.ID))
			return
		}
		if err != nil {
			a.fail(c, err)
			return
		}
		a.log.InfoContext(c.Request.Context(), "notification requested", "notification_id", res.Notification.ID,
			"channel", ch, "template", req.TemplateID, "by", principal(c).UserID, "request_id", problem.RequestID(c))
		c.JSON(http.StatusAccepted, gin.H{"notificationId": res.Notification.ID, "status": string(res.Notification.Status)})
	}
}

// ---- development outbox

type outboxJSON struct {
	ID         string `json:"id"`
	Channel    string `json:"channel"`
	To         string `json:"to"`
	TemplateID string `json:"templateId"`
	Language   string `json:"language"`
	Subject    string `json:"subject"`
	Text       string `json:"text"`
	HTML       string `json:"html,omitempty"`
	SentAt     string `json:"sentAt"`
}

func (a *api) devOutbox(c *gin.Context) {
	f := customerchannel.OutboxFilter{To: c.Query("to"), Channel: customer.Channel(c.Query("channel")), Limit: 20}
	var bad []problem.FieldError
	if f.Channel != "" && !f.Channel.Valid() {
		bad = append(bad, problem.FieldError{Field: "channel", Reason: "must be one of email, sms, push"})
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			bad = append(bad, problem.FieldError{Field: "limit", Reason: "must be an integer from 1 to 100"})
		}
		f.Limit = n
	}
	if len(bad) > 0 {
		problem.Write(c, problem.Validation(bad...))
		return
	}
	msgs := a.outbox.Messages(f)
	out := make([]outboxJSON, len(msgs))
	for i, m := range msgs {
		// An SMS or push carries only the short text; an email the full text and HTML.
		o := outboxJSON{
			ID: m.ID, Channel: string(m.Channel), To: m.To, TemplateID: m.TemplateID, Language: m.Language,
			Subject: m.Subject, Text: m.Short, SentAt: m.At.UTC().Format(time.RFC3339Nano),
		}
		if m.Channel == customer.ChannelEmail {
			o.Text, o.HTML = m.Text, m.HTML
		}
		out[i] = o
	}
	c.JSON(http.StatusOK, gin.H{"messages": out})
}

func readBody(c *gin.Context) ([]byte, error) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	b, err := c.GetRawData()
	if err != nil {
		return nil, fmt.Errorf("could not read the body (at most %d bytes)", maxBody)
	}
	return b, nil
}
