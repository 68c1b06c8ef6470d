// Package stacktest starts tagflow's whole main job in one process for
// end-to-end tests, with real components: an in-process JetStream server, the
// webhook handler publishing to it, a consumer running the annotation
// pipeline with the builtin model, and the tagtog emulator behind an HTTP
// server whose project webhook points at the handler.
package stacktest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

// The project and credentials of the stack.
const (
	Owner, Project   = "acme", "news"
	APIUser, APIPass = "bot", "api-secret"
	HookUser, HookPw = "tagtog", "hook-secret"
)

// EntityTypes of the project, e_1, e_2, e_3 in this order; its document label is m_1 "Category".
var EntityTypes = []string{"PERSON", "ORG", "MONEY"}

// Options configure Start.
type Options struct {
	// Concurrency of the consumer and the tagtog client (default 4).
	Concurrency int
	// WrapIngest, when set, wraps the webhook handler (to record deliveries).
	WrapIngest func(http.Handler) http.Handler
}

// Stack is a running stack. Everything stops at the end of the test.
type Stack struct {
	Emu      *emulator.Server
	EmuURL   string
	Client   *tagtog.Client // signed in as APIUser
	Queue    *queue.Client
	HookURL  string
	Registry *prometheus.Registry
}

// Start starts a stack for tb.
func Start(tb testing.TB, o Options) *Stack {
	tb.Helper()
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	ctx, cancel := context.WithCancel(context.Background())
	ns := natstest.Start(tb)

	reg := prometheus.NewRegistry()
	// Short retry delays: a transient failure on a loaded machine is retried
	// within a test's deadline.
	qc, err := queue.Connect(ctx, ns.ClientURL(), "stacktest", queue.Config{RetryBase: 200 * time.Millisecond, RetryMax: 2 * time.Second}, nil)
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
		Publisher: queue.NewPublisher(qc), Username: HookUser, Password: HookPw,
		Metrics: webhook.NewMetrics(reg),
	})
	if err != nil {
		tb.Fatal(err)
	}
	var ingest http.Handler = h
	if o.WrapIngest != nil {
		ingest = o.WrapIngest(h)
	}
	hook := httptest.NewServer(ingest)

	emu := emulator.New(emulator.Config{WebhookWorkers: 8})
	emu.AddUser(APIUser, APIPass, emulator.RoleAdmin)
	emu.AddProject(Owner, Project, EntityTypes, []string{"Category"})
	if err := emu.SetWebhook(Owner, Project, emulator.Webhook{URL: hook.URL + "/webhook", User: HookUser, Password: HookPw}); err != nil {
		tb.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu)

	client, err := tagtog.New(tagtog.Config{
		BaseURL: emuSrv.URL, Username: APIUser, Password: APIPass, Concurrency: o.Concurrency,
		Metrics: tagtog.NewMetrics(reg),
		Retry:   retry.Policy{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond, Budget: 5 * time.Second},
	})
	if err != nil {
		tb.Fatal(err)
	}
	p := pipeline.New(pipeline.Config{Model: builtin.ModelName}, client, builtin.New(), pipeline.NewMetrics(reg), nil)
	consumer, err := queue.NewConsumer(qc, queue.Annotator, queue.ConsumerOptions{
		Concurrency: o.Concurrency, FetchWait: 200 * time.Millisecond, Metrics: queue.NewMetrics(reg),
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
	return &Stack{Emu: emu, EmuURL: emuSrv.URL, Client: client, Queue: qc, HookURL: hook.URL, Registry: reg}
}

// WaitDrained waits up to a minute until the emulator has delivered at least
// webhooks webhooks and the annotator consumer has nothing pending or
// unacknowledged, and returns the queue's status then.
func (s *Stack) WaitDrained(tb testing.TB, webhooks int) queue.Status {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ws := s.Emu.Stats().Webhooks
		st, err := s.Queue.Status(context.Background())
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

// WaitPushes waits up to a minute until the document has been pushed n times.
func (s *Stack) WaitPushes(tb testing.TB, id string, n int) emulator.Document {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		d, err := s.Emu.Document(Owner, Project, id)
		if err != nil {
			tb.Fatalf("document %s: %v", id, err)
		}
		if d.Pushes >= n {
			return d
		}
		if time.Now().After(deadline) {
			tb.Fatalf("document %s pushed %d times after 60s, want %d (emulator %+v)", id, d.Pushes, n, s.Emu.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testWriter sends log lines to the test's log, shown when it fails.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
