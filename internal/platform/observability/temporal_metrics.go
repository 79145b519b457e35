package observability

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// TemporalMetrics adapts the Temporal SDK's metrics to Prometheus, so worker
// and client metrics (task latencies, poller counts, activity failures) show
// on /metrics next to the HTTP ones.
type TemporalMetrics struct {
	reg  prometheus.Registerer
	tags map[string]string
	vecs *vecCache
}

type vecCache struct {
	mu         sync.Mutex
	counters   map[string]*prometheus.CounterVec
	gauges     map[string]*prometheus.GaugeVec
	histograms map[string]*prometheus.HistogramVec
}

// NewTemporalMetrics returns a client.MetricsHandler registering on reg.
func NewTemporalMetrics(reg prometheus.Registerer) *TemporalMetrics {
	return &TemporalMetrics{reg: reg, tags: map[string]string{}, vecs: &vecCache{
		counters: map[string]*prometheus.CounterVec{}, gauges: map[string]*prometheus.GaugeVec{}, histograms: map[string]*prometheus.HistogramVec{},
	}}
}

var _ client.MetricsHandler = (*TemporalMetrics)(nil)

// WithTags implements client.MetricsHandler.
func (t *TemporalMetrics) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(t.tags)+len(tags))
	for k, v := range t.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return &TemporalMetrics{reg: t.reg, tags: merged, vecs: t.vecs}
}

func (t *TemporalMetrics) labels() ([]string, prometheus.Labels) {
	names := make([]string, 0, len(t.tags))
	for k := range t.tags {
		names = append(names, sanitize(k))
	}
	sort.Strings(names)
	lbl := prometheus.Labels{}
	for k, v := range t.tags {
		lbl[sanitize(k)] = v
	}
	return names, lbl
}

func vecKey(name string, labels []string) string { return name + "|" + strings.Join(labels, ",") }

// Counter implements client.MetricsHandler.
func (t *TemporalMetrics) Counter(name string) client.MetricsCounter {
	names, lbl := t.labels()
	n := "temporal_" + sanitize(name)
	t.vecs.mu.Lock()
	defer t.vecs.mu.Unlock()
	key := vecKey(n, names)
	v, ok := t.vecs.counters[key]
	if !ok {
		v = prometheus.NewCounterVec(prometheus.CounterOpts{Name: n, Help: "Temporal SDK counter " + name}, names)
		if err := t.reg.Register(v); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				if cv, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
					v = cv
				}
			} else {
				return client.MetricsNopHandler.Counter(name)
			}
		}
		t.vecs.counters[key] = v
	}
	c, err := v.GetMetricWith(lbl)
	if err != nil {
		return client.MetricsNopHandler.Counter(name)
	}
	return counter{c}
}

// Gauge implements client.MetricsHandler.
func (t *TemporalMetrics) Gauge(name string) client.MetricsGauge {
	names, lbl := t.labels()
	n := "temporal_" + sanitize(name)
	t.vecs.mu.Lock()
	defer t.vecs.mu.Unlock()
	key := vecKey(n, names)
	v, ok := t.vecs.gauges[key]
	if !ok {
		v = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: n, Help: "Temporal SDK gauge " + name}, names)
		if err := t.reg.Register(v); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				if gv, ok := are.ExistingCollector.(*prometheus.GaugeVec); ok {
					v = gv
				}
			} else {
				return client.MetricsNopHandler.Gauge(name)
			}
		}
		t.vecs.gauges[key] = v
	}
	g, err := v.GetMetricWith(lbl)
	if err != nil {
		return client.MetricsNopHandler.Gauge(name)
	}
	return gauge{g}
}

// Timer implements client.MetricsHandler.
func (t *TemporalMetrics) Timer(name string) client.MetricsTimer {
	names, lbl := t.labels()
	n := "temporal_" + sanitize(name) + "_seconds"
	t.vecs.mu.Lock()
	defer t.vecs.mu.Unlock()
	key := vecKey(n, names)
	v, ok := t.vecs.histograms[key]
	if !ok {
		v = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: n, Help: "Temporal SDK timer " + name,
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, names)
		if err := t.reg.Register(v); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				if hv, ok := are.ExistingCollector.(*prometheus.HistogramVec); ok {
					v = hv
				}
			} else {
				return client.MetricsNopHandler.Timer(name)
			}
		}
		t.vecs.histograms[key] = v
	}
	h, err := v.GetMetricWith(lbl)
	if err != nil {
		return client.MetricsNopHandler.Timer(name)
	}
	return timer{h}
}

type counter struct{ prometheus.Counter }

func (c counter) Inc(n int64) { c.Add(float64(n)) }

type timer struct{ prometheus.Observer }

func (t timer) Record(d time.Duration) { t.Observe(d.Seconds()) }

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

type gauge struct{ prometheus.Gauge }

func (g gauge) Update(v float64) { g.Set(v) }
