package chaos

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a child process started by a test; it is stopped when the test ends.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited and its log is written

	mu      sync.Mutex
	addr    string        // address logged on the started line (the worker's metrics, ingest's webhook)
	started chan struct{} // closed when the "started" log line was seen
	err     error
}

// workerConfig is the environment of one worker process.
type workerConfig struct {
	natsURL, tagtogURL string
	concurrency        int
	ackWait            time.Duration
	maxDeliver         int
	retryBudget        time.Duration
	tagtogTimeout      time.Duration
}

func (c workerConfig) env() []string {
	env := []string{
		"NATS_URL=" + c.natsURL,
		"TAGTOG_URL=" + c.tagtogURL,
		"TAGTOG_USERNAME=" + apiUser,
		"TAGTOG_PASSWORD=" + apiPass,
		"TAGFLOW_CONCURRENCY=" + strconv.Itoa(c.concurrency),
		"TAGFLOW_METRICS_LISTEN=127.0.0.1:0",
		"TAGFLOW_ACK_WAIT=" + c.ackWait.String(),
		"TAGFLOW_MAX_DELIVER=" + strconv.Itoa(c.maxDeliver),
		"TAGFLOW_RETRY_BUDGET=" + c.retryBudget.String(),
		"TAGFLOW_SHUTDOWN_GRACE=5s",
		"TAGFLOW_LOG_FORMAT=text",
		"TAGFLOW_LOG_LEVEL=info",
	}
	if c.tagtogTimeout > 0 {
		env = append(env, "TAGFLOW_TAGTOG_TIMEOUT="+c.tagtogTimeout.String())
	}
	return env
}

// startWorker starts a worker process and waits until it pulls events.
func startWorker(tb testing.TB, name string, c workerConfig) *proc {
	tb.Helper()
	p := spawn(tb, name, bins.worker, c.env(), "worker started", "metrics")
	p.waitStarted(tb)
	return p
}

// startIngestProcess starts the ingest binary on a random port and returns
// its webhook URL once it serves.
func startIngestProcess(tb testing.TB, natsURL string, publishTimeout time.Duration) string {
	tb.Helper()
	env := []string{
		"NATS_URL=" + natsURL,
		"TAGFLOW_LISTEN=127.0.0.1:0",
		"TAGFLOW_WEBHOOK_USER=" + hookUser,
		"TAGFLOW_WEBHOOK_PASSWORD=" + hookPass,
		"TAGFLOW_LOG_FORMAT=text",
	}
	if publishTimeout > 0 {
		env = append(env, "TAGFLOW_PUBLISH_TIMEOUT="+publishTimeout.String())
	}
	p := spawn(tb, "ingest", bins.ingest, env, "ingest listening", "addr")
	p.waitStarted(tb)
	p.mu.Lock()
	defer p.mu.Unlock()
	return "http://" + p.addr + "/webhook"
}

func (p *proc) waitStarted(tb testing.TB) {
	tb.Helper()
	select {
	case <-p.started:
	case <-p.done:
		tb.Fatalf("%s exited before it started: %v\n%s", p.name, p.err, p.tail(40))
	case <-time.After(60 * time.Second):
		tb.Fatalf("%s did not start within 60s\n%s", p.name, p.tail(40))
	}
}

// spawn starts path with env added to this process's environment. Its
// stderr and stdout go to a log file in the test's temporary folder; the
// first line containing startedMsg closes p.started, and its addrKey=
// value becomes p.addr.
func spawn(tb testing.TB, name, path string, env []string, startedMsg, addrKey string) *proc {
	tb.Helper()
	addrRe := regexp.MustCompile(`\b` + regexp.QuoteMeta(addrKey) + `=(\S+)`)
	logPath := filepath.Join(tb.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{}), started: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		f.Close()
		tb.Fatalf("start %s: %v", name, err)
	}
	var copyDone sync.WaitGroup
	copyDone.Go(func() {
		defer f.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(f, line)
			if !seen && strings.Contains(line, startedMsg) {
				seen = true
				if m := addrRe.FindStringSubmatch(line); m != nil {
					p.mu.Lock()
					p.addr = m[1]
					p.mu.Unlock()
				}
				close(p.started)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	})
	go func() {
		err := cmd.Wait()
		_ = pw.Close()
		copyDone.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.stop()
		if tb.Failed() {
			tb.Logf("last lines of %s:\n%s", name, p.tail(30))
		}
	})
	return p
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill(tb testing.TB) {
	tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatalf("kill %s: %v", p.name, err)
	}
	<-p.done
}

// stop sends SIGTERM and waits up to 30s, then kills.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail returns the last n lines of the process's log.
func (p *proc) tail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// scrape reads the process's /metrics and returns every tagflow_ series
// (`name{labels}` exactly as exposed) with its value.
func (p *proc) scrape(tb testing.TB) map[string]float64 {
	tb.Helper()
	p.mu.Lock()
	addr := p.addr
	p.mu.Unlock()
	if addr == "" {
		tb.Fatalf("%s: metrics address unknown", p.name)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		tb.Fatalf("%s: scrape: %v", p.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s: scrape: HTTP %d", p.name, resp.StatusCode)
	}
	return parseExposition(tb, resp.Body)
}

// parseExposition reads the Prometheus text format, keeping tagflow_ series.
func parseExposition(tb testing.TB, r io.Reader) map[string]float64 {
	tb.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "tagflow_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			tb.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// sumSeries adds the values of the series whose name is name and whose
// labels contain every label="value" pair given.
func sumSeries(series map[string]float64, name string, labels ...string) float64 {
	var sum float64
	for k, v := range series {
		if k != name && !strings.HasPrefix(k, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(k, l) {
				ok = false
				break
			}
		}
		if ok {
			sum += v
		}
	}
	return sum
}
