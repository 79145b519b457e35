// Package auditapi records every request made with a staff role into the
// domain's audit log (internal/platform/audit) and serves the log to
// auditors. Each domain router installs Record after authn.Authenticate and
// before authn.Authorize, so refusals are recorded too, and mounts Routes.
//
// Recording is fail-closed (the SOC 2 reading): a staff response is held
// back until its entry is appended; when the append fails the caller gets
// 503 audit_unavailable instead of the data, the failure is logged and
// counted. A change the handler already made stays made (the entry cannot
// be written before the outcome is known), so the log line carries the
// request id, actor and route for reconciliation.
package auditapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/audit"
)

// ReasonHeader carries the staff member's reason for an action; a JSON
// body's "reason" field is used when the header is absent.
const ReasonHeader = "X-Skyfly-Reason"

// CodeAuditUnavailable answers a staff request whose audit entry could not
// be written.
const CodeAuditUnavailable = "audit_unavailable"

// RecordedRoles are the roles whose requests are audited, the most
// privileged first (an entry names the first one the actor holds).
var RecordedRoles = []string{authn.RoleAdmin, authn.RoleSupervisor, authn.RoleAgent, authn.RoleAuditor}

// subjectQueryParams are the query parameters that name whose data a
// lookup reads (GET /api/v1/staff/bookings?customerId=…).
var subjectQueryParams = []string{"customerId", "userId", "bookingId", "pnr", "flightId", "paymentId", "subject"}

// Recorder records staff requests of one domain.
type Recorder struct {
	log    audit.Log
	domain string
	logger *slog.Logger
	now    func() time.Time
	// failures counts entries that could not be written.
	failures atomic.Int64
}

// NewRecorder returns a recorder into l for domain. now is the clock (nil:
// time.Now).
func NewRecorder(l audit.Log, domain string, logger *slog.Logger, now func() time.Time) *Recorder {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Recorder{log: l, domain: domain, logger: logger, now: now}
}

// Failures returns how many staff entries could not be written.
func (r *Recorder) Failures() int64 { return r.failures.Load() }

// Log returns the log the recorder writes.
func (r *Recorder) Log() audit.Log { return r.log }

// Domain returns the recorder's domain.
func (r *Recorder) Domain() string { return r.domain }

const (
	customerKey  = "audit.customer"
	resourcesKey = "audit.resources"
	detailsKey   = "audit.details"
	recordingKey = "audit.recording"
)

// SetCustomer names the customer whose data the request touched (a handler
// that resolved it, e.g. a booking's owner). It does nothing for requests
// that are not recorded.
func SetCustomer(c *gin.Context, customerID string) {
	if customerID != "" {
		c.Set(customerKey, customerID)
	}
}

// AddResource names another subject of the request, e.g. ("paymentId", id).
func AddResource(c *gin.Context, name, value string) {
	if value == "" {
		return
	}
	rs := c.GetStringSlice(resourcesKey)
	c.Set(resourcesKey, append(rs, name+"="+value))
}

// SetDetails attaches free text to the request's entry (ids, no PII).
func SetDetails(c *gin.Context, details string) { c.Set(detailsKey, details) }

// Middleware records every request to a matched route made with a recorded
// role, after the handler ran.
//
// A nil Recorder records nothing (routers in unit tests).
func (r *Recorder) Middleware() gin.HandlerFunc {
	if r == nil {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		p, ok := authn.PrincipalFrom(c)
		role := actorRole(p)
		if !ok || role == "" || c.FullPath() == "" {
			c.Next()
			return
		}
		r.serve(c, p, role)
	}
}

// SelfService records a customer's own request on the routes it is added
// to (exports of their data, its download, erasure requests and their
// cancellation: what a data-protection audit asks for). The entry's actor
// and subject are the customer, its role "customer"; it is fail-closed like
// a staff entry. A request the staff Middleware already records is not
// recorded twice. Added per route, it runs after authorization, so a
// customer's refused request is not recorded.
func (r *Recorder) SelfService() gin.HandlerFunc {
	if r == nil {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		p, ok := authn.PrincipalFrom(c)
		if !ok || c.GetBool(recordingKey) || p.UserID == "" {
			c.Next()
			return
		}
		SetCustomer(c, p.UserID)
		r.serve(c, p, authn.RoleCustomer)
	}
}

// serve runs the rest of the chain with the response held back until the
// request's entry is written.
func (r *Recorder) serve(c *gin.Context, p authn.Principal, role string) {
	c.Set(recordingKey, true)
	reason := c.GetHeader(ReasonHeader)
	if reason == "" {
		reason = bodyReason(c)
	}
	w := &heldWriter{ResponseWriter: c.Writer, status: http.StatusOK}
	w.commit = func() bool { return r.record(c, p, role, reason, w.status) }
	c.Writer = w
	defer func() {
		// A panicking handler is recorded as the 500 Recovery answers.
		if rec := recover(); rec != nil {
			c.Writer = w.ResponseWriter
			if !w.recorded {
				w.status = http.StatusInternalServerError
				w.commit()
			}
			panic(rec)
		}
	}()
	c.Next()
	c.Writer = w.ResponseWriter
	if !w.recorded {
		if !w.commit() {
			r.refuse(c)
			return
		}
	}
	w.release()
}

// record appends the request's entry; false when it could not.
func (r *Recorder) record(c *gin.Context, p authn.Principal, role, reason string, status int) bool {
	e := audit.Entry{
		At: r.now(), Actor: p.UserID, ActorRole: role, Action: c.Request.Method + " " + c.FullPath(),
		Domain: r.domain, CustomerID: c.GetString(customerKey), Resources: resources(c),
		Reason: reason, RequestID: problem.RequestID(c), Outcome: audit.OutcomeOf(status), Status: status,
		Details: c.GetString(detailsKey),
	}
	if e.Actor == "" {
		e.Actor = "unknown"
	}
	if _, err := r.log.Append(c.Request.Context(), e); err != nil {
		r.failures.Add(1)
		r.logger.ErrorContext(c.Request.Context(), "staff audit entry not written; the response is withheld",
			"err", err, "domain", r.domain, "actor", e.Actor, "action", e.Action, "request_id", e.RequestID, "status", status)
		return false
	}
	return true
}

func (r *Recorder) refuse(c *gin.Context) {
	for k := range c.Writer.Header() {
		c.Writer.Header().Del(k)
	}
	problem.Write(c, problem.New(http.StatusServiceUnavailable, CodeAuditUnavailable,
		"the audit trail could not record this staff action; try again later"))
}

// actorRole returns the most privileged recorded role of p ("" for none).
func actorRole(p authn.Principal) string {
	for _, r := range RecordedRoles {
		if slices.Contains(p.Roles, r) {
			return r
		}
	}
	return ""
}

// resources lists the path parameters, the subject query parameters and
// what the handler added, as name=value.
func resources(c *gin.Context) []string {
	out := []string{}
	for _, p := range c.Params {
		out = append(out, p.Key+"="+p.Value)
	}
	q := c.Request.URL.Query()
	for _, k := range subjectQueryParams {
		if v := q.Get(k); v != "" {
			out = append(out, k+"="+v)
		}
	}
	for _, r := range c.GetStringSlice(resourcesKey) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// maxReasonBody bounds how much of a JSON body is read for its reason.
const maxReasonBody = 64 << 10

// bodyReason returns the "reason" of a JSON body and puts the body back.
func bodyReason(c *gin.Context) string {
	if c.Request.Body == nil || !strings.HasPrefix(c.ContentType(), "application/") || !strings.Contains(c.ContentType(), "json") {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(c.Request.Body, maxReasonBody))
	rest := c.Request.Body
	c.Request.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(b), rest), Closer: rest}
	if err != nil {
		return ""
	}
	var v struct {
		Reason any `json:"reason"`
	}
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	switch r := v.Reason.(type) {
	case string:
		return r
	case nil:
		return ""
	default:
		out, _ := json.Marshal(r)
		return string(out)
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// heldWriter holds a staff response back until its audit entry is written:
// at the end of the request, or at the first Flush of a stream (the entry
// then records the stream's status).
type heldWriter struct {
	gin.ResponseWriter
	status   int
	wrote    bool
	body     bytes.Buffer
	commit   func() bool
	recorded bool
	dead     bool
}

var errAuditWithheld = errors.New("auditapi: the response is withheld: its audit entry was not written")

func (w *heldWriter) WriteHeader(code int) {
	if !w.wrote && code > 0 {
		w.status = code
	}
}

func (w *heldWriter) WriteHeaderNow() { w.wrote = true }

func (w *heldWriter) Write(b []byte) (int, error) {
	w.wrote = true
	if w.dead {
		return 0, errAuditWithheld
	}
	if w.recorded {
		return w.ResponseWriter.Write(b)
	}
	return w.body.Write(b)
}

func (w *heldWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *heldWriter) Status() int { return w.status }

func (w *heldWriter) Size() int {
	if w.recorded {
		return w.ResponseWriter.Size()
	}
	if !w.wrote {
		return -1
	}
	return w.body.Len()
}

func (w *heldWriter) Written() bool { return w.wrote || w.recorded }

// Flush records the entry before the first byte of a stream leaves.
func (w *heldWriter) Flush() {
	if w.dead {
		return
	}
	if !w.recorded {
		if !w.commit() {
			w.dead = true
			return
		}
		w.release()
	}
	w.ResponseWriter.Flush()
}

func (w *heldWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("auditapi: staff requests cannot be hijacked")
}

// release sends what was held (once the entry is written).
func (w *heldWriter) release() {
	if w.recorded {
		return
	}
	w.recorded = true
	w.ResponseWriter.WriteHeader(w.status)
	if w.body.Len() > 0 {
		_, _ = w.ResponseWriter.Write(w.body.Bytes())
		w.body.Reset()
	} else {
		w.ResponseWriter.WriteHeaderNow()
	}
}

// Routes mounts GET /staff/audit/<domain> on an /api/v1 group: the domain's
// entries for auditors and admins (the policy decides), filtered by
// subject (a customer, booking, flight or payment id) and actor, paged by
// seq.
func (r *Recorder) Routes(v1 *gin.RouterGroup) {
	if r == nil {
		return
	}
	v1.GET("/staff/audit/"+r.domain, r.list)
}

// Path returns the auditor route of domain.
func Path(domain string) string { return "/api/v1/staff/audit/" + domain }

type entryJSON struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	ActorRole  string    `json:"actorRole"`
	Action     string    `json:"action"`
	Domain     string    `json:"domain"`
	CustomerID string    `json:"customerId,omitempty"`
	Resources  []string  `json:"resources"`
	Reason     string    `json:"reason,omitempty"`
	RequestID  string    `json:"requestId,omitempty"`
	Outcome    string    `json:"outcome"`
	Status     int       `json:"status"`
	Details    string    `json:"details,omitempty"`
	PrevHash   string    `json:"prevHash"`
	Hash       string    `json:"hash"`
}

func (r *Recorder) list(c *gin.Context) {
	q := audit.Query{Subject: c.Query("subject"), Actor: c.Query("actor")}
	var fields []problem.FieldError
	if s := c.Query("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			fields = append(fields, problem.FieldError{Field: "after", Reason: "must be a non-negative integer (a seq)"})
		}
		q.AfterSeq = n
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			fields = append(fields, problem.FieldError{Field: "limit", Reason: "must be an integer from 1 to 1000"})
		}
		q.Limit = n
	}
	if q.Subject == "" && q.Actor == "" {
		fields = append(fields, problem.FieldError{Field: "subject", Reason: "subject or actor is required"})
	}
	if len(fields) > 0 {
		problem.Write(c, problem.Validation(fields...))
		return
	}
	if q.Limit == 0 {
		q.Limit = 100
	}
	entries, err := r.log.Find(c.Request.Context(), q)
	if err != nil {
		problem.Error(c, r.logger, err)
		return
	}
	out := make([]entryJSON, len(entries))
	for i, e := range entries {
		out[i] = entryJSON(e)
	}
	var next *int64
	if len(entries) == q.Limit {
		next = &entries[len(entries)-1].Seq
	}
	c.JSON(http.StatusOK, gin.H{"domain": r.domain, "entries": out, "nextAfter": next})
}
