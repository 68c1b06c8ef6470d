package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/internal/natstest"
	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunAnnotatesAnEvent runs the worker command as main does, configured
// through the environment only, and checks that an event published to
// JetStream ends as pushed annotations, that /readyz answers, and that the
// password appears nowhere in the logs.
func TestRunAnnotatesAnEvent(t *testing.T) {
	ns := natstest.Start(t)
	emu := emulator.New(emulator.Config{})
	emu.AddUser("bot", "worker-s3cret", emulator.RoleAdmin)
	emu.AddProject("acme", "news", []string{"PERSON", "ORG", "MONEY"}, nil)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	defer emu.Close()
	id, err := emu.ImportText("acme", "news", "pypl.txt",
		"Paypal Holdings Inc (PYPL) President and CEO Daniel Schulman Sold $2.7 million of Shares.", emulator.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}

	exportDir := t.TempDir()
	env := map[string]string{
		"NATS_URL":               ns.ClientURL(),
		"TAGTOG_URL":             srv.URL,
		"TAGTOG_USERNAME":        "bot",
		"TAGTOG_PASSWORD":        "worker-s3cret",
		"TAGFLOW_CONCURRENCY":    "2",
		"TAGFLOW_METRICS_LISTEN": "127.0.0.1:0",
		"TAGFLOW_LOG_LEVEL":      "debug",
		"TAGFLOW_EXPORT_DIR":     exportDir,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	addr := make(chan string, 1)
	done := make(chan int, 1)
	go func() { done <- run(ctx, nil, config.MapLookup(env), &logs, func(a string) { addr <- a }) }()
	var metricsAddr string
	select {
	case metricsAddr = <-addr:
	case code := <-done:
		t.Fatalf("worker exited with %d: %s", code, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not start")
	}
	resp, err := http.Get("http://" + metricsAddr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d, want 200", resp.StatusCode)
	}

	qc, err := queue.Connect(ctx, ns.ClientURL(), "test", queue.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer qc.Close()
	if _, err := queue.NewPublisher(qc).Publish(ctx, event.New(time.Now(), "acme", "news", id, "", event.StatusCreated, event.SourceGUI)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := emu.Document("acme", "news", id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Pushes == 1 {
			if !strings.Contains(string(d.AnnJSON[emulator.Master]), `"text":"Daniel Schulman"`) {
				t.Errorf("pushed ann.json lacks the person: %s", d.AnnJSON[emulator.Master])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("document not pushed after 30s; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A person saves the document: the exporter appends it to the store.
	if _, err := queue.NewPublisher(qc).Publish(ctx, event.New(time.Now(), "acme", "news", id, "", event.StatusUpdated, event.SourceGUI)); err != nil {
		t.Fatal(err)
	}
	exported := filepath.Join(exportDir, "acme", "news.jsonl")
	for {
		b, _ := os.ReadFile(exported)
		if n := strings.Count(string(b), "\n"); n == 1 {
			if !strings.Contains(string(b), `"text":"Daniel Schulman"`) {
				t.Errorf("exported record lacks the annotations: %s", b)
			}
			break
		} else if n > 1 {
			t.Fatalf("%d exported lines, want 1", n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing exported to %s; logs:\n%s", exported, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`tagflow_events_processed_total{consumer="annotator",outcome="annotated"} 1`,
		`tagflow_entities_total{label="PERSON"} 1`,
		`tagflow_annotation_latency_seconds_count 1`,
		`tagflow_events_processed_total{consumer="exporter",outcome="annotated"} 1`,
	} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d, want 0", code)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("worker did not stop")
	}
	if strings.Contains(logs.String(), "worker-s3cret") {
		t.Error("the tagtog password appears in the logs")
	}
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown annotator", map[string]string{"TAGFLOW_ANNOTATOR": "magic"}, nil, `annotator "magic"`},
		{"bad unit", map[string]string{"TAGFLOW_OFFSET_UNIT": "bytes"}, nil, "bytes"},
		{"budget above ack wait", map[string]string{"TAGFLOW_RETRY_BUDGET": "2m"}, nil, "retry-budget (2m0s) must be below ack-wait (1m0s)"},
		{"zero concurrency", nil, []string{"-concurrency", "0"}, "concurrency must be at least 1"},
		{"bad label map", map[string]string{"TAGFLOW_LABEL_MAP": "PER"}, nil, "label-map"},
		{"unknown flag", nil, []string{"-nope"}, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			code := run(context.Background(), tc.args, config.MapLookup(tc.env), &out, nil)
			if code == 0 || !strings.Contains(out.String(), tc.want) {
				t.Errorf("exit %d, output %q; want non-zero and %q", code, out.String(), tc.want)
			}
		})
	}
}
