package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
)

// Webhook credentials of the ingest processes the benchmark starts.
const (
	hookUser     = "tagtog"
	hookPassword = "bench-webhook"
)

// loadResult is one closed- or open-loop load run.
type loadResult struct {
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"per_second"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	TargetRate  float64 `json:"target_rate,omitempty"` // open-loop runs only
}

// ingestResult compares the ingest server with raw JetStream publishes.
type ingestResult struct {
	Seconds  float64      `json:"seconds_per_run"`
	Ingest   []loadResult `json:"ingest"`
	Raw      []loadResult `json:"raw"`
	HalfRate loadResult   `json:"ingest_half_rate"`
}

// sender sends one event and reports whether it was stored.
type sender func(ctx context.Context, n int) error

// runLoad calls send from c goroutines for d. With rate > 0 the calls are
// scheduled at that total rate (open loop) and latency is measured from the
// moment each call is sent.
func runLoad(ctx context.Context, c int, d time.Duration, rate float64, send sender) loadResult {
	var (
		next   atomic.Int64
		errs   atomic.Int64
		mu     sync.Mutex
		all    latencies
		wg     sync.WaitGroup
		start  = time.Now()
		stopAt = start.Add(d)
	)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make(latencies, 0, 4096)
			for ctx.Err() == nil {
				n := next.Add(1) - 1
				if rate > 0 {
					at := start.Add(time.Duration(float64(n) / rate * float64(time.Second)))
					if at.After(stopAt) {
						break
					}
					if w := time.Until(at); w > 0 {
						time.Sleep(w)
					}
				} else if time.Now().After(stopAt) {
					break
				}
				t := time.Now()
				if err := send(ctx, int(n)); err != nil {
					errs.Add(1)
					continue
				}
				local = append(local, time.Since(t))
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	return loadResult{
		Concurrency: c, Requests: len(all), Errors: int(errs.Load()), Seconds: round(el.Seconds(), 2),
		PerSecond: round(float64(len(all))/el.Seconds(), 0),
		P50ms:     ms(all.quantile(0.50)), P99ms: ms(all.quantile(0.99)), TargetRate: round(rate, 0),
	}
}

// docName returns a realistic, unique tagtogID for request n of a run.
func docName(run string, n int) string {
	return "a" + run + strconv.Itoa(n) + "-" + strconv.Itoa(n%2500) + ".txt"
}

// ownerProject spreads requests over a few owners and projects, as a shared
// ingest sees them.
func ownerProject(n int) (string, string) {
	return "owner" + strconv.Itoa(n%4), "news-" + strconv.Itoa(n%8)
}

// ingestSender posts tagtogID payloads with Basic auth to url.
func ingestSender(url, run string, c int) sender {
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConns: c * 2, MaxIdleConnsPerHost: c * 2, IdleConnTimeout: time.Minute},
	}
	return func(ctx context.Context, n int) error {
		owner, project := ownerProject(n)
		body := `{"owner":"` + owner + `","project":"` + project + `","tagtogID":"` + docName(run, n) + `"}`
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(body)))
		if err != nil {
			return err
		}
		req.SetBasicAuth(hookUser, hookPassword)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-tagtog-onPushSave-status", "created")
		req.Header.Set("X-tagtog-onPushSave-source", "API")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("ingest answered %d", resp.StatusCode)
		}
		return nil
	}
}

// rawSender publishes the envelope ingest would build, synchronously, with
// the same headers pkg/queue sets.
func rawSender(js jetstream.JetStream, run string) sender {
	cfg := queue.Defaults()
	return func(ctx context.Context, n int) error {
		owner, project := ownerProject(n)
		env := event.New(time.Now(), owner, project, docName(run, n), "", event.StatusCreated, event.SourceAPI)
		data, err := env.Marshal()
		if err != nil {
			return err
		}
		msg := &nats.Msg{Subject: env.Subject(cfg.SubjectPrefix), Data: data, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, env.MsgID())
		msg.Header.Set(jetstream.ExpectedStreamHeader, cfg.Stream)
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ack, err := js.PublishMsg(ctx, msg)
		if err != nil {
			return err
		}
		if ack.Duplicate {
			return fmt.Errorf("unexpected duplicate")
		}
		return nil
	}
}

// benchIngest starts NATS and an ingest process and measures both paths at
// each concurrency, then ingest at half its concurrency-16 rate.
func benchIngest(ctx context.Context, o *options, binDir string) (*ingestResult, error) {
	ns, err := startNATS(o.work)
	if err != nil {
		return nil, err
	}
	defer ns.Shutdown()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ing, err := spawn("ingest", binDir+"/ingest", o.work, []string{
		"NATS_URL=" + ns.ClientURL(), "TAGFLOW_LISTEN=" + addr,
		"TAGFLOW_WEBHOOK_USER=" + hookUser, "TAGFLOW_WEBHOOK_PASSWORD=" + hookPassword,
		"TAGFLOW_LOG_LEVEL=warn", "TAGFLOW_LOG_FORMAT=text",
	})
	if err != nil {
		return nil, err
	}
	defer ing.stop(20 * time.Second)
	if err := waitReady(ctx, ing, "http://"+addr+"/readyz", 30*time.Second); err != nil {
		return nil, err
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.Name("tagflow-bench-raw"))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	url := "http://" + addr + "/webhook"
	res := &ingestResult{Seconds: o.loadTime.Seconds()}
	// Warm both paths (connections, stream files, JIT-free but page-cache-full).
	runLoad(ctx, 4, o.loadTime/5, 0, ingestSender(url, "w", 4))
	runLoad(ctx, 4, o.loadTime/5, 0, rawSender(js, "w"))
	for i, c := range []int{1, 16, 64} {
		run := fmt.Sprintf("%c", 'A'+i)
		in := runLoad(ctx, c, o.loadTime, 0, ingestSender(url, "i"+run, c))
		raw := runLoad(ctx, c, o.loadTime, 0, rawSender(js, "r"+run))
		fmt.Fprintf(o.log, "  c=%-3d ingest %7.0f/s p50 %6.2fms p99 %6.2fms | raw %7.0f/s p50 %6.2fms p99 %6.2fms\n",
			c, in.PerSecond, in.P50ms, in.P99ms, raw.PerSecond, raw.P50ms, raw.P99ms)
		res.Ingest = append(res.Ingest, in)
		res.Raw = append(res.Raw, raw)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	half := res.Ingest[1].PerSecond / 2
	res.HalfRate = runLoad(ctx, 16, o.loadTime, half, ingestSender(url, "h", 16))
	fmt.Fprintf(o.log, "  half rate %.0f/s: achieved %.0f/s p50 %.2fms p99 %.2fms\n",
		half, res.HalfRate.PerSecond, res.HalfRate.P50ms, res.HalfRate.P99ms)
	if !ing.alive() {
		return nil, fmt.Errorf("ingest exited during the run: %s", ing.tail())
	}
	return res, nil
}
