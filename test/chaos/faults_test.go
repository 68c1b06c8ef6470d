package chaos

import (
	"fmt"
	"testing"
	"time"

	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/queue"
)

// TestTagtogFaults: 500 documents, two worker processes, and a tagtog that
// answers 30% of reads and pushes with 503, 5% of all calls with 429 and
// Retry-After: 1, drops 2% of connections without an answer and delays 1%
// by 1.5s, beyond the workers' 1s request timeout. Every document ends
// annotated, none is dead-lettered, and the workers' retry counters show
// each failure class. A push delayed past the request timeout is still
// applied by tagtog and then retried by the worker: such documents are
// pushed twice with the same bytes (counted as duplicated, allowed).
func TestTagtogFaults(t *testing.T) {
	needWorkerBinary(t)
	const n, ackWait = 500, 30 * time.Second
	faults := emulator.Faults{
		Latency: time.Millisecond, LatencyJitter: 4 * time.Millisecond,
		ErrorRate:     map[emulator.Op]float64{emulator.OpLegend: 0.3, emulator.OpGet: 0.3, emulator.OpPush: 0.3},
		ErrorStatus:   503,
		RateLimitRate: 0.05, RetryAfter: 1,
		DropRate:         0.02,
		LatencySpikeRate: 0.01, Spike: 1500 * time.Millisecond,
		Seed: 7,
	}
	tt := startTagtog(t, faults, nil)
	ns := startNATS(t, queue.Config{AckWait: ackWait, MaxDeliver: 8})
	wc := workerConfig{natsURL: ns.srv.ClientURL(), tagtogURL: tt.url, concurrency: 16,
		ackWait: ackWait, maxDeliver: 8, retryBudget: 15 * time.Second, tagtogTimeout: time.Second}
	workers := []*proc{startWorker(t, "worker-1", wc), startWorker(t, "worker-2", wc)}

	docs := importDocs(t, tt.emu, "faults", n)
	ns.publishCreated(t, docIDs(docs))
	end := ns.waitDrained(t, n, 150*time.Second)

	res := tally(t, tt.emu, docs, true)
	retries := map[string]float64{}
	var naks, annotated, skipped float64
	for _, w := range workers {
		s := w.scrape(t)
		for _, reason := range []string{"5xx", "429", "connection", "timeout", "408", "other"} {
			retries[reason] += sumSeries(s, "tagflow_tagtog_retries_total", fmt.Sprintf(`reason=%q`, reason))
		}
		naks += sumSeries(s, "tagflow_events_processed_total", `outcome="retried"`)
		annotated += sumSeries(s, "tagflow_events_processed_total", `outcome="annotated"`)
		skipped += sumSeries(s, "tagflow_events_processed_total", `outcome="skipped"`)
	}
	es := tt.emu.Stats()
	f := figures{scenario: "tagtog-faults", sent: n, acked: n, annotated: res.annotated,
		deadLettered: int(end.DLQ.Msgs), lost: n - res.annotated - int(end.DLQ.Msgs), duplicated: res.pushedTwice}
	f.add("injected_503", es.Faults.Errors)
	f.add("injected_429", es.Faults.RateLimited)
	f.add("injected_drops", es.Faults.Dropped)
	f.add("injected_spikes", es.Faults.Spikes)
	for _, reason := range []string{"5xx", "429", "connection", "timeout"} {
		f.add("retries_"+reason, retries[reason])
	}
	f.add("naks", naks)
	f.add("acked_unchanged", skipped)
	f.add("doubled", res.doubled)
	f.log(t)

	c, _ := annotatorStatus(end)
	if res.annotated != n || res.doubled != 0 || end.DLQ.Msgs != 0 || c.Pending != 0 || c.AckPending != 0 {
		t.Errorf("annotated %d of %d (doubled %d), dead letters %d, pending %d, ack pending %d",
			res.annotated, n, res.doubled, end.DLQ.Msgs, c.Pending, c.AckPending)
	}
	// Each event is acknowledged once: as annotated, or as skipped when a
	// redelivery found its push already stored.
	if int(annotated+skipped) != n {
		t.Errorf("workers acknowledged %v events as annotated and %v as skipped, want %d together", annotated, skipped, n)
	}
	for _, reason := range []string{"5xx", "429", "connection", "timeout"} {
		if retries[reason] == 0 {
			t.Errorf("tagflow_tagtog_retries_total{reason=%q} is 0", reason)
		}
	}
	if es.Faults.Errors == 0 || es.Faults.RateLimited == 0 || es.Faults.Dropped == 0 || es.Faults.Spikes == 0 {
		t.Errorf("emulator injected %+v: every kind of fault should have happened", es.Faults)
	}
}
