package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ensureBinaries returns a folder holding the ingest and worker binaries:
// dir when both are there, otherwise a temporary folder they are built into
// (removed by the returned cleanup).
func ensureBinaries(ctx context.Context, dir string, logw io.Writer) (string, func(), error) {
	if dir != "" && isFile(filepath.Join(dir, "ingest")) && isFile(filepath.Join(dir, "worker")) {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "tagflow-bench-bin-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	fmt.Fprintf(logw, "building ingest and worker into %s\n", tmp)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", tmp+string(filepath.Separator), "./cmd/ingest", "./cmd/worker")
	cmd.Stdout, cmd.Stderr = logw, logw
	if err := cmd.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("go build ./cmd/ingest ./cmd/worker (run from the module root): %w", err)
	}
	return tmp, cleanup, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// startNATS starts an in-process JetStream server with its file store in a
// fresh folder under dir, on a random port.
func startNATS(dir string) (*server.Server, error) {
	store, err := os.MkdirTemp(dir, "nats-")
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "tagflow-bench", Host: "127.0.0.1", Port: -1,
		JetStream: true, StoreDir: store, NoSigs: true, NoLog: true, MaxPayload: 1 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("nats: not ready after 15s")
	}
	return ns, nil
}

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// proc is a child process started by the benchmark.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// spawn starts bin with env added to the environment; its output goes to a
// log file in dir.
func spawn(name, bin, dir string, env []string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// alive reports whether the process is still running.
func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits, killing the process after grace.
func (p *proc) stop(grace time.Duration) {
	if !p.alive() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail returns the end of the process's log, for error messages.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// waitReady polls url until it answers 200, p exits, or timeout passes.
func waitReady(ctx context.Context, p *proc, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if !p.alive() {
			return fmt.Errorf("%s exited (%v):\n%s", p.name, p.err, p.tail())
		}
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s answered %d", url, resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after %s: %v\n%s", p.name, timeout, last, p.tail())
}

// stageMeans scrapes the workers' /metrics and returns the mean seconds of
// each tagflow_stage_seconds stage over all workers.
func stageMeans(addrs []string) map[string]float64 {
	sum, cnt := map[string]float64{}, map[string]float64{}
	for _, a := range addrs {
		resp, err := http.Get("http://" + a + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(b), "\n") {
			var m map[string]float64
			var rest string
			switch {
			case strings.HasPrefix(line, "tagflow_stage_seconds_sum{"):
				m, rest = sum, strings.TrimPrefix(line, "tagflow_stage_seconds_sum{")
			case strings.HasPrefix(line, "tagflow_stage_seconds_count{"):
				m, rest = cnt, strings.TrimPrefix(line, "tagflow_stage_seconds_count{")
			default:
				continue
			}
			labels, val, ok := strings.Cut(rest, "} ")
			if !ok {
				continue
			}
			stage := ""
			for _, kv := range strings.Split(labels, ",") {
				if k, v, ok := strings.Cut(kv, "="); ok && k == "stage" {
					stage = strings.Trim(v, `"`)
				}
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err == nil && stage != "" {
				m[stage] += f
			}
		}
	}
	out := map[string]float64{}
	for k, s := range sum {
		if cnt[k] > 0 {
			out[k] = round(s/cnt[k]*1000, 2)
		}
	}
	return out
}
