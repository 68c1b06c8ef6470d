// Command worker pulls tagtog events from JetStream, annotates each created
// document with the configured model, merges the result with the document's
// existing annotations and pushes it back to tagtog. Every worker process
// shares one durable consumer: scaling is adding processes.
//
// Every flag has an environment fallback; run `worker -h` for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/internal/healthcheck"
	"github.com/tagflow/tagflow/internal/logging"
	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/annotate"
	"github.com/tagflow/tagflow/pkg/annotate/builtin"
	"github.com/tagflow/tagflow/pkg/annotate/dictionary"
	"github.com/tagflow/tagflow/pkg/annotate/httpmodel"
	"github.com/tagflow/tagflow/pkg/export"
	"github.com/tagflow/tagflow/pkg/metrics"
	"github.com/tagflow/tagflow/pkg/pipeline"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/tagtog"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck.Main(ctx, os.Args[2:], os.Stderr))
	}
	os.Exit(run(ctx, os.Args[1:], os.LookupEnv, os.Stderr, nil))
}

// settings are the worker's parsed flags.
type settings struct {
	natsURL, tagtogURL, tagtogUser, tagtogPassword string
	concurrency                                    int
	annotator, modelURL, modelName, labelMap       string
	modelTimeout                                   time.Duration
	dictionary, dictionaryLabel                    string
	offsetUnit, member                             string
	metricsListen                                  string
	stream                                         string
	replicas, maxDeliver, maxAckPending            int
	ackWait, shutdownGrace, retryBudget            time.Duration
	duplicateWindow                                time.Duration
	tagtogTimeout, legendTTL                       time.Duration
	logFormat, logLevel                            string
	exportDir                                      string
	exportAPISaves                                 bool
}

func parse(args []string, lookup config.LookupFunc, stderr io.Writer) (*settings, error) {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &settings{}
	d := queue.Defaults()
	natsURL := config.String(fs, "nats-url", "NATS_URL", "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated")
	tagtogURL := config.String(fs, "tagtog-url", "TAGTOG_URL", "https://www.tagtog.com", "tagtog base URL (cloud or on-premises)")
	tagtogUser := config.String(fs, "tagtog-username", "TAGTOG_USERNAME", "", "tagtog user with the API role (admin, reviewer or supercurator)")
	tagtogPassword := config.Secret(fs, "tagtog-password", "TAGTOG_PASSWORD", "tagtog password")
	concurrency := config.Int(fs, "concurrency", "TAGFLOW_CONCURRENCY", 8, "events handled at once by this process")
	ann := config.String(fs, "annotator", "TAGFLOW_ANNOTATOR", "builtin", "model backend: builtin, http or dictionary")
	modelURL := config.String(fs, "model-url", "TAGFLOW_MODEL_URL", "", "model server endpoint (annotator http)")
	modelName := config.String(fs, "model-name", "TAGFLOW_MODEL_NAME", "", `model name recorded as "ml:<name>" (default: the backend's own name)`)
	modelTimeout := config.Duration(fs, "model-timeout", "TAGFLOW_MODEL_TIMEOUT", 30*time.Second, "timeout of one model server request")
	labelMap := config.String(fs, "label-map", "TAGFLOW_LABEL_MAP", "", "explicit model label mapping, e.g. PER=PERSON,LOC=GPE")
	dict := config.String(fs, "dictionary", "TAGFLOW_DICTIONARY", "", "dictionary TSV file (annotator dictionary)")
	dictLabel := config.String(fs, "dictionary-label", "TAGFLOW_DICTIONARY_LABEL", "", "label of the dictionary's entities (an entity type name)")
	unit := config.String(fs, "offset-unit", "TAGFLOW_OFFSET_UNIT", "utf16", "unit of entity offsets: utf16 or codepoint")
	member := config.String(fs, "member", "TAGFLOW_MEMBER", "master", "annotation version read and written")
	metricsListen := config.String(fs, "metrics-listen", "TAGFLOW_METRICS_LISTEN", ":9091", "address of /metrics, /healthz and /readyz")
	stream := config.String(fs, "stream", "TAGFLOW_STREAM", d.Stream, "JetStream event stream name")
	replicas := config.Int(fs, "stream-replicas", "TAGFLOW_STREAM_REPLICAS", d.Replicas, "stream replicas (1 local, 3 in a cluster)")
	dupWindow := config.Duration(fs, "duplicate-window", "TAGFLOW_DUPLICATE_WINDOW", d.DuplicateWindow, "JetStream deduplication window (keep it equal to ingest's: both create the stream)")
	ackWait := config.Duration(fs, "ack-wait", "TAGFLOW_ACK_WAIT", d.AckWait, "time an event may stay unacknowledged before redelivery")
	maxDeliver := config.Int(fs, "max-deliver", "TAGFLOW_MAX_DELIVER", d.MaxDeliver, "deliveries of one event before it is dead-lettered")
	maxAckPending := config.Int(fs, "max-ack-pending", "TAGFLOW_MAX_ACK_PENDING", d.MaxAckPending, "unacknowledged events of the consumer, all processes together")
	grace := config.Duration(fs, "shutdown-grace", "TAGFLOW_SHUTDOWN_GRACE", 25*time.Second, "time in-flight events may take to finish on shutdown")
	budget := config.Duration(fs, "retry-budget", "TAGFLOW_RETRY_BUDGET", 20*time.Second, "in-process retry budget of one tagtog call (below ack-wait)")
	tagtogTimeout := config.Duration(fs, "tagtog-timeout", "TAGFLOW_TAGTOG_TIMEOUT", tagtog.DefaultTimeout, "timeout of one tagtog request")
	legendTTL := config.Duration(fs, "legend-ttl", "TAGFLOW_LEGEND_TTL", pipeline.DefaultLegendTTL, "how long a project's legend is cached")
	exportDir := config.String(fs, "export-dir", "TAGFLOW_EXPORT_DIR", "", "when set, also run the exporter: documents people save are appended to <dir>/<owner>/<project>.jsonl")
	exportAPI := config.Bool(fs, "export-api-saves", "TAGFLOW_EXPORT_API_SAVES", false, "exporter: also export saves made through the API (tagflow's own pushes among them)")
	logFormat := config.String(fs, "log-format", "TAGFLOW_LOG_FORMAT", "json", "log format: json or text")
	logLevel := config.String(fs, "log-level", "TAGFLOW_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	if err := config.Parse(fs, args, lookup); err != nil {
		return nil, err
	}
	*s = settings{
		natsURL: *natsURL, tagtogURL: *tagtogURL, tagtogUser: *tagtogUser, tagtogPassword: *tagtogPassword,
		concurrency: *concurrency, annotator: *ann, modelURL: *modelURL, modelName: *modelName,
		modelTimeout: *modelTimeout, labelMap: *labelMap, dictionary: *dict, dictionaryLabel: *dictLabel,
		offsetUnit: *unit, member: *member, metricsListen: *metricsListen, stream: *stream,
		replicas: *replicas, maxDeliver: *maxDeliver, maxAckPending: *maxAckPending,
		ackWait: *ackWait, duplicateWindow: *dupWindow, shutdownGrace: *grace, retryBudget: *budget,
		tagtogTimeout: *tagtogTimeout, legendTTL: *legendTTL, logFormat: *logFormat, logLevel: *logLevel,
		exportDir: *exportDir, exportAPISaves: *exportAPI,
	}
	if s.retryBudget >= s.ackWait {
		return nil, fmt.Errorf("retry-budget (%s) must be below ack-wait (%s)", s.retryBudget, s.ackWait)
	}
	if _, err := anndoc.ParseUnit(s.offsetUnit); err != nil {
		return nil, fmt.Errorf("offset-unit: %w", err)
	}
	if _, err := annotate.ParseMapping(s.labelMap); err != nil {
		return nil, fmt.Errorf("label-map: %w", err)
	}
	switch strings.ToLower(s.annotator) {
	case "builtin", "http", "dictionary":
	default:
		return nil, fmt.Errorf("annotator %q: want builtin, http or dictionary", s.annotator)
	}
	if s.concurrency < 1 {
		return nil, fmt.Errorf("concurrency must be at least 1, not %d", s.concurrency)
	}
	return s, nil
}

// run starts the worker and blocks until ctx ends and the worker has shut
// down. It returns the process exit code. started, when not nil, receives
// the metrics address once the worker is pulling events.
func run(ctx context.Context, args []string, lookup config.LookupFunc, stderr io.Writer, started func(metricsAddr string)) int {
	s, err := parse(args, lookup, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	log, err := logging.New(stderr, s.logFormat, s.logLevel, "worker")
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	if err := serve(ctx, s, log, started); err != nil {
		log.Error("worker stopped", "error", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, s *settings, log *slog.Logger, started func(string)) error {
	unit, err := anndoc.ParseUnit(s.offsetUnit)
	if err != nil {
		return err
	}
	mapping, err := annotate.ParseMapping(s.labelMap)
	if err != nil {
		return fmt.Errorf("label-map: %w", err)
	}
	model, name, err := newAnnotator(s)
	if err != nil {
		return err
	}
	reg := metrics.NewRegistry()
	tt, err := tagtog.New(tagtog.Config{
		BaseURL: s.tagtogURL, Username: s.tagtogUser, Password: s.tagtogPassword,
		Retry:       retry.Policy{Budget: s.retryBudget},
		Metrics:     tagtog.NewMetrics(reg),
		Logger:      log,
		Timeout:     s.tagtogTimeout,
		Concurrency: s.concurrency,
	})
	if err != nil {
		return err
	}
	qcfg := queue.Config{
		Stream: s.stream, Replicas: s.replicas, AckWait: s.ackWait, DuplicateWindow: s.duplicateWindow,
		MaxDeliver: s.maxDeliver, MaxAckPending: s.maxAckPending,
	}
	qc, err := queue.Connect(ctx, s.natsURL, "tagflow-worker", qcfg, log)
	if err != nil {
		return err
	}
	drained := false
	drain := func() {
		if drained {
			return
		}
		drained = true
		dctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		if err := qc.Drain(dctx); err != nil {
			log.Warn("drain NATS connection", "error", err)
		}
	}
	defer drain()
	if err := qc.EnsureStreams(ctx); err != nil {
		return err
	}
	if err := qc.EnsureConsumer(ctx, queue.Annotator); err != nil {
		return err
	}
	kinds := []queue.Kind{queue.Annotator}
	var exporter *export.Exporter
	if s.exportDir != "" {
		store, err := export.Open(s.exportDir)
		if err != nil {
			return err
		}
		if err := qc.EnsureConsumer(ctx, queue.Exporter); err != nil {
			return err
		}
		exporter = export.NewExporter(tt, store)
		exporter.IncludeAPI = s.exportAPISaves
		kinds = append(kinds, queue.Exporter)
	}
	reg.MustRegister(queue.NewStatsCollector(qc, log, kinds...))
	qm := queue.NewMetrics(reg)
	consumer, err := queue.NewConsumer(qc, queue.Annotator, queue.ConsumerOptions{
		Concurrency: s.concurrency, ShutdownGrace: s.shutdownGrace, Metrics: qm, Logger: log,
	})
	if err != nil {
		return err
	}
	p := pipeline.New(pipeline.Config{
		Model: name, Unit: unit, Member: s.member, LabelMapping: mapping, LegendTTL: s.legendTTL,
	}, tt, model, pipeline.NewMetrics(reg), log)

	ln, err := net.Listen("tcp", s.metricsListen)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	srv := &http.Server{
		Handler:           opsHandler(reg, qc),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(ln) }()
	log.Info("worker started", "nats", queue.RedactURL(s.natsURL), "tagtog", redactURL(s.tagtogURL),
		"annotator", s.annotator, "model", name, "concurrency", s.concurrency, "offset_unit", unit.String(),
		"metrics", ln.Addr().String(), "export_dir", s.exportDir)
	if started != nil {
		started(ln.Addr().String())
	}

	// Both consumers run until ctx ends; if one stops on its own (its
	// durable consumer was deleted, say), the other is stopped too rather than
	// leaving a healthy-looking process doing half its work.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	errs := make(chan error, 2)
	runs := 1
	go func() {
		err := consumer.Run(runCtx, p.Handle)
		stopRun()
		errs <- err
	}()
	if exporter != nil {
		xc, err := queue.NewConsumer(qc, queue.Exporter, queue.ConsumerOptions{
			Concurrency: 2, ShutdownGrace: s.shutdownGrace, Metrics: qm, Logger: log,
		})
		if err != nil {
			stopRun()
			<-errs
			return err
		}
		runs++
		go func() {
			err := xc.Run(runCtx, exporter.Handle)
			stopRun()
			errs <- err
		}()
	}
	var runErr error
	for range runs {
		runErr = errors.Join(runErr, <-errs)
	}
	if runErr == nil && ctx.Err() == nil {
		runErr = errors.New("a consumer stopped on its own")
	}

	// DESIGN's order: stop pulling and finish in-flight work (done above),
	// drain the connection, then stop the HTTP server.
	drain()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("metrics server shutdown", "error", err)
	}
	if err := <-srvDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("metrics server", "error", err)
	}
	log.Info("worker stopped")
	return runErr
}

// drainTimeout bounds the drain of the NATS connection at shutdown. With the
// shutdown grace (default 25s) and the final Naks it stays below the 45s
// termination grace period of the Kubernetes manifests.
const drainTimeout = 5 * time.Second

func newAnnotator(s *settings) (annotate.Annotator, string, error) {
	var (
		model annotate.Annotator
		err   error
	)
	switch strings.ToLower(s.annotator) {
	case "builtin":
		model = builtin.New()
	case "http":
		model, err = httpmodel.New(httpmodel.Config{URL: s.modelURL, Timeout: s.modelTimeout, Name: s.modelName})
	case "dictionary":
		model, err = dictionary.Load(s.dictionary, s.dictionaryLabel)
	default:
		return nil, "", fmt.Errorf("annotator %q: want builtin, http or dictionary", s.annotator)
	}
	if err != nil {
		return nil, "", fmt.Errorf("annotator %s: %w", s.annotator, err)
	}
	name := s.modelName
	if n, ok := model.(annotate.Namer); ok && name == "" {
		name = n.Name()
	}
	if name == "" {
		name = s.annotator
	}
	return model, name, nil
}

// redactURL hides user information in a URL for logs.
func redactURL(s string) string { return queue.RedactURL(s) }

// opsHandler serves /metrics, /healthz (the process is alive) and /readyz
// (NATS is connected and the stream exists).
func opsHandler(reg *prometheus.Registry, qc *queue.Client) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(reg))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := qc.Ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	return mux
}
