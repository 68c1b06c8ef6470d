package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/emulator"
	"github.com/tagflow/tagflow/pkg/queue"
)

// config holds devstack's flags.
type config struct {
	bin, data                    string
	natsPort, natsMonitorPort    int
	ingestListen, emulatorListen string
	workerMetricsPort            int
	workers, concurrency         int
	owner, project               string
	tagtogUser, tagtogPassword   string
	webhookUser, webhookPassword string
	load                         string
	generate                     int
	exitWhenDone, fresh          bool
	offsetUnit                   string
	emulatorLatency              time.Duration
	waitTimeout                  time.Duration
	entityTypes                  string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	fs.StringVar(&c.bin, "bin", "bin", "folder holding the ingest and worker binaries")
	fs.StringVar(&c.data, "data", ".run", "folder for the NATS file store and logs")
	fs.IntVar(&c.natsPort, "nats-port", 4222, "NATS client port")
	fs.IntVar(&c.natsMonitorPort, "nats-monitor-port", 8222, "NATS monitoring port (0 disables)")
	fs.StringVar(&c.ingestListen, "ingest-listen", "127.0.0.1:8080", "ingest address (webhook and /metrics)")
	fs.StringVar(&c.emulatorListen, "emulator-listen", "127.0.0.1:8081", "tagtog emulator address")
	fs.IntVar(&c.workerMetricsPort, "worker-metrics-port", 9091, "metrics port of the first worker; the next ones count up")
	fs.IntVar(&c.workers, "workers", 1, "worker processes")
	fs.IntVar(&c.concurrency, "concurrency", 8, "events handled at once by each worker")
	fs.StringVar(&c.owner, "owner", "demo", "owner of the demo project")
	fs.StringVar(&c.project, "project", "news", "name of the demo project")
	fs.StringVar(&c.entityTypes, "entity-types", "PERSON,ORG,MONEY", "entity types of the demo project")
	fs.StringVar(&c.tagtogUser, "tagtog-user", "tagflow", "emulator user the worker signs in as")
	fs.StringVar(&c.tagtogPassword, "tagtog-password", "tagflow", "that user's password")
	fs.StringVar(&c.webhookUser, "webhook-user", "tagtog", "Basic auth user of the webhook")
	fs.StringVar(&c.webhookPassword, "webhook-password", "webhook", "Basic auth password of the webhook")
	fs.StringVar(&c.load, "load", "", "tagtog export folder to import, firing one created webhook per document")
	fs.IntVar(&c.generate, "generate", 0, "import this many generated news-like texts (each fires a created webhook)")
	fs.BoolVar(&c.exitWhenDone, "exit-when-done", false, "with -load or -generate: stop after the summary (exit 1 when any document failed)")
	fs.BoolVar(&c.fresh, "fresh", true, "start with an empty NATS store")
	fs.StringVar(&c.offsetUnit, "offset-unit", "utf16", "offset unit of the emulator and the workers")
	fs.DurationVar(&c.emulatorLatency, "emulator-latency", 0, "latency the emulator adds to every API call")
	fs.DurationVar(&c.waitTimeout, "wait-timeout", 30*time.Minute, "with -load: how long to wait for the queue to empty")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.workers < 1 {
		return nil, fmt.Errorf("-workers must be at least 1")
	}
	return c, nil
}

// stack is one running development stack.
type stack struct {
	cfg       *config
	out, errw io.Writer

	nats      *server.Server
	emu       *emulator.Server
	emuSrv    *http.Server
	procs     []*proc
	natsURL   string
	emuURL    string
	ingestURL string
}

func (s *stack) run(ctx context.Context) (err error) {
	start := time.Now()
	if err := s.startNATS(); err != nil {
		return err
	}
	defer s.nats.Shutdown()
	if err := s.startEmulator(); err != nil {
		return err
	}
	defer s.stopEmulator()
	defer s.stopProcs()
	if err := s.startProcs(ctx); err != nil {
		return err
	}
	s.banner()

	if s.cfg.load != "" || s.cfg.generate > 0 {
		ok, err := s.bulk(ctx)
		if err != nil {
			return err
		}
		if s.cfg.exitWhenDone {
			if !ok {
				return errors.New("some documents were not annotated")
			}
			return nil
		}
	}
	fmt.Fprintf(s.out, "\nRunning since %s. Press Ctrl-C to stop.\n", start.Format(time.TimeOnly))
	select {
	case <-ctx.Done():
	case p := <-s.exited():
		return fmt.Errorf("%s exited unexpectedly: %v", p.name, p.err)
	}
	fmt.Fprintln(s.out, "\nStopping…")
	return nil
}

func (s *stack) startNATS() error {
	dir := filepath.Join(s.cfg.data, "nats")
	if s.cfg.fresh {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	opts := &server.Options{
		ServerName: "tagflow-dev",
		Host:       "127.0.0.1",
		Port:       s.cfg.natsPort,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		MaxPayload: 1 << 20,
	}
	if s.cfg.natsMonitorPort > 0 {
		opts.HTTPHost, opts.HTTPPort = "127.0.0.1", s.cfg.natsMonitorPort
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		return errors.New("nats: not ready after 15s (is the port in use?)")
	}
	s.nats = ns
	s.natsURL = ns.ClientURL()
	return nil
}

func (s *stack) startEmulator() error {
	unit, err := anndoc.ParseUnit(s.cfg.offsetUnit)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.emulatorListen)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	s.emuURL = "http://" + ln.Addr().String()
	log := slog.New(slog.NewTextHandler(prefixed(s.errw, "emulator"), &slog.HandlerOptions{Level: slog.LevelWarn}))
	s.emu = emulator.New(emulator.Config{
		Unit: unit, BaseURL: s.emuURL, Logger: log, WebhookRetries: 2,
		Faults: emulator.Faults{Latency: s.cfg.emulatorLatency},
	})
	s.emu.AddUser(s.cfg.tagtogUser, s.cfg.tagtogPassword, emulator.RoleAdmin)
	var types []string
	for _, t := range strings.Split(s.cfg.entityTypes, ",") {
		if t = strings.TrimSpace(t); t != "" {
			types = append(types, t)
		}
	}
	s.emu.AddProject(s.cfg.owner, s.cfg.project, types, nil)
	s.ingestURL = "http://" + s.cfg.ingestListen
	if err := s.emu.SetWebhook(s.cfg.owner, s.cfg.project, emulator.Webhook{
		URL: s.ingestURL + "/webhook", Format: emulator.FormatTagtogID,
		User: s.cfg.webhookUser, Password: s.cfg.webhookPassword,
	}); err != nil {
		return err
	}
	s.emuSrv = &http.Server{Handler: s.emu, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.emuSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(s.errw, "emulator:", err)
		}
	}()
	return nil
}

func (s *stack) stopEmulator() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.emuSrv.Shutdown(ctx)
	_ = s.emu.Close()
}

// proc is a child process of the stack.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func (s *stack) startProcs(ctx context.Context) error {
	common := []string{
		"NATS_URL=" + s.natsURL,
		"TAGFLOW_LOG_FORMAT=text",
	}
	ingestEnv := append(append([]string{}, common...),
		"TAGFLOW_LISTEN="+s.cfg.ingestListen,
		"TAGFLOW_WEBHOOK_USER="+s.cfg.webhookUser,
		"TAGFLOW_WEBHOOK_PASSWORD="+s.cfg.webhookPassword,
	)
	if err := s.spawn("ingest", filepath.Join(s.cfg.bin, "ingest"), ingestEnv); err != nil {
		return err
	}
	if err := waitReady(ctx, s.ingestURL+"/readyz", 30*time.Second); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	for i := 0; i < s.cfg.workers; i++ {
		env := append(append([]string{}, common...),
			"TAGTOG_URL="+s.emuURL,
			"TAGTOG_USERNAME="+s.cfg.tagtogUser,
			"TAGTOG_PASSWORD="+s.cfg.tagtogPassword,
			"TAGFLOW_CONCURRENCY="+strconv.Itoa(s.cfg.concurrency),
			"TAGFLOW_OFFSET_UNIT="+s.cfg.offsetUnit,
			fmt.Sprintf("TAGFLOW_METRICS_LISTEN=127.0.0.1:%d", s.cfg.workerMetricsPort+i),
		)
		name := "worker"
		if s.cfg.workers > 1 {
			name = fmt.Sprintf("worker-%d", i+1)
		}
		if err := s.spawn(name, filepath.Join(s.cfg.bin, "worker"), env); err != nil {
			return err
		}
		if err := waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", s.cfg.workerMetricsPort+i), 30*time.Second); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func (s *stack) spawn(name, path string, env []string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s binary: %w (run `make build` first, or pass -bin)", name, err)
	}
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = prefixed(s.errw, name)
	cmd.Stderr = prefixed(s.errw, name)
	// A process group of its own: Ctrl-C reaches devstack only, which stops
	// the children in order (ingest first, then workers, then NATS).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.procs = append(s.procs, p)
	return nil
}

// exited returns a channel that receives the first child that exits.
func (s *stack) exited() <-chan *proc {
	ch := make(chan *proc, len(s.procs))
	for _, p := range s.procs {
		go func() {
			<-p.done
			ch <- p
		}()
	}
	return ch
}

// stopProcs stops the children in start order (ingest before workers) with
// SIGTERM, killing any that has not stopped within 40s.
func (s *stack) stopProcs() {
	for _, p := range s.procs {
		select {
		case <-p.done:
			continue
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(40 * time.Second):
			fmt.Fprintf(s.errw, "%s did not stop in 40s, killing it\n", p.name)
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

func waitReady(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
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
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready after %s: %v", timeout, last)
}

func (s *stack) banner() {
	w := s.out
	fmt.Fprintf(w, "\ntagflow is running:\n")
	fmt.Fprintf(w, "  NATS (JetStream)   %s   monitoring http://127.0.0.1:%d   store %s\n", s.natsURL, s.cfg.natsMonitorPort, filepath.Join(s.cfg.data, "nats"))
	fmt.Fprintf(w, "  tagtog emulator    %s   user %s / %s   project %s/%s (%s)\n", s.emuURL, s.cfg.tagtogUser, s.cfg.tagtogPassword, s.cfg.owner, s.cfg.project, s.cfg.entityTypes)
	fmt.Fprintf(w, "  ingest             %s/webhook   metrics %s/metrics   (webhook auth %s / %s)\n", s.ingestURL, s.ingestURL, s.cfg.webhookUser, s.cfg.webhookPassword)
	for i := 0; i < s.cfg.workers; i++ {
		fmt.Fprintf(w, "  worker %d           metrics http://127.0.0.1:%d/metrics   concurrency %d\n", i+1, s.cfg.workerMetricsPort+i, s.cfg.concurrency)
	}
	fmt.Fprintf(w, "\nUpload a text (the emulator fires the webhook, a worker annotates it):\n")
	fmt.Fprintf(w, "  curl -s -u %s:%s '%s/-api/documents/v1?owner=%s&project=%s&output=null' --data-urlencode 'text=Paypal Holdings Inc (PYPL) President and CEO Daniel Schulman Sold $2.7 million of Shares.'\n",
		s.cfg.tagtogUser, s.cfg.tagtogPassword, s.emuURL, s.cfg.owner, s.cfg.project)
	fmt.Fprintf(w, "Then read its annotations (use the tagtogID printed above):\n")
	fmt.Fprintf(w, "  curl -s -u %s:%s '%s/-api/documents/v1?owner=%s&project=%s&output=ann.json&ids=<tagtogID>'\n",
		s.cfg.tagtogUser, s.cfg.tagtogPassword, s.emuURL, s.cfg.owner, s.cfg.project)
}

// bulk imports the export folder, fires one created webhook per document,
// waits for the queue to empty and prints a summary. It reports whether every
// document was annotated without failures.
func (s *stack) bulk(ctx context.Context) (bool, error) {
	source := s.cfg.load
	var (
		n   int
		err error
	)
	if s.cfg.load != "" {
		n, err = s.emu.LoadExport(s.cfg.owner, s.cfg.project, s.cfg.load)
		if err != nil {
			return false, err
		}
	}
	ids, err := s.emu.DocumentIDs(s.cfg.owner, s.cfg.project)
	if err != nil {
		return false, err
	}
	before := make(map[string]string, len(ids))
	for _, id := range ids {
		d, err := s.emu.Document(s.cfg.owner, s.cfg.project, id)
		if err != nil {
			return false, err
		}
		before[id] = metasOf(d.AnnJSON[emulator.Master])
	}
	start := time.Now()
	fired := 0
	if s.cfg.load != "" {
		fmt.Fprintf(s.out, "\nLoaded %d documents from %s; firing one created webhook per document…\n", n, s.cfg.load)
		if fired, err = s.emu.FireAll(ctx, s.cfg.owner, s.cfg.project); err != nil {
			return false, err
		}
	}
	if s.cfg.generate > 0 {
		source = fmt.Sprintf("%d generated texts", s.cfg.generate)
		fmt.Fprintf(s.out, "\nImporting %s (each import fires a created webhook)…\n", source)
		for i := 0; i < s.cfg.generate; i++ {
			id, err := s.emu.ImportText(s.cfg.owner, s.cfg.project, fmt.Sprintf("generated-%05d.txt", i), generatedText(i), emulator.SourceGUI)
			if err != nil {
				return false, err
			}
			ids = append(ids, id)
			before[id] = "{}"
			fired++
		}
	}

	qc, err := queue.Connect(ctx, s.natsURL, "tagflow-devstack", queue.Config{}, nil)
	if err != nil {
		return false, err
	}
	defer qc.Close()
	var st queue.Status
	deadline := time.Now().Add(s.cfg.waitTimeout)
	for {
		ws := s.emu.Stats().Webhooks
		st, err = qc.Status(ctx)
		if err == nil && ws.Pending == 0 && ws.Delivered+ws.Failed+ws.Dropped >= fired && drained(st) {
			break
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("queue not empty after %s", s.cfg.waitTimeout)
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	elapsed := time.Since(start)
	return s.summary(source, ids, before, fired, st, elapsed), nil
}

func drained(st queue.Status) bool {
	for _, c := range st.Consumers {
		if c.Name == string(queue.Annotator) {
			return c.Pending == 0 && c.AckPending == 0
		}
	}
	return false
}

func metasOf(ann []byte) string {
	a, err := anndoc.DecodeAnnJSON(ann)
	if err != nil || len(a.Metas) == 0 {
		return "{}"
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, a.Metas); err != nil {
		return string(a.Metas)
	}
	return buf.String()
}

func (s *stack) summary(source string, ids []string, before map[string]string, fired int, st queue.Status, elapsed time.Duration) bool {
	legend, _ := s.emu.Legend(s.cfg.owner, s.cfg.project)
	var annotated, once, many, unpushed, labelsKept, withLabels, total int
	perLabel := map[string]int{}
	for _, id := range ids {
		d, err := s.emu.Document(s.cfg.owner, s.cfg.project, id)
		if err != nil {
			unpushed++
			continue
		}
		switch {
		case d.Pushes == 0:
			unpushed++
		case d.Pushes == 1:
			once++
		default:
			many++
		}
		a, err := anndoc.DecodeAnnJSON(d.AnnJSON[emulator.Master])
		if err != nil {
			continue
		}
		found := 0
		for _, e := range a.Entities {
			if e.Confidence == nil {
				continue
			}
			for _, who := range e.Confidence.Who {
				if strings.HasPrefix(who, "ml:") {
					name := legend[e.ClassID]
					if name == "" {
						name = e.ClassID
					}
					perLabel[name]++
					found++
					break
				}
			}
		}
		total += found
		if d.Pushes > 0 {
			annotated++
		}
		if before[id] != "{}" {
			withLabels++
			if metasOf(d.AnnJSON[emulator.Master]) == before[id] {
				labelsKept++
			}
		}
	}
	es := s.emu.Stats()
	rejected := 0
	for _, n := range es.Rejected {
		rejected += n
	}
	var labels []string
	for l := range perLabel {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	w := s.out
	fmt.Fprintf(w, "\nBulk upload summary (%s)\n", source)
	fmt.Fprintf(w, "  documents            %d\n", len(ids))
	fmt.Fprintf(w, "  webhooks             %d created fired; deliveries accepted by ingest %d (created + updated from the pushes), failed %d, dropped %d\n", fired, es.Webhooks.Delivered, es.Webhooks.Failed, es.Webhooks.Dropped)
	fmt.Fprintf(w, "  annotated            %d (pushed once %d, more than once %d); nothing new found in %d\n", annotated, once, many, unpushed)
	fmt.Fprintf(w, "  entities             %d", total)
	for _, l := range labels {
		fmt.Fprintf(w, "   %s %d", l, perLabel[l])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  document labels kept %d of %d documents that had one\n", labelsKept, withLabels)
	fmt.Fprintf(w, "  failures             dead letters %d, pushes rejected by tagtog %d, new documents created by pushes %d\n", st.DLQ.Msgs, rejected, es.PushesCreated)
	fmt.Fprintf(w, "  time                 %s (%.1f documents/s)\n", elapsed.Round(time.Millisecond), float64(annotated)/elapsed.Seconds())
	// The queue is drained, so a document that was not pushed and is not in
	// the dead-letter stream was processed and the model found nothing new.
	return many == 0 && st.DLQ.Msgs == 0 && rejected == 0 && es.PushesCreated == 0 &&
		labelsKept == withLabels && es.Webhooks.Failed == 0 && es.Webhooks.Dropped == 0
}

// prefixed returns a writer that prefixes every line with name.
func prefixed(w io.Writer, name string) io.Writer {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			outMu.Lock()
			fmt.Fprintf(w, "%-9s| %s\n", name, sc.Text())
			outMu.Unlock()
		}
	}()
	return pw
}

var outMu sync.Mutex

// Words for generated texts: every text names people, organisations and
// amounts the builtin model knows.
var (
	genPeople = []string{"Daniel Schulman", "Mary Jones", "Tony Blair", "Angela Merkel", "Tim Cook", "Gordon Brown", "Jack Straw"}
	genOrgs   = []string{"Paypal Holdings Inc", "Bank of England", "Goldman Sachs", "Microsoft Corp", "Acme Holdings Inc", "Vodafone Group"}
	genMoney  = []string{"$2.7 million", "£1.2bn", "€300m", "$45 billion", "£600,000", "20 million euros"}
)

// generatedText returns the i-th generated news-like text.
func generatedText(i int) string {
	p := func(l []string, k int) string { return l[(i+k)%len(l)] }
	return fmt.Sprintf("Markets report %d\n\n"+
		"Shares of %s rose on Monday after %s said quarterly profits reached %s. "+
		"Analysts at %s had expected less. %s, who spoke to reporters in London, "+
		"said the company would spend %s on new offices next year.\n\n"+
		"%s declined to comment on the deal, which is worth %s.",
		i, p(genOrgs, 0), p(genPeople, 0), p(genMoney, 0), p(genOrgs, 1), p(genPeople, 0), p(genMoney, 1),
		p(genOrgs, 2), p(genMoney, 2))
}
