package tagtog

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts the client's requests and retries. A nil *Metrics counts
// nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	retries  *prometheus.CounterVec
}

// NewMetrics creates the client's metrics and registers them on reg (when
// reg is not nil):
//
//	tagflow_tagtog_requests_total{op,code}  one per HTTP attempt; code is the
//	                                        status code, or "error" when no
//	                                        response came
//	tagflow_tagtog_retries_total{op,reason} one per retry; reason is 5xx, 429,
//	                                        408, timeout, connection or other
//
// op is legend, plain_html, ann_json, push, search or import.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tagflow_tagtog_requests_total",
			Help: "HTTP requests made to tagtog's API, by operation and status code (\"error\": no response).",
		}, []string{"op", "code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tagflow_tagtog_retries_total",
			Help: "Retries of tagtog API calls, by operation and reason.",
		}, []string{"op", "reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.retries)
	}
	return m
}

func (m *Metrics) request(op, code string) {
	if m != nil {
		m.requests.WithLabelValues(op, code).Inc()
	}
}

func (m *Metrics) retry(op, reason string) {
	if m != nil {
		m.retries.WithLabelValues(op, reason).Inc()
	}
}
