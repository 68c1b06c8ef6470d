// Package webhook is the HTTP handler tagtog's webhooks call. It checks the
// method, Basic credentials, body size and optional allow-list, decodes the
// tagtogID payload into an event envelope, publishes it and answers 202 only
// once the queue has stored it. It declares the Publisher it needs and knows
// nothing about routing or NATS.
package webhook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/metrics"
)

// Headers tagtog sends with every webhook.
const (
	HeaderSource = "X-tagtog-onPushSave-source"
	HeaderStatus = "X-tagtog-onPushSave-status"
)

// Publisher stores an event durably. duplicate reports that an identical
// event was already stored. An error answering TooLarge() true means the
// event can never be stored (413); any other error is temporary (503).
type Publisher interface {
	Publish(ctx context.Context, env event.Envelope) (duplicate bool, err error)
}

// Config configures a Handler.
type Config struct {
	// Publisher stores accepted events. Required.
	Publisher Publisher
	// Username and Password enable Basic authentication when either is set.
	Username, Password string
	// Allow lists the "owner/project" pairs accepted; empty accepts all.
	Allow []string
	// MaxBody bounds the request body in bytes. Default 1 MiB.
	MaxBody int64
	// RetryAfter is sent with 503 answers. Default 5s.
	RetryAfter time.Duration
	// Now is the clock for received-at times; nil means time.Now.
	Now func() time.Time
	// Logger gets one line per rejected request; nil discards.
	Logger *slog.Logger
	// Metrics counts requests; nil counts nothing.
	Metrics *Metrics
}

// Handler handles webhook deliveries. It answers POST only; the caller
// routes paths to it.
type Handler struct {
	cfg   Config
	allow map[string]bool
	log   *slog.Logger
}

var _ http.Handler = (*Handler)(nil)

// New returns a handler. It fails when Publisher is missing, MaxBody is
// negative or an Allow entry is not "owner/project".
func New(cfg Config) (*Handler, error) {
	if cfg.Publisher == nil {
		return nil, errors.New("webhook: no publisher")
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxBody < 0 {
		return nil, fmt.Errorf("webhook: MaxBody %d is negative", cfg.MaxBody)
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for _, a := range cfg.Allow {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		owner, project, ok := strings.Cut(a, "/")
		if !ok || owner == "" || project == "" || strings.Contains(project, "/") {
			return nil, fmt.Errorf("webhook: allow entry %q: want owner/project", a)
		}
		if h.allow == nil {
			h.allow = map[string]bool{}
		}
		h.allow[a] = true
	}
	return h, nil
}

// response is one answer: a status and either an error message or the
// accepted body.
type response struct {
	code    int
	msg     string // error message; empty for 202
	reason  string // bounded metric label for rejections
	eventID string
	dup     bool
	err     error // cause, logged with the rejection
}

// ServeHTTP handles one delivery. Answers: 202 {"event_id","duplicate"}
// after the event is stored; 400 malformed payload or headers; 401 bad or
// missing credentials; 403 owner/project not allowed; 405 not POST; 413 body
// or event too large; 422 ann.json payload; 503 (with Retry-After) when the
// event could not be stored. Errors are {"error": "..."}.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.cfg.Now()
	status, source := statusLabel(r.Header.Get(HeaderStatus)), sourceLabel(r.Header.Get(HeaderSource))
	res := h.serve(w, r, start)
	h.write(w, res)
	h.cfg.Metrics.observe(res, status, source, h.cfg.Now().Sub(start))
	if res.code != http.StatusAccepted {
		// Never log the Authorization header or the body.
		h.log.Warn("webhook rejected", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path,
			"status", res.code, "reason", res.msg, "err", res.err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, now time.Time) response {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return response{code: http.StatusMethodNotAllowed, reason: "method", msg: fmt.Sprintf("method %s not allowed: tagtog webhooks use POST", r.Method)}
	}
	if h.cfg.Username != "" || h.cfg.Password != "" {
		user, pass, ok := r.BasicAuth()
		if !ok || !h.credentialsMatch(user, pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="tagflow", charset="UTF-8"`)
			msg := "bad credentials"
			if !ok {
				msg = "missing Basic credentials"
			}
			return response{code: http.StatusUnauthorized, reason: "auth", msg: msg}
		}
	}
	if r.ContentLength > h.cfg.MaxBody {
		return response{code: http.StatusRequestEntityTooLarge, reason: "too_large",
			msg: fmt.Sprintf("body of %d bytes is over the limit of %d bytes", r.ContentLength, h.cfg.MaxBody)}
	}
	st, err := parseStatus(r.Header.Get(HeaderStatus))
	if err != nil {
		return response{code: http.StatusBadRequest, reason: "bad_request", msg: err.Error()}
	}
	src, err := parseSource(r.Header.Get(HeaderSource))
	if err != nil {
		return response{code: http.StatusBadRequest, reason: "bad_request", msg: err.Error()}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return response{code: http.StatusRequestEntityTooLarge, reason: "too_large",
				msg: fmt.Sprintf("body is over the limit of %d bytes", h.cfg.MaxBody)}
		}
		return response{code: http.StatusBadRequest, reason: "bad_request", msg: "cannot read body: " + err.Error()}
	}
	p, err := DecodePayload(body)
	if errors.Is(err, ErrAnnJSONFormat) {
		return response{code: http.StatusUnprocessableEntity, reason: "annjson_format", msg: err.Error()}
	}
	if err != nil {
		return response{code: http.StatusBadRequest, reason: "bad_request", msg: err.Error()}
	}
	env := event.New(now, p.Owner, p.Project, p.DocID, p.Member, st, src)
	if err := env.Validate(); err != nil {
		return response{code: http.StatusBadRequest, reason: "bad_request", msg: err.Error()}
	}
	if h.allow != nil && !h.allow[p.Owner+"/"+p.Project] {
		return response{code: http.StatusForbidden, reason: "forbidden",
			msg: fmt.Sprintf("project %s/%s is not allowed here", p.Owner, p.Project)}
	}
	dup, err := h.cfg.Publisher.Publish(r.Context(), env)
	if err != nil {
		var tl interface{ TooLarge() bool }
		if errors.As(err, &tl) && tl.TooLarge() {
			return response{code: http.StatusRequestEntityTooLarge, reason: "too_large", msg: "event too large for the queue: " + err.Error()}
		}
		if errors.Is(err, event.ErrInvalid) {
			return response{code: http.StatusBadRequest, reason: "bad_request", msg: err.Error()}
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((h.cfg.RetryAfter+time.Second-1)/time.Second)))
		return response{code: http.StatusServiceUnavailable, reason: "unavailable", msg: "event not stored, try again later", err: err}
	}
	h.log.Info("webhook accepted", "event_id", env.ID, "owner", env.Owner, "project", env.Project,
		"doc_id", env.DocID, "member", env.Member, "status", env.Status, "source", env.Source, "duplicate", dup)
	return response{code: http.StatusAccepted, eventID: env.ID, dup: dup}
}

// credentialsMatch compares both user and password in constant time (hashed
// first, so lengths do not leak either).
func (h *Handler) credentialsMatch(user, pass string) bool {
	hu, wu := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(h.cfg.Username))
	hp, wp := sha256.Sum256([]byte(pass)), sha256.Sum256([]byte(h.cfg.Password))
	return subtle.ConstantTimeCompare(hu[:], wu[:])&subtle.ConstantTimeCompare(hp[:], wp[:]) == 1
}

func (h *Handler) write(w http.ResponseWriter, res response) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(res.code)
	var body any
	if res.code == http.StatusAccepted {
		body = struct {
			EventID   string `json:"event_id"`
			Duplicate bool   `json:"duplicate"`
		}{res.eventID, res.dup}
	} else {
		body = struct {
			Error string `json:"error"`
		}{res.msg}
	}
	_ = json.NewEncoder(w).Encode(body)
}

func parseStatus(v string) (event.Status, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "created":
		return event.StatusCreated, nil
	case "updated":
		return event.StatusUpdated, nil
	}
	return "", fmt.Errorf("unknown %s %q: want created or updated", HeaderStatus, truncate(v))
}

func parseSource(v string) (event.Source, error) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "":
		return "", nil
	case "GUI":
		return event.SourceGUI, nil
	case "API":
		return event.SourceAPI, nil
	}
	return "", fmt.Errorf("unknown %s %q: want GUI or API", HeaderSource, truncate(v))
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// statusLabel and sourceLabel keep metric label values bounded.
func statusLabel(v string) string {
	s, err := parseStatus(v)
	if err != nil {
		return "other"
	}
	return string(s)
}

func sourceLabel(v string) string {
	s, err := parseSource(v)
	switch {
	case err != nil:
		return "other"
	case s == "":
		return "none"
	}
	return string(s)
}

// Metrics counts webhook deliveries. A nil *Metrics counts nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	rejected *prometheus.CounterVec
	ack      prometheus.Histogram
}

// NewMetrics registers on reg: tagflow_webhooks_total{code,status,source},
// tagflow_webhook_rejected_total{reason} (reason: method, auth, too_large,
// bad_request, annjson_format, forbidden, unavailable) and
// tagflow_webhook_ack_seconds (request received → 202 sent, buckets
// metrics.LatencyBuckets).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tagflow_webhooks_total",
			Help: "Webhook deliveries by response code, tagtog status header and source header.",
		}, []string{"code", "status", "source"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tagflow_webhook_rejected_total",
			Help: "Webhook deliveries rejected, by reason (annjson_format: the webhook is set to the ann.json format).",
		}, []string{"reason"}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tagflow_webhook_ack_seconds",
			Help:    "Time from receiving a webhook to answering 202 (event stored).",
			Buckets: metrics.LatencyBuckets,
		}),
	}
	reg.MustRegister(m.requests, m.rejected, m.ack)
	for _, r := range []string{"method", "auth", "too_large", "bad_request", "annjson_format", "forbidden", "unavailable"} {
		m.rejected.WithLabelValues(r)
	}
	return m
}

func (m *Metrics) observe(res response, status, source string, took time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(strconv.Itoa(res.code), status, source).Inc()
	if res.code == http.StatusAccepted {
		m.ack.Observe(took.Seconds())
	} else {
		m.rejected.WithLabelValues(res.reason).Inc()
	}
}
