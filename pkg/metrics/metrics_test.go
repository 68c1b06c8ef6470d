package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestLatencyBucketsReachMinutes(t *testing.T) {
	if !sort.Float64sAreSorted(LatencyBuckets) {
		t.Fatal("buckets not sorted")
	}
	if last := LatencyBuckets[len(LatencyBuckets)-1]; last != 300 {
		t.Fatalf("last bucket = %v, want 300", last)
	}
}

func TestHandlerAndMiddleware(t *testing.T) {
	reg := NewRegistry()
	m := NewHTTPMetrics(reg)
	h := m.Wrap("webhook", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		w.WriteHeader(http.StatusTeapot) // ignored by net/http; must not change the label
	}))
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/webhook", nil))
	}
	want := `
# HELP tagflow_http_requests_total HTTP requests served, by handler and status code.
# TYPE tagflow_http_requests_total counter
tagflow_http_requests_total{code="202",handler="webhook"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tagflow_http_requests_total"); err != nil {
		t.Fatal(err)
	}
	if probs, err := testutil.GatherAndLint(reg); err != nil || len(probs) != 0 {
		t.Fatalf("lint: %v %+v", err, probs)
	}
	if n := testutil.CollectAndCount(m.duration); n != 1 {
		t.Fatalf("duration series = %d, want 1", n)
	}
	if probs, err := testutil.CollectAndLint(m.requests); err != nil || len(probs) != 0 {
		t.Fatalf("lint: %v %+v", err, probs)
	}

	rec := httptest.NewRecorder()
	Handler(reg).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, s := range []string{"go_goroutines ", "process_cpu_seconds_total ", `tagflow_http_requests_total{code="202",handler="webhook"} 2`} {
		if !strings.Contains(string(body), s) {
			t.Errorf("/metrics lacks %q", s)
		}
	}
}
