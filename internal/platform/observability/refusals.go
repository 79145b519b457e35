package observability

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Login flows a refusal is counted under.
const (
	FlowCustomer = "customer"
	FlowStaff    = "staff"
)

// Reasons a login is refused for (the reason label of
// skyfly_login_refusals_total).
const (
	RefusedIdentityRejected   = "identity_rejected"
	RefusedInvalidState       = "invalid_state"
	RefusedThrottled          = "throttled"
	RefusedInvalidCredentials = "invalid_credentials"
	RefusedInvalidFlow        = "login_flow_invalid"
	RefusedInvalidCode        = "invalid_code"
	RefusedAccountDisabled    = "account_disabled"
	RefusedLoginHint          = "login_hint_refused"
	RefusedProviderDown       = "provider_unavailable"
)

// Refusal is one refused login. Detail is the reason the identity provider
// or the check gave; it must never carry tokens, codes or passwords.
type Refusal struct {
	Flow, Reason string
	RequestID    string
	Detail       string
}

// LoginRefusals logs each refused login once at warn ("login refused") and
// counts it in skyfly_login_refusals_total{flow,reason}, so an operator can
// see why customers or staff cannot sign in (issue #17).
type LoginRefusals struct {
	log     *slog.Logger
	counter *prometheus.CounterVec
}

// NewLoginRefusals registers skyfly_login_refusals_total on reg. A nil log
// discards the log lines.
func NewLoginRefusals(log *slog.Logger, reg prometheus.Registerer) (*LoginRefusals, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skyfly_login_refusals_total", Help: "Refused customer and staff logins by flow and reason.",
	}, []string{"flow", "reason"})
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("observability: register login refusals: %w", err)
	}
	return &LoginRefusals{log: log, counter: c}, nil
}

// Refused logs and counts one refused login. A nil receiver does nothing,
// so handlers built without it (tests) need no checks.
func (l *LoginRefusals) Refused(ctx context.Context, r Refusal) {
	if l == nil {
		return
	}
	l.counter.WithLabelValues(r.Flow, r.Reason).Inc()
	l.log.LogAttrs(ctx, slog.LevelWarn, "login refused",
		slog.String("flow", r.Flow),
		slog.String("reason", r.Reason),
		slog.String("request_id", r.RequestID),
		slog.String("detail", r.Detail),
	)
}
