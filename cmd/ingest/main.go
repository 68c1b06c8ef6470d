// Command ingest is tagflow's webhook server: it receives tagtog's webhooks,
// stores each event in JetStream and answers 202 once it is stored.
//
// Every flag has an environment variable (see -help); secrets can also be
// read from files (-webhook-password-file or TAGFLOW_WEBHOOK_PASSWORD_FILE).
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
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/mux"

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/internal/healthcheck"
	"github.com/tagflow/tagflow/pkg/metrics"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/webhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck.Main(ctx, os.Args[2:], os.Stderr))
	}
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

// run parses the configuration, starts the server and serves until ctx ends.
func run(ctx context.Context, args []string, lookup config.LookupFunc, stderr io.Writer) error {
	opts, err := parse(args, lookup, stderr)
	if err != nil {
		return err
	}
	a, err := start(ctx, opts, stderr)
	if err != nil {
		return err
	}
	return a.serve(ctx)
}

// options is the parsed configuration.
type options struct {
	natsURL        string
	listen         string
	metricsListen  string
	user, password string
	allow          []string
	queue          queue.Config
	maxBody        int64
	logFormat      string
	logLevel       slog.Level

	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout, shutdownTimeout time.Duration
}

func parse(args []string, lookup config.LookupFunc, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	qd := queue.Defaults()
	var o options
	natsURL := config.String(fs, "nats-url", "NATS_URL", "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated")
	listen := config.String(fs, "listen", "TAGFLOW_LISTEN", ":8080", "address of the webhook server")
	metricsListen := config.String(fs, "metrics-listen", "TAGFLOW_METRICS_LISTEN", "", "address of a separate /metrics server (empty: /metrics on -listen)")
	user := config.Secret(fs, "webhook-user", "TAGFLOW_WEBHOOK_USER", "Basic auth user tagtog sends (empty with no password: no auth)")
	password := config.Secret(fs, "webhook-password", "TAGFLOW_WEBHOOK_PASSWORD", "Basic auth password tagtog sends")
	allow := config.String(fs, "allow", "TAGFLOW_ALLOW", "", "comma-separated owner/project pairs accepted (empty: all)")
	stream := config.String(fs, "stream", "TAGFLOW_STREAM", qd.Stream, "JetStream stream name")
	replicas := config.Int(fs, "stream-replicas", "TAGFLOW_STREAM_REPLICAS", qd.Replicas, "stream replicas (1 single server, 3 cluster)")
	dupWindow := config.Duration(fs, "duplicate-window", "TAGFLOW_DUPLICATE_WINDOW", qd.DuplicateWindow, "JetStream deduplication window for created events")
	maxBody := config.Size(fs, "max-body", "TAGFLOW_MAX_BODY", 1<<20, "largest webhook body accepted (bytes, or with KiB/MiB)")
	pubTimeout := config.Duration(fs, "publish-timeout", "TAGFLOW_PUBLISH_TIMEOUT", qd.PublishTimeout, "longest wait for JetStream's PubAck before answering 503")
	logFormat := config.String(fs, "log-format", "TAGFLOW_LOG_FORMAT", "json", "log format: json or text")
	logLevel := config.String(fs, "log-level", "TAGFLOW_LOG_LEVEL", "info", "log level: debug, info, warn or error")
	rht := config.Duration(fs, "read-header-timeout", "TAGFLOW_READ_HEADER_TIMEOUT", 5*time.Second, "server read-header timeout")
	rt := config.Duration(fs, "read-timeout", "TAGFLOW_READ_TIMEOUT", 30*time.Second, "server read timeout")
	wt := config.Duration(fs, "write-timeout", "TAGFLOW_WRITE_TIMEOUT", 30*time.Second, "server write timeout")
	it := config.Duration(fs, "idle-timeout", "TAGFLOW_IDLE_TIMEOUT", 120*time.Second, "server idle (keep-alive) timeout")
	st := config.Duration(fs, "shutdown-timeout", "TAGFLOW_SHUTDOWN_TIMEOUT", 20*time.Second, "longest wait for in-flight requests at shutdown")
	if err := config.Parse(fs, args, lookup); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o = options{
		natsURL: *natsURL, listen: *listen, metricsListen: *metricsListen,
		user: *user, password: *password, maxBody: *maxBody, logFormat: *logFormat,
		readHeaderTimeout: *rht, readTimeout: *rt, writeTimeout: *wt, idleTimeout: *it, shutdownTimeout: *st,
	}
	for _, a := range strings.Split(*allow, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.allow = append(o.allow, a)
		}
	}
	o.queue = queue.Config{Stream: *stream, Replicas: *replicas, DuplicateWindow: *dupWindow, PublishTimeout: *pubTimeout}
	if err := o.queue.Validate(); err != nil {
		return o, err
	}
	if err := o.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return o, fmt.Errorf("-log-level %q: want debug, info, warn or error", *logLevel)
	}
	if o.logFormat != "json" && o.logFormat != "text" {
		return o, fmt.Errorf("-log-format %q: want json or text", o.logFormat)
	}
	if o.maxBody <= 0 {
		return o, fmt.Errorf("-max-body %d: want > 0", o.maxBody)
	}
	return o, nil
}

func newLogger(o options, w io.Writer) *slog.Logger {
	ho := &slog.HandlerOptions{Level: o.logLevel}
	if o.logFormat == "text" {
		return slog.New(slog.NewTextHandler(w, ho))
	}
	return slog.New(slog.NewJSONHandler(w, ho))
}

// app is a started ingest server.
type app struct {
	opts     options
	log      *slog.Logger
	q        *queue.Client
	srv      *http.Server
	ln       net.Listener
	msrv     *http.Server // nil when /metrics is on the main listener
	mln      net.Listener
	serveErr chan error
}

// start connects to NATS (waiting until it is reachable or ctx ends),
// ensures the streams exist, and opens the listeners.
func start(ctx context.Context, o options, logOut io.Writer) (*app, error) {
	log := newLogger(o, logOut)
	reg := metrics.NewRegistry()

	q, err := queue.Connect(ctx, o.natsURL, "tagflow-ingest", o.queue, log)
	if err != nil {
		return nil, err
	}
	if err := ensureStreams(ctx, q, log); err != nil {
		q.Close()
		return nil, err
	}
	reg.MustRegister(queue.NewStatsCollector(q, log))

	wh, err := webhook.New(webhook.Config{
		Publisher: queue.NewPublisher(q),
		Username:  o.user, Password: o.password,
		Allow:   o.allow,
		MaxBody: o.maxBody,
		Logger:  log,
		Metrics: webhook.NewMetrics(reg),
	})
	if err != nil {
		q.Close()
		return nil, err
	}
	hm := metrics.NewHTTPMetrics(reg)
	r := mux.NewRouter()
	r.Handle("/webhook", hm.Wrap("webhook", wh))
	r.Handle("/", hm.Wrap("webhook", wh))
	r.Handle("/healthz", hm.Wrap("healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, `{"status":"ok"}`)
	}))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", hm.Wrap("readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := q.Ready(ctx); err != nil {
			log.Warn("not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, `{"error":"not ready: NATS not connected or stream missing"}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"status":"ready"}`)
	}))).Methods(http.MethodGet, http.MethodHead)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"error":"not found"}`)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, `{"error":"method not allowed"}`)
	})

	a := &app{opts: o, log: log, q: q, serveErr: make(chan error, 2)}
	a.srv = a.server(r)
	if o.metricsListen == "" {
		r.Handle("/metrics", metrics.Handler(reg)).Methods(http.MethodGet)
	} else {
		mr := http.NewServeMux()
		mr.Handle("GET /metrics", metrics.Handler(reg))
		a.msrv = a.server(mr)
		if a.mln, err = net.Listen("tcp", o.metricsListen); err != nil {
			q.Close()
			return nil, fmt.Errorf("metrics listener: %w", err)
		}
	}
	if a.ln, err = net.Listen("tcp", o.listen); err != nil {
		if a.mln != nil {
			a.mln.Close()
		}
		q.Close()
		return nil, fmt.Errorf("listener: %w", err)
	}
	return a, nil
}

// ensureStreams retries until the streams exist: JetStream may still be
// starting (or electing a leader) when ingest starts.
func ensureStreams(ctx context.Context, q *queue.Client, log *slog.Logger) error {
	for {
		err := q.EnsureStreams(ctx)
		if err == nil {
			return nil
		}
		if !errors.Is(err, queue.ErrUnavailable) {
			return err
		}
		log.Warn("cannot create streams yet; retrying", "err", err)
		t := time.NewTimer(2 * time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("ensure streams: %w", ctx.Err())
		case <-t.C:
		}
	}
}

func (a *app) server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: a.opts.readHeaderTimeout,
		ReadTimeout:       a.opts.readTimeout,
		WriteTimeout:      a.opts.writeTimeout,
		IdleTimeout:       a.opts.idleTimeout,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

// addr returns the webhook listener's address.
func (a *app) addr() string { return a.ln.Addr().String() }

// metricsAddr returns the separate metrics listener's address, or "".
func (a *app) metricsAddr() string {
	if a.mln == nil {
		return ""
	}
	return a.mln.Addr().String()
}

// serve serves until ctx ends, then stops accepting connections, waits up to
// the shutdown timeout for in-flight requests (their publishes), and drains
// the NATS connection.
func (a *app) serve(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { a.serveErr <- a.srv.Serve(a.ln) })
	if a.msrv != nil {
		wg.Go(func() { a.serveErr <- a.msrv.Serve(a.mln) })
	}
	a.log.Info("ingest listening", "addr", a.addr(), "metrics_addr", a.metricsAddr(), "nats", queue.RedactURL(a.opts.natsURL),
		"stream", a.q.Config().Stream, "auth", a.opts.user != "" || a.opts.password != "", "allow", len(a.opts.allow))

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-a.serveErr:
		runErr = fmt.Errorf("serve: %w", err)
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.opts.shutdownTimeout)
	defer cancel()
	if err := a.srv.Shutdown(sctx); err != nil {
		a.log.Warn("http shutdown", "err", err)
		_ = a.srv.Close()
	}
	if a.msrv != nil {
		if err := a.msrv.Shutdown(sctx); err != nil {
			_ = a.msrv.Close()
		}
	}
	wg.Wait()
	if err := a.q.Drain(sctx); err != nil {
		a.log.Warn("nats drain", "err", err)
	}
	a.log.Info("stopped")
	return runErr
}

func writeJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body+"\n")
}
