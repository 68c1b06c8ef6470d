package chaos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/pipeline"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/retry"
)

// standIn is a tagtog stand-in in front of the emulator: while broken, it
// serves a plain.html that is not a tagtog document for the ids in notAnndoc
// and answers 400 to every push of the ids in reject. Everything else goes
// to the emulator unchanged.
type standIn struct {
	next      http.Handler
	notAnndoc map[string]bool
	reject    map[string]bool
	broken    atomic.Bool
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.broken.Load() {
		s.next.ServeHTTP(w, r)
		return
	}
	q := r.URL.Query()
	if r.Method == http.MethodGet && q.Get("output") == "plain.html" && s.notAnndoc[q.Get("ids")] {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		_, _ = io.WriteString(w, "<p>This is a web page, not a tagtog document.</p>")
		return
	}
	if r.Method == http.MethodPost && q.Get("format") == "anndoc" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for id := range s.reject {
			if bytes.Contains(body, []byte(id+".plain.html")) {
				http.Error(w, "entity type e_9 does not exist (stand-in rejection)", http.StatusBadRequest)
				return
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	s.next.ServeHTTP(w, r)
}

func TestPoisonDocuments(t *testing.T) {
	poison(t, "poison", 12, 1)
}

func TestPoisonDocumentsLarge(t *testing.T) {
	heavy(t)
	poison(t, "poison-large", 300, 10)
}

// poison publishes good documents and perKind poison documents of each
// kind (unknown id, plain.html not anndoc, push always rejected), checks
// that exactly the poison ones are dead-lettered at their first delivery
// with the right reason, then fixes the stand-in and redrives every dead
// letter: the fixable ones are annotated, the unknown ids come back.
func poison(t *testing.T, scenario string, good, perKind int) {
	const maxDeliver = 3
	si := &standIn{notAnndoc: map[string]bool{}, reject: map[string]bool{}}
	tt := startTagtog(t, emulator.Faults{}, func(h http.Handler) http.Handler { si.next = h; return si })
	si.broken.Store(true)
	ns := startNATS(t, queue.Config{AckWait: 5 * time.Second, MaxDeliver: maxDeliver, RetryBase: 100 * time.Millisecond, RetryMax: time.Second})
	startInprocWorker(t, ns, tt.url, inprocOptions{
		concurrency: 4,
		retry:       retry.Policy{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond, Budget: 2 * time.Second},
	})

	docs := importDocs(t, tt.emu, "good", good)
	notAnndoc := importDocs(t, tt.emu, "not-anndoc", perKind)
	rejected := importDocs(t, tt.emu, "rejected", perKind)
	want := map[string]map[string]bool{ // reason -> document ids
		pipeline.ReasonNotFound:  {},
		pipeline.ReasonNotAnndoc: {},
		pipeline.ReasonRejected:  {},
	}
	for _, d := range notAnndoc {
		si.notAnndoc[d.id] = true
		want[pipeline.ReasonNotAnndoc][d.id] = true
	}
	for _, d := range rejected {
		si.reject[d.id] = true
		want[pipeline.ReasonRejected][d.id] = true
	}
	var unknown []string
	for i := range perKind {
		id := fmt.Sprintf("aUnknownDocument%012d-missing.txt", i)
		unknown = append(unknown, id)
		want[pipeline.ReasonNotFound][id] = true
	}
	wantStatus := map[string]int{pipeline.ReasonNotFound: 404, pipeline.ReasonNotAnndoc: 0, pipeline.ReasonRejected: 400}

	// Poison events are interleaved with good ones.
	var ids []string
	stride, j := max(good/perKind, 1), 0
	for i, d := range docs {
		ids = append(ids, d.id)
		if (i+1)%stride == 0 && j < perKind {
			ids = append(ids, unknown[j], notAnndoc[j].id, rejected[j].id)
			j++
		}
	}
	for ; j < perKind; j++ {
		ids = append(ids, unknown[j], notAnndoc[j].id, rejected[j].id)
	}
	sent := len(ids)
	if sent != good+3*perKind {
		t.Fatalf("built %d events, want %d", sent, good+3*perKind)
	}
	ns.publishCreated(t, ids)
	ns.waitDrained(t, sent, 90*time.Second)

	// Exactly the poison documents are dead letters, each at its first delivery.
	letters := ns.dlq(t)
	got := map[string]map[string]bool{}
	for _, m := range letters {
		if got[m.Reason] == nil {
			got[m.Reason] = map[string]bool{}
		}
		if got[m.Reason][m.Envelope.DocID] {
			t.Errorf("document %s dead-lettered twice", m.Envelope.DocID)
		}
		got[m.Reason][m.Envelope.DocID] = true
		if m.Deliveries != 1 || m.Deliveries > maxDeliver {
			t.Errorf("%s (%s): dead-lettered after %d deliveries, want 1 (MaxDeliver %d)", m.Envelope.DocID, m.Reason, m.Deliveries, maxDeliver)
		}
		if ws, ok := wantStatus[m.Reason]; ok && m.Status != ws {
			t.Errorf("%s (%s): status %d, want %d", m.Envelope.DocID, m.Reason, m.Status, ws)
		}
	}
	for _, reason := range sortedKeys(want) {
		if !sameSet(got[reason], want[reason]) {
			t.Errorf("dead letters with reason %s: %v, want %v", reason, sortedKeys(got[reason]), sortedKeys(want[reason]))
		}
	}
	for _, reason := range sortedKeys(got) {
		if _, ok := want[reason]; !ok {
			t.Errorf("unexpected dead letters with reason %s: %v", reason, sortedKeys(got[reason]))
		}
	}
	if len(letters) != 3*perKind {
		t.Errorf("dead letters: %d, want %d", len(letters), 3*perKind)
	}
	goodTally := tally(t, tt.emu, docs, true)
	poisonTally := tally(t, tt.emu, append(append([]doc{}, notAnndoc...), rejected...), false)
	if goodTally.annotated != good || goodTally.pushedTwice != 0 || poisonTally.annotated != 0 {
		t.Errorf("good annotated %d (pushed twice %d), poison annotated %d; want %d, 0, 0",
			goodTally.annotated, goodTally.pushedTwice, poisonTally.annotated, good)
	}
	f := figures{scenario: scenario, sent: sent, acked: sent, annotated: goodTally.annotated,
		deadLettered: len(letters), lost: sent - goodTally.annotated - len(letters), duplicated: goodTally.pushedTwice}
	f.add("not_found", len(got[pipeline.ReasonNotFound]))
	f.add("not_anndoc", len(got[pipeline.ReasonNotAnndoc]))
	f.add("rejected", len(got[pipeline.ReasonRejected]))
	f.add("max_deliver", maxDeliver)
	f.log(t)
	if f.lost != 0 {
		t.Errorf("lost %d events", f.lost)
	}

	// The cause is fixed; every dead letter is redriven.
	si.broken.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, m := range letters {
		if err := ns.qc.Redrive(ctx, m.Seq); err != nil {
			t.Fatalf("redrive %d: %v", m.Seq, err)
		}
	}
	ns.waitDrained(t, sent+len(letters), 90*time.Second)
	again := ns.dlq(t)
	var back []string
	for _, m := range again {
		if m.Reason != pipeline.ReasonNotFound || m.Deliveries != 1 {
			t.Errorf("after redrive: %s dead-lettered with %s after %d deliveries, want only not_found after 1", m.Envelope.DocID, m.Reason, m.Deliveries)
		}
		back = append(back, m.Envelope.DocID)
	}
	sort.Strings(back)
	if !sameSet(setOf(back), want[pipeline.ReasonNotFound]) {
		t.Errorf("after redrive the dead letters are %v, want the unknown ids %v", back, sortedKeys(want[pipeline.ReasonNotFound]))
	}
	fixed := tally(t, tt.emu, append(append([]doc{}, notAnndoc...), rejected...), true)
	all := tally(t, tt.emu, docs, true)
	if fixed.annotated != 2*perKind || fixed.pushedTwice != 0 || all.pushedTwice != 0 {
		t.Errorf("after redrive: %d of %d fixed documents annotated (pushed twice %d; good pushed twice %d)",
			fixed.annotated, 2*perKind, fixed.pushedTwice, all.pushedTwice)
	}
	f2 := figures{scenario: scenario + "-redriven", sent: len(letters), acked: len(letters), annotated: fixed.annotated,
		deadLettered: len(again), lost: len(letters) - fixed.annotated - len(again), duplicated: fixed.pushedTwice + all.pushedTwice}
	f2.log(t)
	if f2.lost != 0 {
		t.Errorf("lost %d redriven events", f2.lost)
	}
}

func setOf(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
