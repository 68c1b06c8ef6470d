package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagflow/tagflow/internal/natstest"
	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/annotate/builtin"
	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/pipeline"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/tagtog"
	"github.com/tagflow/tagflow/pkg/webhook"
)

const (
	owner, project     = "acme", "news"
	apiUser, apiPass   = "bot", "api-secret"
	hookUser, hookPass = "tagtog", "hook-secret"
)

// figures are one scenario's counts, printed in a fixed format so that
// RELIABILITY.md's table can be rebuilt from the test output.
type figures struct {
	scenario string
	// sent: events sent (webhooks posted, or envelopes published).
	sent int
	// acked: events acknowledged (webhook answered 2xx, or PubAck received).
	acked int
	// annotated: documents pushed at least once with exactly the expected entities.
	annotated int
	// deadLettered: events in the dead-letter stream at the end.
	deadLettered int
	// lost: acknowledged events neither annotated nor dead-lettered.
	lost int
	// duplicated: documents pushed more than once (same bytes each time).
	duplicated int
	extra      []string
}

func (f *figures) add(key string, v any) { f.extra = append(f.extra, fmt.Sprintf("%s=%v", key, v)) }

func (f figures) log(tb testing.TB) {
	tb.Helper()
	extra := ""
	if len(f.extra) > 0 {
		extra = " " + strings.Join(f.extra, " ")
	}
	tb.Logf("FIGURES scenario=%s sent=%d acked=%d annotated=%d dead_lettered=%d lost=%d duplicated=%d%s",
		f.scenario, f.sent, f.acked, f.annotated, f.deadLettered, f.lost, f.duplicated, extra)
}

// waitFor polls cond every 10ms until it holds, failing the test after timeout.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// --- tagtog side ---------------------------------------------------------

// tagtogSide is the emulator behind an HTTP server; handler, when set, sits
// in front of it (a stand-in that changes some answers).
type tagtogSide struct {
	emu *emulator.Server
	url string
}

func startTagtog(tb testing.TB, faults emulator.Faults, front func(http.Handler) http.Handler) *tagtogSide {
	tb.Helper()
	emu := emulator.New(emulator.Config{Faults: faults})
	emu.AddUser(apiUser, apiPass, emulator.RoleAdmin)
	emu.AddProject(owner, project, []string{"PERSON", "ORG", "MONEY"}, []string{"Category"})
	var h http.Handler = emu
	if front != nil {
		h = front(emu)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(func() { srv.Close(); _ = emu.Close() })
	return &tagtogSide{emu: emu, url: srv.URL}
}

// words of generated news-like documents: each names one person, one
// organisation and one amount, which the builtin model finds.
var (
	people = []string{"Daniel Schulman", "Mary Jones", "Tony Blair", "Angela Merkel", "Tim Cook"}
	orgs   = []string{"Paypal Holdings Inc", "Bank of England", "Goldman Sachs", "Microsoft Corp", "Acme Holdings Inc"}
	money  = []string{"$2.7 million", "£1.2bn", "€300m", "$45 billion", "£600,000"}
)

// doc is an imported document and the model entities it must end with.
type doc struct {
	id   string
	text string
	want map[string]int // "classId|text" -> start offset
}

func generated(i int) (text string, want map[string]int) {
	person, org, amount := people[i%len(people)], orgs[(i/5)%len(orgs)], money[(i/25)%len(money)]
	text = fmt.Sprintf("Report %d.\nShares of %s rose on Monday after %s said profits reached %s in the quarter.\n"+
		"Analysts expect more news next week.", i, org, person, amount)
	want = map[string]int{
		"e_1|" + person: strings.Index(text, person),
		"e_2|" + org:    strings.Index(text, org),
		"e_3|" + amount: strings.Index(text, amount),
	}
	return text, want
}

// importDocs imports n generated documents (no webhook is configured, so
// nothing fires; the scenarios send events themselves).
func importDocs(tb testing.TB, emu *emulator.Server, prefix string, n int) []doc {
	tb.Helper()
	docs := make([]doc, n)
	for i := range docs {
		text, want := generated(i)
		id, err := emu.ImportText(owner, project, fmt.Sprintf("%s-%04d.txt", prefix, i), text, emulator.SourceAPI)
		if err != nil {
			tb.Fatal(err)
		}
		docs[i] = doc{id: id, text: text, want: want}
	}
	return docs
}

// docState is what the emulator holds for one document.
type docState struct {
	pushes int
	// ok: the model's entities are exactly the expected ones.
	ok bool
	// modelEntities counts the entities of this model (more than expected
	// means an earlier push's entities were doubled instead of replaced).
	modelEntities int
	problem       string
}

func inspect(tb testing.TB, emu *emulator.Server, d doc) docState {
	tb.Helper()
	sd, err := emu.Document(owner, project, d.id)
	if err != nil {
		tb.Fatal(err)
	}
	st := docState{pushes: sd.Pushes}
	if sd.Pushes == 0 {
		st.problem = "never pushed"
		return st
	}
	a, err := anndoc.DecodeAnnJSON(sd.AnnJSON[emulator.Master])
	if err != nil {
		tb.Fatal(err)
	}
	who := anndoc.ModelWho(builtin.ModelName)
	got := map[string]int{}
	for _, e := range a.Entities {
		if e.Confidence == nil || len(e.Offsets) != 1 || !contains(e.Confidence.Who, who) {
			continue
		}
		st.modelEntities++
		got[e.ClassID+"|"+e.Offsets[0].Text] = e.Offsets[0].Start
	}
	st.ok = st.modelEntities == len(d.want) && len(got) == len(d.want)
	for k, start := range d.want {
		if g, found := got[k]; !found || g != start {
			st.ok = false
		}
	}
	if !st.ok {
		st.problem = fmt.Sprintf("entities %v (%d of the model), want %v", got, st.modelEntities, d.want)
	}
	return st
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// tally checks documents: how many are annotated exactly, pushed more than
// once, have doubled entities, or are not annotated. It reports every
// problem document as a test error when strict.
type tallyResult struct {
	annotated, pushedTwice, doubled, notAnnotated int
	notAnnotatedIDs                               map[string]bool
}

func tally(tb testing.TB, emu *emulator.Server, docs []doc, strict bool) tallyResult {
	tb.Helper()
	r := tallyResult{notAnnotatedIDs: map[string]bool{}}
	for i, d := range docs {
		st := inspect(tb, emu, d)
		if st.pushes > 1 {
			r.pushedTwice++
		}
		if st.modelEntities > len(d.want) {
			r.doubled++
		}
		if st.ok {
			r.annotated++
			continue
		}
		r.notAnnotated++
		r.notAnnotatedIDs[d.id] = true
		if strict {
			tb.Errorf("document %d (%s): %s", i, d.id, st.problem)
		}
	}
	return r
}

// --- NATS side -----------------------------------------------------------

type natsSide struct {
	srv *natstest.Server
	qc  *queue.Client
	js  jetstream.JetStream
	cfg queue.Config
}

// startNATS starts JetStream and creates the streams and the annotator
// consumer with cfg (workers must be given the same AckWait and MaxDeliver,
// or each would update the consumer to its own).
func startNATS(tb testing.TB, cfg queue.Config) *natsSide {
	tb.Helper()
	srv := natstest.Start(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	qc, err := queue.Connect(ctx, srv.ClientURL(), "chaos-test", cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(qc.Close)
	if err := qc.EnsureStreams(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := qc.EnsureConsumer(ctx, queue.Annotator); err != nil {
		tb.Fatal(err)
	}
	js, err := jetstream.New(srv.Connect(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return &natsSide{srv: srv, qc: qc, js: js, cfg: qc.Config()}
}

// annotator returns the annotator consumer's status.
func annotatorStatus(st queue.Status) (queue.ConsumerStatus, bool) {
	for _, c := range st.Consumers {
		if c.Name == string(queue.Annotator) {
			return c, true
		}
	}
	return queue.ConsumerStatus{}, false
}

// waitDrained waits until the stream holds at least events messages and the
// annotator consumer has none pending or unacknowledged.
func (n *natsSide) waitDrained(tb testing.TB, events int, timeout time.Duration) queue.Status {
	tb.Helper()
	var st queue.Status
	var err error
	waitFor(tb, timeout, "the annotator consumer to drain", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err = n.qc.Status(ctx)
		if err != nil || st.Stream.Msgs < uint64(events) {
			return false
		}
		c, ok := annotatorStatus(st)
		return ok && c.Pending == 0 && c.AckPending == 0
	})
	return st
}

// consumerInfo returns the annotator consumer's JetStream info; its
// Delivered.Consumer counts every delivery, redeliveries included.
func (n *natsSide) consumerInfo(tb testing.TB) *jetstream.ConsumerInfo {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := n.js.Consumer(ctx, n.cfg.Stream, string(queue.Annotator))
	if err != nil {
		tb.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return info
}

// publishCreated publishes one created event per id and fails on any error.
func (n *natsSide) publishCreated(tb testing.TB, ids []string) {
	tb.Helper()
	pub := queue.NewPublisher(n.qc)
	for _, id := range ids {
		env := event.New(time.Now(), owner, project, id, "", event.StatusCreated, event.SourceAPI)
		if _, err := pub.Publish(context.Background(), env); err != nil {
			tb.Fatalf("publish %s: %v", id, err)
		}
	}
}

// dlqByReason lists the dead letters as reason -> document ids.
func (n *natsSide) dlq(tb testing.TB) []queue.DLQMessage {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := n.qc.ListDLQ(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return msgs
}

// --- workers in this process ---------------------------------------------

type inprocOptions struct {
	concurrency int
	retry       retry.Policy
	timeout     time.Duration // one tagtog request
	reg         *prometheus.Registry
	// wrap, when set, wraps the pipeline's handler (to count deliveries).
	wrap func(queue.Handler) queue.Handler
}

// startInprocWorker runs the annotator consumer with the pipeline and the
// builtin model in this process, as cmd/worker wires them, until the test ends.
func startInprocWorker(tb testing.TB, n *natsSide, tagtogURL string, o inprocOptions) *prometheus.Registry {
	tb.Helper()
	if o.reg == nil {
		o.reg = prometheus.NewRegistry()
	}
	if o.concurrency == 0 {
		o.concurrency = 4
	}
	tt, err := tagtog.New(tagtog.Config{
		BaseURL: tagtogURL, Username: apiUser, Password: apiPass, Concurrency: o.concurrency,
		Retry: o.retry, Timeout: o.timeout, Metrics: tagtog.NewMetrics(o.reg),
	})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	qc, err := queue.Connect(ctx, n.srv.ClientURL(), "chaos-worker", n.cfg, nil)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	o.reg.MustRegister(queue.NewStatsCollector(qc, nil, queue.Annotator))
	p := pipeline.New(pipeline.Config{Model: builtin.ModelName}, tt, builtin.New(), pipeline.NewMetrics(o.reg), nil)
	consumer, err := queue.NewConsumer(qc, queue.Annotator, queue.ConsumerOptions{
		Concurrency: o.concurrency, FetchWait: 200 * time.Millisecond, ShutdownGrace: 2 * time.Second,
		Metrics: queue.NewMetrics(o.reg),
	})
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	h := queue.Handler(p.Handle)
	if o.wrap != nil {
		h = o.wrap(h)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := consumer.Run(ctx, h); err != nil {
			tb.Errorf("consumer: %v", err)
		}
	})
	tb.Cleanup(func() {
		cancel()
		wg.Wait()
		qc.Close()
	})
	return o.reg
}

// --- ingest ----------------------------------------------------------------

// startIngest starts ingest and returns its webhook URL: the ingest binary
// when TestMain built it, else the webhook handler publishing to JetStream
// in this process, as cmd/ingest wires it. publishTimeout bounds one
// publish including its PubAck (0: the default).
func startIngest(tb testing.TB, natsURL string, publishTimeout time.Duration) (url, kind string) {
	tb.Helper()
	if bins.ingest != "" {
		return startIngestProcess(tb, natsURL, publishTimeout), "process"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	qc, err := queue.Connect(ctx, natsURL, "chaos-ingest", queue.Config{PublishTimeout: publishTimeout}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := webhook.New(webhook.Config{
		Publisher: queue.NewPublisher(qc), Username: hookUser, Password: hookPass,
		RetryAfter: time.Second, Metrics: webhook.NewMetrics(prometheus.NewRegistry()),
	})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhook", h)
	srv := httptest.NewServer(mux)
	tb.Cleanup(func() { srv.Close(); qc.Close() })
	return srv.URL + "/webhook", "in-process"
}

// hookResult is the answer to one webhook delivery.
type hookResult struct {
	code      int // 0: no answer (connection error)
	duplicate bool
	err       error
}

// sendWebhook delivers tagtog's created webhook (tagtogID format) for id.
func sendWebhook(ctx context.Context, hc *http.Client, url, id string) hookResult {
	body, _ := json.Marshal(map[string]string{"owner": owner, "project": project, "tagtogID": id})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return hookResult{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.HeaderSource, "API")
	req.Header.Set(webhook.HeaderStatus, "created")
	req.SetBasicAuth(hookUser, hookPass)
	resp, err := hc.Do(req)
	if err != nil {
		return hookResult{err: err}
	}
	defer resp.Body.Close()
	r := hookResult{code: resp.StatusCode}
	if resp.StatusCode == http.StatusAccepted {
		var ans struct {
			Duplicate bool `json:"duplicate"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
			r.err = err
		}
		r.duplicate = ans.Duplicate
	}
	return r
}

// sendAll delivers one webhook per document with c concurrent senders and
// returns the answers in document order.
func sendAll(tb testing.TB, url string, docs []doc, c int) []hookResult {
	tb.Helper()
	hc := &http.Client{Timeout: 30 * time.Second}
	out := make([]hookResult, len(docs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for i := range next {
				out[i] = sendWebhook(context.Background(), hc, url, docs[i].id)
			}
		})
	}
	for i := range docs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// codes counts answers by status code (0: no answer).
func codes(rs []hookResult) map[int]int {
	m := map[int]int{}
	for _, r := range rs {
		m[r.code]++
	}
	return m
}

// sortedKeys returns m's keys in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// docIDs returns the documents' ids.
func docIDs(docs []doc) []string {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.id
	}
	return ids
}
