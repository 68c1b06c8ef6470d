// Command tagtog-emulator runs pkg/emulator, a local stand-in for tagtog's
// documents API, webhooks and a small web page, with one project and its
// webhook configured from flags or environment variables.
//
//	tagtog-emulator [flags]              serve
//	tagtog-emulator healthcheck URL      exit 0 when URL answers 2xx (for container health checks)
//
// Every flag has an environment fallback (shown by -h). Emulator-only
// endpoints: GET /healthz, GET /-emulator/stats, GET|POST /-emulator/faults,
// POST /-emulator/fire?owner=&project= and the web page at /.
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

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tagtog-emulator:", err)
		}
		os.Exit(1)
	}
}

// options are the parsed flags.
type options struct {
	listen, baseURL, logFormat         string
	user, password, users              string
	owner, project, types, labels      string
	hookURL, hookFormat                string
	hookUser, hookPassword             string
	hookOnlyGUI                        bool
	hookWorkers, hookRetries           int
	hookTimeout                        time.Duration
	loadExport                         string
	fireOnStart                        bool
	unit                               string
	adminUser, adminPassword           string
	latency, jitter, spike             time.Duration
	spikeRate, rateLimitRate, dropRate float64
	errorRates                         string
	errorStatus, retryAfter            int
	seed                               int
}

func parseFlags(args []string, lookup config.LookupFunc, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("tagtog-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	listen := config.String(fs, "listen", "TAGFLOW_LISTEN", ":8081", "listen address")
	baseURL := config.String(fs, "base-url", "TAGTOG_EMULATOR_BASE_URL", "", "external URL of the emulator for weburl outputs (default: from the request)")
	logFormat := config.String(fs, "log-format", "TAGFLOW_LOG_FORMAT", "text", "log format: text or json")
	user := config.String(fs, "user", "TAGTOG_USERNAME", "tagflow", "API user (role admin); also the default project owner")
	password := config.Secret(fs, "password", "TAGTOG_PASSWORD", "password of -user")
	users := config.Secret(fs, "users", "TAGTOG_EMULATOR_USERS", "more users: name:password[:role],... (roles admin, reviewer, supercurator, curator, reader; default admin)")
	owner := config.String(fs, "owner", "TAGTOG_EMULATOR_OWNER", "", "project owner (default: -user)")
	project := config.String(fs, "project", "TAGTOG_EMULATOR_PROJECT", "tutorial", "project name")
	types := config.String(fs, "entity-types", "TAGTOG_EMULATOR_ENTITY_TYPES", "PERSON,ORG,MONEY", "entity types, comma separated (ids e_1, e_2, ... in order)")
	labels := config.String(fs, "doc-labels", "TAGTOG_EMULATOR_DOC_LABELS", "", "document labels, comma separated (ids m_1, m_2, ...)")
	hookURL := config.String(fs, "webhook-url", "TAGTOG_EMULATOR_WEBHOOK_URL", "", "webhook endpoint (empty: no webhook)")
	hookFormat := config.String(fs, "webhook-format", "TAGTOG_EMULATOR_WEBHOOK_FORMAT", emulator.FormatTagtogID, "webhook payload: tagtogID or ann.json")
	hookOnlyGUI := config.Bool(fs, "webhook-only-gui", "TAGTOG_EMULATOR_WEBHOOK_ONLY_GUI", false, "trigger the webhook only for changes made in the web page")
	hookUser := config.String(fs, "webhook-user", "TAGTOG_EMULATOR_WEBHOOK_USER", "", "webhook Basic auth user (empty: no auth)")
	hookPassword := config.Secret(fs, "webhook-password", "TAGTOG_EMULATOR_WEBHOOK_PASSWORD", "webhook Basic auth password")
	hookWorkers := config.Int(fs, "webhook-workers", "TAGTOG_EMULATOR_WEBHOOK_WORKERS", 8, "webhook delivery goroutines")
	hookRetries := config.Int(fs, "webhook-retries", "TAGTOG_EMULATOR_WEBHOOK_RETRIES", 0, "extra attempts after a failed webhook delivery")
	hookTimeout := config.Duration(fs, "webhook-timeout", "TAGTOG_EMULATOR_WEBHOOK_TIMEOUT", 10*time.Second, "timeout of one webhook delivery")
	loadExport := config.String(fs, "load-export", "TAGTOG_EMULATOR_LOAD_EXPORT", "", "tagtog export folder to load into the project at start")
	fireOnStart := config.Bool(fs, "fire-on-start", "TAGTOG_EMULATOR_FIRE_ON_START", false, "after loading an export, fire one created webhook per document")
	unit := config.String(fs, "offset-unit", "TAGFLOW_OFFSET_UNIT", "utf16", "offset unit of pushed entities: utf16 or codepoint")
	adminUser := config.String(fs, "admin-user", "TAGTOG_EMULATOR_ADMIN_USER", "", "Basic auth user for /-emulator/ endpoints and the web page (empty: open)")
	adminPassword := config.Secret(fs, "admin-password", "TAGTOG_EMULATOR_ADMIN_PASSWORD", "password of -admin-user")
	latency := config.Duration(fs, "latency", "TAGTOG_EMULATOR_LATENCY", 0, "fault: latency added to every API request")
	jitter := config.Duration(fs, "latency-jitter", "TAGTOG_EMULATOR_LATENCY_JITTER", 0, "fault: random extra latency in [0, jitter)")
	spikeRate := config.Float(fs, "latency-spike-rate", "TAGTOG_EMULATOR_LATENCY_SPIKE_RATE", 0, "fault: fraction of requests delayed by -latency-spike")
	spike := config.Duration(fs, "latency-spike", "TAGTOG_EMULATOR_LATENCY_SPIKE", time.Second, "fault: extra latency of a spike")
	errorRates := config.String(fs, "error-rates", "TAGTOG_EMULATOR_ERROR_RATES", "", "fault: error rate per operation, e.g. get=0.1,push=0.05 (ops legend, get, search, push, import, delete; * = all)")
	errorStatus := config.Int(fs, "error-status", "TAGTOG_EMULATOR_ERROR_STATUS", 503, "fault: status of injected errors")
	rateLimitRate := config.Float(fs, "rate-limit-rate", "TAGTOG_EMULATOR_RATE_LIMIT_RATE", 0, "fault: fraction of requests answered 429")
	retryAfter := config.Int(fs, "retry-after", "TAGTOG_EMULATOR_RETRY_AFTER", 1, "fault: Retry-After seconds of 429 answers")
	dropRate := config.Float(fs, "drop-rate", "TAGTOG_EMULATOR_DROP_RATE", 0, "fault: fraction of requests whose connection is closed without an answer")
	seed := config.Int(fs, "seed", "TAGTOG_EMULATOR_SEED", 1, "fault: RNG seed")
	if err := config.Parse(fs, args, lookup); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	*o = options{
		listen: *listen, baseURL: *baseURL, logFormat: *logFormat,
		user: *user, password: *password, users: *users,
		owner: *owner, project: *project, types: *types, labels: *labels,
		hookURL: *hookURL, hookFormat: *hookFormat, hookUser: *hookUser, hookPassword: *hookPassword,
		hookOnlyGUI: *hookOnlyGUI, hookWorkers: *hookWorkers, hookRetries: *hookRetries, hookTimeout: *hookTimeout,
		loadExport: *loadExport, fireOnStart: *fireOnStart, unit: *unit,
		adminUser: *adminUser, adminPassword: *adminPassword,
		latency: *latency, jitter: *jitter, spike: *spike, spikeRate: *spikeRate,
		rateLimitRate: *rateLimitRate, dropRate: *dropRate, errorRates: *errorRates,
		errorStatus: *errorStatus, retryAfter: *retryAfter, seed: *seed,
	}
	if o.owner == "" {
		o.owner = o.user
	}
	return o, nil
}

// userSpec is one -users entry.
type userSpec struct {
	name, password string
	role           emulator.Role
}

// parseUsers parses "name:password[:role],...".
func parseUsers(s string) ([]userSpec, error) {
	var out []userSpec
	for _, e := range splitList(s) {
		parts := strings.Split(e, ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
			// The entry holds a password: never echo it.
			return nil, fmt.Errorf("users: entry %d: want name:password[:role]", len(out)+1)
		}
		u := userSpec{name: parts[0], password: parts[1], role: emulator.RoleAdmin}
		if len(parts) == 3 {
			switch r := emulator.Role(parts[2]); r {
			case emulator.RoleAdmin, emulator.RoleReviewer, emulator.RoleSupercurator, emulator.RoleCurator, emulator.RoleReader:
				u.role = r
			default:
				return nil, fmt.Errorf("users: user %s: unknown role %q", u.name, parts[2])
			}
		}
		out = append(out, u)
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// faults builds the initial faults from the options.
func (o *options) faults() (emulator.Faults, error) {
	rates, err := emulator.ParseErrorRates(o.errorRates)
	if err != nil {
		return emulator.Faults{}, err
	}
	f := emulator.Faults{
		Latency: o.latency, LatencyJitter: o.jitter, LatencySpikeRate: o.spikeRate, Spike: o.spike,
		ErrorRate: rates, ErrorStatus: o.errorStatus, RateLimitRate: o.rateLimitRate, RetryAfter: o.retryAfter,
		DropRate: o.dropRate, Seed: uint64(o.seed),
	}
	return f, f.Validate()
}

// run serves until ctx ends. ready, when not nil, receives the listen address.
func run(ctx context.Context, args []string, lookup config.LookupFunc, stdout, stderr io.Writer, ready chan<- string) error {
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(ctx, args[1:])
	}
	o, err := parseFlags(args, lookup, stderr)
	if err != nil {
		return err
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if o.logFormat == "json" {
		h = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(h)
	unit, err := anndoc.ParseUnit(o.unit)
	if err != nil {
		return err
	}
	faults, err := o.faults()
	if err != nil {
		return err
	}
	users, err := parseUsers(o.users)
	if err != nil {
		return err
	}
	emu := emulator.New(emulator.Config{
		Unit: unit, BaseURL: o.baseURL, AdminUser: o.adminUser, AdminPassword: o.adminPassword,
		WebhookWorkers: o.hookWorkers, WebhookRetries: o.hookRetries, WebhookTimeout: o.hookTimeout,
		Faults: faults, Logger: log,
	})
	defer emu.Close()
	if o.password == "" {
		log.Warn("no password set for the API user; set TAGTOG_PASSWORD", "user", o.user)
	}
	emu.AddUser(o.user, o.password, emulator.RoleAdmin)
	for _, u := range users {
		emu.AddUser(u.name, u.password, u.role)
	}
	emu.AddProject(o.owner, o.project, splitList(o.types), splitList(o.labels))
	if o.hookURL != "" {
		err := emu.SetWebhook(o.owner, o.project, emulator.Webhook{
			URL: o.hookURL, Format: o.hookFormat, OnlyGUI: o.hookOnlyGUI, User: o.hookUser, Password: o.hookPassword,
		})
		if err != nil {
			return err
		}
	}
	if o.loadExport != "" {
		n, err := emu.LoadExport(o.owner, o.project, o.loadExport)
		if err != nil {
			return err
		}
		log.Info("export loaded", "documents", n, "dir", o.loadExport)
	}

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           emu,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("tagtog emulator listening", "addr", ln.Addr().String(), "owner", o.owner, "project", o.project,
		"webhook", o.hookURL != "", "unit", unit.String())
	fmt.Fprintf(stdout, "tagtog emulator on http://%s (project %s/%s)\n", ln.Addr(), o.owner, o.project)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	if o.fireOnStart && o.hookURL != "" {
		n, err := emu.FireAll(ctx, o.owner, o.project)
		log.Info("created webhooks fired", "documents", n, "err", err)
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	<-errc
	return nil
}

// healthcheck GETs the URL and fails unless it answers 2xx.
func healthcheck(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: tagtog-emulator healthcheck URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("healthcheck: status %d", res.StatusCode)
	}
	return nil
}
