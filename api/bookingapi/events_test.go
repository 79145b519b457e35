package bookingapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/services/booking"
)

// sse is one Server-Sent Event as a client parses it.
type sse struct {
	ID    int
	Event string
	Data  eventView
}

// stream opens a booking's event stream and sends what arrives on the
// returned channel, closed when the server ends the stream.
func (e *e2e) stream(t *testing.T, ctx context.Context, token, bookingID, lastEventID string) (int, <-chan sse) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/api/v1/bookings/"+bookingID+"/events", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	out := make(chan sse, 64)
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		close(out)
		return res.StatusCode, out
	}
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var cur sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				cur.ID, _ = strconv.Atoi(strings.TrimPrefix(line, "id: "))
			case strings.HasPrefix(line, "event: "):
				cur.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.Data)
			case line == "" && cur.Event != "":
				out <- cur
				cur = sse{}
			}
		}
	}()
	return res.StatusCode, out
}

// TestAPI_BookingEvents_StreamsProgressInOrderAndResumes follows a real
// booking on a dev server through its live progress stream: every
// transition in order from reserve to confirmed and then cancelled, the
// stream ending at the terminal status, a reconnect with Last-Event-ID
// getting only what followed, and nobody else's stream.
func TestAPI_BookingEvents_StreamsProgressInOrderAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: -short: needs a dev server")
	}
	e := newE2E(t)
	ada, bob := e.token("cust-sse-ada", authn.RoleCustomer), e.token("cust-sse-bob", authn.RoleCustomer)
	b := e.reserve(ada, "sse-reserve")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	code, events := e.stream(t, ctx, ada, b.BookingID, "")
	require.Equal(t, http.StatusOK, code)
	next := func(want string) sse {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				require.True(t, ok, "the stream ended before %s", want)
				if ev.Event == want {
					return ev
				}
			case <-ctx.Done():
				t.Fatalf("no %s event", want)
			}
		}
	}
	reserved := next(booking.EventReserved)
	require.Equal(t, b.BookingID, reserved.Data.Data.BookingID)
	require.Equal(t, booking.StatusHeld, reserved.Data.Data.Status)

	require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/confirm", ada, "sse-confirm",
		map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, nil))
	confirmed := next(booking.EventConfirmed)
	require.Greater(t, confirmed.ID, reserved.ID, "events arrive in history order")
	require.Equal(t, b.BookingID+"/"+strconv.Itoa(confirmed.ID), confirmed.Data.ID, "the event id is the booking and its sequence")

	var q cancelQuoteView
	require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/cancel", ada, "sse-cq", map[string]any{}, &q))
	require.Equal(t, http.StatusAccepted, e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/cancel", ada, "sse-cq-go", map[string]any{"quoteId": q.QuoteID}, nil))
	cancelled := next(booking.EventCancelled)
	require.Equal(t, booking.StatusCancelled, cancelled.Data.Data.Status)
	_, open := <-events
	require.False(t, open, "the stream ends after a terminal status")

	t.Run("a reconnect with Last-Event-ID gets only what followed, in order", func(t *testing.T) {
		code, again := e.stream(t, ctx, ada, b.BookingID, strconv.Itoa(confirmed.ID))
		require.Equal(t, http.StatusOK, code)
		var got []sse
		for ev := range again {
			got = append(got, ev)
		}
		require.NotEmpty(t, got)
		require.Equal(t, confirmed.ID+1, got[0].ID)
		for i := 1; i < len(got); i++ {
			require.Equal(t, got[i-1].ID+1, got[i].ID, "no gap, no repeat")
		}
		require.Equal(t, booking.EventCancelled, got[len(got)-1].Event)
	})

	t.Run("another customer's stream is 404, a bad Last-Event-ID 400", func(t *testing.T) {
		code, _ := e.stream(t, ctx, bob, b.BookingID, "")
		require.Equal(t, http.StatusNotFound, code)
		code, _ = e.stream(t, ctx, ada, b.BookingID, "yesterday")
		require.Equal(t, http.StatusBadRequest, code)
	})
}
