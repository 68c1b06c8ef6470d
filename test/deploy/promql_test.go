package deploy

import (
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// designMetrics are the metric names of DESIGN.md (Metrics); histograms
// expose _bucket, _sum and _count series.
var designMetrics = map[string]string{
	"tagflow_webhooks_total":                "counter",
	"tagflow_webhook_ack_seconds":           "histogram",
	"tagflow_events_processed_total":        "counter",
	"tagflow_annotation_latency_seconds":    "histogram",
	"tagflow_stage_seconds":                 "histogram",
	"tagflow_tagtog_requests_total":         "counter",
	"tagflow_tagtog_retries_total":          "counter",
	"tagflow_entities_total":                "counter",
	"tagflow_inflight_events":               "gauge",
	"tagflow_consumer_pending_messages":     "gauge",
	"tagflow_consumer_ack_pending_messages": "gauge",
	"tagflow_dlq_messages":                  "gauge",
}

// exporterMetrics are the prometheus-nats-exporter series (-prefix=nats) the
// NATS dashboard reads.
var exporterMetrics = map[string]bool{
	"nats_varz_cpu": true, "nats_varz_mem": true, "nats_varz_connections": true,
	"nats_varz_in_msgs": true, "nats_varz_out_msgs": true,
	"nats_server_total_streams": true, "nats_server_total_message_bytes": true, "nats_server_max_storage": true,
	"nats_stream_total_messages": true, "nats_stream_total_bytes": true,
	"nats_consumer_num_pending": true, "nats_consumer_num_ack_pending": true,
	"nats_consumer_num_redelivered": true, "nats_consumer_num_waiting": true,
	"nats_consumer_delivered_stream_seq": true,
}

// knownMetric tells whether name is a series tagflow's stack exports.
func knownMetric(name string, recorded map[string]bool) bool {
	if recorded[name] || exporterMetrics[name] || name == "up" || name == "ALERTS" {
		return true
	}
	if designMetrics[name] != "" {
		return designMetrics[name] != "histogram"
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && designMetrics[base] == "histogram" {
			return true
		}
	}
	return false
}

func promqlParser() parser.Parser { return parser.NewParser(parser.Options{}) }

// metricNames returns the metric names an expression selects.
func metricNames(e parser.Expr) []string {
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, vs.Name)
		}
		return nil
	})
	return names
}

func recordedNames(tb testing.TB) map[string]bool {
	tb.Helper()
	rf, err := loadRules()
	if err != nil {
		tb.Fatal(err)
	}
	rec := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				rec[r.Record] = true
			}
		}
	}
	return rec
}

func TestPromQLParsesAndUsesKnownMetrics(t *testing.T) {
	qs, err := AllQueries()
	if err != nil {
		t.Fatal(err)
	}
	rec := recordedNames(t)
	p := promqlParser()
	used := map[string]bool{}
	for _, q := range qs {
		e, err := p.ParseExpr(Substitute(q.Expr))
		if err != nil {
			t.Errorf("%s: %q: %v", q.Source, q.Expr, err)
			continue
		}
		for _, n := range metricNames(e) {
			if n == "" {
				t.Errorf("%s: selector without a metric name", q.Source)
				continue
			}
			if !knownMetric(n, rec) {
				t.Errorf("%s: unknown metric %q (not in DESIGN.md Metrics, the exporter list or the recording rules)", q.Source, n)
			}
			used[strings.TrimSuffix(n, "_bucket")] = true
		}
	}
	var unused []string
	for m := range designMetrics {
		if !used[m] {
			unused = append(unused, m)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("DESIGN.md metrics that no dashboard or rule shows: %v", unused)
	}
}

func TestRulesFile(t *testing.T) {
	groups, errs := rulefmt.ParseFile(rulesPath, false, model.UTF8Validation, promqlParser(), slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Errorf("rulefmt: %v", err)
	}
	if groups == nil {
		t.FailNow()
	}
	var alerts []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts = append(alerts, r.Alert)
			for _, a := range []string{"summary", "description", "runbook"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("alert %s: no %s annotation", r.Alert, a)
				}
			}
			if sev := r.Labels["severity"]; sev != "warning" && sev != "critical" {
				t.Errorf("alert %s: severity = %q, want warning or critical", r.Alert, sev)
			}
		}
	}
	sort.Strings(alerts)
	want := []string{
		"TagflowAnnotationLatencyHigh", "TagflowDeadLetters", "TagflowIngest5xx", "TagflowIngestDown",
		"TagflowLagGrowing", "TagflowNoWorkerUp", "TagflowPushErrorRatio",
	}
	if !slices.Equal(alerts, want) {
		t.Errorf("alerts = %v, want %v", alerts, want)
	}
}

// promConfig is the part of a Prometheus configuration these checks read.
type promConfig struct {
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
		DNSSDConfigs []struct {
			Names []string `yaml:"names"`
			Type  string   `yaml:"type"`
			Port  int      `yaml:"port"`
		} `yaml:"dns_sd_configs"`
	} `yaml:"scrape_configs"`
}

// scrapeTargets returns job name -> targets ("host:port", "dns:name:port").
func scrapeTargets(tb testing.TB, file string) (map[string][]string, promConfig) {
	tb.Helper()
	var c promConfig
	readYAML(tb, filepath.Join(repoRoot, "deployments", "prometheus", file), &c)
	out := map[string][]string{}
	for _, sc := range c.ScrapeConfigs {
		for _, s := range sc.StaticConfigs {
			out[sc.JobName] = append(out[sc.JobName], s.Targets...)
		}
		for _, d := range sc.DNSSDConfigs {
			for _, n := range d.Names {
				out[sc.JobName] = append(out[sc.JobName], "dns:"+d.Type+":"+n+":"+strconv.Itoa(d.Port))
			}
		}
	}
	return out, c
}

func TestPrometheusConfigs(t *testing.T) {
	tests := []struct {
		file string
		want map[string][]string
	}{
		{"prometheus.yml", map[string][]string{
			"prometheus":     {"localhost:9090"},
			"tagflow-ingest": {"ingest:8080"},
			"tagflow-worker": {"dns:A:worker:9091"},
			"nats":           {"nats-exporter:7777"},
		}},
		{"prometheus.local.yml", map[string][]string{
			"tagflow-ingest": {"127.0.0.1:8080"},
			"tagflow-worker": {"127.0.0.1:9091", "127.0.0.1:9092", "127.0.0.1:9093", "127.0.0.1:9094"},
			"nats":           {"127.0.0.1:7777"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, c := scrapeTargets(t, tt.file)
			if len(got) != len(tt.want) {
				t.Errorf("jobs = %v, want %v", keys(got), keys(tt.want))
			}
			for job, targets := range tt.want {
				if !slices.Equal(got[job], targets) {
					t.Errorf("job %s targets = %v, want %v", job, got[job], targets)
				}
			}
			if !slices.Equal(c.RuleFiles, []string{"tagflow.rules.yml"}) {
				t.Errorf("rule_files = %v", c.RuleFiles)
			}
		})
	}
	// The compose scrape targets are the compose services and their ports.
	p := mustLoadCompose(t, []string{"docker-compose.yml"}, nil)
	if got, _ := env(p.Services["ingest"], "TAGFLOW_LISTEN"); got != ":8080" {
		t.Errorf("ingest listens on %q, Prometheus scrapes ingest:8080", got)
	}
	if got, _ := env(p.Services["worker"], "TAGFLOW_METRICS_LISTEN"); got != ":9091" {
		t.Errorf("worker metrics listen on %q, Prometheus scrapes worker:9091", got)
	}
	if cmd := strings.Join(p.Services["nats-exporter"].Command, " "); !strings.Contains(cmd, "-port=7777") || !strings.Contains(cmd, "-prefix=nats") {
		t.Errorf("nats-exporter command %q: want -port=7777 and -prefix=nats", cmd)
	}
}
