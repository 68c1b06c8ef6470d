package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
)

// Webhook payload formats.
const (
	FormatTagtogID = "tagtogID"
	FormatAnnJSON  = "ann.json"
)

// Webhook is a project's webhook setting (Settings › Webhooks).
type Webhook struct {
	URL string
	// Format is FormatTagtogID (default) or FormatAnnJSON.
	Format string
	// OnlyGUI: "Trigger only if change originates in the GUI".
	OnlyGUI bool
	// User and Password, when User is set, are sent with Basic auth.
	User, Password string
}

// SetWebhook sets the project's webhook; an empty URL removes it.
func (s *Server) SetWebhook(owner, projectName string, h Webhook) error {
	switch h.Format {
	case "":
		h.Format = FormatTagtogID
	case FormatTagtogID, FormatAnnJSON:
	default:
		return fmt.Errorf("emulator: webhook format %q: want %s or %s", h.Format, FormatTagtogID, FormatAnnJSON)
	}
	p, err := s.project(owner, projectName)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if h.URL == "" {
		p.hook = nil
		return nil
	}
	p.hook = &h
	return nil
}

// WebhookStats counts webhook deliveries.
type WebhookStats struct {
	Fired     int `json:"fired"`     // events queued for delivery
	Delivered int `json:"delivered"` // answered 2xx
	Failed    int `json:"failed"`    // last attempt failed (error or non-2xx)
	Dropped   int `json:"dropped"`   // queue full or server closed
	Pending   int `json:"pending"`   // queued or being delivered
}

type delivery struct {
	hook   Webhook
	body   []byte
	source Source
	status Status
}

type dispatcher struct {
	cfg   Config
	stats *counters
	log   *slog.Logger
	queue chan delivery

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.RWMutex // guards closed and sends on queue
	closed bool
}

func newDispatcher(cfg Config, stats *counters, log *slog.Logger) *dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	d := &dispatcher{cfg: cfg, stats: stats, log: log, queue: make(chan delivery, cfg.WebhookQueue), ctx: ctx, cancel: cancel}
	d.wg.Add(cfg.WebhookWorkers)
	for range cfg.WebhookWorkers {
		go d.run()
	}
	return d
}

// enqueue queues a delivery without blocking; a full queue drops it.
func (d *dispatcher) enqueue(job delivery) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		d.stats.add(func(c *counters) { c.hooks.Dropped++ })
		return false
	}
	select {
	case d.queue <- job:
		d.stats.add(func(c *counters) { c.hooks.Fired++; c.hooks.Pending++ })
		return true
	default:
		d.stats.add(func(c *counters) { c.hooks.Dropped++ })
		d.log.Warn("webhook queue full, event dropped", "status", job.status, "source", job.source)
		return false
	}
}

// enqueueWait queues a delivery, waiting for room in the queue until ctx ends
// or the dispatcher closes.
func (d *dispatcher) enqueueWait(ctx context.Context, job delivery) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		d.stats.add(func(c *counters) { c.hooks.Dropped++ })
		return ErrClosed
	}
	select {
	case d.queue <- job:
		d.stats.add(func(c *counters) { c.hooks.Fired++; c.hooks.Pending++ })
		return nil
	case <-d.ctx.Done():
		d.stats.add(func(c *counters) { c.hooks.Dropped++ })
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *dispatcher) close() {
	d.cancel() // first, so that enqueueWait releases the lock
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		d.wg.Wait()
		return
	}
	d.closed = true
	close(d.queue)
	d.mu.Unlock()
	d.wg.Wait()
}

func (d *dispatcher) run() {
	defer d.wg.Done()
	for job := range d.queue {
		if d.ctx.Err() != nil {
			d.stats.add(func(c *counters) { c.hooks.Pending--; c.hooks.Dropped++ })
			continue
		}
		ok := d.deliver(job)
		d.stats.add(func(c *counters) {
			c.hooks.Pending--
			if ok {
				c.hooks.Delivered++
			} else {
				c.hooks.Failed++
			}
		})
	}
}

func (d *dispatcher) deliver(job delivery) bool {
	for attempt := 0; attempt <= d.cfg.WebhookRetries; attempt++ {
		if attempt > 0 && sleepCtx(d.ctx, d.cfg.WebhookRetryDelay) != nil {
			return false
		}
		err := d.attempt(job)
		if err == nil {
			return true
		}
		d.log.Warn("webhook delivery failed", "attempt", attempt+1, "status", job.status, "source", job.source, "err", err)
		if d.ctx.Err() != nil {
			return false
		}
	}
	return false
}

func (d *dispatcher) attempt(job delivery) error {
	ctx, cancel := context.WithTimeout(d.ctx, d.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.hook.URL, bytes.NewReader(job.body))
	if err != nil {
		return fmt.Errorf("webhook: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-tagtog-onPushSave-source", string(job.source))
	req.Header.Set("X-tagtog-onPushSave-status", string(job.status))
	if job.hook.User != "" {
		req.SetBasicAuth(job.hook.User, job.hook.Password)
	}
	resp, err := d.cfg.HTTPClient.Do(req)
	if err != nil {
		// The error may carry the URL; it never carries the credentials (not in the URL).
		return fmt.Errorf("webhook: post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: endpoint answered %d", resp.StatusCode)
	}
	return nil
}

// tagtogIDPayload is the body of a tagtogID-format webhook.
type tagtogIDPayload struct {
	Owner    string `json:"owner"`
	Project  string `json:"project"`
	TagtogID string `json:"tagtogID"`
	DocID    string `json:"docid"`
	Member   string `json:"member"`
}

// eventLocked builds the delivery of the project's webhook for an event on d,
// honouring the only-GUI option; ok is false when no webhook fires. p.mu must
// be held (read or write).
func eventLocked(p *project, d *document, member string, status Status, source Source) (job delivery, ok bool) {
	h := p.hook
	if h == nil || (h.OnlyGUI && source != SourceGUI) {
		return delivery{}, false
	}
	var body []byte
	if h.Format == FormatAnnJSON {
		body, _ = d.annFor(member)
	} else {
		body, _ = json.Marshal(tagtogIDPayload{Owner: p.owner, Project: p.name, TagtogID: d.id, DocID: d.id, Member: member})
	}
	return delivery{hook: *h, body: body, source: source, status: status}, true
}

// fireLocked queues the project's webhook for an event on d, honouring the
// only-GUI option. p.mu must be held (read or write). It reports whether an
// event was queued.
func (s *Server) fireLocked(p *project, d *document, member string, status Status, source Source) bool {
	job, ok := eventLocked(p, d, member, status, source)
	if !ok {
		return false
	}
	return s.hooks.enqueue(job)
}

// FireCreated queues a "created" webhook for one document with source GUI (so
// that an only-GUI webhook fires too), as if it had just been uploaded in the
// web editor. Errors wrap ErrNoProject, ErrNoDocument or ErrNoWebhook.
func (s *Server) FireCreated(owner, projectName, id string) error {
	p, err := s.project(owner, projectName)
	if err != nil {
		return err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.hook == nil {
		return fmt.Errorf("%w: %s/%s", ErrNoWebhook, owner, projectName)
	}
	d, ok := p.docs[id]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoDocument, id)
	}
	s.fireLocked(p, d, Master, StatusCreated, SourceGUI)
	return nil
}

// FireAll queues one "created" webhook (source GUI) per document of the
// project, in creation order, waiting for room in the delivery queue, and
// returns how many were queued. It stops early when ctx ends or the server closes.
func (s *Server) FireAll(ctx context.Context, owner, projectName string) (int, error) {
	p, err := s.project(owner, projectName)
	if err != nil {
		return 0, err
	}
	p.mu.RLock()
	if p.hook == nil {
		p.mu.RUnlock()
		return 0, fmt.Errorf("%w: %s/%s", ErrNoWebhook, owner, projectName)
	}
	jobs := make([]delivery, 0, len(p.order))
	for _, d := range p.order {
		if job, ok := eventLocked(p, d, Master, StatusCreated, SourceGUI); ok {
			jobs = append(jobs, job)
		}
	}
	p.mu.RUnlock()
	for i, job := range jobs {
		if err := s.hooks.enqueueWait(ctx, job); err != nil {
			return i, fmt.Errorf("emulator: fire all: %w", err)
		}
	}
	return len(jobs), nil
}
