package flightapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/services/flight"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workflows/disruption"
)

// CodeFlightCancelled answers a request on a cancelled flight.
const CodeFlightCancelled = "flight_cancelled"

type disruptionRequest struct {
	// Kind is CANCELLED or RETIMED.
	Kind string `json:"kind"`
	// NewDeparture and NewArrival are a retime's new times (RFC 3339).
	NewDeparture *time.Time `json:"newDeparture"`
	NewArrival   *time.Time `json:"newArrival"`
	Reason       string     `json:"reason"`
}

type disruptionJSON struct {
	DisruptionID string               `json:"disruptionId"`
	FlightID     string               `json:"flightId"`
	Seq          int                  `json:"seq"`
	Kind         string               `json:"kind"`
	NewDeparture *time.Time           `json:"newDeparture,omitempty"`
	NewArrival   *time.Time           `json:"newArrival,omitempty"`
	Reason       string               `json:"reason"`
	Actor        string               `json:"actor"`
	CreatedAt    time.Time            `json:"createdAt"`
	WorkflowID   string               `json:"workflowId"`
	Progress     *disruption.Progress `json:"progress,omitempty"`
}

func toDisruptionJSON(d flight.Disruption) disruptionJSON {
	id := disruption.WorkflowID(d.FlightID, d.Seq)
	out := disruptionJSON{DisruptionID: id, WorkflowID: id, FlightID: d.FlightID, Seq: d.Seq, Kind: string(d.Kind), Reason: d.Reason, Actor: d.Actor, CreatedAt: d.CreatedAt}
	if d.Kind == flight.DisruptionRetimed {
		dep, arr := d.NewDepartureUTC, d.NewArrivalUTC
		out.NewDeparture, out.NewArrival = &dep, &arr
	}
	return out
}

// disrupt records a flight's cancellation or retime (it stops selling at
// once) and starts the DisruptionWorkflow that rebooks its passengers.
// Repeating the request is idempotent: the same disruption and workflow.
func (a *api) disrupt(c *gin.Context) {
	// A malformed request is the client's error whatever this process runs.
	var req disruptionRequest
	if !problem.BindJSON(c, &req) {
		return
	}
	if a.temporal == nil {
		problem.Write(c, problem.New(http.StatusServiceUnavailable, problem.CodeUnavailable, "disruption handling needs the Temporal client; it is not configured here"))
		return
	}
	p, _ := authn.PrincipalFrom(c)
	dr := flight.DisruptRequest{FlightID: c.Param("flightId"), Kind: flight.DisruptionKind(req.Kind), Reason: req.Reason, Actor: p.UserID}
	if req.NewDeparture != nil {
		dr.NewDepartureUTC = req.NewDeparture.UTC()
	}
	if req.NewArrival != nil {
		dr.NewArrivalUTC = req.NewArrival.UTC()
	}
	ctx := c.Request.Context()
	d, created, err := a.svc.Disrupt(ctx, dr)
	if err != nil {
		a.fail(c, err)
		return
	}
	// Started on every call (a crash between the record and the start is
	// mended by the retry); the workflow id makes it once.
	if err := a.startDisruption(ctx, d); err != nil {
		a.fail(c, err)
		return
	}
	out := toDisruptionJSON(d)
	a.log.InfoContext(ctx, "disruption started", "workflow_id", out.WorkflowID, "created", created, "actor", p.UserID)
	c.Header("Location", "/api/v1/staff/flights/"+d.FlightID+"/disruption")
	status := http.StatusAccepted
	if !created {
		status = http.StatusOK
	}
	c.JSON(status, out)
}

func (a *api) startDisruption(ctx context.Context, d flight.Disruption) error {
	_, err := a.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: disruption.WorkflowID(d.FlightID, d.Seq), TaskQueue: queues.BookingSaga,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, disruption.WorkflowName, disruption.Input{FlightID: d.FlightID, Seq: d.Seq, Kind: string(d.Kind), Reason: d.Reason, Actor: d.Actor, HoldTTL: a.holdTTL})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // it ran (and closed) before: nothing to start again
	}
	if err != nil {
		return fmt.Errorf("start disruption of %s: %w", d.FlightID, err)
	}
	return nil
}

// disruptionStatus answers the disruption in force on a flight with the
// rebooking progress.
func (a *api) disruptionStatus(c *gin.Context) {
	ctx := c.Request.Context()
	d, ok, err := a.svc.Disruption(ctx, c.Param("flightId"))
	if err != nil {
		a.fail(c, err)
		return
	}
	if !ok {
		if _, err := a.svc.Flight(ctx, c.Param("flightId")); err != nil {
			a.fail(c, err)
			return
		}
		problem.Write(c, problem.New(http.StatusNotFound, problem.CodeNotFound, "the flight operates as scheduled"))
		return
	}
	out := toDisruptionJSON(d)
	if a.temporal != nil {
		v, err := a.temporal.QueryWorkflow(ctx, out.WorkflowID, "", disruption.QueryProgress)
		var p disruption.Progress
		if err == nil {
			err = v.Get(&p)
		}
		if err != nil {
			a.log.WarnContext(ctx, "disruption progress unavailable", "workflow_id", out.WorkflowID, "err", err)
		} else {
			out.Progress = &p
		}
	}
	c.JSON(http.StatusOK, out)
}
