package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
)

// Emulator account the workers sign in with.
const (
	benchOwner    = "bench"
	tagtogUser    = "tagflow"
	tagtogPass    = "bench-tagtog"
	workerConc    = 16
	exportProject = "export"
)

// e2eResult is one end-to-end scenario.
type e2eResult struct {
	Name         string  `json:"name"`
	LatencyMs    float64 `json:"emulator_latency_ms"`
	Workers      int     `json:"workers"`
	Concurrency  int     `json:"concurrency_per_worker"`
	Documents    int     `json:"documents"`
	Annotated    int     `json:"annotated"`
	Seconds      float64 `json:"seconds"`
	DocsPerSec   float64 `json:"docs_per_second"`
	P50ms        float64 `json:"latency_p50_ms"`
	P95ms        float64 `json:"latency_p95_ms"`
	P99ms        float64 `json:"latency_p99_ms"`
	Rejected     int     `json:"pushes_rejected"`
	HooksFailed  int     `json:"webhooks_failed"`
	ExtraPushes  int     `json:"extra_pushes"`
	LatencyBasis string  `json:"latency_basis"`
	// CPU milliseconds per document during the run: all worker processes,
	// the ingest process, and this process (NATS, emulator, load).
	WorkerCPUms float64 `json:"worker_cpu_ms_per_doc"`
	IngestCPUms float64 `json:"ingest_cpu_ms_per_doc"`
	InProcCPUms float64 `json:"nats_emulator_cpu_ms_per_doc"`
	CoresBusy   float64 `json:"cores_busy"`
	// StageMeanMs is the workers' mean tagflow_stage_seconds per stage, in ms.
	StageMeanMs map[string]float64 `json:"worker_stage_mean_ms"`
}

// e2eCorpus says what the emulator holds before a scenario starts.
type e2eCorpus struct {
	texts  []string // generated texts, imported with ImportText
	export string   // or: export folder loaded into as many projects as needed
	n      int
}

// benchE2E runs the end-to-end scenarios, each on a fresh NATS store.
func benchE2E(ctx context.Context, o *options, binDir string) ([]e2eResult, error) {
	corpus := e2eCorpus{n: o.docs}
	if o.e2eSource == "export" {
		corpus.export = o.export
	} else {
		corpus.texts = generatedCorpus(o.docs, 400)
	}
	scenarios := []struct {
		name    string
		latency time.Duration
		workers int
	}{
		{"lat0-w1", 0, 1},
		{"lat50-w1", 50 * time.Millisecond, 1},
		{"lat50-w2", 50 * time.Millisecond, 2},
		{"lat50-w4", 50 * time.Millisecond, 4},
	}
	var out []e2eResult
	for i, sc := range scenarios {
		prof := ""
		if o.profile != "" && i == 0 {
			prof = filepath.Join(o.profile, "e2e-lat0-inprocess.cpu.pprof")
		}
		r, err := runScenario(ctx, o, binDir, corpus, sc.name, sc.latency, sc.workers, prof)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.name, err)
		}
		fmt.Fprintf(o.log, "  %-9s %4d docs in %6.2fs = %6.1f docs/s; latency p50 %.0fms p95 %.0fms p99 %.0fms; CPU ms/doc worker %.2f ingest %.2f nats+emulator %.2f; %.2f cores busy; stage means ms %v\n",
			r.Name, r.Annotated, r.Seconds, r.DocsPerSec, r.P50ms, r.P95ms, r.P99ms, r.WorkerCPUms, r.IngestCPUms, r.InProcCPUms, r.CoresBusy, r.StageMeanMs)
		out = append(out, r)
	}
	return out, nil
}

func runScenario(ctx context.Context, o *options, binDir string, corpus e2eCorpus, name string, latency time.Duration, workers int, profile string) (res e2eResult, err error) {
	res = e2eResult{Name: name, LatencyMs: ms(latency), Workers: workers, Concurrency: workerConc,
		LatencyBasis: "emulator push time minus envelope received_at (read back from the stream)"}
	dir, err := os.MkdirTemp(o.work, name+"-")
	if err != nil {
		return res, err
	}
	ns, err := startNATS(dir)
	if err != nil {
		return res, err
	}
	defer ns.Shutdown()

	// The emulator, in process, with webhooks pointing at ingest.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	emuURL := "http://" + ln.Addr().String()
	emu := emulator.New(emulator.Config{
		Unit: anndoc.UTF16, BaseURL: emuURL, WebhookWorkers: 16, WebhookQueue: corpus.n + 1000,
		WebhookRetries: 3, Faults: emulator.Faults{Latency: latency},
	})
	defer emu.Close()
	emu.AddUser(tagtogUser, tagtogPass, emulator.RoleAdmin)
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	srvDone := make(chan struct{})
	go func() { defer close(srvDone); _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-srvDone
	}()

	projects, err := loadCorpus(emu, corpus)
	if err != nil {
		return res, err
	}
	total := 0
	for _, p := range projects {
		ids, err := emu.DocumentIDs(benchOwner, p)
		if err != nil {
			return res, err
		}
		total += len(ids)
	}
	res.Documents = total

	ingestAddr, err := freeAddr()
	if err != nil {
		return res, err
	}
	var procs []*proc
	var metricsAddrs []string
	defer func() {
		for _, p := range procs { // ingest first, then the workers
			p.stop(30 * time.Second)
		}
	}()
	ing, err := spawn(name+"-ingest", filepath.Join(binDir, "ingest"), dir, []string{
		"NATS_URL=" + ns.ClientURL(), "TAGFLOW_LISTEN=" + ingestAddr,
		"TAGFLOW_WEBHOOK_USER=" + hookUser, "TAGFLOW_WEBHOOK_PASSWORD=" + hookPassword,
		"TAGFLOW_LOG_LEVEL=warn", "TAGFLOW_LOG_FORMAT=text",
	})
	if err != nil {
		return res, err
	}
	procs = append(procs, ing)
	if err := waitReady(ctx, ing, "http://"+ingestAddr+"/readyz", 30*time.Second); err != nil {
		return res, err
	}
	for i := range workers {
		maddr, err := freeAddr()
		if err != nil {
			return res, err
		}
		w, err := spawn(name+"-worker-"+strconv.Itoa(i+1), filepath.Join(binDir, "worker"), dir, []string{
			"NATS_URL=" + ns.ClientURL(), "TAGTOG_URL=" + emuURL,
			"TAGTOG_USERNAME=" + tagtogUser, "TAGTOG_PASSWORD=" + tagtogPass,
			"TAGFLOW_CONCURRENCY=" + strconv.Itoa(workerConc), "TAGFLOW_METRICS_LISTEN=" + maddr,
			"TAGFLOW_LOG_LEVEL=warn", "TAGFLOW_LOG_FORMAT=text",
		})
		if err != nil {
			return res, err
		}
		procs = append(procs, w)
		metricsAddrs = append(metricsAddrs, maddr)
		if err := waitReady(ctx, w, "http://"+maddr+"/readyz", 30*time.Second); err != nil {
			return res, err
		}
	}

	if profile != "" {
		stop, err := startProfile(profile)
		if err != nil {
			return res, err
		}
		defer stop()
	}
	cpu0 := make([]time.Duration, len(procs))
	for i, p := range procs {
		cpu0[i] = cpuTime(p.cmd.Process.Pid)
	}
	self0 := cpuTime(os.Getpid())

	// Fire one created webhook per document and wait for every push.
	start := time.Now()
	for _, p := range projects {
		if err := emu.SetWebhook(benchOwner, p, emulator.Webhook{
			URL: "http://" + ingestAddr + "/webhook", Format: emulator.FormatTagtogID, User: hookUser, Password: hookPassword,
		}); err != nil {
			return res, err
		}
		if _, err := emu.FireAll(ctx, benchOwner, p); err != nil {
			return res, err
		}
	}
	deadline := start.Add(o.e2eTimeout)
	for {
		st := emu.Stats()
		if st.Pushes >= total {
			break
		}
		for _, p := range procs {
			if !p.alive() {
				return res, fmt.Errorf("%s exited: %v\n%s", p.name, p.err, p.tail())
			}
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("only %d of %d documents pushed after %s (webhooks %+v, rejected %v)",
				st.Pushes, total, o.e2eTimeout, st.Webhooks, st.Rejected)
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	var workerCPU, ingestCPU time.Duration
	for i, p := range procs {
		d := cpuTime(p.cmd.Process.Pid) - cpu0[i]
		if i == 0 {
			ingestCPU = d
		} else {
			workerCPU += d
		}
	}
	selfCPU := cpuTime(os.Getpid()) - self0
	res.StageMeanMs = stageMeans(metricsAddrs)
	wall := time.Since(start)
	st := emu.Stats()
	for _, n := range st.Rejected {
		res.Rejected += n
	}
	res.HooksFailed = st.Webhooks.Failed
	res.ExtraPushes = st.Pushes - total

	received, err := receivedTimes(ctx, ns.ClientURL(), total)
	if err != nil {
		return res, err
	}
	var lat latencies
	var last time.Time
	for _, p := range projects {
		ids, err := emu.DocumentIDs(benchOwner, p)
		if err != nil {
			return res, err
		}
		for _, id := range ids {
			d, err := emu.Document(benchOwner, p, id)
			if err != nil {
				return res, err
			}
			if d.Pushes == 0 {
				continue
			}
			res.Annotated++
			if d.Updated.After(last) {
				last = d.Updated
			}
			if rt, ok := received[p+"\x00"+id]; ok {
				lat = append(lat, d.Updated.Sub(rt))
			}
		}
	}
	el := last.Sub(start)
	res.Seconds = round(el.Seconds(), 2)
	res.DocsPerSec = round(float64(res.Annotated)/el.Seconds(), 1)
	perDoc := func(d time.Duration) float64 { return round(ms(d)/float64(max(res.Annotated, 1)), 2) }
	res.WorkerCPUms, res.IngestCPUms, res.InProcCPUms = perDoc(workerCPU), perDoc(ingestCPU), perDoc(selfCPU)
	res.CoresBusy = round((workerCPU+ingestCPU+selfCPU).Seconds()/wall.Seconds(), 2)
	res.P50ms, res.P95ms, res.P99ms = ms(lat.quantile(.5)), ms(lat.quantile(.95)), ms(lat.quantile(.99))
	return res, nil
}

// loadCorpus fills the emulator and returns the project names holding the documents.
func loadCorpus(emu *emulator.Server, c e2eCorpus) ([]string, error) {
	if c.export == "" {
		emu.AddProject(benchOwner, "news", []string{"PERSON", "ORG", "MONEY"}, nil)
		for i, t := range c.texts {
			if _, err := emu.ImportText(benchOwner, "news", fmt.Sprintf("news-%05d.txt", i), t, emulator.SourceAPI); err != nil {
				return nil, err
			}
		}
		return []string{"news"}, nil
	}
	// The export is loaded into as many projects as needed to reach n documents.
	var projects []string
	for total := 0; total < c.n; {
		p := exportProject + "-" + strconv.Itoa(len(projects))
		n, err := emu.LoadExport(benchOwner, p, c.export)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, errors.New("export holds no documents")
		}
		projects = append(projects, p)
		total += n
	}
	return projects, nil
}

// receivedTimes reads every envelope of the event stream (the stream keeps
// acknowledged events) and returns received_at by project and document id.
func receivedTimes(ctx context.Context, url string, want int) (map[string]time.Time, error) {
	nc, err := nats.Connect(url, nats.Name("tagflow-bench-reader"))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	cfg := queue.Defaults()
	cons, err := js.OrderedConsumer(ctx, cfg.Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{cfg.SubjectPrefix + ".created.>"}})
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", cfg.Stream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, err
	}
	pending := int(info.NumPending)
	out := make(map[string]time.Time, want)
	for read := 0; read < pending; {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, err
		}
		got := 0
		for m := range batch.Messages() {
			got++
			env, err := event.Unmarshal(m.Data())
			if err != nil {
				continue
			}
			k := env.Project + "\x00" + env.DocID
			if _, ok := out[k]; !ok {
				out[k] = env.ReceivedAt
			}
		}
		if err := batch.Error(); err != nil {
			return nil, err
		}
		if got == 0 {
			return nil, fmt.Errorf("read stream %s: %d of %d events", cfg.Stream, read, pending)
		}
		read += got
	}
	return out, nil
}
