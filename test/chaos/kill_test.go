package chaos

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/queue"
)

// TestWorkerKilledMidBatch: two worker processes share the annotator
// consumer; one is killed with SIGKILL when a third of 240 documents are
// pushed, and nothing is restarted. The survivor gets the killed worker's
// unacknowledged events after AckWait (3s) and finishes the batch: every
// document is annotated, no document's entities are doubled (the merge
// replaces the model's own entities), nothing is left pending.
func TestWorkerKilledMidBatch(t *testing.T) {
	needWorkerBinary(t)
	const n, ackWait = 240, 3 * time.Second
	// Some latency on every call, so that the batch takes a few seconds
	// and the kill lands in the middle of it.
	tt := startTagtog(t, emulator.Faults{Latency: 30 * time.Millisecond, LatencyJitter: 20 * time.Millisecond, Seed: 1}, nil)
	ns := startNATS(t, queue.Config{AckWait: ackWait, MaxDeliver: 8})
	hook, ingestKind := startIngest(t, ns.srv.ClientURL(), 0)
	wc := workerConfig{natsURL: ns.srv.ClientURL(), tagtogURL: tt.url, concurrency: 4,
		ackWait: ackWait, maxDeliver: 8, retryBudget: 2 * time.Second}
	victim := startWorker(t, "worker-1", wc)
	survivor := startWorker(t, "worker-2", wc)

	docs := importDocs(t, tt.emu, "kill", n)
	answers := sendAll(t, hook, docs, 8)
	acked := codes(answers)[http.StatusAccepted]
	if acked != n {
		t.Fatalf("webhooks answered %v, want %d × 202", codes(answers), n)
	}

	waitFor(t, 60*time.Second, "a third of the documents to be pushed", func() bool { return tt.emu.Stats().Pushes >= n/3 })
	victim.kill(t)
	pushesAtKill := tt.emu.Stats().Pushes
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	st, err := ns.qc.Status(ctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := annotatorStatus(st)

	end := ns.waitDrained(t, n, 120*time.Second)
	res := tally(t, tt.emu, docs, true)
	info := ns.consumerInfo(t)
	redeliveries := int(info.Delivered.Consumer) - n
	series := survivor.scrape(t)
	es := tt.emu.Stats()

	f := figures{scenario: "worker-sigkill", sent: n, acked: acked, annotated: res.annotated,
		deadLettered: int(end.DLQ.Msgs), lost: acked - res.annotated - int(end.DLQ.Msgs), duplicated: res.pushedTwice}
	f.add("workers", 2)
	f.add("ingest", ingestKind)
	f.add("pushes_at_kill", pushesAtKill)
	f.add("ack_pending_at_kill", cs.AckPending)
	f.add("redeliveries", redeliveries)
	f.add("survivor_annotated", sumSeries(series, "tagflow_events_processed_total", `outcome="annotated"`))
	f.add("survivor_unchanged", sumSeries(series, "tagflow_events_processed_total", `outcome="skipped"`))
	f.add("doubled", res.doubled)
	f.log(t)

	c, _ := annotatorStatus(end)
	switch {
	case res.annotated != n:
		t.Errorf("annotated %d of %d", res.annotated, n)
	case res.doubled != 0:
		t.Errorf("%d documents have doubled entities", res.doubled)
	case end.DLQ.Msgs != 0:
		t.Errorf("dead letters: %d, want 0", end.DLQ.Msgs)
	case c.Pending != 0 || c.AckPending != 0:
		t.Errorf("consumer pending %d, ack pending %d; want 0, 0", c.Pending, c.AckPending)
	case redeliveries < 1:
		t.Errorf("no event was redelivered: the killed worker had nothing in flight, so the kill tested nothing")
	case len(es.Rejected) != 0 || es.PushesCreated != 0:
		t.Errorf("emulator rejected %v, created %d documents by pushes; want none", es.Rejected, es.PushesCreated)
	}
}
