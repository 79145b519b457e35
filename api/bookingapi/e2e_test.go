package bookingapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/proto"

	"github.com/skyfly/skyfly/activities/flightact"
	"github.com/skyfly/skyfly/activities/paymentact"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/idempotency"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/temporal/codec"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/workers"
	"github.com/skyfly/skyfly/workflows/sagatest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopTemporal()
	os.Exit(code)
}

// e2e is the booking API on a real Temporal dev server, with workers on
// every task queue running the sagas over the fake airline of sagatest and
// the real booking database.
type e2e struct {
	t        *testing.T
	srv      *httptest.Server
	tc       client.Client
	world    *sagatest.World
	priv     ed25519.PrivateKey
	record   bool
	mu       sync.Mutex
	workers  map[string]worker.Worker
	register func(q string) func(worker.Registry)
}

const (
	issuer   = "https://auth.test"
	audience = "skyfly"
	kid      = "k1"
)

func newE2E(t *testing.T) *e2e {
	srv := testenv.TemporalServer(t)
	ctx := context.Background()
	record := testenv.RecordHistories() // histories written unencrypted into workflows/testdata (T1)
	dc := converter.GetDefaultDataConverter()
	if !record {
		kr, err := secrets.NewKeyring(filepath.Join(t.TempDir(), "keyring.json"), time.Now)
		require.NoError(t, err)
		dc, err = codec.NewDataConverter(kr)
		require.NoError(t, err)
	}
	tc, err := client.DialContext(ctx, client.Options{HostPort: srv.Address, Namespace: srv.Namespace, DataConverter: dc,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	t.Cleanup(tc.Close)

	world := sagatest.NewWorld(t, 40)
	idb, err := sqldb.Open(ctx, sqldb.Config{DSN: testenv.SQLiteDSN(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = idb.Close() })
	require.NoError(t, idempotency.Migrate(ctx, idb))

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	verifier := authn.NewVerifier(authn.VerifierConfig{Keys: authn.StaticKeys{kid: pub}, Issuer: issuer, Audience: audience})
	h := NewRouter(Config{Log: slog.New(slog.DiscardHandler), Service: world.Service(), Temporal: tc, Verifier: verifier,
		Idempotency: idempotency.NewGormStore(idb), HoldTTL: time.Minute, StaffHoldTTL: 4 * time.Second})
	e := &e2e{t: t, srv: httptest.NewServer(h), tc: tc, world: world, priv: priv, record: record, workers: map[string]worker.Worker{}}
	t.Cleanup(e.srv.Close)
	e.register = func(q string) func(worker.Registry) {
		return func(r worker.Registry) {
			world.Register(r)
			if q == queues.BookingSaga {
				workers.RegisterWorkflows(r)
			}
		}
	}
	for _, q := range []string{queues.BookingSaga, queues.Flight, queues.Payment, queues.Customer} {
		e.startWorker(q)
	}
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, w := range e.workers {
			w.Stop()
		}
	})
	return e
}

func (e *e2e) startWorker(q string) {
	w := workers.New(e.tc, q, e.register(q), workers.Options{})
	require.NoError(e.t, w.Start())
	e.mu.Lock()
	e.workers[q] = w
	e.mu.Unlock()
}

func (e *e2e) token(user string, roles ...string) string {
	tok, err := authn.Sign(e.priv, kid, authn.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{audience}, Subject: user,
			IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))},
		SessionID: "s-" + user, Roles: roles,
	})
	require.NoError(e.t, err)
	return tok
}

// do sends a request and decodes the JSON answer into out (may be nil).
func (e *e2e) do(method, path, token, key string, body any, out any) int {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(idempotency.Header, key)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	if out != nil && len(raw) > 0 {
		require.NoError(e.t, json.Unmarshal(raw, out), "%s %s answered %d %s", method, path, res.StatusCode, raw)
	}
	return res.StatusCode
}

var adaPassengers = []booking.Passenger{{Type: booking.Adult, Title: "MS", GivenName: "Ada", FamilyName: "Lovelace", DateOfBirth: "1990-05-01", Gender: "F",
	Document: &booking.Document{Type: "PASSPORT", Number: "X1234567", IssuingCountry: "GB", Nationality: "GB", ExpiryDate: testdate.YearsFrom(testdate.Today(), 5)}}}

const (
	piiEmail = "ada.secret@example.com"
	piiPhone = "+447700900999"
	piiDoc   = "X1234567"
)

func reserveBody() map[string]any {
	return map[string]any{"quoteId": "q1", "passengers": adaPassengers, "contact": map[string]string{"email": piiEmail, "phone": piiPhone}}
}

func (e *e2e) reserve(token, key string) bookingView {
	var v bookingView
	code := e.do(http.MethodPost, "/api/v1/bookings/reserve", token, key, reserveBody(), &v)
	require.Equal(e.t, http.StatusCreated, code, "reserve")
	return v
}

func (e *e2e) eventually(token, id string, want booking.Status) bookingView {
	var v bookingView
	require.Eventually(e.t, func() bool {
		v = bookingView{}
		return e.do(http.MethodGet, "/api/v1/bookings/"+id, token, "", nil, &v) == http.StatusOK && v.Status == want
	}, 30*time.Second, 100*time.Millisecond, "booking %s never became %s (last %s)", id, want, v.Status)
	return v
}

// TestAPI_EndToEnd_DevServer books, confirms, cancels, changes, declines,
// expires and finishes a 3-D Secure payment through the HTTP API on a real
// Temporal dev server; then checks every workflow's history for plaintext
// PII (T12) and measures payload and history sizes (T11).
func TestAPI_EndToEnd_DevServer(t *testing.T) {
	e := newE2E(t)
	ada := e.token("cust-ada", authn.RoleCustomer)
	bob := e.token("cust-bob", authn.RoleCustomer)
	agent := e.token("agent-1", authn.RoleAgent)
	var workflowIDs, names []string
	track := func(name, id string) { names = append(names, name); workflowIDs = append(workflowIDs, id) }
	seats0 := e.world.Seats()

	t.Run("I5: reserve twice with one Idempotency-Key gives one booking", func(t *testing.T) {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		views := make([]bookingView, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = e.do(http.MethodPost, "/api/v1/bookings/reserve", ada, "dup-key", reserveBody(), &views[i])
			}()
		}
		wg.Wait()
		again := e.reserve(ada, "dup-key")
		for i, c := range codes {
			require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, c, "request %d", i)
		}
		require.Equal(t, booking.StatusHeld, again.Status)
		require.True(t, booking.ValidPNR(again.PNR))
		page, err := e.world.Service().List(context.Background(), booking.ListFilter{CustomerID: "cust-ada"})
		require.NoError(t, err)
		require.Len(t, page.Bookings, 1, "one booking for one key")
		require.Equal(t, seats0-1, e.world.Seats(), "one hold")
		require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/bookings/"+again.BookingID+"/confirm", ada, "dup-confirm",
			map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, nil))
	})

	var happy bookingView
	t.Run("reserve → confirm with tok_visa → CONFIRMED with tickets", func(t *testing.T) {
		happy = e.reserve(ada, "happy")
		require.Equal(t, booking.StatusHeld, happy.Status)
		require.NotNil(t, happy.HoldExpiresAt)
		var v bookingView
		code := e.do(http.MethodPost, "/api/v1/bookings/"+happy.BookingID+"/confirm", ada, "happy-confirm",
			map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, &v)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, booking.StatusConfirmed, v.Status)
		require.Len(t, v.Tickets, 1)
		require.True(t, booking.ValidTicketNumber(v.Tickets[0].Number, "999"))
		track("booking_happy_confirmed", queues.BookingWorkflowID(happy.BookingID))
	})

	t.Run("A5: another customer gets 404, staff see it, lists are scoped", func(t *testing.T) {
		require.Equal(t, http.StatusNotFound, e.do(http.MethodGet, "/api/v1/bookings/"+happy.BookingID, bob, "", nil, nil))
		require.Equal(t, http.StatusNotFound, e.do(http.MethodPost, "/api/v1/bookings/"+happy.BookingID+"/cancel", bob, "bob-cancel", map[string]any{}, nil))
		require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/bookings/"+happy.BookingID, agent, "", nil, nil))
		var l listView
		require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/bookings", bob, "", nil, &l))
		require.Empty(t, l.Bookings)
		require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/bookings?pnr="+happy.PNR, agent, "", nil, &l))
		require.Len(t, l.Bookings, 1)
	})

	t.Run("cancel: quote, then 202 CANCELLING, then CANCELLED with the refund", func(t *testing.T) {
		var q cancelQuoteView
		require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/bookings/"+happy.BookingID+"/cancel", ada, "cq", map[string]any{}, &q))
		require.Equal(t, int64(45990-5000), q.Refund.Amount)
		var v bookingView
		require.Equal(t, http.StatusAccepted, e.do(http.MethodPost, "/api/v1/bookings/"+happy.BookingID+"/cancel", ada, "cq-go", map[string]any{"quoteId": q.QuoteID}, &v))
		require.Contains(t, []booking.Status{booking.StatusCancelling, booking.StatusCancelled}, v.Status)
		done := e.eventually(ada, happy.BookingID, booking.StatusCancelled)
		require.Equal(t, int64(40990), done.Payments[0].Refunded.Amount)
		track("cancel_refunded", queues.CancelWorkflowID(happy.BookingID))
	})

	t.Run("declined card: 402 and the booking stays HELD, then EXPIRED with seats back", func(t *testing.T) {
		before := e.world.Seats()
		b := e.reserve(agent, "declined")
		var p map[string]any
		code := e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/confirm", agent, "declined-confirm",
			map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_decline"}}, &p)
		require.Equal(t, http.StatusPaymentRequired, code)
		require.Equal(t, "payment_declined", p["code"])
		var v bookingView
		require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/bookings/"+b.BookingID, agent, "", nil, &v))
		require.Equal(t, booking.StatusHeld, v.Status)
		e.eventually(agent, b.BookingID, booking.StatusExpired)
		require.Equal(t, before, e.world.Seats(), "seats back on sale")
		track("booking_declined_then_expired", queues.BookingWorkflowID(b.BookingID))
	})

	t.Run("3-D Secure: PAYMENT_PENDING with nextAction, then the payment-event signal confirms", func(t *testing.T) {
		b := e.reserve(ada, "3ds")
		var v bookingView
		require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/confirm", ada, "3ds-confirm",
			map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_3ds"}}, &v))
		require.Equal(t, booking.StatusPaymentPending, v.Status)
		require.NotNil(t, v.NextAction)
		pid := v.Payments[len(v.Payments)-1].PaymentID
		e.world.Complete3DS(pid, true)
		require.NoError(t, e.tc.SignalWorkflow(context.Background(), queues.BookingWorkflowID(b.BookingID), "", paymentact.SignalPaymentEvent,
			paymentact.PaymentEvent{EventID: "ev-3ds", PaymentID: pid, BookingID: b.BookingID, Type: "payment.authorized", Status: "authorized"}))
		e.eventually(ada, b.BookingID, booking.StatusConfirmed)
		track("booking_3ds_confirmed", queues.BookingWorkflowID(b.BookingID))
	})

	t.Run("change: quote with the fare difference and penalty, then 202, then CONFIRMED on the new flight", func(t *testing.T) {
		b := e.reserve(ada, "change")
		require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/confirm", ada, "change-confirm",
			map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, nil))
		var q changeQuoteView
		require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/change", ada, "change-q",
			map[string]any{"fareId": "Y-STD", "flightIds": []string{e.world.FlightID("SF102")}}, &q))
		require.Equal(t, int64(5000+3000), q.Due.Amount)
		// A second quote of the same itinerary, accepted after the first.
		var q2 changeQuoteView
		require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/change", ada, "change-q2",
			map[string]any{"fareId": "Y-STD", "flightIds": []string{e.world.FlightID("SF104")}}, &q2))
		var v bookingView
		require.Equal(t, http.StatusAccepted, e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/change", ada, "change-go",
			map[string]any{"quoteId": q.QuoteID, "payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, &v))
		done := e.eventually(ada, b.BookingID, booking.StatusConfirmed)
		require.Eventually(t, func() bool {
			var x bookingView
			e.do(http.MethodGet, "/api/v1/bookings/"+b.BookingID, ada, "", nil, &x)
			return len(x.Itinerary.Segments) == 1 && x.Itinerary.Segments[0].FlightID == e.world.FlightID("SF102")
		}, 30*time.Second, 100*time.Millisecond)
		require.NotEmpty(t, done.Tickets)

		// The second quote rests on the itinerary the first change replaced:
		// accepting it is refused and changes nothing.
		var p map[string]any
		code := e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/change", ada, "change-go2",
			map[string]any{"quoteId": q2.QuoteID, "payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, &p)
		require.Equal(t, http.StatusConflict, code, "got %d %v, want 409", code, p)
		require.Equal(t, CodeBookingNotChangeable, p["code"])
		var after bookingView
		require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/bookings/"+b.BookingID, ada, "", nil, &after))
		require.Equal(t, booking.StatusConfirmed, after.Status)
		require.Equal(t, e.world.FlightID("SF102"), after.Itinerary.Segments[0].FlightID, "the first change stands")
		track("booking_before_change", queues.BookingWorkflowID(b.BookingID))
		track("change_charged_confirmed", queues.ChangeWorkflowID(b.BookingID, q.QuoteID))
	})

	t.Run("a failed commit compensates: refund, release, FAILED", func(t *testing.T) {
		id := bookingID("cust-ada", "commit-fails")
		e.world.SetFault("CommitHold", sagatest.Fault{NonRetryable: true, Match: func(in any, _ map[string]int) bool {
			c, ok := in.(flightact.CommitHoldInput)
			return ok && c.HoldID == id
		}})
		b := e.reserve(ada, "commit-fails")
		var p map[string]any
		code := e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/confirm", ada, "commit-fails-confirm",
			map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, &p)
		require.Equal(t, http.StatusConflict, code)
		require.Equal(t, CodeBookingFailed, p["code"])
		e.eventually(ada, b.BookingID, booking.StatusFailed)
		e.world.ClearFault("CommitHold")
		track("booking_commit_failed_compensated", queues.BookingWorkflowID(b.BookingID))
	})

	t.Run("T3: the worker dies after the hold committed, before reporting; a new worker finishes", func(t *testing.T) {
		id := bookingID("cust-ada", "t3")
		holds0, seats0 := e.world.Holds()
		var once sync.Once
		e.world.SetAfterHold(func(ctx context.Context, holdID string) {
			if holdID != id {
				return
			}
			once.Do(func() {
				// Die: stop the flight worker (its pollers and this
				// activity's context); the result is never reported.
				e.mu.Lock()
				w := e.workers[queues.Flight]
				e.mu.Unlock()
				go w.Stop()
				<-ctx.Done()
				go e.startWorker(queues.Flight)
			})
		})
		defer e.world.SetAfterHold(nil)
		b := e.reserve(ada, "t3")
		require.Equal(t, booking.StatusHeld, b.Status)
		holds1, seats1 := e.world.Holds()
		require.Equal(t, holds0+1, holds1, "one hold row")
		require.Equal(t, seats0+1, seats1, "seats decremented once")
		require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/confirm", ada, "t3-confirm",
			map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, nil))
		e.eventually(ada, b.BookingID, booking.StatusConfirmed)
		track("booking_worker_killed_confirmed", queues.BookingWorkflowID(b.BookingID))
	})

	t.Run("T9: cancelling the workflow while the authorization is in flight voids it and releases the seats", func(t *testing.T) {
		before := e.world.Seats()
		b := e.reserve(ada, "t9")
		started := make(chan string, 1)
		e.world.SetOnHang(func(pid string) { started <- pid })
		defer e.world.SetOnHang(nil)
		answered := make(chan int, 1)
		go func() {
			answered <- e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/confirm", ada, "t9-confirm",
				map[string]any{"payment": map[string]string{"provider": "sandbox", "token": sagatest.TokenHang}}, nil)
		}()
		var pid string
		select {
		case pid = <-started:
		case <-time.After(30 * time.Second):
			t.Fatal("the authorization never started")
		}
		require.NoError(t, e.tc.CancelWorkflow(context.Background(), queues.BookingWorkflowID(b.BookingID), ""))
		require.Equal(t, http.StatusConflict, <-answered, "the confirm answers booking_failed")
		e.eventually(ada, b.BookingID, booking.StatusFailed)
		require.Eventually(t, func() bool {
			s, _, _ := e.world.Intent(pid)
			return s == "canceled"
		}, 30*time.Second, 100*time.Millisecond, "the intent is voided")
		require.Equal(t, before, e.world.Seats(), "the seats are back")
		track("booking_cancelled_during_authorization", queues.BookingWorkflowID(b.BookingID))
	})

	t.Run("T9: cancelling the workflow while the capture is in flight waits for it, then refunds and releases", func(t *testing.T) {
		before := e.world.Seats()
		b := e.reserve(ada, "t9-capture")
		started := make(chan string, 1)
		proceed := make(chan struct{})
		release := sync.OnceFunc(func() { close(proceed) })
		e.world.SetOnCapture(func(pid string) {
			started <- pid
			<-proceed
		})
		defer e.world.SetOnCapture(nil)
		defer release()
		answered := make(chan int, 1)
		go func() {
			answered <- e.do(http.MethodPost, "/api/v1/bookings/"+b.BookingID+"/confirm", ada, "t9-capture-confirm",
				map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, nil)
		}()
		var pid string
		select {
		case pid = <-started:
		case <-time.After(30 * time.Second):
			t.Fatal("the capture never started")
		}
		require.NoError(t, e.tc.CancelWorkflow(context.Background(), queues.BookingWorkflowID(b.BookingID), ""))
		require.Never(t, func() bool {
			s, _, _ := e.world.Intent(pid)
			return s != "authorized"
		}, 2*time.Second, 50*time.Millisecond, "no void or refund while the capture is in flight")
		release()
		require.Equal(t, http.StatusConflict, <-answered, "the confirm answers booking_failed")
		e.eventually(ada, b.BookingID, booking.StatusFailed)
		require.Eventually(t, func() bool {
			s, captured, refunded := e.world.Intent(pid)
			return s == "refunded" && captured > 0 && refunded == captured
		}, 30*time.Second, 100*time.Millisecond, "the captured money is refunded")
		require.Equal(t, before, e.world.Seats(), "the seats are back")
		track("booking_cancelled_during_capture", queues.BookingWorkflowID(b.BookingID))
	})

	// T12 and T11 over every workflow the test ran.
	ctx := context.Background()
	var largestPayload, largestHistory, mostEvents int
	for i, id := range workflowIDs {
		require.Eventually(t, func() bool {
			d, err := e.tc.DescribeWorkflow(ctx, id, "")
			return err == nil && d.RawResponse.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
		}, 60*time.Second, 200*time.Millisecond, "workflow %s still running", id)
		hist := testenv.History(t, e.tc, id)
		raw, err := proto.Marshal(hist)
		require.NoError(t, err)
		if !e.record {
			for _, secret := range []string{piiEmail, piiPhone, piiDoc, "Lovelace"} {
				require.False(t, bytes.Contains(raw, []byte(secret)), "T12: %q in plaintext in the history of %s", secret, id)
			}
		}
		largestHistory = max(largestHistory, len(raw))
		mostEvents = max(mostEvents, len(hist.Events))
		largestPayload = max(largestPayload, largestPayloadOf(hist))
		if e.record {
			testenv.WriteHistory(t, filepath.Join("..", "..", "workflows", "testdata"), names[i], hist)
		}
	}
	t.Logf("T11: %d workflows; largest payload %d bytes (limit 2 MiB); largest history %d bytes in at most %d events (limits 50 MiB, 51200 events)",
		len(workflowIDs), largestPayload, largestHistory, mostEvents)
	require.Less(t, largestPayload, 64<<10, "T11: payloads stay far below 2 MiB")
	require.Less(t, mostEvents, 400, "T11: histories stay far below 51200 events")
}

// largestPayloadOf measures the biggest single payload-bearing event.
func largestPayloadOf(h *historypb.History) int {
	largest := 0
	for _, ev := range h.Events {
		for _, m := range []proto.Message{
			ev.GetWorkflowExecutionStartedEventAttributes().GetInput(),
			ev.GetActivityTaskScheduledEventAttributes().GetInput(),
			ev.GetActivityTaskCompletedEventAttributes().GetResult(),
			ev.GetWorkflowExecutionCompletedEventAttributes().GetResult(),
			ev.GetMarkerRecordedEventAttributes(),
			ev.GetWorkflowExecutionUpdateAcceptedEventAttributes(),
			ev.GetWorkflowExecutionUpdateCompletedEventAttributes(),
			ev.GetWorkflowExecutionSignaledEventAttributes(),
		} {
			largest = max(largest, proto.Size(m))
		}
	}
	return largest
}
