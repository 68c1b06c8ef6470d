package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/internal/natstest"
	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
)

var testNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

const (
	testOwner   = "acme"
	testProject = "ner-demo"
	botUser     = "svc-bot"
	botPass     = "s3cret-pw"
)

// fixture is a JetStream server with tagflow's streams and a client of the
// test's own (not the CLI's).
type fixture struct {
	srv *natstest.Server
	c   *queue.Client
	pub *queue.Publisher
}

// setup starts JetStream, creates both streams and the given consumers.
func setup(tb testing.TB, kinds ...queue.Kind) *fixture {
	tb.Helper()
	srv := natstest.Start(tb)
	c, err := queue.New(srv.Connect(tb), queue.Config{PublishTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	ctx := testCtx(tb)
	if err := c.EnsureStreams(ctx); err != nil {
		tb.Fatal(err)
	}
	for _, k := range kinds {
		if err := c.EnsureConsumer(ctx, k); err != nil {
			tb.Fatal(err)
		}
	}
	return &fixture{srv: srv, c: c, pub: queue.NewPublisher(c)}
}

func testCtx(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// env is the environment the CLI sees: NATS_URL of the fixture and a short timeout.
func (f *fixture) env() map[string]string {
	return map[string]string{"NATS_URL": f.srv.ClientURL(), "TAGFLOW_CTL_TIMEOUT": "10s"}
}

// publishCreated publishes one created event per document id and returns the envelopes.
func (f *fixture) publishCreated(tb testing.TB, ids ...string) []event.Envelope {
	tb.Helper()
	var out []event.Envelope
	for _, id := range ids {
		e := event.New(testNow, testOwner, testProject, id, "", event.StatusCreated, event.SourceGUI)
		if dup, err := f.pub.Publish(testCtx(tb), e); err != nil || dup {
			tb.Fatalf("publish %s: duplicate %v, err %v", id, dup, err)
		}
		out = append(out, e)
	}
	return out
}

func (f *fixture) status(tb testing.TB) queue.Status {
	tb.Helper()
	st, err := f.c.Status(testCtx(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// settledStatus returns the status once the annotator consumer's pending
// count equals the stream's messages not yet delivered to it, or the last
// status after 10 s: JetStream updates a consumer's pending count a moment
// after a publish is acknowledged.
func (f *fixture) settledStatus(tb testing.TB, wantPending uint64) queue.Status {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := f.status(tb)
		if consumerStatus(tb, st, "annotator").Pending == wantPending || time.Now().After(deadline) {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func consumerStatus(tb testing.TB, st queue.Status, name string) queue.ConsumerStatus {
	tb.Helper()
	for _, c := range st.Consumers {
		if c.Name == name {
			return c
		}
	}
	tb.Fatalf("consumer %s not in status %+v", name, st)
	return queue.ConsumerStatus{}
}

// consume runs an annotator consumer with h until done reports true (polled
// with a deadline), then stops it and waits for it.
func (f *fixture) consume(tb testing.TB, h queue.Handler, done func() bool) {
	tb.Helper()
	co, err := queue.NewConsumer(f.c, queue.Annotator, queue.ConsumerOptions{
		Concurrency: 1, FetchWait: 200 * time.Millisecond, ShutdownGrace: time.Second,
		Now: func() time.Time { return testNow },
	})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		runErr = co.Run(ctx, h)
	}()
	defer func() {
		cancel()
		wg.Wait()
		if runErr != nil {
			tb.Errorf("consumer: %v", runErr)
		}
	}()
	waitFor(tb, 30*time.Second, done)
}

// deadLetter produces n dead letters for real: it publishes created events for
// doc-1…doc-n and lets an annotator consumer dead-letter each with reason
// not_found and HTTP status 404.
func (f *fixture) deadLetter(tb testing.TB, n int) []event.Envelope {
	tb.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("doc-%d", i+1)
	}
	envs := f.publishCreated(tb, ids...)
	h := func(_ context.Context, _ *queue.Delivery) queue.Outcome {
		return queue.DeadLetter("not_found", errors.New("tagtog: plain_html: document not found"), 404)
	}
	f.consume(tb, h, func() bool {
		st, err := f.c.Status(testCtx(tb))
		return err == nil && st.DLQ.Msgs == uint64(n) && consumerStatus(tb, st, "annotator").AckPending == 0
	})
	return envs
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, d time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("condition not met within %s", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// result is one run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs tagflowctl in-process with env as its environment.
func cli(tb testing.TB, env map[string]string, args ...string) result {
	tb.Helper()
	var out, errOut bytes.Buffer
	code := run(testCtx(tb), args, config.MapLookup(env), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// mustCLI runs tagflowctl and fails the test unless it exits with want.
func mustCLI(tb testing.TB, want int, env map[string]string, args ...string) result {
	tb.Helper()
	r := cli(tb, env, args...)
	if r.code != want {
		tb.Fatalf("tagflowctl %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, want, r.stdout, r.stderr)
	}
	return r
}

// tagtogEnv is an emulator behind an httptest.Server that counts search requests.
type tagtogEnv struct {
	emu      *emulator.Server
	ts       *httptest.Server
	searches atomic.Int64
}

func newTagtog(tb testing.TB) *tagtogEnv {
	tb.Helper()
	t := &tagtogEnv{emu: emulator.New(emulator.Config{})}
	t.emu.AddUser(botUser, botPass, emulator.RoleSupercurator)
	t.emu.AddProject(testOwner, testProject, []string{"PERSON", "ORG", "MONEY"}, nil)
	t.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Has("search") {
			t.searches.Add(1)
		}
		t.emu.ServeHTTP(w, r)
	}))
	tb.Cleanup(func() {
		t.ts.Close()
		_ = t.emu.Close()
	})
	return t
}

// closedPort returns a local TCP address nothing listens on.
func closedPort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	return addr
}
