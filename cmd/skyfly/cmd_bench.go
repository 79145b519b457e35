package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/skyfly/skyfly/internal/platform/config"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/booking"
	"github.com/skyfly/skyfly/temporal/queues"
	"github.com/skyfly/skyfly/temporal/tclient"
	"github.com/skyfly/skyfly/workflows/benchflow"
	"github.com/skyfly/skyfly/workflows/bookingsaga"
)

// benchOptions are `skyfly bench`'s flags.
type benchOptions struct {
	gateway    string
	customers  int
	duration   time.Duration
	bookings   int
	contention float64
	cancel     float64
	date       string
	hot        string
	hotFare    string
	routes     string
	baseline   time.Duration
	wait       time.Duration
	events     bool
	eventsWait time.Duration
}

// runBench drives concurrent customers through the gateway (search → quote
// → reserve → confirm, some cancel) with contention on one hot fare,
// reports throughput and p50/p95/p99 per step, measures a one-activity
// baseline workflow on the same Temporal server (PF2), and checks the T13
// invariants against the Temporal visibility store and the databases.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "search" {
		return runSearchBench(ctx, args[1:], stdout, stderr)
	}
	var o benchOptions
	fs := flag.NewFlagSet("skyfly bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.gateway, "gateway", "http://127.0.0.1:8080", "gateway base URL")
	fs.IntVar(&o.customers, "customers", 10, "concurrent customers")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long to book (ignored when --bookings is set)")
	fs.IntVar(&o.bookings, "bookings", 0, "stop after this many booking attempts (0: run for --duration)")
	fs.Float64Var(&o.contention, "contention", 0.2, "fraction of attempts that target the hot fare")
	fs.Float64Var(&o.cancel, "cancel", 0.1, "fraction of confirmed bookings cancelled afterwards")
	fs.StringVar(&o.date, "date", time.Now().UTC().AddDate(0, 0, 7).Format(time.DateOnly), "travel date")
	fs.StringVar(&o.hot, "hot", "JFK-LHR", "route of the hot fare")
	fs.StringVar(&o.hotFare, "hot-fare", "", "pin hot buyers to this fare of the hot route's first itinerary (e.g. F-F: the last first-class seats); empty: the cheapest open fare")
	fs.StringVar(&o.routes, "routes", "LHR-JFK,FRA-SIN,DXB-LHR,SIN-SYD,CDG-JFK,BOS-LHR", "other routes, comma-separated")
	fs.DurationVar(&o.baseline, "baseline", 10*time.Second, "how long to run the one-activity baseline (0: skip)")
	fs.DurationVar(&o.wait, "wait", 60*time.Second, "how long to wait for workflows to close before the T13 checks")
	fs.BoolVar(&o.events, "events", true, "consume skyfly.booking.v1 in a bench consumer group: report events published/consumed and the lag, and check every confirmed booking's events are consumed once (false: with SKYFLY_OUTBOX_RELAY=false on the services)")
	fs.DurationVar(&o.eventsWait, "events-wait", 30*time.Second, "how long to wait for the run's events to be published and consumed before the events check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, _, err := config.Load("skyfly bench", nil, getenv, stderr)
	if err != nil {
		return err
	}
	b := &bench{o: o, cfg: cfg, out: stdout, errw: stderr, http: &http.Client{Timeout: 60 * time.Second}, steps: map[string]*stepStats{}}
	return b.run(ctx)
}

type bench struct {
	o    benchOptions
	cfg  *config.Config
	out  io.Writer
	errw io.Writer
	http *http.Client

	mu       sync.Mutex
	steps    map[string]*stepStats
	attempts atomic.Int64
	booked   []bookedRef
	started  time.Time

	// failed counts bookings reserved but not confirmed: they stay HELD
	// until their hold expires. A booking in flight when the run ends
	// finishes first, so there is no third, unknown kind.
	confirmed, refused, cancelled, failed atomic.Int64
}

type bookedRef struct {
	id        string
	status    string
	confirmed bool
}

type stepStats struct {
	lat    []time.Duration
	errors map[string]int
}

func (b *bench) record(step string, d time.Duration, errCode string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.steps[step]
	if !ok {
		s = &stepStats{errors: map[string]int{}}
		b.steps[step] = s
	}
	if errCode != "" {
		s.errors[errCode]++
		return
	}
	s.lat = append(s.lat, d)
}

func (b *bench) run(ctx context.Context) error {
	fmt.Fprintf(b.out, "skyfly bench: %d customers, contention %.0f%% on %s %s, cancel %.0f%%, travel date %s, gateway %s\n",
		b.o.customers, 100*b.o.contention, b.o.hot, b.o.hotFare, 100*b.o.cancel, b.o.date, b.o.gateway)
	tokens := make([]string, b.o.customers)
	for i := range tokens {
		tok, err := b.login(ctx, fmt.Sprintf("bench-%d-%s@skyfly.test", i, randHex(3)))
		if err != nil {
			return fmt.Errorf("bench: sign in customer %d: %w", i, err)
		}
		tokens[i] = tok
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if b.o.bookings == 0 {
		runCtx, cancel = context.WithTimeout(ctx, b.o.duration)
		defer cancel()
	}
	var events *benchEventConsumer
	if b.o.events {
		brokers := benchBrokers(b.cfg.KafkaBrokers, b.cfg.DataDir)
		if len(brokers) == 0 {
			return errors.New("bench: --events needs SKYFLY_KAFKA_BROKERS or a skyfly dev on the same data dir (or --events=false)")
		}
		since := time.Now().Add(-time.Second)
		c, err := newBenchEventConsumer(brokers, "skyfly-bench-"+randHex(4), since, time.Now)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		evCtx, stopEvents := context.WithCancel(ctx)
		defer stopEvents()
		events = c
		go events.Run(evCtx)
	}
	b.started = time.Now()
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Add(1)
		go func(tok string, seed uint64) {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(seed, uint64(time.Now().UnixNano())))
			for runCtx.Err() == nil {
				if b.o.bookings > 0 && b.attempts.Add(1) > int64(b.o.bookings) {
					return
				}
				b.customer(runCtx, tok, rng)
			}
		}(tokens[i], uint64(i))
	}
	done := make(chan struct{})
	go b.progress(done)
	wg.Wait()
	close(done)
	elapsed := time.Since(b.started)
	b.report(elapsed)

	tc, err := tclient.Dial(ctx, b.cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		fmt.Fprintf(b.out, "baseline and T13 workflow checks skipped: %v\n", err)
		return b.checkDatabases(ctx)
	}
	defer tc.Close()
	if b.o.baseline > 0 {
		if err := b.runBaseline(ctx, tc, elapsed); err != nil {
			fmt.Fprintf(b.out, "baseline failed: %v\n", err)
		}
	}
	failures := 0
	if err := b.checkWorkflows(ctx, tc); err != nil {
		fmt.Fprintln(b.out, "T13 FAIL:", err)
		failures++
	}
	if events != nil {
		if err := b.checkEvents(ctx, events, b.started.Add(elapsed)); err != nil {
			fmt.Fprintln(b.out, "T13 FAIL:", err)
			failures++
		}
	}
	if err := b.checkDatabases(ctx); err != nil {
		fmt.Fprintln(b.out, "T13 FAIL:", err)
		failures++
	}
	// After the T13 wait, so the histories are complete.
	if err := b.stepBreakdown(ctx, tc, 300); err != nil {
		fmt.Fprintf(b.out, "breakdown failed: %v\n", err)
	}
	if failures > 0 {
		return errors.New("bench: invariant checks failed")
	}
	return nil
}

// customer runs one search → quote → reserve → confirm (→ cancel).
func (b *bench) customer(ctx context.Context, tok string, rng *mrand.Rand) {
	route := b.o.hot
	hot := rng.Float64() < b.o.contention
	if !hot {
		rs := strings.Split(b.o.routes, ",")
		route = rs[rng.IntN(len(rs))]
	}
	from, to, _ := strings.Cut(route, "-")
	var sr struct {
		Itineraries []struct {
			ID    string `json:"id"`
			Stops int    `json:"stops"`
			Fares []struct {
				FareID    string `json:"fareId"`
				SeatsLeft int    `json:"seatsLeft"`
			} `json:"fares"`
		} `json:"itineraries"`
	}
	q := url.Values{"origin": {from}, "destination": {to}, "date": {b.o.date}, "adults": {"1"}, "sort": {"price"}, "limit": {"10"}}
	if !b.call(ctx, "search", http.MethodGet, "/api/v1/flights/search?"+q.Encode(), tok, "", nil, &sr) || len(sr.Itineraries) == 0 {
		return
	}
	it := sr.Itineraries[0]
	if !hot {
		it = sr.Itineraries[rng.IntN(len(sr.Itineraries))]
	}
	fareID := ""
	for _, f := range it.Fares {
		if f.SeatsLeft > 0 {
			fareID = f.FareID
			break
		}
	}
	if hot && b.o.hotFare != "" {
		// Everyone fights for the same seats, sold out or not.
		fareID = b.o.hotFare
	}
	if fareID == "" {
		b.refused.Add(1)
		b.record("search", 0, "sold_out")
		return
	}
	var quote struct {
		QuoteID string `json:"quoteId"`
	}
	if !b.call(ctx, "quote", http.MethodPost, "/api/v1/pricing/quote", tok, randHex(16),
		map[string]any{"itineraryId": it.ID, "fareId": fareID, "passengers": map[string]int{"adults": 1}}, &quote) {
		return
	}
	// A booking that started finishes its reserve and confirm even when
	// the run ends meanwhile, so the T13 check knows every workflow's
	// outcome (a reserve cut off half-way would leave a HELD booking that
	// nothing counted).
	run := ctx
	ctx = context.WithoutCancel(ctx)
	start := time.Now()
	var bk struct {
		BookingID string `json:"bookingId"`
		Status    string `json:"status"`
	}
	reserve := map[string]any{
		"quoteId": quote.QuoteID,
		"passengers": []map[string]any{{"type": "ADT", "title": "MR", "givenName": "Bench", "familyName": "Customer", "dateOfBirth": "1985-03-04", "gender": "M",
			"document": map[string]string{"type": "PASSPORT", "number": "B" + strings.ToUpper(randHex(4)), "issuingCountry": "NL", "nationality": "NL", "expiryDate": "2035-01-01"}}},
		"contact": map[string]string{"email": "bench@skyfly.test", "phone": "+31612345678"},
	}
	if !b.call(ctx, "reserve", http.MethodPost, "/api/v1/bookings/reserve", tok, randHex(16), reserve, &bk) {
		return
	}
	b.mu.Lock()
	b.booked = append(b.booked, bookedRef{id: bk.BookingID, status: bk.Status})
	b.mu.Unlock()
	if !b.call(ctx, "confirm", http.MethodPost, "/api/v1/bookings/"+bk.BookingID+"/confirm", tok, randHex(16),
		map[string]any{"payment": map[string]string{"provider": "sandbox", "token": "tok_visa"}}, &bk) {
		b.failed.Add(1)
		return
	}
	b.record("reserve+confirm", time.Since(start), "")
	b.confirmed.Add(1)
	b.mu.Lock()
	for i := len(b.booked) - 1; i >= 0; i-- {
		if b.booked[i].id == bk.BookingID {
			b.booked[i].confirmed = true
			break
		}
	}
	b.mu.Unlock()
	if run.Err() != nil || rng.Float64() >= b.o.cancel {
		return
	}
	var cq struct {
		QuoteID string `json:"quoteId"`
	}
	if !b.call(ctx, "cancel-quote", http.MethodPost, "/api/v1/bookings/"+bk.BookingID+"/cancel", tok, randHex(16), map[string]any{}, &cq) {
		return
	}
	if b.call(ctx, "cancel", http.MethodPost, "/api/v1/bookings/"+bk.BookingID+"/cancel", tok, randHex(16), map[string]any{"quoteId": cq.QuoteID}, nil) {
		b.cancelled.Add(1)
	}
}

// call sends one request, times it and records its outcome under step.
func (b *bench) call(ctx context.Context, step, method, path, tok, key string, body, out any) bool {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			b.record(step, 0, "marshal")
			return false
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(b.o.gateway, "/")+path, r)
	if err != nil {
		b.record(step, 0, "request")
		return false
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	start := time.Now()
	res, err := b.http.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			b.record(step, 0, "transport")
		}
		return false
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	d := time.Since(start)
	if res.StatusCode >= 300 {
		var p struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(raw, &p)
		code := fmt.Sprintf("%d %s", res.StatusCode, p.Code)
		if p.Code == "seat_unavailable" {
			b.refused.Add(1)
		}
		b.record(step, d, code)
		return false
	}
	b.record(step, d, "")
	if out != nil {
		_ = json.Unmarshal(raw, out)
	}
	return true
}

// login signs a customer in through the development OIDC provider
// (login_hint), following the redirects to the token answer.
func (b *bench) login(ctx context.Context, email string) (string, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", err
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	u := strings.TrimRight(b.o.gateway, "/") + "/api/v1/auth/public/google/start?" + url.Values{"login_hint": {email}}.Encode()
	var (
		res *http.Response
		raw []byte
	)
	// The gateway rate-limits sign-ins per IP: wait as it asks.
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return "", err
		}
		if res, err = c.Do(req); err != nil {
			return "", err
		}
		raw, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests || attempt >= 30 {
			break
		}
		wait, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Duration(max(wait, 1)) * time.Second):
		}
	}
	var t struct {
		AccessToken string `json:"accessToken"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &t) != nil || t.AccessToken == "" {
		return "", fmt.Errorf("login %s: %d %s", email, res.StatusCode, bytes.TrimSpace(raw))
	}
	return t.AccessToken, nil
}

func (b *bench) progress(done <-chan struct{}) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			fmt.Fprintln(b.errw)
			return
		case <-t.C:
			el := time.Since(b.started).Seconds()
			fmt.Fprintf(b.errw, "\r%5.0fs  confirmed %d (%.1f/s)  refused %d  failed %d  cancelled %d   ",
				el, b.confirmed.Load(), float64(b.confirmed.Load())/el, b.refused.Load(), b.failed.Load(), b.cancelled.Load())
		}
	}
}

func (b *bench) report(elapsed time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.out, "\nran %v: %d confirmed (%.2f bookings/s), %d clean seat refusals, %d failed confirms, %d cancelled\n",
		elapsed.Round(time.Millisecond), b.confirmed.Load(), float64(b.confirmed.Load())/elapsed.Seconds(), b.refused.Load(), b.failed.Load(), b.cancelled.Load())
	fmt.Fprintf(b.out, "%-16s %7s %9s %9s %9s %9s  %s\n", "step", "ok", "ok/s", "p50", "p95", "p99", "errors")
	names := make([]string, 0, len(b.steps))
	for n := range b.steps {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s := b.steps[n]
		slices.Sort(s.lat)
		fmt.Fprintf(b.out, "%-16s %7d %9.2f %9s %9s %9s  %v\n", n, len(s.lat), float64(len(s.lat))/elapsed.Seconds(),
			pct(s.lat, 0.50), pct(s.lat, 0.95), pct(s.lat, 0.99), s.errors)
	}
}

func pct(sorted []time.Duration, p float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i].Round(100 * time.Microsecond).String()
}

// runBaseline measures a one-activity workflow with the same concurrency
// on the same Temporal server.
func (b *bench) runBaseline(ctx context.Context, tc client.Client, bookingElapsed time.Duration) error {
	w := worker.New(tc, benchflow.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(benchflow.BaselineWorkflow, workflow.RegisterOptions{Name: benchflow.WorkflowName})
	w.RegisterActivityWithOptions(benchflow.Noop, activity.RegisterOptions{Name: benchflow.ActivityName})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	bctx, cancel := context.WithTimeout(ctx, b.o.baseline)
	defer cancel()
	var n atomic.Int64
	var lat []time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < b.o.customers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for bctx.Err() == nil {
				t0 := time.Now()
				run, err := tc.ExecuteWorkflow(bctx, client.StartWorkflowOptions{TaskQueue: benchflow.TaskQueue, ID: "bench-baseline/" + randHex(8)}, benchflow.WorkflowName, 1)
				if err != nil {
					continue
				}
				if err := run.Get(bctx, nil); err == nil {
					n.Add(1)
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	rate := float64(n.Load()) / el.Seconds()
	booking := float64(b.confirmed.Load()) / bookingElapsed.Seconds()
	fmt.Fprintf(b.out, "baseline one-activity workflow: %d in %v = %.2f/s (p50 %s, p99 %s)\n", n.Load(), el.Round(time.Millisecond), rate, pct(lat, 0.5), pct(lat, 0.99))
	if rate > 0 {
		fmt.Fprintf(b.out, "PF2 ratio: booking %.2f/s ÷ baseline %.2f/s = %.0f%%\n", booking, rate, 100*booking/rate)
	}
	return nil
}

// checkWorkflows (T13): every booking workflow the run started is closed,
// except bookings still inside their hold (a confirm that failed) that
// have nothing left to do. A confirm the client saw fail may still go
// through (the gateway or a service died after the Update was accepted, as
// the chaos run does), so the wait is for the workflows to settle, not for
// the running count to drop to the failed confirms.
func (b *bench) checkWorkflows(ctx context.Context, tc client.Client) error {
	since := b.started.UTC().Add(-time.Second).Format(time.RFC3339)
	base := fmt.Sprintf("WorkflowType IN ('BookingWorkflow','CancelBookingWorkflow') AND StartTime >= '%s'", since)
	deadline := time.Now().Add(b.o.wait)
	for {
		r, err := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: base})
		if err != nil {
			return fmt.Errorf("count workflows: %w", err)
		}
		total := r.GetCount()
		running, unsettled, err := unsettledWorkflows(ctx, tc, base+" AND ExecutionStatus = 'Running'")
		if err != nil {
			return err
		}
		if len(unsettled) == 0 || time.Now().After(deadline) {
			fmt.Fprintf(b.out, "T13 workflows: %d started, %d closed, %d running (bookings left HELD until their hold expires, nothing pending; %d confirms failed at the client)\n",
				total, total-int64(running), running, b.failed.Load())
			if len(unsettled) > 0 {
				return fmt.Errorf("%d workflows still busy after %v: %s", len(unsettled), b.o.wait, strings.Join(unsettled, ", "))
			}
			return nil
		}
		time.Sleep(time.Second)
	}
}

// unsettledWorkflows lists the running workflows of query and describes
// those with work left: anything but a HELD booking with no pending
// activity or workflow task; a pending activity is named with its attempt
// and last failure, what an operator would open in the UI.
func unsettledWorkflows(ctx context.Context, tc client.Client, query string) (running int, unsettled []string, err error) {
	var token []byte
	for {
		resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token, PageSize: 1000})
		if err != nil {
			return 0, nil, fmt.Errorf("list running workflows: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			running++
			id := e.GetExecution().GetWorkflowId()
			var status string
			if p := e.GetSearchAttributes().GetIndexedFields()[queues.AttrBookingStatus]; p != nil {
				_ = converter.GetDefaultDataConverter().FromPayload(p, &status)
			}
			if e.GetType().GetName() != bookingsaga.WorkflowName || status != string(booking.StatusHeld) {
				unsettled = append(unsettled, id+" ("+status+")")
				continue
			}
			desc, err := tc.DescribeWorkflow(ctx, id, e.GetExecution().GetRunId())
			if err != nil {
				return 0, nil, fmt.Errorf("describe %s: %w", id, err)
			}
			d := desc.RawResponse
			var pending []string
			for _, a := range d.GetPendingActivities() {
				pending = append(pending, fmt.Sprintf("%s attempt %d, last failure %q", a.GetActivityType().GetName(), a.GetAttempt(), a.GetLastFailure().GetMessage()))
			}
			if d.GetPendingWorkflowTask() != nil {
				pending = append(pending, "a workflow task")
			}
			if len(pending) > 0 {
				unsettled = append(unsettled, id+" (HELD, pending: "+strings.Join(pending, "; ")+")")
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return running, unsettled, nil
		}
	}
}

// checkDatabases (T13): seats held by the run's bookings equal the
// confirmed bookings' passengers, and money captured minus refunded equals
// what the bookings record as paid minus refunded.
func (b *bench) checkDatabases(ctx context.Context) error {
	b.mu.Lock()
	ids := make([]string, 0, len(b.booked))
	for _, r := range b.booked {
		ids = append(ids, r.id)
	}
	b.mu.Unlock()
	if len(ids) == 0 {
		fmt.Fprintln(b.out, "T13 databases: no bookings to check")
		return nil
	}
	open := func(dsn string) (*sqldb.DB, error) { return sqldb.Open(ctx, sqldb.Config{DSN: dsn}) }
	bdb, err := open(b.cfg.BookingDSN)
	if err != nil {
		return fmt.Errorf("booking db: %w", err)
	}
	defer bdb.Close()
	fdb, err := open(b.cfg.FlightDSN)
	if err != nil {
		return fmt.Errorf("flight db: %w", err)
	}
	defer fdb.Close()
	pdb, err := open(b.cfg.PaymentDSN)
	if err != nil {
		return fmt.Errorf("payment db: %w", err)
	}
	defer pdb.Close()
	var confirmedSeats, committedSeats, heldSeats, bookingNet, paymentNet, confirmedTotals int64
	for chunk := range slices.Chunk(ids, 400) {
		var v struct{ Seats, Net, Totals int64 }
		if err := bdb.WithContext(ctx).Raw(`SELECT
			COALESCE(SUM(CASE WHEN b.status = 'CONFIRMED' THEN (SELECT COUNT(*) FROM booking_passengers p WHERE p.booking_id = b.id AND p.type <> 'INF') ELSE 0 END), 0) AS seats,
			COALESCE(SUM(b.paid_amount - b.refunded_amount), 0) AS net,
			COALESCE(SUM(CASE WHEN b.status = 'CONFIRMED' THEN b.total_amount ELSE 0 END), 0) AS totals
			FROM bookings b WHERE b.id IN ?`, chunk).Scan(&v).Error; err != nil {
			return fmt.Errorf("booking totals: %w", err)
		}
		confirmedSeats += v.Seats
		bookingNet += v.Net
		confirmedTotals += v.Totals
		// A booking's seats are its current hold: a change or a disruption's
		// protected rebooking moved it to a new one and released the old.
		var holds []string
		if err := bdb.WithContext(ctx).Raw(`SELECT hold_id FROM bookings WHERE id IN ? AND hold_id IS NOT NULL AND hold_id <> ''`, chunk).Scan(&holds).Error; err != nil {
			return fmt.Errorf("booking holds: %w", err)
		}
		var f struct{ Committed, Held int64 }
		if len(holds) > 0 {
			if err := fdb.WithContext(ctx).Raw(`SELECT
			COALESCE(SUM(CASE WHEN status = 'COMMITTED' THEN seats ELSE 0 END), 0) AS committed,
			COALESCE(SUM(CASE WHEN status = 'HELD' THEN seats ELSE 0 END), 0) AS held
			FROM flight_holds WHERE id IN ?`, holds).Scan(&f).Error; err != nil {
				return fmt.Errorf("flight holds: %w", err)
			}
		}
		committedSeats += f.Committed
		heldSeats += f.Held
		var p struct{ Net int64 }
		if err := pdb.WithContext(ctx).Raw(`SELECT COALESCE(SUM(captured - refunded), 0) AS net FROM payment_intents WHERE booking_id IN ?`, chunk).Scan(&p).Error; err != nil {
			return fmt.Errorf("payment totals: %w", err)
		}
		paymentNet += p.Net
	}
	fmt.Fprintf(b.out, "T13 seats: sold (committed holds) %d, confirmed bookings' passengers %d, still held %d\n", committedSeats, confirmedSeats, heldSeats)
	fmt.Fprintf(b.out, "T13 money: captured − refunded %d, bookings' paid − refunded %d, confirmed bookings' totals %d\n", paymentNet, bookingNet, confirmedTotals)
	var errs []error
	if committedSeats != confirmedSeats {
		errs = append(errs, fmt.Errorf("seats sold %d ≠ confirmed passengers %d", committedSeats, confirmedSeats))
	}
	if paymentNet != bookingNet {
		errs = append(errs, fmt.Errorf("captured − refunded %d ≠ bookings' paid − refunded %d", paymentNet, bookingNet))
	}
	if len(errs) == 0 {
		fmt.Fprintln(b.out, "T13 OK")
	}
	return errors.Join(errs...)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
