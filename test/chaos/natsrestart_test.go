package chaos

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/queue"
)

// TestNATSRestartWhileWebhooksArrive: webhooks arrive at 50 per second from
// 4 senders; after a quarter of them NATS is shut down for 4s and started
// again on the same store. Ingest answers 202 only after the PubAck and 503
// otherwise (publish timeout 1s), so every webhook answered 202 must end
// annotated, and every other answer must be a 503. tagtog then redelivers
// the refused webhooks, as it retries failed deliveries: every document
// ends annotated, pushed once.
func TestNATSRestartWhileWebhooksArrive(t *testing.T) {
	needWorkerBinary(t)
	const n, outage, ackWait = 300, 4 * time.Second, 10 * time.Second
	tt := startTagtog(t, emulator.Faults{Latency: 5 * time.Millisecond}, nil)
	ns := startNATS(t, queue.Config{AckWait: ackWait, MaxDeliver: 8})
	hook, ingestKind := startIngest(t, ns.srv.ClientURL(), time.Second)
	wc := workerConfig{natsURL: ns.srv.ClientURL(), tagtogURL: tt.url, concurrency: 4,
		ackWait: ackWait, maxDeliver: 8, retryBudget: 5 * time.Second}
	startWorker(t, "worker-1", wc)
	startWorker(t, "worker-2", wc)
	docs := importDocs(t, tt.emu, "restart", n)

	// Senders take the next document at each tick of a 20ms ticker.
	hc := &http.Client{Timeout: 30 * time.Second}
	answers := make([]hookResult, n)
	var answered, refusedDuringOutage atomic.Int64
	var down atomic.Bool
	next := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range next {
				answers[i] = sendWebhook(context.Background(), hc, hook, docs[i].id)
				if down.Load() && answers[i].code == http.StatusServiceUnavailable {
					refusedDuringOutage.Add(1)
				}
				answered.Add(1)
			}
		})
	}
	wg.Go(func() {
		defer close(next)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := range docs {
			<-tick.C
			next <- i
		}
	})

	waitFor(t, 60*time.Second, "a quarter of the webhooks to be answered", func() bool { return answered.Load() >= n/4 })
	down.Store(true)
	ns.srv.Shutdown()
	answeredAtStop := answered.Load()
	// The outage is the fault itself: NATS stays down for a fixed time.
	time.Sleep(outage)
	ns.srv.Start()
	down.Store(false)
	wg.Wait()
	end := ns.waitDrained(t, 1, 120*time.Second)

	// Phase 1: what the answers promised.
	byCode := codes(answers)
	acked, refused := byCode[http.StatusAccepted], byCode[http.StatusServiceUnavailable]
	if acked+refused != n {
		t.Errorf("answers %v: want only 202 and 503", byCode)
	}
	if refused == 0 {
		t.Errorf("no webhook was refused: the outage tested nothing")
	}
	res := tally(t, tt.emu, docs, false)
	lost, storedDespite503 := 0, 0
	for i, a := range answers {
		switch {
		case a.code == http.StatusAccepted && res.notAnnotatedIDs[docs[i].id]:
			lost++
			t.Errorf("document %d (%s): webhook answered 202 but the document was not annotated", i, docs[i].id)
		case a.code != http.StatusAccepted && !res.notAnnotatedIDs[docs[i].id]:
			storedDespite503++
		}
	}
	f := figures{scenario: "nats-restart", sent: n, acked: acked, annotated: res.annotated,
		deadLettered: int(end.DLQ.Msgs), lost: lost, duplicated: res.pushedTwice}
	f.add("ingest", ingestKind)
	f.add("outage", outage)
	f.add("answered_before_stop", answeredAtStop)
	f.add("refused_503", refused)
	f.add("refused_during_outage", refusedDuringOutage.Load())
	f.add("annotated_despite_503", storedDespite503)
	f.add("doubled", res.doubled)
	f.log(t)

	// Phase 2: tagtog retries the refused deliveries.
	var retried []doc
	for i, a := range answers {
		if a.code != http.StatusAccepted {
			retried = append(retried, docs[i])
		}
	}
	again := sendAll(t, hook, retried, 4)
	dups := 0
	for _, a := range again {
		if a.duplicate {
			dups++
		}
	}
	end = ns.waitDrained(t, 1, 60*time.Second)
	final := tally(t, tt.emu, docs, true)
	f2 := figures{scenario: "nats-restart-retried", sent: len(retried), acked: codes(again)[http.StatusAccepted],
		annotated: final.annotated, deadLettered: int(end.DLQ.Msgs), lost: n - final.annotated - int(end.DLQ.Msgs),
		duplicated: final.pushedTwice}
	f2.add("deduplicated", dups)
	f2.add("doubled", final.doubled)
	f2.log(t)
	c, _ := annotatorStatus(end)
	switch {
	case f2.acked != len(retried):
		t.Errorf("retried webhooks answered %v, want all 202", codes(again))
	case final.annotated != n || final.doubled != 0:
		t.Errorf("annotated %d of %d, doubled %d", final.annotated, n, final.doubled)
	case end.DLQ.Msgs != 0:
		t.Errorf("dead letters: %d, want 0", end.DLQ.Msgs)
	case c.Pending != 0 || c.AckPending != 0:
		t.Errorf("consumer pending %d, ack pending %d; want 0, 0", c.Pending, c.AckPending)
	case dups != storedDespite503:
		t.Errorf("%d retried webhooks were duplicates, want %d (the refused events stored anyway)", dups, storedDespite503)
	}
}
