package paymentapi

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

type challengeView struct {
	PaymentID string
	Amount    string
	Brand     string
	Last4     string
	Pending   bool
	Outcome   string
}

// challengePage shows the sandbox's 3-D Secure page with Approve and Fail.
func (h *handler) challengePage(c *gin.Context) {
	ch, ok := h.challenge(c)
	if !ok {
		return
	}
	h.render(c, http.StatusOK, view(ch))
}

// challengeSubmit records the answer; the sandbox then delivers a signed
// webhook that moves the intent.
func (h *handler) challengeSubmit(c *gin.Context) {
	if _, ok := h.challenge(c); !ok {
		return
	}
	outcome := c.PostForm("outcome")
	if outcome != "approve" && outcome != "fail" {
		problem.Write(c, problem.Validation(problem.FieldError{Field: "outcome", Reason: "must be one of approve fail"}))
		return
	}
	ch, err := h.sandbox.CompleteChallenge(c.Request.Context(), c.Param("paymentId"), outcome == "approve")
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, view(ch))
}

func (h *handler) challenge(c *gin.Context) (sandbox.Charge, bool) {
	if h.sandbox == nil {
		problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "the sandbox provider is not enabled"))
		return sandbox.Charge{}, false
	}
	ch, err := h.sandbox.Challenge(c.Request.Context(), c.Param("paymentId"))
	if err == nil && ch.Token != sandbox.TokenThreeDSecureRequired {
		err = payment.ErrNotFound
	}
	if errors.Is(err, payment.ErrNotFound) {
		problem.Write(c, problem.Newf(http.StatusNotFound, problem.CodeNotFound, "payment %s has no 3-D Secure challenge", c.Param("paymentId")))
		return sandbox.Charge{}, false
	}
	if err != nil {
		problem.Error(c, h.log, err)
		return sandbox.Charge{}, false
	}
	return ch, true
}

func view(ch sandbox.Charge) challengeView {
	v := challengeView{PaymentID: ch.PaymentID, Amount: ch.Amount.String(), Brand: ch.Brand, Last4: ch.Last4, Pending: ch.Status == sandbox.ChargeRequiresAction}
	switch ch.Status {
	case sandbox.ChargeDeclined, sandbox.ChargeCanceled:
		v.Outcome = "Authentication failed. The payment was not authorized."
	default:
		v.Outcome = "Authentication complete. You can close this window and return to SkyFly."
	}
	return v
}

func (h *handler) render(c *gin.Context, status int, v challengeView) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	c.Status(status)
	if err := h.page.Execute(c.Writer, v); err != nil {
		h.log.ErrorContext(c.Request.Context(), "render challenge page", "err", err)
	}
}

const challengeHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SkyFly sandbox · 3-D Secure</title>
<style>
body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}
.card{border:1px solid #d0d7de;border-radius:12px;padding:1.5rem}
h1{font-size:1.2rem;margin-top:0}
.row{display:flex;gap:.75rem;margin-top:1.5rem}
button{flex:1;padding:.75rem;border-radius:8px;border:0;font-size:1rem;cursor:pointer}
.ok{background:#1f883d;color:#fff}.ko{background:#cf222e;color:#fff}
small{color:#57606a}
</style>
</head>
<body>
<div class="card">
<h1>Sandbox bank · verify your payment</h1>
<p>Payment <code>{{.PaymentID}}</code><br>Amount <strong>{{.Amount}}</strong><br>Card {{.Brand}} •••• {{.Last4}}</p>
{{if .Pending}}
<form method="post">
<div class="row">
<button class="ok" type="submit" name="outcome" value="approve">Approve</button>
<button class="ko" type="submit" name="outcome" value="fail">Fail</button>
</div>
</form>
<p><small>This page is served by SkyFly's sandbox provider. No real bank is involved.</small></p>
{{else}}
<p>{{.Outcome}}</p>
{{end}}
</div>
</body>
</html>
`
