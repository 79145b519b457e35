package bookingapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/services/booking"
)

// Live progress stream timings (StreamConfig's defaults).
const (
	defaultStreamPoll      = 250 * time.Millisecond
	defaultStreamHeartbeat = 15 * time.Second
	defaultStreamMax       = 10 * time.Minute
)

// eventView is one Server-Sent Event of a booking's progress: the booking
// domain event as published on skyfly.booking.v1.
type eventView struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	OccurredAt time.Time         `json:"occurredAt"`
	Data       booking.EventData `json:"data"`
}

// terminal statuses end the stream: nothing follows them.
func terminal(s booking.Status) bool {
	return s == booking.StatusCancelled || s == booking.StatusExpired || s == booking.StatusFailed
}

// events streams a booking's progress as Server-Sent Events: every history
// entry (reserved, payment pending, confirmed, cancelled, ...) in order, one
// event per entry with its sequence as the SSE id, so a client that
// reconnects with Last-Event-ID (or ?after=) resumes after it. Heartbeats
// keep proxies from closing an idle stream; the stream ends after a terminal
// status or after its maximum duration (the client reconnects).
func (a *api) events(c *gin.Context) {
	after := -1
	for _, v := range []string{c.GetHeader("Last-Event-ID"), c.Query("after")} {
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			problem.Write(c, problem.Validation(problem.FieldError{Field: "Last-Event-ID", Reason: "must be the id of an event this stream sent"}))
			return
		}
		after = n
		break
	}
	b, ok := a.load(c, "booking.read")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	w := c.Writer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no") // no proxy buffering
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, "retry: %d\n\n", 2000)
	w.Flush()

	poll := time.NewTicker(a.stream.Poll)
	defer poll.Stop()
	heartbeat := time.NewTicker(a.stream.Heartbeat)
	defer heartbeat.Stop()
	deadline := time.NewTimer(a.stream.Max)
	defer deadline.Stop()
	for {
		for _, e := range booking.EventsFrom(b, after+1) {
			raw, err := json.Marshal(eventView{ID: e.ID, Type: e.Type, OccurredAt: e.At, Data: e.Data})
			if err != nil {
				a.log.Error("booking events: encode", "booking_id", b.ID, "err", err)
				return
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Data.Sequence, e.Type, raw); err != nil {
				return // the client went away
			}
			after = e.Data.Sequence
		}
		w.Flush()
		if terminal(b.Status) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
			w.Flush()
			continue
		case <-poll.C:
		}
		next, err := a.svc.Get(ctx, b.ID)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("booking events: reload", "booking_id", b.ID, "err", err)
			}
			return
		}
		b = next
	}
}
