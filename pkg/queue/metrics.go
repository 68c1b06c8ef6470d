package queue

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what consumers do with events. A nil *Metrics counts nothing.
type Metrics struct {
	processed *prometheus.CounterVec
	inflight  *prometheus.GaugeVec
}

// NewMetrics registers tagflow_events_processed_total{consumer,outcome} and
// tagflow_inflight_events{consumer} on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tagflow_events_processed_total",
			Help: "Events handled by a consumer, by outcome (annotated, skipped, retried, dead_lettered, failed).",
		}, []string{"consumer", "outcome"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tagflow_inflight_events",
			Help: "Events being handled right now.",
		}, []string{"consumer"}),
	}
	reg.MustRegister(m.processed, m.inflight)
	return m
}

func (m *Metrics) init(consumer string) {
	if m == nil {
		return
	}
	for _, o := range []string{OutcomeAnnotated, OutcomeSkipped, OutcomeRetried, OutcomeDeadLettered, OutcomeFailed} {
		m.processed.WithLabelValues(consumer, o)
	}
	m.inflight.WithLabelValues(consumer)
}

func (m *Metrics) count(consumer, outcome string) {
	if m != nil {
		m.processed.WithLabelValues(consumer, outcome).Inc()
	}
}

func (m *Metrics) inflightAdd(consumer string, d float64) {
	if m != nil {
		m.inflight.WithLabelValues(consumer).Add(d)
	}
}

// StatsCollector is a prometheus.Collector that asks JetStream at scrape
// time for tagflow_consumer_pending_messages{consumer},
// tagflow_consumer_ack_pending_messages{consumer} and tagflow_dlq_messages.
// When JetStream does not answer within the timeout the affected series are
// left out of that scrape and the error is logged at most once a minute.
type StatsCollector struct {
	c         *Client
	consumers []Kind
	timeout   time.Duration
	log       *slog.Logger

	pending, ackPending, dlq *prometheus.Desc

	mu      sync.Mutex
	lastLog time.Time
}

// NewStatsCollector returns a collector for the given consumers (none: only
// the dead-letter count). log may be nil.
func NewStatsCollector(c *Client, log *slog.Logger, consumers ...Kind) *StatsCollector {
	if log == nil {
		log = c.log
	}
	return &StatsCollector{
		c: c, consumers: consumers, timeout: 2 * time.Second, log: log,
		pending: prometheus.NewDesc("tagflow_consumer_pending_messages",
			"Events in the stream not yet delivered to the consumer.", []string{"consumer"}, nil),
		ackPending: prometheus.NewDesc("tagflow_consumer_ack_pending_messages",
			"Events delivered to the consumer and not yet acknowledged (including delayed retries).", []string{"consumer"}, nil),
		dlq: prometheus.NewDesc("tagflow_dlq_messages", "Events in the dead-letter stream.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (s *StatsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.pending
	ch <- s.ackPending
	ch <- s.dlq
}

// Collect implements prometheus.Collector.
func (s *StatsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	for _, k := range s.consumers {
		cons, err := s.c.js.Consumer(ctx, s.c.cfg.Stream, string(k))
		if err != nil {
			s.logErr("consumer "+string(k), err)
			continue
		}
		info, err := cons.Info(ctx)
		if err != nil {
			s.logErr("consumer "+string(k), err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(s.pending, prometheus.GaugeValue, float64(info.NumPending), string(k))
		ch <- prometheus.MustNewConstMetric(s.ackPending, prometheus.GaugeValue, float64(info.NumAckPending), string(k))
	}
	st, err := s.c.js.Stream(ctx, s.c.cfg.DLQStream)
	if err == nil {
		i, ierr := st.Info(ctx)
		if ierr == nil {
			ch <- prometheus.MustNewConstMetric(s.dlq, prometheus.GaugeValue, float64(i.State.Msgs))
			return
		}
		err = ierr
	}
	s.logErr("stream "+s.c.cfg.DLQStream, err)
}

func (s *StatsCollector) logErr(what string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := time.Now(); now.Sub(s.lastLog) >= time.Minute {
		s.lastLog = now
		s.log.Warn("queue stats unavailable; series left out of this scrape", "what", what, "err", err)
	}
}
