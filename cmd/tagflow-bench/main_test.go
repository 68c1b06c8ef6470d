package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	l := latencies{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	tests := []struct {
		name string
		q    float64
		want time.Duration
	}{
		{"p50", 0.5, 5},
		{"p90", 0.9, 9},
		{"p99", 0.99, 10},
		{"max", 1, 10},
		{"tiny", 0.01, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := l.quantile(tt.q); got != tt.want {
				t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	if got := (latencies{}).quantile(0.5); got != 0 {
		t.Errorf("empty quantile = %v, want 0", got)
	}
}

func TestGeneratedCorpus(t *testing.T) {
	a, b := generatedCorpus(3, 400), generatedCorpus(3, 400)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("text %d differs between runs", i)
		}
		if n := wordCount([]string{a[i]}); n < 400 || n > 440 {
			t.Errorf("text %d has %d words, want 400 to 440", i, n)
		}
	}
}

func TestBenchCorpusFindsEntities(t *testing.T) {
	docs := [][]string{{"Daniel Schulman, President and CEO of Paypal Holdings Inc, sold $2.7 million of shares on May 3."}}
	r, err := benchCorpus(context.Background(), "one", docs, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.Documents != 1 || r.WordsPerDoc != 17 {
		t.Errorf("documents %d, words/doc %v; want 1, 17", r.Documents, r.WordsPerDoc)
	}
	if r.Entities < 3 {
		t.Errorf("entities = %d, want at least 3 (PERSON, ORG, MONEY)", r.Entities)
	}
}

func TestBuildTableTargets(t *testing.T) {
	r := &report{
		Ingest: &ingestResult{
			Ingest:   []loadResult{{Concurrency: 1, PerSecond: 100}, {Concurrency: 16, PerSecond: 700}, {Concurrency: 64, PerSecond: 800}},
			Raw:      []loadResult{{Concurrency: 1, PerSecond: 200}, {Concurrency: 16, PerSecond: 1000}, {Concurrency: 64, PerSecond: 1000}},
			HalfRate: loadResult{Concurrency: 16, P99ms: 12},
		},
		E2E: []e2eResult{
			{Name: "lat0-w1", Workers: 1, DocsPerSec: 310, Annotated: 10, Documents: 10},
			{Name: "lat50-w1", LatencyMs: 50, Workers: 1, DocsPerSec: 100, Annotated: 10, Documents: 10},
			{Name: "lat50-w4", LatencyMs: 50, Workers: 4, DocsPerSec: 300, Annotated: 10, Documents: 10},
		},
	}
	got := map[string]string{}
	for _, x := range buildTable(r) {
		if x.Target != "" {
			got[x.Measure] = x.Value + " " + x.Met
		}
	}
	want := map[string]string{
		"c=16 ratio ingest/raw":                       "0.70 yes",
		"scaling 1 -> 4 workers (fraction of linear)": "0.75 NO",
	}
	for m, w := range want {
		if got[m] != w {
			t.Errorf("%s = %q, want %q", m, got[m], w)
		}
	}
	var half, lat0 string
	for m, v := range got {
		if strings.HasPrefix(m, "c=16 at half rate") {
			half = v
		}
		if strings.HasPrefix(m, "lat0-w1") {
			lat0 = v
		}
	}
	if half != "0.00 / 12.00 ms NO" || lat0 != "310.0 yes" {
		t.Errorf("half rate %q, lat0 %q", half, lat0)
	}
}

func TestParseFlagsQuick(t *testing.T) {
	o, err := parseFlags([]string{"-quick"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if o.docs != 200 || o.loadTime != time.Second {
		t.Errorf("quick: docs %d, load %v; want 200, 1s", o.docs, o.loadTime)
	}
	o, err = parseFlags([]string{"-quick", "-docs", "50"}, &strings.Builder{})
	if err != nil || o.docs != 50 {
		t.Errorf("quick with -docs 50: docs %d, err %v", o.docs, err)
	}
	if _, err := parseFlags([]string{"-e2e-source", "export"}, &strings.Builder{}); err == nil {
		t.Error("-e2e-source export without -export: no error")
	}
}
