package chaos

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/retry"
)

// slowPushes delays every anndoc push by delay before the emulator sees
// it, as a tagtog under load would; reads are not delayed.
func slowPushes(delay time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Query().Get("format") == "anndoc" {
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// deliveryCounter counts the deliveries of each event a handler sees.
type deliveryCounter struct {
	mu    sync.Mutex
	count map[string]int // event id -> deliveries seen
	max   int            // highest NumDelivered seen
}

func (c *deliveryCounter) wrap(h queue.Handler) queue.Handler {
	return func(ctx context.Context, d *queue.Delivery) queue.Outcome {
		c.mu.Lock()
		c.count[d.Envelope.ID]++
		c.max = max(c.max, d.NumDelivered)
		c.mu.Unlock()
		return h(ctx, d)
	}
}

func TestPushSlowerThanAckWait(t *testing.T) {
	slowPush(t, "slow-push", 2, 2)
}

func TestPushSlowerThanAckWaitLarge(t *testing.T) {
	heavy(t)
	slowPush(t, "slow-push-large", 16, 8)
}

// slowPush: AckWait 2s, every push takes 5s. The consumer's InProgress
// signals keep each event from being redelivered: each is delivered once
// and pushed once.
func slowPush(t *testing.T, scenario string, n, concurrency int) {
	const ackWait, pushDelay = 2 * time.Second, 5 * time.Second
	tt := startTagtog(t, emulator.Faults{}, slowPushes(pushDelay))
	ns := startNATS(t, queue.Config{AckWait: ackWait, MaxDeliver: 3, RetryBase: 100 * time.Millisecond, RetryMax: time.Second})
	dc := &deliveryCounter{count: map[string]int{}}
	startInprocWorker(t, ns, tt.url, inprocOptions{
		concurrency: concurrency,
		// One attempt must be allowed to outlast the push; the budget
		// bounds the whole call and stays within what InProgress covers.
		retry:   retry.Policy{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond, Budget: 15 * time.Second},
		timeout: 10 * time.Second,
		wrap:    dc.wrap,
	})
	docs := importDocs(t, tt.emu, "slow", n)
	ns.publishCreated(t, docIDs(docs))
	ns.waitDrained(t, n, 60*time.Second)

	res := tally(t, tt.emu, docs, true)
	for i, d := range docs {
		if st := inspect(t, tt.emu, d); st.pushes != 1 {
			t.Errorf("document %d pushed %d times, want 1", i, st.pushes)
		}
	}
	info := ns.consumerInfo(t)
	redeliveries := int(info.Delivered.Consumer) - n
	dc.mu.Lock()
	events, maxSeen := len(dc.count), dc.max
	for id, c := range dc.count {
		if c != 1 {
			t.Errorf("event %s delivered %d times, want 1", id, c)
		}
	}
	dc.mu.Unlock()
	if events != n || maxSeen != 1 || redeliveries != 0 {
		t.Errorf("events handled %d (highest delivery count %d, redeliveries %d), want %d, 1, 0", events, maxSeen, redeliveries, n)
	}
	dlq := len(ns.dlq(t))
	f := figures{scenario: scenario, sent: n, acked: n, annotated: res.annotated, deadLettered: dlq,
		lost: n - res.annotated - dlq, duplicated: res.pushedTwice}
	f.add("ack_wait", ackWait)
	f.add("push_delay", pushDelay)
	f.add("redeliveries", redeliveries)
	f.log(t)
	if f.lost != 0 || dlq != 0 {
		t.Errorf("lost %d, dead-lettered %d; want 0, 0", f.lost, dlq)
	}
}
