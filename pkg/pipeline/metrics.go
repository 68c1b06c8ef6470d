package pipeline

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagflow/tagflow/pkg/metrics"
)

// maxLabels bounds the distinct model labels the metrics record; labels come
// from the model's output, and a misbehaving model server must not create
// series without end. Further labels are counted as "other".
const maxLabels = 64

// Metrics are the pipeline's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	mu     sync.Mutex
	labels map[string]bool

	stage    *prometheus.HistogramVec
	latency  prometheus.Histogram
	entities *prometheus.CounterVec
	dropped  *prometheus.CounterVec
}

// NewMetrics registers the pipeline's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		labels: make(map[string]bool),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tagflow_stage_seconds",
			Help:    "Time spent in each stage of handling one document.",
			Buckets: metrics.LatencyBuckets,
		}, []string{"stage"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tagflow_annotation_latency_seconds",
			Help:    "Time from the webhook's arrival at ingest to tagtog confirming the push.",
			Buckets: metrics.LatencyBuckets,
		}),
		entities: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tagflow_entities_total",
			Help: "Entities pushed to tagtog, by model label.",
		}, []string{"label"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tagflow_entities_dropped_total",
			Help: "Entities found by the model but not pushed, by model label: the label maps to no entity type of the project, or the span cannot be expressed in the offset unit.",
		}, []string{"label"}),
	}
	for _, s := range []string{"legend", "fetch", "annotate", "merge", "push"} {
		m.stage.WithLabelValues(s)
	}
	reg.MustRegister(m.stage, m.latency, m.entities, m.dropped)
	return m
}

func (m *Metrics) observeStage(stage string, start, end time.Time) {
	if m == nil {
		return
	}
	m.stage.WithLabelValues(stage).Observe(end.Sub(start).Seconds())
}

func (m *Metrics) observeLatency(received, now time.Time) {
	if m == nil || received.IsZero() {
		return
	}
	d := now.Sub(received).Seconds()
	if d < 0 {
		d = 0
	}
	m.latency.Observe(d)
}

func (m *Metrics) countEntities(labels map[string]int) {
	if m == nil {
		return
	}
	for l, n := range labels {
		m.entities.WithLabelValues(m.bounded(l)).Add(float64(n))
	}
}

func (m *Metrics) countDropped(label string) {
	if m == nil {
		return
	}
	m.dropped.WithLabelValues(m.bounded(label)).Inc()
}

// bounded returns label, or "other" once maxLabels distinct labels were seen.
func (m *Metrics) bounded(label string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.labels[label] {
		return label
	}
	if len(m.labels) >= maxLabels {
		return "other"
	}
	m.labels[label] = true
	return label
}
