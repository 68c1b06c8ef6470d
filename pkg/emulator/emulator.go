// Package emulator is a local stand-in for the parts of tagtog's service that
// tagflow uses: the documents API v1 (GET by id, search, POST/PUT imports and
// pre-annotated pushes, DELETE), the settings annotationsLegend, Basic auth,
// webhooks and a small web page. It follows the facts collected in
// tagtog-api-notes.md and takes the decisions of DESIGN.md where tagtog's
// behaviour is undocumented. Entities pushed with offsets that do not match
// the part text are rejected with 400, so offset bugs fail loudly in tests.
//
// A Server is an http.Handler; tests wrap it in an httptest.Server and drive it
// through the same HTTP API a real tagtog exposes, plus programmatic methods
// (AddUser, AddProject, ImportText, LoadExport, Document, Stats, SetFaults …).
//
// Emulator-only endpoints live under /-emulator/ (stats, faults, fire, ui);
// they need no credentials unless Config.AdminUser is set.
package emulator

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

// Role is a tagtog project role. Only admin, reviewer and supercurator have the
// permission "API › canUse".
type Role string

// Default tagtog roles.
const (
	RoleAdmin        Role = "admin"
	RoleReviewer     Role = "reviewer"
	RoleSupercurator Role = "supercurator"
	RoleCurator      Role = "curator"
	RoleReader       Role = "reader"
)

// CanUseAPI reports whether the role has the permission to use the API.
func (r Role) CanUseAPI() bool {
	switch r {
	case RoleAdmin, RoleReviewer, RoleSupercurator:
		return true
	}
	return false
}

// Source says where a change originated (X-tagtog-onPushSave-source).
type Source string

// Sources of imports and saves.
const (
	SourceGUI Source = "GUI"
	SourceAPI Source = "API"
)

// Status is the kind of webhook event (X-tagtog-onPushSave-status).
type Status string

// Webhook event statuses.
const (
	StatusCreated Status = "created"
	StatusUpdated Status = "updated"
)

// Master is the name of the ground-truth annotation version.
const Master = "master"

// PageSize is tagtog's fixed search page size.
const PageSize = 50

// Sentinel errors of the programmatic API; HTTP handlers map them to statuses.
var (
	ErrNoProject  = errors.New("emulator: project not found")
	ErrNoDocument = errors.New("emulator: document not found")
	ErrNoWebhook  = errors.New("emulator: project has no webhook")
	ErrClosed     = errors.New("emulator: server closed")
)

// Config configures a Server. The zero value is usable.
type Config struct {
	// Unit is the offset unit used to check pushed entities (default UTF-16 code units).
	Unit anndoc.Unit
	// BaseURL is the externally visible URL of the emulator, used for the
	// weburl output. Empty: derived from each request's Host.
	BaseURL string
	// AdminUser and AdminPassword protect the /-emulator/ endpoints and the web
	// page with Basic auth when AdminUser is not empty.
	AdminUser, AdminPassword string
	// WebhookWorkers is the number of delivery goroutines (default 8).
	WebhookWorkers int
	// WebhookQueue bounds the number of queued deliveries (default 10000);
	// events beyond it are dropped and counted, never blocking an API request.
	WebhookQueue int
	// WebhookRetries is the number of extra attempts after a failed delivery (default 0).
	WebhookRetries int
	// WebhookRetryDelay is the pause between attempts (default 100ms).
	WebhookRetryDelay time.Duration
	// WebhookTimeout bounds one delivery attempt (default 10s).
	WebhookTimeout time.Duration
	// HTTPClient delivers webhooks (default: a client with WebhookTimeout).
	HTTPClient *http.Client
	// MaxUploadBytes bounds one uploaded file or text (default 10 MiB, tagtog cloud's limit).
	MaxUploadBytes int64
	// Faults are the faults injected from the start; see SetFaults.
	Faults Faults
	// Logger receives operational logs (default: discard).
	Logger *slog.Logger
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.WebhookWorkers <= 0 {
		c.WebhookWorkers = 8
	}
	if c.WebhookQueue <= 0 {
		c.WebhookQueue = 10000
	}
	if c.WebhookRetryDelay <= 0 {
		c.WebhookRetryDelay = 100 * time.Millisecond
	}
	if c.WebhookTimeout <= 0 {
		c.WebhookTimeout = 10 * time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.WebhookTimeout}
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 10 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

type user struct {
	password string
	role     Role
}

// Server is the emulated tagtog service. It is safe for concurrent use.
type Server struct {
	cfg     Config
	handler http.Handler
	log     *slog.Logger

	mu       sync.RWMutex
	users    map[string]user
	projects map[string]*project // key owner + "\x00" + project

	stats  counters
	faults *faultInjector
	hooks  *dispatcher
}

var _ http.Handler = (*Server)(nil)

// New returns a Server and starts its webhook delivery goroutines; Close stops them.
func New(cfg Config) *Server {
	cfg.setDefaults()
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		users:    make(map[string]user),
		projects: make(map[string]*project),
	}
	s.stats.rejected = make(map[string]int)
	s.faults = newFaultInjector(cfg.Faults)
	s.hooks = newDispatcher(cfg, &s.stats, cfg.Logger)
	s.handler = s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Close stops webhook delivery: in-flight deliveries are cancelled, queued ones
// are dropped (and counted), and Close returns when every delivery goroutine
// has ended. The API keeps answering after Close, but fires no webhooks.
func (s *Server) Close() error {
	s.hooks.close()
	return nil
}

// AddUser creates or replaces a user.
func (s *Server) AddUser(name, password string, role Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[name] = user{password: password, role: role}
}

// AddProject creates a project, or redefines the legend of an existing one
// (its documents are kept). Entity types get the ids e_1, e_2 … and document
// labels m_1, m_2 … in the order given.
func (s *Server) AddProject(owner, name string, entityTypes, docLabels []string) {
	legend := make(map[string]string, len(entityTypes)+len(docLabels))
	for i, n := range entityTypes {
		legend[fmt.Sprintf("e_%d", i+1)] = n
	}
	for i, n := range docLabels {
		legend[fmt.Sprintf("m_%d", i+1)] = n
	}
	p := s.ensureProject(owner, name)
	p.mu.Lock()
	p.legend = legend
	p.mu.Unlock()
}

func projectKey(owner, name string) string { return owner + "\x00" + name }

func (s *Server) ensureProject(owner, name string) *project {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := projectKey(owner, name)
	p, ok := s.projects[k]
	if !ok {
		p = newProject(owner, name)
		s.projects[k] = p
	}
	return p
}

func (s *Server) project(owner, name string) (*project, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.projects[projectKey(owner, name)]
	if !ok {
		return nil, fmt.Errorf("%w: %s/%s", ErrNoProject, owner, name)
	}
	return p, nil
}

// Legend returns a copy of the project's annotations legend (id -> name).
func (s *Server) Legend(owner, name string) (map[string]string, error) {
	p, err := s.project(owner, name)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make(map[string]string, len(p.legend))
	for k, v := range p.legend {
		out[k] = v
	}
	return out, nil
}

// authenticate checks Basic credentials against the users. It returns the user
// name, or writes 401/403 and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	name, pass, ok := r.BasicAuth()
	if !ok {
		unauthorized(w, "authentication required")
		return "", false
	}
	s.mu.RLock()
	u, found := s.users[name]
	s.mu.RUnlock()
	if !found || subtle.ConstantTimeCompare([]byte(u.password), []byte(pass)) != 1 {
		unauthorized(w, "invalid credentials")
		return "", false
	}
	if !u.role.CanUseAPI() {
		httpError(w, http.StatusForbidden, "user "+name+" has no permission to use the API")
		return "", false
	}
	return name, true
}

func (s *Server) adminOK(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.AdminUser == "" {
		return true
	}
	name, pass, ok := r.BasicAuth()
	if ok && subtle.ConstantTimeCompare([]byte(name), []byte(s.cfg.AdminUser)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.AdminPassword)) == 1 {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="tagtog-emulator"`)
	httpError(w, http.StatusUnauthorized, "admin credentials required")
	return false
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="tagtog"`)
	httpError(w, http.StatusUnauthorized, msg)
}

// httpError answers with a one-line text/plain body, as tagtog does for client
// errors since 3.2020-W28.2.
func httpError(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(strings.TrimRight(msg, "\n") + "\n"))
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
