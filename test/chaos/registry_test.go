package chaos

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/metrics"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/webhook"
)

func TestTwoRegistriesInOneProcess(t *testing.T) {
	twoRegistries(t, "two-registries", 20)
}

func TestTwoRegistriesInOneProcessLarge(t *testing.T) {
	heavy(t)
	twoRegistries(t, "two-registries-large", 400)
}

// twoRegistries runs two complete consumers (tagtog client, pipeline,
// queue metrics, stats collector) in one process, each registering on a
// registry of its own, on the same durable consumer: nothing panics, both
// registries gather and lint cleanly, and their counts add up to the events.
func twoRegistries(t *testing.T, scenario string, n int) {
	tt := startTagtog(t, emulator.Faults{}, nil)
	ns := startNATS(t, queue.Config{AckWait: 10 * time.Second})
	regs := []*prometheus.Registry{metrics.NewRegistry(), metrics.NewRegistry()}
	for _, reg := range regs {
		// The webhook handler's and the HTTP middleware's metrics too, as
		// an ingest built into the same binary would register them.
		webhook.NewMetrics(reg)
		metrics.NewHTTPMetrics(reg)
		startInprocWorker(t, ns, tt.url, inprocOptions{
			concurrency: 4, reg: reg,
			retry: retry.Policy{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond, Budget: 2 * time.Second},
		})
	}
	docs := importDocs(t, tt.emu, "reg", n)
	ns.publishCreated(t, docIDs(docs))
	ns.waitDrained(t, n, 60*time.Second)

	res := tally(t, tt.emu, docs, true)
	var annotated, pushed float64
	for i, reg := range regs {
		if _, err := reg.Gather(); err != nil {
			t.Errorf("registry %d: gather: %v", i, err)
		}
		problems, err := testutil.GatherAndLint(reg)
		if err != nil {
			t.Errorf("registry %d: lint: %v", i, err)
		}
		for _, p := range problems {
			if strings.HasPrefix(p.Metric, "tagflow_") {
				t.Errorf("registry %d: lint %s: %s", i, p.Metric, p.Text)
			}
		}
		srv := httptest.NewServer(metrics.Handler(reg))
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		series := parseExposition(t, resp.Body)
		resp.Body.Close()
		srv.Close()
		annotated += sumSeries(series, "tagflow_events_processed_total", `consumer="annotator"`, `outcome="annotated"`)
		pushed += sumSeries(series, "tagflow_tagtog_requests_total", `op="push"`, `code="200"`)
	}
	if int(annotated) != n || int(pushed) != n {
		t.Errorf("both registries together: %v annotated, %v pushes answered 200; want %d each", annotated, pushed, n)
	}
	dlq := len(ns.dlq(t))
	f := figures{scenario: scenario, sent: n, acked: n, annotated: res.annotated, deadLettered: dlq,
		lost: n - res.annotated - dlq, duplicated: res.pushedTwice}
	f.add("registries", len(regs))
	f.log(t)
	if res.annotated != n || res.pushedTwice != 0 || dlq != 0 {
		t.Errorf("annotated %d, pushed twice %d, dead-lettered %d; want %d, 0, 0", res.annotated, res.pushedTwice, dlq, n)
	}
}
