package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// machine describes where the benchmark ran.
type machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	MemoryGiB  string `json:"memory_gib"`
	OS         string `json:"os"`
	Go         string `json:"go"`
	NATSServer string `json:"nats_server"`
	NATSClient string `json:"nats_go"`
	Commit     string `json:"commit"`
	Command    string `json:"command"`
}

// row is one line of the printed table.
type row struct {
	Area    string `json:"area"`
	Measure string `json:"measure"`
	Value   string `json:"value"`
	Target  string `json:"target,omitempty"`
	Met     string `json:"met,omitempty"` // "yes", "NO" or empty without a target
}

// report is what the benchmark writes as JSON.
type report struct {
	Time      time.Time      `json:"time"`
	Quick     bool           `json:"quick"`
	Machine   machine        `json:"machine"`
	Table     []row          `json:"table"`
	Ingest    *ingestResult  `json:"ingest,omitempty"`
	Annotator []corpusResult `json:"annotator,omitempty"`
	E2E       []e2eResult    `json:"end_to_end,omitempty"`
}

func describeMachine() machine {
	m := machine{
		Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(),
		NATSServer: server.VERSION, NATSClient: nats.Version, Command: commandLine(),
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 2 && fs[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(fs[1], 64)
				m.MemoryGiB = strconv.FormatFloat(kb/(1<<20), 'f', 1, 64)
			}
		}
		f.Close()
	}
	if b, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(b))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.Commit += "-dirty"
		}
	}
	return m
}

func commandLine() string {
	parts := make([]string, len(os.Args))
	for i, a := range os.Args {
		if i == 0 {
			a = filepath.Base(a) // not go run's temporary path
		}
		if a == "" || strings.ContainsAny(a, " \t'\"$") {
			a = strconv.Quote(a)
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// buildTable turns the results into the printed rows.
func buildTable(r *report) []row {
	var t []row
	add := func(area, measure, value, target, m string) {
		t = append(t, row{Area: area, Measure: measure, Value: value, Target: target, Met: m})
	}
	if in := r.Ingest; in != nil {
		for i, a := range in.Ingest {
			raw := in.Raw[i]
			ratio := 0.0
			if raw.PerSecond > 0 {
				ratio = a.PerSecond / raw.PerSecond
			}
			add("ingest", fmt.Sprintf("c=%d ingest webhooks/s (ack p50 / p99)", a.Concurrency),
				fmt.Sprintf("%.0f/s (%.2f / %.2f ms)", a.PerSecond, a.P50ms, a.P99ms), "", "")
			add("ingest", fmt.Sprintf("c=%d raw JetStream publishes/s (p50 / p99)", raw.Concurrency),
				fmt.Sprintf("%.0f/s (%.2f / %.2f ms)", raw.PerSecond, raw.P50ms, raw.P99ms), "", "")
			target, m := "", ""
			if a.Concurrency == 16 {
				target, m = ">= 0.70", met(ratio >= 0.7)
			}
			add("ingest", fmt.Sprintf("c=%d ratio ingest/raw", a.Concurrency), fmt.Sprintf("%.2f", ratio), target, m)
		}
		h := in.HalfRate
		add("ingest", fmt.Sprintf("c=16 at half rate (%.0f/s, got %.0f/s) ack p50 / p99", h.TargetRate, h.PerSecond),
			fmt.Sprintf("%.2f / %.2f ms", h.P50ms, h.P99ms), "p99 < 10 ms", met(h.P99ms < 10 && h.Errors == 0))
	}
	for _, c := range r.Annotator {
		add("annotator", fmt.Sprintf("builtin, %s corpus (%d docs, %.0f words/doc) words/s/core", c.Corpus, c.Documents, c.WordsPerDoc),
			fmt.Sprintf("%.0f", c.WordsPerSecond), ">= 1000000", met(c.WordsPerSecond >= 1e6))
		add("annotator", fmt.Sprintf("builtin, %s corpus allocs/doc (bytes/doc)", c.Corpus),
			fmt.Sprintf("%.0f (%.0f B)", c.AllocsPerDoc, c.BytesPerDoc), "", "")
		if c.ParseWordsPerSecond > 0 {
			add("annotator", "anndoc.Parse of the export's plain.html words/s (allocs/doc)",
				fmt.Sprintf("%.0f (%.0f)", c.ParseWordsPerSecond, c.ParseAllocsPerDoc), "", "")
		}
	}
	var base float64
	for _, e := range r.E2E {
		target, m := "", ""
		if e.LatencyMs == 0 {
			target, m = ">= 300 docs/s", met(e.DocsPerSec >= 300)
		}
		add("end-to-end", fmt.Sprintf("%s: latency %.0fms, %d worker(s) x %d, %d docs: docs/s", e.Name, e.LatencyMs, e.Workers, e.Concurrency, e.Annotated),
			fmt.Sprintf("%.1f", e.DocsPerSec), target, m)
		add("end-to-end", fmt.Sprintf("%s: annotation latency p50 / p95 / p99", e.Name),
			fmt.Sprintf("%.0f / %.0f / %.0f ms", e.P50ms, e.P95ms, e.P99ms), "", "")
		if e.Rejected+e.HooksFailed > 0 || e.Annotated < e.Documents {
			add("end-to-end", e.Name+": problems", fmt.Sprintf("%d not annotated, %d rejected pushes, %d failed webhooks",
				e.Documents-e.Annotated, e.Rejected, e.HooksFailed), "none", "NO")
		}
		if e.LatencyMs > 0 {
			if e.Workers == 1 {
				base = e.DocsPerSec
			} else if base > 0 {
				f := e.DocsPerSec / (base * float64(e.Workers))
				target, m := "", ""
				if e.Workers == 4 {
					target, m = ">= 0.80", met(f >= 0.8)
				}
				add("end-to-end", fmt.Sprintf("scaling 1 -> %d workers (fraction of linear)", e.Workers), fmt.Sprintf("%.2f", f), target, m)
			}
		}
	}
	return t
}

func printTable(w io.Writer, r *report) {
	m := r.Machine
	fmt.Fprintf(w, "\ntagflow benchmark  %s  commit %s\n", r.Time.Format(time.RFC3339), m.Commit)
	fmt.Fprintf(w, "machine: %s, %d cores, %s GiB, %s, %s, nats-server %s, nats.go %s\n", m.CPU, m.Cores, m.MemoryGiB, m.OS, m.Go, m.NATSServer, m.NATSClient)
	fmt.Fprintf(w, "command: %s\n\n", m.Command)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AREA\tMEASURE\tVALUE\tTARGET\tMET")
	for _, x := range r.Table {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.Area, x.Measure, x.Value, x.Target, x.Met)
	}
	_ = tw.Flush()
}

// writeJSON writes r as out/<timestamp>.json and returns the path.
func writeJSON(out string, r *report) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(out, r.Time.UTC().Format("20060102T150405Z")+".json")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	return p, os.WriteFile(p, append(b, '\n'), 0o644)
}
