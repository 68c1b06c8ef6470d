package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

// The ingest and worker processes expose no pprof endpoint, so -profile
// runs in-process equivalents built from the same packages (pkg/webhook +
// pkg/queue behind an HTTP server; pkg/pipeline + pkg/tagtog against the
// emulator) under runtime/pprof. Their rates are logged, not tabled: the
// load generator, NATS and the emulator share the process.

// profileIngest serves pkg/webhook with a pkg/queue publisher over HTTP and
// loads it at concurrency 16 for d.
func profileIngest(ctx context.Context, o *options) error {
	ns, err := startNATS(o.work)
	if err != nil {
		return err
	}
	defer ns.Shutdown()
	qc, err := queue.Connect(ctx, ns.ClientURL(), "tagflow-bench-ingest", queue.Config{}, nil)
	if err != nil {
		return err
	}
	defer qc.Close()
	if err := qc.EnsureStreams(ctx); err != nil {
		return err
	}
	h, err := webhook.New(webhook.Config{Publisher: queue.NewPublisher(qc), Username: hookUser, Password: hookPassword})
	if err != nil {
		return err
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	runLoad(ctx, 4, o.loadTime/5, 0, ingestSender(srv.URL+"/webhook", "pw", 4))
	stop, err := startProfile(filepath.Join(o.profile, "ingest-inprocess.cpu.pprof"))
	if err != nil {
		return err
	}
	r := runLoad(ctx, 16, o.loadTime, 0, ingestSender(srv.URL+"/webhook", "p", 16))
	stop()
	fmt.Fprintf(o.log, "  profile: in-process ingest equivalent c=16 %.0f/s p50 %.2fms p99 %.2fms\n", r.PerSecond, r.P50ms, r.P99ms)
	return nil
}

// profileWorker runs pkg/pipeline with the builtin model at concurrency 16
// against the in-process emulator (no latency) over the generated corpus.
func profileWorker(ctx context.Context, o *options) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	emu := emulator.New(emulator.Config{Unit: anndoc.UTF16})
	defer emu.Close()
	emu.AddUser(tagtogUser, tagtogPass, emulator.RoleAdmin)
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close(); <-done }()
	projects, err := loadCorpus(emu, e2eCorpus{texts: generatedCorpus(o.docs, 400), n: o.docs})
	if err != nil {
		return err
	}
	var envs []event.Envelope
	for _, p := range projects {
		ids, err := emu.DocumentIDs(benchOwner, p)
		if err != nil {
			return err
		}
		for _, id := range ids {
			envs = append(envs, event.New(time.Now(), benchOwner, p, id, "", event.StatusCreated, event.SourceAPI))
		}
	}
	tt, err := tagtog.New(tagtog.Config{BaseURL: "http://" + ln.Addr().String(), Username: tagtogUser, Password: tagtogPass,
		Retry: retry.Policy{Budget: 20 * time.Second}, Concurrency: workerConc})
	if err != nil {
		return err
	}
	m := builtin.New()
	p := pipeline.New(pipeline.Config{Model: m.Name(), Unit: anndoc.UTF16}, tt, m, nil, nil)
	stop, err := startProfile(filepath.Join(o.profile, "worker-inprocess.cpu.pprof"))
	if err != nil {
		return err
	}
	var (
		next  atomic.Int64
		fails atomic.Int64
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range workerConc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; int(i) < len(envs); i = next.Add(1) - 1 {
				if _, err := p.Annotate(ctx, &envs[i]); err != nil {
					fails.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	stop()
	fmt.Fprintf(o.log, "  profile: in-process worker equivalent (pipeline + emulator) %.0f docs/s, %d failures\n",
		float64(len(envs))/el.Seconds(), fails.Load())
	return nil
}

// startProfile starts a CPU profile into path; the returned func stops it.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// cpuTime returns the user+system CPU time a process has used so far
// (Linux /proc; 0 elsewhere).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}
