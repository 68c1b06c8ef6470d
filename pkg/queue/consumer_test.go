package queue_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
)

// clientWith returns a second client on f's connection whose config says
// maxDeliver; it does not touch the durable consumers.
func clientWith(tb testing.TB, f *fixture, maxDeliver int) *queue.Client {
	tb.Helper()
	c, err := queue.New(f.nc, queue.Config{
		MaxDeliver: maxDeliver, RetryBase: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		PublishTimeout: 2 * time.Second,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestServerMaxDeliverWins checks that the Retry/dead-letter decision uses
// the durable consumer's MaxDeliver on the server, not the running
// process's config: otherwise the server's last delivery is Nak'd, never
// delivered again, and lost.
func TestServerMaxDeliverWins(t *testing.T) {
	errTransient := errors.New("tagtog: 503 Service Unavailable")
	tests := []struct {
		name string
		// serverMax is the consumer's MaxDeliver on the server when Run starts.
		serverMax int
		// lowerTo, when not 0, is set on the server by another process
		// during the first delivery.
		lowerTo        int
		wantMaxDeliver []int // Delivery.MaxDeliver the handler saw, per delivery
	}{
		{name: "lower at start", serverMax: 2, wantMaxDeliver: []int{2, 2}},
		{name: "lowered while running", serverMax: 8, lowerTo: 2, wantMaxDeliver: []int{8, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, func(c *queue.Config) { c.MaxDeliver = tt.serverMax })
			other := clientWith(t, f, tt.lowerTo)
			// This process's config says 8, whatever the server has.
			mine := *f
			mine.c = clientWith(t, f, 8)
			reg := prometheus.NewPedanticRegistry()
			m := queue.NewMetrics(reg)
			e := newEnv("doc1", event.StatusCreated)
			f.publish(t, e)
			rec := &recorder{next: func(n int, _ *queue.Delivery) queue.Outcome {
				if n == 1 && tt.lowerTo != 0 {
					if err := other.EnsureConsumer(testCtx(t), queue.Annotator); err != nil {
						t.Errorf("lower MaxDeliver: %v", err)
					}
				}
				return queue.Retry(errTransient, 0)
			}}
			stop := mine.run(t, queue.Annotator, queue.ConsumerOptions{Concurrency: 2, Metrics: m}, rec.handle)
			waitFor(t, "dead letter", func() bool { return outcomeCount(t, reg, "dead_lettered") == 1 })
			stop()

			if got := rec.calls(); got != 2 {
				t.Fatalf("handler calls = %d, want 2", got)
			}
			for i, d := range rec.deliveries() {
				if d.NumDelivered != i+1 || d.MaxDeliver != tt.wantMaxDeliver[i] {
					t.Errorf("delivery %d: NumDelivered %d MaxDeliver %d, want %d and %d",
						i, d.NumDelivered, d.MaxDeliver, i+1, tt.wantMaxDeliver[i])
				}
			}
			for o, want := range map[string]float64{"retried": 1, "dead_lettered": 1, "failed": 0, "annotated": 0} {
				if got := outcomeCount(t, reg, o); got != want {
					t.Errorf("outcome %s = %v, want %v", o, got, want)
				}
			}
			raw := dlqRaw(t, f)
			if len(raw) != 1 {
				t.Fatalf("dead letters = %d, want 1", len(raw))
			}
			h := raw[0].Header
			if h.Get(queue.HeaderReason) != "max_deliver" || h.Get(queue.HeaderDeliveries) != "2" ||
				h.Get(queue.HeaderEventID) != e.ID || h.Get(queue.HeaderOriginalSeq) != "1" {
				t.Errorf("dead letter headers = %v", headerMap(h))
			}
			cs := consumerStatus(t, f.status(t), "annotator")
			if cs.AckPending != 0 || cs.Pending != 0 || cs.Redelivered != 0 {
				t.Errorf("annotator after dead letter: %+v", cs)
			}
		})
	}
}

// TestShutdownKeepsPullInFlight checks that a pull waiting at the server
// when Run's context ends is not abandoned: an event it brings afterwards
// is handled once, not left to wait out AckWait with a delivery used up.
func TestShutdownKeepsPullInFlight(t *testing.T) {
	f := setup(t, func(c *queue.Config) { c.AckWait = time.Minute })
	co, err := queue.NewConsumer(f.c, queue.Annotator, queue.ConsumerOptions{
		Concurrency: 1, FetchWait: 10 * time.Second, ShutdownGrace: time.Minute,
		Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: func(int, *queue.Delivery) queue.Outcome { return queue.Ack() }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- co.Run(ctx, rec.handle) }()
	waitFor(t, "a pull waiting at the server", func() bool {
		return consumerStatus(t, f.status(t), "annotator").Waiting == 1
	})
	cancel()
	e := newEnv("doc1", event.StatusCreated)
	f.publish(t, e)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	if got := rec.calls(); got != 1 {
		t.Fatalf("handler calls = %d, want 1", got)
	}
	if d := rec.deliveries()[0]; d.NumDelivered != 1 || d.Envelope.ID != e.ID {
		t.Errorf("delivery = %+v", d)
	}
	cs := consumerStatus(t, f.status(t), "annotator")
	if cs.AckPending != 0 || cs.Pending != 0 || cs.Redelivered != 0 || cs.Waiting != 0 {
		t.Errorf("annotator after stop: %+v", cs)
	}
}

// TestLastDeliveryWaitsForTheDeadLetterStream: at the last delivery a dead
// letter that cannot be stored is not Nak'd (JetStream would never deliver
// the event again); the consumer keeps trying until the dead-letter stream
// is back, and the event ends there.
func TestLastDeliveryWaitsForTheDeadLetterStream(t *testing.T) {
	f := setup(t, func(c *queue.Config) { c.MaxDeliver = 1 })
	js, err := jetstream.New(f.nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(testCtx(t), "TAGTOG_DLQ"); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	e := newEnv("doc1", event.StatusCreated)
	f.publish(t, e)
	called := make(chan struct{}, 1)
	rec := &recorder{next: func(n int, _ *queue.Delivery) queue.Outcome {
		called <- struct{}{}
		return queue.Retry(errors.New("tagtog: 503 Service Unavailable"), 0)
	}}
	stop := f.run(t, queue.Annotator, queue.ConsumerOptions{Concurrency: 1, Metrics: queue.NewMetrics(reg)}, rec.handle)
	defer stop()
	<-called
	// Let a few publish attempts fail, then bring the stream back.
	waitFor(t, "failed attempts", func() bool { return rec.calls() == 1 })
	time.Sleep(6 * time.Second) // the outage being simulated (longer than the old three attempts), not a wait for a condition
	if err := f.c.EnsureStreams(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dead letter", func() bool { return outcomeCount(t, reg, "dead_lettered") == 1 })
	if got := outcomeCount(t, reg, "failed"); got != 0 {
		t.Errorf("failed outcomes = %v, want 0", got)
	}
	raw := dlqRaw(t, f)
	if len(raw) != 1 || raw[0].Header.Get(queue.HeaderReason) != "max_deliver" || raw[0].Header.Get(queue.HeaderEventID) != e.ID {
		t.Fatalf("dead letters %d, want 1 max_deliver letter of the event", len(raw))
	}
	if got := rec.calls(); got != 1 {
		t.Errorf("handler calls = %d, want 1", got)
	}
}
