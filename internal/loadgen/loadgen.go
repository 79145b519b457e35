// Package loadgen drives fixed-rate (open-loop) load and summarises latency.
// Open loop matters: a closed loop slows down with the server and hides
// queueing, so p99 at a fixed arrival rate is the honest figure.
package loadgen

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// Config of one run.
type Config struct {
	// Rate is requests started per second.
	Rate float64
	// Duration of the run (bounded: the loop stops by itself).
	Duration time.Duration
	// MaxInFlight caps outstanding requests (default 4×Rate); arrivals past
	// it are counted as dropped, never queued.
	MaxInFlight int
}

// Result summarises one run.
type Result struct {
	Sent, Errors, Dropped int
	Elapsed               time.Duration
	Latencies             Summary
	FirstError            string
}

// Achieved is the completed requests per second.
func (r Result) Achieved() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sent-r.Errors) / r.Elapsed.Seconds()
}

// String renders one line of figures.
func (r Result) String() string {
	return fmt.Sprintf("sent %d  ok/s %.1f  errors %d  dropped %d  %s", r.Sent, r.Achieved(), r.Errors, r.Dropped, r.Latencies)
}

// Run calls op at cfg.Rate for cfg.Duration and measures each call.
func Run(ctx context.Context, cfg Config, op func(ctx context.Context, i int) error) Result {
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = int(math.Max(16, 4*cfg.Rate))
	}
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	var (
		mu       sync.Mutex
		lat      []time.Duration
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, cfg.MaxInFlight)
	start := time.Now()
	sent, dropped := 0, 0
	next := start
loop:
	for i := 0; ; i++ {
		if wait := time.Until(next); wait > 0 {
			select {
			case <-ctx.Done():
				break loop
			case <-time.After(wait):
			}
		} else if ctx.Err() != nil {
			break
		}
		next = next.Add(interval)
		select {
		case sem <- struct{}{}:
		default:
			dropped++
			continue
		}
		sent++
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			err := op(context.WithoutCancel(ctx), i)
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				if firstErr == "" {
					firstErr = err.Error()
				}
				return
			}
			lat = append(lat, d)
		}(i)
	}
	wg.Wait()
	return Result{Sent: sent, Errors: errs, Dropped: dropped, Elapsed: time.Since(start), Latencies: Summarize(lat), FirstError: firstErr}
}

// Summary holds latency percentiles.
type Summary struct {
	N                       int
	P50, P95, P99, Max, Avg time.Duration
}

// Summarize computes percentiles (nearest rank) of ds.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Summary{N: len(s), P50: Percentile(s, 50), P95: Percentile(s, 95), P99: Percentile(s, 99), Max: s[len(s)-1], Avg: sum / time.Duration(len(s))}
}

// Percentile returns the nearest-rank p-th percentile of sorted ds.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// String renders the percentiles in milliseconds.
func (s Summary) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
	return fmt.Sprintf("n=%d p50=%s p95=%s p99=%s max=%s", s.N, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
}
