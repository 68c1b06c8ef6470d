package queue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tagflow/tagflow/internal/natstest"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
)

func TestPublishDeduplicatesCreatedOnly(t *testing.T) {
	f := setup(t, nil)
	ctx := testCtx(t)
	created := newEnv("doc1", event.StatusCreated)
	again := newEnv("doc1", event.StatusCreated) // a second delivery of the same import: new event id
	updated1 := newEnv("doc1", event.StatusUpdated)
	updated2 := newEnv("doc1", event.StatusUpdated)
	steps := []struct {
		name    string
		env     event.Envelope
		dup     bool
		streamN uint64
	}{
		{"created", created, false, 1},
		{"same import again", again, true, 1},
		{"updated", updated1, false, 2},
		{"second save", updated2, false, 3},
		{"other member", event.New(testNow, "acme", "ner.demo", "doc1", "alice", event.StatusCreated, ""), false, 4},
	}
	for _, s := range steps {
		dup, err := f.pub.Publish(ctx, s.env)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if dup != s.dup {
			t.Errorf("%s: duplicate = %v, want %v", s.name, dup, s.dup)
		}
		if got := f.status(t).Stream.Msgs; got != s.streamN {
			t.Errorf("%s: stream msgs = %d, want %d", s.name, got, s.streamN)
		}
	}
}

func TestPublishErrors(t *testing.T) {
	t.Run("invalid envelope", func(t *testing.T) {
		f := setup(t, nil)
		e := newEnv("doc1", event.StatusCreated)
		e.Owner = ""
		_, err := f.pub.Publish(testCtx(t), e)
		if !errors.Is(err, event.ErrInvalid) {
			t.Fatalf("err = %v, want event.ErrInvalid", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		f := setup(t, nil, natstest.MaxPayload(600))
		e := newEnv(strings.Repeat("d", 1000), event.StatusCreated)
		_, err := f.pub.Publish(testCtx(t), e)
		if !errors.Is(err, queue.ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		var tl interface{ TooLarge() bool }
		if !errors.As(err, &tl) || !tl.TooLarge() {
			t.Fatalf("err %v does not answer TooLarge()", err)
		}
		if got := f.status(t).Stream.Msgs; got != 0 {
			t.Fatalf("stream msgs = %d, want 0", got)
		}
	})
	t.Run("server down", func(t *testing.T) {
		f := setup(t, func(c *queue.Config) { c.PublishTimeout = 300 * time.Millisecond })
		f.srv.Shutdown()
		_, err := f.pub.Publish(testCtx(t), newEnv("doc1", event.StatusCreated))
		if !errors.Is(err, queue.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		var tmp interface{ Temporary() bool }
		if !errors.As(err, &tmp) || !tmp.Temporary() {
			t.Fatalf("err %v does not answer Temporary()", err)
		}
		if err := f.c.Ready(testCtx(t)); !errors.Is(err, queue.ErrUnavailable) {
			t.Fatalf("Ready = %v, want ErrUnavailable", err)
		}
		// After a restart the same client publishes again.
		f.srv.Restart()
		waitFor(t, "reconnect", func() bool { return f.c.Ready(testCtx(t)) == nil })
		if _, err := f.pub.Publish(testCtx(t), newEnv("doc2", event.StatusCreated)); err != nil {
			t.Fatalf("publish after restart: %v", err)
		}
	})
}

// dlqRaw returns the raw dead letters with their headers.
func dlqRaw(tb testing.TB, f *fixture) []*jetstream.RawStreamMsg {
	tb.Helper()
	js, err := jetstream.New(f.nc)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := testCtx(tb)
	st, err := js.Stream(ctx, "TAGTOG_DLQ")
	if err != nil {
		tb.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func headerMap(h nats.Header) map[string]string {
	m := map[string]string{}
	for k := range h {
		m[k] = h.Get(k)
	}
	return m
}

func TestOutcomes(t *testing.T) {
	errTransient := errors.New("tagtog: GET plain.html: 503 Service Unavailable")
	tests := []struct {
		name string
		// answer is the handler's outcome for delivery n (1-based).
		answer      func(n int) queue.Outcome
		calls       int
		outcomes    map[string]float64
		dlqHeaders  map[string]string // nil: no dead letter
		maxDeliver  int
		wantDeliver []int
	}{
		{
			name: "ack", answer: func(int) queue.Outcome { return queue.Ack() }, calls: 1,
			outcomes: map[string]float64{"annotated": 1}, wantDeliver: []int{1},
		},
		{
			name: "skip", answer: func(int) queue.Outcome { return queue.Skip("own push") }, calls: 1,
			outcomes: map[string]float64{"skipped": 1}, wantDeliver: []int{1},
		},
		{
			name: "retry then ack", calls: 3,
			answer: func(n int) queue.Outcome {
				if n < 3 {
					return queue.Retry(errTransient, 0)
				}
				return queue.Ack()
			},
			outcomes: map[string]float64{"retried": 2, "annotated": 1}, wantDeliver: []int{1, 2, 3},
		},
		{
			name: "dead letter", calls: 1,
			answer: func(int) queue.Outcome {
				return queue.DeadLetter("document_mismatch", errors.New("push to https://bot:s3cret@tagtog.example/-api: result \"created\"\nnot updated"), 409)
			},
			outcomes: map[string]float64{"dead_lettered": 1}, wantDeliver: []int{1},
			dlqHeaders: map[string]string{
				"Tagflow-Reason":           "document_mismatch",
				"Tagflow-Error":            `push to https://redacted@tagtog.example/-api: result "created" not updated`,
				"Tagflow-Status":           "409",
				"Tagflow-Deliveries":       "1",
				"Tagflow-Time":             "2024-05-06T07:08:09Z",
				"Tagflow-Consumer":         "annotator",
				"Tagflow-Original-Subject": "tagtog.events.created.acme.ner~2Edemo",
				"Tagflow-Original-Seq":     "1",
				"Nats-Msg-Id":              "dlq:annotator:1",
			},
		},
		{
			name: "max deliver", calls: 3, maxDeliver: 3,
			answer:   func(int) queue.Outcome { return queue.Retry(errTransient, 0).WithStatus(503) },
			outcomes: map[string]float64{"retried": 2, "dead_lettered": 1}, wantDeliver: []int{1, 2, 3},
			dlqHeaders: map[string]string{
				"Tagflow-Reason":           "max_deliver",
				"Tagflow-Error":            errTransient.Error(),
				"Tagflow-Status":           "503",
				"Tagflow-Deliveries":       "3",
				"Tagflow-Time":             "2024-05-06T07:08:09Z",
				"Tagflow-Consumer":         "annotator",
				"Tagflow-Original-Subject": "tagtog.events.created.acme.ner~2Edemo",
				"Tagflow-Original-Seq":     "1",
				"Nats-Msg-Id":              "dlq:annotator:1",
			},
		},
		{
			name: "panic", calls: 1,
			answer:   func(int) queue.Outcome { panic("boom") },
			outcomes: map[string]float64{"dead_lettered": 1}, wantDeliver: []int{1},
			dlqHeaders: map[string]string{
				"Tagflow-Reason":           "handler_panic",
				"Tagflow-Error":            "panic: boom",
				"Tagflow-Deliveries":       "1",
				"Tagflow-Time":             "2024-05-06T07:08:09Z",
				"Tagflow-Consumer":         "annotator",
				"Tagflow-Original-Subject": "tagtog.events.created.acme.ner~2Edemo",
				"Tagflow-Original-Seq":     "1",
				"Nats-Msg-Id":              "dlq:annotator:1",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, func(c *queue.Config) {
				if tt.maxDeliver != 0 {
					c.MaxDeliver = tt.maxDeliver
				}
			})
			reg := prometheus.NewPedanticRegistry()
			m := queue.NewMetrics(reg)
			e := newEnv("doc1", event.StatusCreated)
			f.publish(t, e)
			rec := &recorder{next: func(n int, _ *queue.Delivery) queue.Outcome { return tt.answer(n) }}
			stop := f.run(t, queue.Annotator, queue.ConsumerOptions{Concurrency: 2, Metrics: m}, rec.handle)
			waitFor(t, "all outcomes counted", func() bool {
				var sum float64
				for _, o := range []string{"annotated", "skipped", "retried", "dead_lettered", "failed"} {
					sum += outcomeCount(t, reg, o)
				}
				return sum == float64(tt.calls)
			})
			stop()
			if got := rec.calls(); got != tt.calls {
				t.Fatalf("handler calls = %d, want %d", got, tt.calls)
			}
			for i, d := range rec.deliveries() {
				if d.NumDelivered != tt.wantDeliver[i] || d.Envelope.ID != e.ID || d.Seq != 1 ||
					d.Subject != "tagtog.events.created.acme.ner~2Edemo" {
					t.Errorf("delivery %d = %+v", i, d)
				}
			}
			for _, o := range []string{"annotated", "skipped", "retried", "dead_lettered", "failed"} {
				if got := outcomeCount(t, reg, o); got != tt.outcomes[o] {
					t.Errorf("outcome %s = %v, want %v", o, got, tt.outcomes[o])
				}
			}
			st := f.status(t)
			if cs := consumerStatus(t, st, "annotator"); cs.AckPending != 0 || cs.Pending != 0 {
				t.Errorf("annotator after outcome: %+v", cs)
			}
			raw := dlqRaw(t, f)
			if tt.dlqHeaders == nil {
				if len(raw) != 0 {
					t.Fatalf("dead letters = %d, want 0", len(raw))
				}
				return
			}
			if len(raw) != 1 {
				t.Fatalf("dead letters = %d, want 1", len(raw))
			}
			want := map[string]string{"Tagflow-Event-Id": e.ID, "Nats-Expected-Stream": "TAGTOG_DLQ"}
			for k, v := range tt.dlqHeaders {
				want[k] = v
			}
			if got := headerMap(raw[0].Header); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("headers:\n got %v\nwant %v", got, want)
			}
			if raw[0].Subject != "tagtog.dlq.annotator.acme.ner~2Edemo" {
				t.Errorf("dlq subject = %s", raw[0].Subject)
			}
			body, _ := e.Marshal()
			if string(raw[0].Data) != string(body) {
				t.Errorf("dlq body = %s, want the original %s", raw[0].Data, body)
			}
		})
	}
}

// outcomeCount reads tagflow_events_processed_total{consumer="annotator",outcome=...}; 0 when absent.
func outcomeCount(tb testing.TB, reg *prometheus.Registry, outcome string) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "tagflow_events_processed_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func TestInvalidEnvelopeIsDeadLettered(t *testing.T) {
	f := setup(t, nil)
	js, err := jetstream.New(f.nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(testCtx(t), "tagtog.events.created.acme.ner", []byte(`{"v":1,"owner":"acme"}`)); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	m := queue.NewMetrics(reg)
	var calls atomic.Int32
	f.run(t, queue.Annotator, queue.ConsumerOptions{Metrics: m}, func(context.Context, *queue.Delivery) queue.Outcome {
		calls.Add(1)
		return queue.Ack()
	})
	waitFor(t, "dead letter", func() bool { return len(dlqRaw(t, f)) == 1 })
	raw := dlqRaw(t, f)[0]
	if raw.Subject != "tagtog.dlq.annotator.invalid" {
		t.Errorf("subject = %s", raw.Subject)
	}
	if got := raw.Header.Get("Tagflow-Reason"); got != "invalid_envelope" {
		t.Errorf("reason = %q", got)
	}
	if got := raw.Header.Get("Tagflow-Error"); got != "invalid event: missing id" {
		t.Errorf("error = %q", got)
	}
	if raw.Header.Get("Tagflow-Event-Id") != "" {
		t.Errorf("event id header on an invalid envelope")
	}
	if calls.Load() != 0 {
		t.Errorf("handler called %d times for an invalid envelope", calls.Load())
	}
	waitFor(t, "terminated", func() bool { return consumerStatus(t, f.status(t), "annotator").AckPending == 0 })
	list, err := f.c.ListDLQ(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Reason != "invalid_envelope" || !errors.Is(list[0].EnvelopeErr, event.ErrInvalid) {
		t.Fatalf("ListDLQ = %+v", list)
	}
}

func TestRedrive(t *testing.T) {
	f := setup(t, nil)
	e1, e2 := newEnv("doc1", event.StatusCreated), newEnv("doc2", event.StatusCreated)
	f.publish(t, e1)
	f.publish(t, e2)
	var fail atomic.Bool
	fail.Store(true)
	rec := &recorder{next: func(_ int, d *queue.Delivery) queue.Outcome {
		if fail.Load() {
			return queue.DeadLetter("tagtog_4xx", errors.New("404 not found"), 404)
		}
		return queue.Ack()
	}}
	f.run(t, queue.Annotator, queue.ConsumerOptions{Concurrency: 1}, rec.handle)
	waitFor(t, "two dead letters", func() bool { return f.status(t).DLQ.Msgs == 2 })

	ctx := testCtx(t)
	list, err := f.c.ListDLQ(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("ListDLQ: %d dead letters, want 2", len(list))
	}
	want := queue.DLQMessage{Seq: 1, Time: testNow, Reason: "tagtog_4xx", Error: "404 not found", Status: 404,
		Deliveries: 1, Consumer: "annotator", Subject: "tagtog.events.created.acme.ner~2Edemo", Envelope: e1}
	got := list[0]
	got.Data = nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("ListDLQ[0]:\n got %+v\nwant %+v", got, want)
	}
	one, err := f.c.GetDLQ(ctx, list[1].Seq)
	if err != nil || one.Envelope.ID != e2.ID {
		t.Fatalf("GetDLQ = %+v, %v", one, err)
	}
	if _, err := f.c.GetDLQ(ctx, 99); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("GetDLQ(99) err = %v, want ErrNotFound", err)
	}

	fail.Store(false)
	if err := f.c.Redrive(ctx, list[0].Seq); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "redriven event handled", func() bool { return rec.calls() == 3 })
	d := rec.deliveries()[2]
	if d.Envelope.ID != e1.ID || d.NumDelivered != 1 || d.Seq != 3 {
		t.Errorf("redriven delivery = %+v", d)
	}
	st := f.status(t)
	if st.DLQ.Msgs != 1 || st.Stream.Msgs != 3 {
		t.Errorf("after redrive: dlq %d msgs, stream %d msgs; want 1 and 3", st.DLQ.Msgs, st.Stream.Msgs)
	}
	if err := f.c.Redrive(ctx, list[0].Seq); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("second redrive err = %v, want ErrNotFound", err)
	}
}

func TestInProgressPreventsRedelivery(t *testing.T) {
	// AckWait 2s: the in-progress signal every AckWait/3 keeps a margin of
	// over a second against scheduling stalls on a loaded machine.
	f := setup(t, func(c *queue.Config) { c.AckWait = 2 * time.Second })
	f.publish(t, newEnv("doc1", event.StatusCreated))
	rec := &recorder{next: func(_ int, d *queue.Delivery) queue.Outcome {
		time.Sleep(5 * time.Second) // slow work, two and a half times AckWait
		return queue.Ack()
	}}
	stop := f.run(t, queue.Annotator, queue.ConsumerOptions{Concurrency: 2}, rec.handle)
	waitFor(t, "ack", func() bool {
		cs := consumerStatus(t, f.status(t), "annotator")
		if n := rec.calls(); n > 1 {
			t.Fatalf("handler calls = %d, want 1 (redelivered while in progress); %+v", n, cs)
		}
		return rec.calls() == 1 && cs.AckPending == 0
	})
	stop()
	if got := rec.calls(); got != 1 {
		t.Fatalf("handler calls = %d, want 1", got)
	}
	if cs := consumerStatus(t, f.status(t), "annotator"); cs.Redelivered != 0 {
		t.Fatalf("redelivered = %d, want 0", cs.Redelivered)
	}
}

func TestShutdown(t *testing.T) {
	t.Run("in-flight event finishes within grace", func(t *testing.T) {
		f := setup(t, nil)
		f.publish(t, newEnv("doc1", event.StatusCreated))
		started, release := make(chan struct{}), make(chan struct{})
		var ctxErrAtEnd atomic.Value
		stop := f.run(t, queue.Annotator, queue.ConsumerOptions{Concurrency: 1, ShutdownGrace: time.Minute},
			func(ctx context.Context, d *queue.Delivery) queue.Outcome {
				close(started)
				<-release
				ctxErrAtEnd.Store(fmt.Sprint(ctx.Err()))
				return queue.Ack()
			})
		<-started
		stopped := make(chan struct{})
		go func() { stop(); close(stopped) }()
		select {
		case <-stopped:
			t.Fatal("Run returned while a handler was running")
		case <-time.After(100 * time.Millisecond):
		}
		close(release)
		<-stopped
		if got := ctxErrAtEnd.Load(); got != "<nil>" {
			t.Errorf("handler context during grace: %v, want alive", got)
		}
		st := f.status(t)
		if cs := consumerStatus(t, st, "annotator"); cs.AckPending != 0 || cs.Pending != 0 {
			t.Errorf("after graceful stop: %+v", cs)
		}
	})
	t.Run("grace over: cancelled and nak'd at once", func(t *testing.T) {
		f := setup(t, func(c *queue.Config) { c.RetryBase = time.Hour; c.RetryMax = time.Hour })
		f.publish(t, newEnv("doc1", event.StatusCreated))
		started := make(chan struct{})
		stop := f.run(t, queue.Annotator, queue.ConsumerOptions{Concurrency: 1, ShutdownGrace: 50 * time.Millisecond},
			func(ctx context.Context, d *queue.Delivery) queue.Outcome {
				close(started)
				<-ctx.Done()
				return queue.Retry(ctx.Err(), 0)
			})
		<-started
		stop()
		// Nak'd without the hour-long delay: a new consumer gets it at once.
		rec := &recorder{next: func(int, *queue.Delivery) queue.Outcome { return queue.Ack() }}
		f.run(t, queue.Annotator, queue.ConsumerOptions{Concurrency: 1}, rec.handle)
		waitFor(t, "redelivery", func() bool { return rec.calls() == 1 })
		if d := rec.deliveries()[0]; d.NumDelivered != 2 {
			t.Errorf("NumDelivered = %d, want 2", d.NumDelivered)
		}
	})
}

func TestConsumersAreSeparate(t *testing.T) {
	f := setup(t, nil)
	f.publish(t, newEnv("doc1", event.StatusCreated))
	f.publish(t, newEnv("doc1", event.StatusUpdated))
	f.publish(t, newEnv("doc2", event.StatusUpdated))
	ann := &recorder{next: func(int, *queue.Delivery) queue.Outcome { return queue.Ack() }}
	exp := &recorder{next: func(int, *queue.Delivery) queue.Outcome { return queue.Ack() }}
	f.run(t, queue.Annotator, queue.ConsumerOptions{}, ann.handle)
	f.run(t, queue.Exporter, queue.ConsumerOptions{}, exp.handle)
	waitFor(t, "all handled", func() bool { return ann.calls() == 1 && exp.calls() == 2 })
	for _, d := range exp.deliveries() {
		if d.Envelope.Status != event.StatusUpdated {
			t.Errorf("exporter got %s", d.Envelope.Status)
		}
	}
}

func TestStatsCollector(t *testing.T) {
	f := setup(t, nil)
	f.publish(t, newEnv("doc1", event.StatusCreated))
	f.publish(t, newEnv("doc2", event.StatusCreated))
	f.publish(t, newEnv("doc3", event.StatusUpdated))
	reg := prometheus.NewPedanticRegistry()
	sc := queue.NewStatsCollector(f.c, nil, queue.Annotator, queue.Exporter)
	reg.MustRegister(sc)
	queue.NewMetrics(reg)
	want := `
# HELP tagflow_consumer_ack_pending_messages Events delivered to the consumer and not yet acknowledged (including delayed retries).
# TYPE tagflow_consumer_ack_pending_messages gauge
tagflow_consumer_ack_pending_messages{consumer="annotator"} 0
tagflow_consumer_ack_pending_messages{consumer="exporter"} 0
# HELP tagflow_consumer_pending_messages Events in the stream not yet delivered to the consumer.
# TYPE tagflow_consumer_pending_messages gauge
tagflow_consumer_pending_messages{consumer="annotator"} 2
tagflow_consumer_pending_messages{consumer="exporter"} 1
# HELP tagflow_dlq_messages Events in the dead-letter stream.
# TYPE tagflow_dlq_messages gauge
tagflow_dlq_messages 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"tagflow_consumer_pending_messages", "tagflow_consumer_ack_pending_messages", "tagflow_dlq_messages"); err != nil {
		t.Fatal(err)
	}
	if probs, err := testutil.GatherAndLint(reg); err != nil || len(probs) != 0 {
		t.Fatalf("lint: %v %+v", err, probs)
	}
	// NATS down: the series are left out, the scrape still works.
	f.srv.Shutdown()
	if n, err := testutil.GatherAndCount(reg, "tagflow_consumer_pending_messages", "tagflow_dlq_messages"); err != nil || n != 0 {
		t.Fatalf("with NATS down: %d series, err %v; want 0, nil", n, err)
	}
}

func TestEnsureIsIdempotentAndUpdates(t *testing.T) {
	f := setup(t, nil)
	ctx := testCtx(t)
	c2, err := queue.New(f.nc, queue.Config{MaxDeliver: 5, AckWait: 30 * time.Second, DuplicateWindow: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c2.EnsureConsumer(ctx, queue.Annotator); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(f.nc)
	cons, err := js.Consumer(ctx, "TAGTOG", "annotator")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.MaxDeliver != 5 || info.Config.AckWait != 30*time.Second || info.Config.FilterSubject != "tagtog.events.created.>" ||
		info.Config.MaxAckPending != 1024 || len(info.Config.BackOff) != 0 || info.Config.AckPolicy != jetstream.AckExplicitPolicy {
		t.Errorf("consumer config = %+v", info.Config)
	}
	st, _ := js.Stream(ctx, "TAGTOG")
	si, _ := st.Info(ctx)
	if si.Config.Duplicates != time.Minute || si.Config.Storage != jetstream.FileStorage || si.Config.Replicas != 1 ||
		fmt.Sprint(si.Config.Subjects) != "[tagtog.events.>]" {
		t.Errorf("stream config = %+v", si.Config)
	}
	if err := c2.EnsureConsumer(ctx, "other"); !errors.Is(err, queue.ErrConfig) {
		t.Errorf("unknown kind err = %v", err)
	}
	if err := c2.Ready(ctx); err != nil {
		t.Errorf("Ready = %v", err)
	}
}
