package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagflow/tagflow/internal/natstest"
	"github.com/tagflow/tagflow/pkg/annotate/builtin"
	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/pipeline"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/tagtog"
	"github.com/tagflow/tagflow/pkg/webhook"
)

const (
	owner, project   = "acme", "news"
	apiUser, apiPass = "bot", "api-secret"
	hookUser, hookPw = "tagtog", "hook-secret"
)

// stack is the system under test, started as the end-to-end tests start it:
// an in-process JetStream server, the webhook handler publishing to it, a
// consumer running the pipeline with the builtin model, and the emulator
// behind an HTTP server whose project webhook points at the handler.
type stack struct {
	emu    *emulator.Server
	emuURL string
	queue  *queue.Client
	hooks  *hookRecorder
}

func startStack(tb testing.TB) *stack {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ns := natstest.Start(tb)

	reg := prometheus.NewRegistry()
	qc, err := queue.Connect(ctx, ns.ClientURL(), "browser", queue.Config{RetryBase: 200 * time.Millisecond, RetryMax: 2 * time.Second}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := qc.EnsureStreams(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := qc.EnsureConsumer(ctx, queue.Annotator); err != nil {
		tb.Fatal(err)
	}

	h, err := webhook.New(webhook.Config{
		Publisher: queue.NewPublisher(qc), Username: hookUser, Password: hookPw,
		Metrics: webhook.NewMetrics(reg),
	})
	if err != nil {
		tb.Fatal(err)
	}
	rec := &hookRecorder{next: h}
	hook := httptest.NewServer(rec)

	emu := emulator.New(emulator.Config{WebhookWorkers: 4})
	emu.AddUser(apiUser, apiPass, emulator.RoleAdmin)
	emu.AddProject(owner, project, []string{"PERSON", "ORG", "MONEY"}, []string{"Category"})
	if err := emu.SetWebhook(owner, project, emulator.Webhook{URL: hook.URL + "/webhook", User: hookUser, Password: hookPw}); err != nil {
		tb.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu)

	client, err := tagtog.New(tagtog.Config{
		BaseURL: emuSrv.URL, Username: apiUser, Password: apiPass, Concurrency: 2,
		Metrics: tagtog.NewMetrics(reg),
		Retry:   retry.Policy{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond, Budget: 5 * time.Second},
	})
	if err != nil {
		tb.Fatal(err)
	}
	p := pipeline.New(pipeline.Config{Model: builtin.ModelName}, client, builtin.New(), pipeline.NewMetrics(reg), nil)
	consumer, err := queue.NewConsumer(qc, queue.Annotator, queue.ConsumerOptions{
		Concurrency: 2, FetchWait: 200 * time.Millisecond, Metrics: queue.NewMetrics(reg),
		Logger: slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := consumer.Run(ctx, p.Handle); err != nil {
			tb.Errorf("consumer: %v", err)
		}
	}()
	tb.Cleanup(func() {
		cancel()
		wg.Wait()
		emuSrv.Close()
		_ = emu.Close()
		hook.Close()
		qc.Close()
	})
	return &stack{emu: emu, emuURL: emuSrv.URL, queue: qc, hooks: rec}
}

// waitDrained waits until the emulator has delivered every webhook and the
// annotator consumer has nothing pending or unacknowledged.
func (s *stack) waitDrained(tb testing.TB, webhooks int) queue.Status {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ws := s.emu.Stats().Webhooks
		st, err := s.queue.Status(context.Background())
		if err == nil && ws.Pending == 0 && ws.Delivered+ws.Failed >= webhooks {
			for _, c := range st.Consumers {
				if c.Name == string(queue.Annotator) && c.Pending == 0 && c.AckPending == 0 {
					return st
				}
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not drained after 60s: webhooks %+v, queue %+v (err %v)", ws, st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitPushes waits until the document has been pushed n times.
func (s *stack) waitPushes(tb testing.TB, id string, n int) emulator.Document {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		d, err := s.emu.Document(owner, project, id)
		if err != nil {
			tb.Fatalf("document %s: %v", id, err)
		}
		if d.Pushes >= n {
			return d
		}
		if time.Now().After(deadline) {
			tb.Fatalf("document %s pushed %d times after 60s, want %d (emulator %+v)", id, d.Pushes, n, s.emu.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hookRecorder notes every webhook the ingest handler answered: its status
// and source headers, the document id and the handler's HTTP status.
type hookRecorder struct {
	next http.Handler

	mu   sync.Mutex
	seen []string
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var p struct {
		DocID string `json:"docid"`
	}
	_ = json.Unmarshal(body, &p)
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	h.next.ServeHTTP(sw, r)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, strings.Join([]string{
		r.Header.Get("X-tagtog-onPushSave-status"), r.Header.Get("X-tagtog-onPushSave-source"), p.DocID, http.StatusText(sw.code),
	}, " "))
}

// deliveries returns the recorded webhooks, sorted: the emulator delivers
// with several workers, so their order is not fixed.
func (h *hookRecorder) deliveries() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := append([]string(nil), h.seen...)
	sort.Strings(out)
	return out
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// testWriter sends log lines to the test's log, shown when it fails.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
