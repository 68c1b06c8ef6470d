package queue_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tagflow/tagflow/internal/natstest"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
)

var testNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

type fixture struct {
	srv *natstest.Server
	nc  *nats.Conn
	c   *queue.Client
	pub *queue.Publisher
}

// setup starts a JetStream server and creates the streams and both consumers
// with fast retries; mod changes the config first.
func setup(tb testing.TB, mod func(*queue.Config), opts ...natstest.Option) *fixture {
	tb.Helper()
	srv := natstest.Start(tb, opts...)
	nc := srv.Connect(tb)
	cfg := queue.Config{RetryBase: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, PublishTimeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := queue.New(nc, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	ctx := testCtx(tb)
	if err := c.EnsureStreams(ctx); err != nil {
		tb.Fatal(err)
	}
	for _, k := range []queue.Kind{queue.Annotator, queue.Exporter} {
		if err := c.EnsureConsumer(ctx, k); err != nil {
			tb.Fatal(err)
		}
	}
	return &fixture{srv: srv, nc: nc, c: c, pub: queue.NewPublisher(c)}
}

func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func newEnv(docID string, status event.Status) event.Envelope {
	return event.New(testNow, "acme", "ner.demo", docID, "", status, event.SourceGUI)
}

func (f *fixture) publish(tb testing.TB, e event.Envelope) {
	tb.Helper()
	if _, err := f.pub.Publish(testCtx(tb), e); err != nil {
		tb.Fatalf("publish: %v", err)
	}
}

// run starts a consumer; the returned stop cancels it and waits for Run.
func (f *fixture) run(tb testing.TB, kind queue.Kind, opts queue.ConsumerOptions, h queue.Handler) (stop func()) {
	tb.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.FetchWait == 0 {
		opts.FetchWait = 500 * time.Millisecond
	}
	co, err := queue.NewConsumer(f.c, kind, opts)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- co.Run(ctx, h) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("Run: %v", err)
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}

func (f *fixture) status(tb testing.TB) queue.Status {
	tb.Helper()
	s, err := f.c.Status(testCtx(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func consumerStatus(tb testing.TB, s queue.Status, name string) queue.ConsumerStatus {
	tb.Helper()
	for _, c := range s.Consumers {
		if c.Name == name {
			return c
		}
	}
	tb.Fatalf("no consumer %q in %+v", name, s.Consumers)
	return queue.ConsumerStatus{}
}

// waitFor polls cond until it holds or 15s pass.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recorder is a handler that records deliveries and answers with next.
type recorder struct {
	mu   sync.Mutex
	got  []seen
	next func(n int, d *queue.Delivery) queue.Outcome
}

func (r *recorder) handle(_ context.Context, d *queue.Delivery) queue.Outcome {
	r.mu.Lock()
	r.got = append(r.got, seen{Envelope: d.Envelope, NumDelivered: d.NumDelivered, MaxDeliver: d.MaxDeliver, Subject: d.Subject, Seq: d.Seq, Data: d.Data})
	n := len(r.got)
	r.mu.Unlock()
	return r.next(n, d)
}

func (r *recorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func (r *recorder) deliveries() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.got...)
}

// seen is what a handler saw of one delivery.
type seen struct {
	Envelope     event.Envelope
	NumDelivered int
	MaxDeliver   int
	Subject      string
	Seq          uint64
	Data         []byte
}
