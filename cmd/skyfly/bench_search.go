package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/skyfly/skyfly/internal/loadgen"
	"github.com/skyfly/skyfly/services/flight/seeddata"
)

// runSearchBench measures search latency through the gateway at fixed
// request rates (ACCEPTANCE PF1): an open-loop generator, so queueing shows
// in the percentiles instead of slowing the load down.
func runSearchBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("skyfly bench search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gateway := fs.String("gateway", "http://127.0.0.1:8080", "gateway base URL")
	rates := fs.String("rates", "50,200", "comma-separated request rates (per second), run one after the other")
	duration := fs.Duration("duration", 20*time.Second, "duration of each rate step")
	warmup := fs.Duration("warmup", 5*time.Second, "warm-up at the first rate before measuring (fills caches as a live system has them)")
	seed := fs.Uint64("seed", 1, "seed of the query mix")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var steps []float64
	for _, s := range strings.Split(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || r <= 0 {
			return fmt.Errorf("--rates: %q is not a positive number", s)
		}
		steps = append(steps, r)
	}
	queries := seeddata.SearchQueries(time.Now().UTC(), 5000, *seed)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	op := func(ctx context.Context, i int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, *gateway+"/api/v1/flights/search?"+queries[i%len(queries)], nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if *warmup > 0 {
		fmt.Fprintf(stdout, "warming up at %.0f/s for %s...\n", steps[0], *warmup)
		loadgen.Run(ctx, loadgen.Config{Rate: steps[0], Duration: *warmup}, op)
	}
	fmt.Fprintf(stdout, "| rate (req/s) | sent | ok/s | errors | dropped | p50 | p95 | p99 | max |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range steps {
		res := loadgen.Run(ctx, loadgen.Config{Rate: r, Duration: *duration}, op)
		l := res.Latencies
		fmt.Fprintf(stdout, "| %.0f | %d | %.1f | %d | %d | %s | %s | %s | %s |\n", r, res.Sent, res.Achieved(), res.Errors, res.Dropped,
			ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max))
		if res.FirstError != "" {
			fmt.Fprintf(stdout, "  first error: %s\n", res.FirstError)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
