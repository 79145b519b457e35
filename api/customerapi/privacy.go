package customerapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/skyfly/skyfly/api/auditapi"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workflows/compliance"
)

// Problem codes of data export and erasure.
const (
	CodeUnknownUser        = "unknown_user"
	CodeExportNotReady     = "export_not_ready"
	CodeExportGone         = "export_gone"
	CodeLinkExpired        = "download_link_expired"
	CodeLinkInvalid        = "download_link_invalid"
	CodeBookingsInFlight   = "bookings_in_flight"
	CodeAlreadyErased      = "already_erased"
	CodeErasureNotPending  = "erasure_not_pending"
	CodeErasureTooLate     = "erasure_too_late"
	CodeStaffNotErasable   = "staff_not_erasable"
	CodeComplianceDisabled = "compliance_unavailable"
)

// linkTTL bounds a signed download link (the file may live longer; a new
// status call signs a new link).
const linkTTL = 15 * time.Minute

// privacyAPI serves export and erasure. It needs the Temporal client to
// start the workflows; without one (a customer process with no Temporal) the
// routes answer 503.
type privacyAPI struct {
	log        *slog.Logger
	p          *customer.Privacy
	tc         client.Client
	exportTTL  time.Duration
	coolingOff time.Duration
	now        func() time.Time
}

// routes mounts export and erasure for customers and staff. self records
// a customer's own export and erasure requests, the download and a
// cancellation in the domain's audit trail (the status reads are not
// recorded); it runs before idem, so a replayed request is recorded too.
func (a *privacyAPI) routes(me, staff *gin.RouterGroup, idem, self gin.HandlerFunc) {
	me.POST("/export", self, idem, a.requestOwnExport)
	me.GET("/exports/:exportId", a.ownExportStatus)
	me.GET("/exports/:exportId/download", self, a.download)
	me.POST("/erasure", self, idem, a.requestOwnErasure)
	me.GET("/erasure", a.ownErasureStatus)
	me.DELETE("/erasure", self, a.cancelOwnErasure)
	// A staff request about a customer names them in its audit entry.
	staff.Use(func(c *gin.Context) { auditapi.SetCustomer(c, c.Param("userId")); c.Next() })
	staff.POST("/:userId/export", idem, a.requestStaffExport)
	staff.GET("/:userId/exports/:exportId", a.staffExportStatus)
	staff.POST("/:userId/erasure", idem, a.requestStaffErasure)
	staff.GET("/:userId/erasure", a.staffErasureStatus)
}

func (a *privacyAPI) ready(c *gin.Context) bool {
	if a.p == nil || a.tc == nil {
		problem.Write(c, problem.New(http.StatusServiceUnavailable, CodeComplianceDisabled, "data export and erasure need the Temporal connection, which this process has not"))
		return false
	}
	return true
}

// exportView is the answer of the export routes.
type exportView struct {
	ExportID     string     `json:"exportId"`
	UserID       string     `json:"userId"`
	Status       string     `json:"status"`
	RequestedBy  string     `json:"requestedBy,omitempty"`
	CreatedAt    time.Time  `json:"createdAt"`
	ExpiresAt    *time.Time `json:"expiresAt,omitempty"`
	DownloadedAt *time.Time `json:"downloadedAt,omitempty"`
	Size         int        `json:"size,omitempty"`
	StatusURL    string     `json:"statusUrl,omitempty"`
	DownloadURL  string     `json:"downloadUrl,omitempty"`
	WorkflowID   string     `json:"workflowId"`
}

func (a *privacyAPI) view(ctx context.Context, f customer.ExportFile, owner bool) (exportView, error) {
	v := exportView{ExportID: f.ID, UserID: f.UserID, Status: f.Status, RequestedBy: f.RequestedBy, CreatedAt: f.CreatedAt, Size: f.Size,
		WorkflowID: compliance.ExportWorkflowID(f.UserID, f.ID)}
	if !f.ExpiresAt.IsZero() {
		v.ExpiresAt = &f.ExpiresAt
	}
	if !f.DownloadedAt.IsZero() {
		v.DownloadedAt = &f.DownloadedAt
	}
	if owner {
		v.StatusURL = "/api/v1/users/me/exports/" + f.ID
		if f.Status == customer.ExportReady && a.now().Before(f.ExpiresAt) {
			exp := a.now().Add(linkTTL)
			if f.ExpiresAt.Before(exp) {
				exp = f.ExpiresAt
			}
			sig, err := a.p.SignLink(ctx, f.ID, f.UserID, exp)
			if err != nil {
				return exportView{}, err
			}
			v.DownloadURL = fmt.Sprintf("/api/v1/users/me/exports/%s/download?expires=%d&sig=%s", url.PathEscape(f.ID), exp.Unix(), sig)
		}
	}
	return v, nil
}

func (a *privacyAPI) requestOwnExport(c *gin.Context) {
	p := principal(c)
	a.requestExport(c, p.UserID, p.UserID, true)
}

func (a *privacyAPI) requestStaffExport(c *gin.Context) {
	a.requestExport(c, c.Param("userId"), principal(c).UserID, false)
}

// requestExport records the export, starts its workflow and waits until the
// workflow knows the user exists (404 unknown_user otherwise).
func (a *privacyAPI) requestExport(c *gin.Context, userID, actor string, owner bool) {
	if !a.ready(c) {
		return
	}
	ctx := c.Request.Context()
	id, err := newExportID()
	if err != nil {
		problem.Error(c, a.log, err)
		return
	}
	f, err := a.p.RequestExport(ctx, id, userID, actor)
	if err != nil {
		problem.Error(c, a.log, err)
		return
	}
	start := a.tc.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: compliance.ExportWorkflowID(userID, id), TaskQueue: queues.BookingSaga,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(queues.AttrCustomerID).ValueSet(userID)),
	}, compliance.ExportWorkflowName, compliance.ExportInput{ExportID: id, UserID: userID, RequestedBy: actor, TTL: a.exportTTL})
	h, err := a.tc.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateID: "accepted", UpdateName: compliance.UpdateAccepted, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	var st compliance.ExportStatus
	if err == nil {
		err = h.Get(ctx, &st)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	v, err := a.view(ctx, f, owner)
	if err != nil {
		problem.Error(c, a.log, err)
		return
	}
	if owner {
		c.Header("Location", v.StatusURL)
	}
	c.JSON(http.StatusAccepted, v)
}

func (a *privacyAPI) ownExportStatus(c *gin.Context) {
	a.exportStatus(c, principal(c).UserID, true)
}

func (a *privacyAPI) staffExportStatus(c *gin.Context) {
	a.exportStatus(c, c.Param("userId"), false)
}

func (a *privacyAPI) exportStatus(c *gin.Context, userID string, owner bool) {
	if !a.ready(c) {
		return
	}
	f, err := a.p.ExportStatus(c.Request.Context(), c.Param("exportId"), userID)
	if err != nil {
		a.fail(c, err)
		return
	}
	v, err := a.view(c.Request.Context(), f, owner)
	if err != nil {
		problem.Error(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// download hands the export file to its owner once, through a signed link
// that expires; the caller's token must be the owner's too.
func (a *privacyAPI) download(c *gin.Context) {
	if !a.ready(c) {
		return
	}
	ctx := c.Request.Context()
	id, userID := c.Param("exportId"), principal(c).UserID
	if _, err := a.p.ExportStatus(ctx, id, userID); err != nil {
		a.fail(c, err) // someone else's export is 404 before the link is looked at
		return
	}
	expires, err := strconv.ParseInt(c.Query("expires"), 10, 64)
	if err != nil || c.Query("sig") == "" {
		problem.Write(c, problem.New(http.StatusBadRequest, CodeLinkInvalid, "the download link needs its expires and sig parameters; take it from the export's status"))
		return
	}
	if err := a.p.VerifyLink(ctx, id, userID, expires, c.Query("sig")); err != nil {
		a.fail(c, err)
		return
	}
	doc, err := a.p.Download(ctx, id, userID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="skyfly-export-%s.json"`, id))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/json", doc)
}

func (a *privacyAPI) requestOwnErasure(c *gin.Context) {
	p := principal(c)
	a.requestErasure(c, p.UserID, p.UserID)
}

func (a *privacyAPI) requestStaffErasure(c *gin.Context) {
	a.requestErasure(c, c.Param("userId"), principal(c).UserID)
}

// requestErasure starts (or joins) the erasure workflow and answers once
// its checks ran: 202 cooling off, or 409 bookings_in_flight /
// already_erased, 404 unknown_user.
func (a *privacyAPI) requestErasure(c *gin.Context, userID, actor string) {
	if !a.ready(c) {
		return
	}
	ctx := c.Request.Context()
	start := a.tc.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: compliance.ErasureWorkflowID(userID), TaskQueue: queues.BookingSaga,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(queues.AttrCustomerID).ValueSet(userID)),
	}, compliance.ErasureWorkflowName, compliance.ErasureInput{UserID: userID, RequestedBy: actor, CoolingOff: a.coolingOff})
	h, err := a.tc.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: compliance.UpdateRequest, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	var st compliance.ErasureStatus
	if err == nil {
		err = h.Get(ctx, &st)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, erasureView(userID, st))
}

type erasureAnswer struct {
	UserID     string `json:"userId"`
	WorkflowID string `json:"workflowId"`
	compliance.ErasureStatus
}

func erasureView(userID string, st compliance.ErasureStatus) erasureAnswer {
	return erasureAnswer{UserID: userID, WorkflowID: compliance.ErasureWorkflowID(userID), ErasureStatus: st}
}

func (a *privacyAPI) ownErasureStatus(c *gin.Context) { a.erasureStatus(c, principal(c).UserID) }

func (a *privacyAPI) staffErasureStatus(c *gin.Context) { a.erasureStatus(c, c.Param("userId")) }

// erasureStatus queries the latest erasure workflow of the user (a closed
// one answers with its result).
func (a *privacyAPI) erasureStatus(c *gin.Context, userID string) {
	if !a.ready(c) {
		return
	}
	ctx := c.Request.Context()
	var st compliance.ErasureStatus
	desc, err := a.tc.DescribeWorkflow(ctx, compliance.ErasureWorkflowID(userID), "")
	if err == nil && desc.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		err = a.tc.GetWorkflow(ctx, compliance.ErasureWorkflowID(userID), "").Get(ctx, &st)
	} else if err == nil {
		var v interface{ Get(any) error }
		if v, err = a.tc.QueryWorkflow(ctx, compliance.ErasureWorkflowID(userID), "", compliance.QueryStatus); err == nil {
			err = v.Get(&st)
		}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		problem.Write(c, problem.New(http.StatusNotFound, CodeErasureNotPending, "no erasure was requested for this user"))
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, erasureView(userID, st))
}

// cancelOwnErasure withdraws a request during its cooling-off period.
func (a *privacyAPI) cancelOwnErasure(c *gin.Context) {
	if !a.ready(c) {
		return
	}
	ctx, userID := c.Request.Context(), principal(c).UserID
	h, err := a.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: compliance.ErasureWorkflowID(userID), UpdateName: compliance.UpdateCancel, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var st compliance.ErasureStatus
	if err == nil {
		err = h.Get(ctx, &st)
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		problem.Write(c, problem.New(http.StatusNotFound, CodeErasureNotPending, "no erasure is pending for this user"))
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, erasureView(userID, st))
}

// fail maps the privacy errors (domain and workflow) to problems.
func (a *privacyAPI) fail(c *gin.Context, err error) {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		switch ae.Type() {
		case compliance.ErrTypeUnknownUser:
			problem.Write(c, problem.New(http.StatusNotFound, CodeUnknownUser, "no such user"))
			return
		case compliance.ErrTypeAlreadyErased:
			problem.Write(c, problem.New(http.StatusConflict, CodeAlreadyErased, "this user was erased already; nothing is left to erase"))
			return
		case compliance.ErrTypeStaffNotErasable:
			problem.Write(c, problem.New(http.StatusUnprocessableEntity, CodeStaffNotErasable, "staff accounts are disabled through staff management, not erased"))
			return
		case compliance.ErrTypeTooLate:
			problem.Write(c, problem.New(http.StatusConflict, CodeErasureTooLate, ae.Error()))
			return
		case compliance.ErrTypeBookingsInFlight:
			p := problem.New(http.StatusConflict, CodeBookingsInFlight, "bookings in flight block erasure until they end; request it again then")
			var blocked []map[string]any
			if ae.HasDetails() {
				_ = ae.Details(&blocked) // without details the list is empty
			}
			problem.Write(c, p.With("bookings", blocked))
			return
		}
	}
	switch {
	case errors.Is(err, customer.ErrNotFound):
		problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "no such export"))
	case errors.Is(err, customer.ErrExportNotReady):
		problem.Write(c, problem.New(http.StatusConflict, CodeExportNotReady, "the export is still being collected; poll its status"))
	case errors.Is(err, customer.ErrExportGone):
		problem.Write(c, problem.New(http.StatusGone, CodeExportGone, "the export was downloaded already or has expired; request a new one"))
	case errors.Is(err, customer.ErrLinkExpired):
		problem.Write(c, problem.New(http.StatusGone, CodeLinkExpired, "the download link expired; take a new one from the export's status"))
	case errors.Is(err, customer.ErrLinkInvalid):
		problem.Write(c, problem.New(http.StatusForbidden, CodeLinkInvalid, "the download link's signature does not match"))
	default:
		problem.Error(c, a.log, err)
	}
}

func newExportID() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("export id: %w", err)
	}
	return "exp_" + hex.EncodeToString(b), nil
}
