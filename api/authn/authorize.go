package authn

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/internal/platform/policy"
)

// Authorize asks the policy about the matched route (its template, e.g.
// /api/v1/bookings/:bookingId) for the request's principal, after
// Authenticate. layer names the asker in the decision log: "gateway" or the
// domain. A route the policy does not know is refused; a request that
// matched no route passes on to Gin's 404.
func Authorize(e *policy.Engine, layer string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.FullPath() == "" {
			c.Next()
			return
		}
		d := e.Decide(c.Request.Context(), request(c, layer))
		if !d.Allow {
			refuse(c, d)
			return
		}
		c.Next()
	}
}

// Allowed asks the policy whether the request's principal may do action on
// resource and, when not, writes the refusal (401, 403 or 404 as the policy
// says) and returns false.
func Allowed(c *gin.Context, e *policy.Engine, layer, action string, resource policy.Resource) bool {
	r := request(c, layer)
	r.Action, r.Resource = action, resource
	d := e.Decide(c.Request.Context(), r)
	if !d.Allow {
		refuse(c, d)
	}
	return d.Allow
}

// May asks like Allowed but writes no refusal and no decision-log line: for
// decisions that narrow what a caller sees rather than refuse it (a
// customer's list is their own).
func May(c *gin.Context, e *policy.Engine, layer, action string) bool {
	r := request(c, layer)
	r.Action, r.Quiet = action, true
	return e.Decide(c.Request.Context(), r).Allow
}

// request is the policy question about c's route from c's principal.
func request(c *gin.Context, layer string) policy.Request {
	p, _ := PrincipalFrom(c)
	return policy.Request{
		Layer: layer, RequestID: c.GetHeader(problem.RequestIDHeader),
		Method: c.Request.Method, Route: c.FullPath(),
		Subject: policy.Subject{ID: p.UserID, Roles: p.Roles},
	}
}

func refuse(c *gin.Context, d policy.Decision) {
	if d.Status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", "Bearer")
	}
	problem.Write(c, problem.New(d.Status, d.Code, d.Reason))
}
