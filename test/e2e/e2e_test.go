// Package e2e runs tagflow's main job end to end in one process, with real
// components: an in-process JetStream server, the tagtog emulator behind an
// HTTP server, the webhook handler publishing to JetStream, and a consumer
// running the annotation pipeline with the builtin model.
package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagflow/tagflow/internal/natstest"
	"github.com/tagflow/tagflow/pkg/anndoc"
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

// stack is the system under test.
type stack struct {
	emu     *emulator.Server
	emuURL  string
	client  *tagtog.Client
	queue   *queue.Client
	hookURL string
	reg     *prometheus.Registry
}

func startStack(tb testing.TB, concurrency int) *stack {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ns := natstest.Start(tb)

	reg := prometheus.NewRegistry()
	// Short retry delays: a transient failure on a loaded machine is retried
	// within the test's deadline.
	qc, err := queue.Connect(ctx, ns.ClientURL(), "e2e", queue.Config{RetryBase: 200 * time.Millisecond, RetryMax: 2 * time.Second}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := qc.EnsureStreams(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := qc.EnsureConsumer(ctx, queue.Annotator); err != nil {
		tb.Fatal(err)
	}

	// ingest: the webhook handler publishing to JetStream.
	hook := httptest.NewServer(newIngest(tb, qc, reg))

	emu := emulator.New(emulator.Config{WebhookWorkers: 8})
	emu.AddUser(apiUser, apiPass, emulator.RoleAdmin)
	emu.AddProject(owner, project, []string{"PERSON", "ORG", "MONEY"}, []string{"Category"})
	if err := emu.SetWebhook(owner, project, emulator.Webhook{URL: hook.URL + "/webhook", User: hookUser, Password: hookPw}); err != nil {
		tb.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu)

	client, err := tagtog.New(tagtog.Config{
		BaseURL: emuSrv.URL, Username: apiUser, Password: apiPass, Concurrency: concurrency,
		Metrics: tagtog.NewMetrics(reg),
		Retry:   retry.Policy{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond, Budget: 5 * time.Second},
	})
	if err != nil {
		tb.Fatal(err)
	}
	p := pipeline.New(pipeline.Config{Model: builtin.ModelName}, client, builtin.New(), pipeline.NewMetrics(reg), nil)
	consumer, err := queue.NewConsumer(qc, queue.Annotator, queue.ConsumerOptions{
		Concurrency: concurrency, FetchWait: 200 * time.Millisecond, Metrics: queue.NewMetrics(reg), Logger: slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn})),
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
	return &stack{emu: emu, emuURL: emuSrv.URL, client: client, queue: qc, hookURL: hook.URL, reg: reg}
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

// words for generated news-like documents; every document names one person,
// one organisation and one amount, at known places.
var (
	people = []string{"Daniel Schulman", "Mary Jones", "Tony Blair", "Angela Merkel", "Tim Cook"}
	orgs   = []string{"Paypal Holdings Inc", "Bank of England", "Goldman Sachs", "Microsoft Corp", "Acme Holdings Inc"}
	money  = []string{"$2.7 million", "£1.2bn", "€300m", "$45 billion", "£600,000"}
)

func generated(i int) (text, person, org, amount string) {
	person, org, amount = people[i%len(people)], orgs[(i/5)%len(orgs)], money[(i/25)%len(money)]
	text = fmt.Sprintf("Report %d.\nShares of %s rose on Monday after %s said profits reached %s in the quarter.\n"+
		"Analysts expect more news next week.", i, org, person, amount)
	return text, person, org, amount
}

// TestBulkImportAnnotatesEveryDocumentOnce imports 60 generated documents
// through the emulator's API (each import fires a created webhook) and checks
// that every document was pushed exactly once with the expected entities.
func TestBulkImportAnnotatesEveryDocumentOnce(t *testing.T) {
	const n = 60
	s := startStack(t, 8)
	ctx := context.Background()
	ids := make([]string, n)
	for i := 0; i < n; i++ {
		text, _, _, _ := generated(i)
		id, err := s.client.ImportText(ctx, owner, project, fmt.Sprintf("report-%03d.txt", i), text)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	// Each import fires a created webhook; each push fires an updated one
	// (the webhook is not GUI-only), which is stored but never annotated.
	st := s.waitDrained(t, 2*n)
	if st.DLQ.Msgs != 0 {
		t.Errorf("dead letters: %d, want 0", st.DLQ.Msgs)
	}
	stats := s.emu.Stats()
	if stats.Pushes != n || stats.PushesCreated != 0 || len(stats.Rejected) != 0 {
		t.Errorf("emulator pushes %d (created %d, rejected %v), want %d, 0, none", stats.Pushes, stats.PushesCreated, stats.Rejected, n)
	}
	for i, id := range ids {
		text, person, org, amount := generated(i)
		d, err := s.emu.Document(owner, project, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Pushes != 1 {
			t.Errorf("document %d pushed %d times, want 1", i, d.Pushes)
		}
		a, err := anndoc.DecodeAnnJSON(d.AnnJSON[emulator.Master])
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"e_1|" + person: "", "e_2|" + org: "", "e_3|" + amount: "",
		}
		got := map[string]string{}
		for _, e := range a.Entities {
			got[e.ClassID+"|"+e.Offsets[0].Text] = ""
			if wantStart := strings.Index(text, e.Offsets[0].Text); e.Offsets[0].Start != wantStart {
				t.Errorf("document %d: %s at %d, want %d", i, e.Offsets[0].Text, e.Offsets[0].Start, wantStart)
			}
		}
		if len(got) != 3 || len(a.Entities) != 3 {
			t.Errorf("document %d: entities %v, want exactly %v", i, got, want)
			continue
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("document %d: missing %s in %v", i, k, got)
			}
		}
	}
}

// TestDuplicateWebhookStoredOnce: the same created webhook delivered twice is
// one stored event and one push; a created and an updated webhook for the
// same document are two events, and the updated one is never annotated.
func TestDuplicateWebhookStoredOnce(t *testing.T) {
	s := startStack(t, 2)
	id, err := s.emu.ImportText(owner, project, "dup.txt", "Tony Blair met Bank of England officials.", emulator.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	// The import fired one created webhook; fire it twice more.
	for i := 0; i < 2; i++ {
		if err := s.emu.FireCreated(owner, project, id); err != nil {
			t.Fatal(err)
		}
	}
	// 3 created deliveries + 1 updated (the push).
	st := s.waitDrained(t, 4)
	if st.Stream.Msgs != 2 {
		t.Errorf("stream holds %d events, want 2 (one created, one updated)", st.Stream.Msgs)
	}
	d, _ := s.emu.Document(owner, project, id)
	if d.Pushes != 1 {
		t.Errorf("pushes %d, want 1", d.Pushes)
	}
}

// testWriter sends log lines to the test's log, shown when it fails.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// newIngest is ingest's webhook handler publishing to JetStream, with
// Basic auth, served on /webhook as cmd/ingest serves it.
func newIngest(tb testing.TB, qc *queue.Client, reg *prometheus.Registry) http.Handler {
	tb.Helper()
	h, err := webhook.New(webhook.Config{
		Publisher: queue.NewPublisher(qc), Username: hookUser, Password: hookPw,
		Metrics: webhook.NewMetrics(reg),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}
