package authapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/services/auth"
)

// Stable problem codes of staff access governance.
const (
	CodeLastAdmin       = "last_admin"
	CodeSelfLockout     = "self_lockout"
	CodeSelfApproval    = "self_approval"
	CodeMFAResetExpired = "mfa_reset_expired"
	CodeMFAResetUsed    = "mfa_reset_used"
)

// StaffAccountsPath is where admins manage staff accounts. The routes are
// the auth service's, outside Prefix because they are staff administration,
// not sign-in.
const StaffAccountsPath = "/api/v1/staff/accounts"

// mountGovernance adds the staff account routes (admins) and the owner's
// recovery-code routes. Every change takes a `reason` in its JSON body,
// which the audit log records with the request.
func (h *Handler) mountGovernance(e *gin.Engine) {
	s := e.Group(StaffAccountsPath)
	s.GET("", h.listStaff)
	s.POST("", h.createStaff)
	s.PATCH("/:accountId", h.updateStaff)
	s.POST("/:accountId/mfa-reset", h.requestMFAReset)
	s.POST("/mfa-reset/:requestId/approve", h.approveMFAReset)
	g := e.Group(Prefix)
	g.GET("/corp/recovery-codes", h.recoveryCodesLeft)
	g.POST("/corp/recovery-codes", h.regenerateRecoveryCodes)
}

type staffAccountResponse struct {
	ID                string    `json:"id"`
	Email             string    `json:"email"`
	Roles             []string  `json:"roles"`
	Disabled          bool      `json:"disabled"`
	CreatedAt         time.Time `json:"createdAt"`
	UpdatedAt         time.Time `json:"updatedAt"`
	RecoveryCodesLeft int       `json:"recoveryCodesLeft"`
}

func staffAccount(a auth.StaffAccount) staffAccountResponse {
	roles := a.User.Roles
	if roles == nil {
		roles = []string{}
	}
	return staffAccountResponse{ID: a.User.ID, Email: a.User.Email, Roles: roles, Disabled: a.User.Disabled,
		CreatedAt: a.User.CreatedAt.UTC(), UpdatedAt: a.User.UpdatedAt.UTC(), RecoveryCodesLeft: a.RecoveryCodesLeft}
}

// enrollmentResponse hands a new second factor over once.
type enrollmentResponse struct {
	Account       staffAccountResponse `json:"account"`
	Password      string               `json:"password,omitempty"`
	TOTPSecret    string               `json:"totpSecret"`
	TOTPURI       string               `json:"totpUri"`
	RecoveryCodes []string             `json:"recoveryCodes"`
}

func (h *Handler) listStaff(c *gin.Context) {
	accounts, err := h.svc.ListStaff(c.Request.Context())
	if err != nil {
		h.failGovernance(c, err)
		return
	}
	out := make([]staffAccountResponse, len(accounts))
	for i, a := range accounts {
		out[i] = staffAccount(a)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"accounts": out})
}

type createStaffRequest struct {
	Email  string `json:"email" binding:"required,email,max=320"`
	Role   string `json:"role" binding:"required,oneof=agent supervisor admin"`
	Reason string `json:"reason" binding:"max=1000"`
}

func (h *Handler) createStaff(c *gin.Context) {
	var req createStaffRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	e, err := h.svc.CreateStaffAccount(c.Request.Context(), h.change(c, req.Reason), req.Email, req.Role)
	if err != nil {
		h.failGovernance(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, enrollmentResponse{Account: staffAccount(auth.StaffAccount{User: e.User, RecoveryCodesLeft: len(e.RecoveryCodes)}),
		Password: e.Password, TOTPSecret: e.TOTPSecret, TOTPURI: e.TOTPURI, RecoveryCodes: e.RecoveryCodes})
}

type updateStaffRequest struct {
	Role     *string `json:"role" binding:"omitempty,oneof=agent supervisor admin"`
	Disabled *bool   `json:"disabled"`
	Reason   string  `json:"reason" binding:"max=1000"`
}

func (h *Handler) updateStaff(c *gin.Context) {
	var req updateStaffRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	if req.Role == nil && req.Disabled == nil {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "role", Reason: "give role or disabled"}))
		return
	}
	ctx := c.Request.Context()
	u, err := h.svc.UpdateStaffAccount(ctx, h.change(c, req.Reason), c.Param("accountId"), auth.StaffPatch{Role: req.Role, Disabled: req.Disabled})
	if err != nil {
		h.failGovernance(c, err)
		return
	}
	left, err := h.svc.RecoveryCodesLeft(ctx, u.ID)
	if err != nil {
		h.failGovernance(c, err)
		return
	}
	c.JSON(http.StatusOK, staffAccount(auth.StaffAccount{User: u, RecoveryCodesLeft: left}))
}

type mfaResetRequest struct {
	Reason string `json:"reason" binding:"required,max=1000"`
}

type mfaResetResponse struct {
	RequestID   string    `json:"requestId"`
	AccountID   string    `json:"accountId"`
	RequestedBy string    `json:"requestedBy"`
	Reason      string    `json:"reason"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"createdAt"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

func (h *Handler) requestMFAReset(c *gin.Context) {
	var req mfaResetRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	r, err := h.svc.RequestMFAReset(c.Request.Context(), h.change(c, req.Reason), c.Param("accountId"))
	if err != nil {
		h.failGovernance(c, err)
		return
	}
	c.JSON(http.StatusAccepted, mfaResetResponse{RequestID: r.ID, AccountID: r.UserID, RequestedBy: r.RequestedBy, Reason: r.Reason,
		Status: "pending", CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()})
}

func (h *Handler) approveMFAReset(c *gin.Context) {
	ctx := c.Request.Context()
	e, err := h.svc.ApproveMFAReset(ctx, principal(c).UserID, c.Param("requestId"))
	if err != nil {
		h.failGovernance(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, enrollmentResponse{Account: staffAccount(auth.StaffAccount{User: e.User, RecoveryCodesLeft: len(e.RecoveryCodes)}),
		TOTPSecret: e.TOTPSecret, TOTPURI: e.TOTPURI, RecoveryCodes: e.RecoveryCodes})
}

type recoveryCodesResponse struct {
	Remaining     int      `json:"remaining"`
	RecoveryCodes []string `json:"recoveryCodes,omitempty"`
}

func (h *Handler) recoveryCodesLeft(c *gin.Context) {
	n, err := h.svc.RecoveryCodesLeft(c.Request.Context(), principal(c).UserID)
	if err != nil {
		h.failGovernance(c, err)
		return
	}
	c.JSON(http.StatusOK, recoveryCodesResponse{Remaining: n})
}

func (h *Handler) regenerateRecoveryCodes(c *gin.Context) {
	codes, err := h.svc.RegenerateRecoveryCodes(c.Request.Context(), principal(c).UserID)
	if err != nil {
		h.failGovernance(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, recoveryCodesResponse{Remaining: len(codes), RecoveryCodes: codes})
}

func principal(c *gin.Context) authn.Principal {
	p, _ := authn.PrincipalFrom(c)
	return p
}

func (h *Handler) change(c *gin.Context, reason string) auth.Change {
	return auth.Change{ActorID: principal(c).UserID, Reason: reason}
}

// failGovernance translates the governance errors, then the others as fail
// does.
func (h *Handler) failGovernance(c *gin.Context, err error) {
	switch {
	case errors.Is(err, auth.ErrNotFound):
		problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "no such staff account or MFA reset request"))
	case errors.Is(err, auth.ErrConflict):
		problem.Write(c, problem.New(http.StatusConflict, problem.CodeConflict, "a staff account with this email exists"))
	case errors.Is(err, auth.ErrInvalidRole):
		problem.Write(c, problem.Validation(problem.FieldError{Field: "role", Reason: "must be one of " + strings.Join(auth.StaffRoles(), ", ")}))
	case errors.Is(err, auth.ErrReasonRequired):
		problem.Write(c, problem.Validation(problem.FieldError{Field: "reason", Reason: "is required for role changes, disabling and MFA resets (at most 1000 bytes)"}))
	case errors.Is(err, auth.ErrLastAdmin):
		problem.Write(c, problem.New(http.StatusConflict, CodeLastAdmin, "the change would leave no active admin"))
	case errors.Is(err, auth.ErrSelfLockout):
		problem.Write(c, problem.New(http.StatusConflict, CodeSelfLockout, "an admin cannot disable or demote their own account; ask another admin"))
	case errors.Is(err, auth.ErrSelfApproval):
		problem.Write(c, problem.New(http.StatusForbidden, CodeSelfApproval, "an MFA reset must be approved by an admin who neither requested it nor owns the account"))
	case errors.Is(err, auth.ErrResetExpired):
		problem.Write(c, problem.New(http.StatusConflict, CodeMFAResetExpired, "the MFA reset request expired; request a new one"))
	case errors.Is(err, auth.ErrResetUsed):
		problem.Write(c, problem.New(http.StatusConflict, CodeMFAResetUsed, "the MFA reset request was already approved"))
	default:
		h.fail(c, err)
	}
}
