// Package httpmodel is an annotator backed by a remote model server (spaCy,
// Hugging Face transformers, anything that speaks the protocol below).
//
// Request: POST <URL> with Content-Type application/json and the body
//
//	{"texts": ["first text", "second text"]}
//
// Response (200): one result per text, in order, in one of these shapes:
//
//	spaCy:        {"results": [{"ents": [{"start": 0, "end": 5, "label": "PERSON"}]}, ...]}
//	              or the bare array [{"ents": [...]}, ...]
//	Hugging Face: [[{"entity_group": "PER", "start": 0, "end": 5, "score": 0.99, "word": "Alice"}], ...]
//	              token-classification output; "entity" (B-PER, I-PER, ...) instead of
//	              "entity_group" is accepted and consecutive tokens are merged. For a single
//	              text the flat list [{"entity_group": ...}, ...] is accepted too.
//
// Offsets are CHARACTER offsets (Unicode code points, as Python counts them),
// end exclusive; they are converted to byte offsets. B-/I- prefixes are
// stripped from labels, "O" tokens are ignored, a missing score counts as 1.
//
// Failures: connection errors, timeouts, 408, 429 and 5xx are transient and
// retried in-process (Config.Retry: exponential backoff with jitter, a
// server's Retry-After honoured, within a time budget); other 4xx answers and
// undecodable or inconsistent responses are permanent and returned at once
// (they wrap ErrPermanent, the latter also annotate.ErrBadResponse, and
// retry.IsPermanent reports true for both). When the budget is spent the
// error wraps retry.ErrBudgetExhausted, and retry.RetryAfterOf returns the
// server's last Retry-After hint, so that the caller can reschedule the work.
package httpmodel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tagflow/tagflow/pkg/annotate"
	"github.com/tagflow/tagflow/pkg/retry"
)

// ErrPermanent is wrapped by errors that a retry cannot fix. It is
// annotate.ErrPermanent, so either can be matched.
var ErrPermanent = annotate.ErrPermanent

// DefaultTimeout bounds one request when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// DefaultMaxResponseBytes bounds the response body when Config.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 32 << 20

// Config configures a Client.
type Config struct {
	// URL of the model endpoint; http or https. Required.
	URL string
	// Timeout of one request, i.e. of one attempt (default DefaultTimeout).
	Timeout time.Duration
	// HTTPClient used for requests (default: a new http.Client).
	HTTPClient *http.Client
	// Name is the model name recorded in tagtog as "ml:<Name>" (default "http").
	Name string
	// Labels, when not empty, keeps only entities with these labels (case-insensitive).
	Labels []string
	// MaxBatch is the largest number of texts per request; 0 sends all at once.
	MaxBatch int
	// MaxResponseBytes bounds the response body (default DefaultMaxResponseBytes).
	MaxResponseBytes int64
	// Retry says how each request is retried after a transient failure.
	// The zero value takes retry's defaults (retry.DefaultBudget and so on);
	// keep Budget below the queue's AckWait.
	Retry retry.Policy
}

func (c *Config) setDefaults() {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Name == "" {
		c.Name = "http"
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
}

// Validate reports configuration errors.
func (c *Config) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("httpmodel: URL must be an absolute http(s) URL")
	}
	if c.Timeout < 0 || c.MaxBatch < 0 || c.MaxResponseBytes < 0 {
		return fmt.Errorf("httpmodel: Timeout, MaxBatch and MaxResponseBytes must not be negative")
	}
	if err := c.Retry.Validate(); err != nil {
		return fmt.Errorf("httpmodel: Retry: %w", err)
	}
	return nil
}

// Client annotates texts with a remote model server. It is safe for
// concurrent use.
type Client struct {
	cfg      Config
	endpoint string // redacted, for errors
	labels   map[string]bool
	clock    retry.Clock // nil: the real clock (tests set a fake one)
}

var (
	_ annotate.Annotator = (*Client)(nil)
	_ annotate.Namer     = (*Client)(nil)
)

// New returns a Client, or an error when cfg is invalid.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.URL)
	c := &Client{cfg: cfg, endpoint: u.Redacted()}
	if len(cfg.Labels) > 0 {
		c.labels = make(map[string]bool, len(cfg.Labels))
		for _, l := range cfg.Labels {
			c.labels[strings.ToUpper(strings.TrimSpace(l))] = true
		}
	}
	return c, nil
}

// Name returns the configured model name.
func (c *Client) Name() string { return c.cfg.Name }

// StatusError is returned for a non-200 answer. It wraps ErrPermanent for
// 4xx codes other than 408 and 429.
type StatusError struct {
	Code       int
	Body       string        // start of the response body
	RetryAfter time.Duration // from a Retry-After header, 0 if none
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("status %d", e.Code)
	}
	return fmt.Sprintf("status %d: %s", e.Code, e.Body)
}

// Permanent reports whether retrying cannot help.
func (e *StatusError) Permanent() bool {
	return e.Code >= 400 && e.Code < 500 && e.Code != http.StatusRequestTimeout && e.Code != http.StatusTooManyRequests
}

// Is makes errors.Is(err, ErrPermanent) hold for permanent statuses.
func (e *StatusError) Is(target error) bool { return target == ErrPermanent && e.Permanent() }

// Annotate sends the texts to the model server, MaxBatch at a time, and
// returns one slice of spans per text, sorted and without overlaps. Each
// request is retried after a transient failure as Config.Retry says, and
// not again once ctx ends. Errors wrap a *StatusError, a transport error or a
// bad response (annotate.ErrBadResponse and ErrPermanent); permanent ones are
// marked for retry.IsPermanent, and a spent budget wraps
// retry.ErrBudgetExhausted.
func (c *Client) Annotate(ctx context.Context, texts []string) ([][]annotate.Span, error) {
	out := make([][]annotate.Span, 0, len(texts))
	batch := c.cfg.MaxBatch
	if batch == 0 || batch > len(texts) {
		batch = len(texts)
	}
	for start := 0; start < len(texts); start += batch {
		end := min(start+batch, len(texts))
		spans, err := c.post(ctx, texts[start:end])
		if err != nil {
			return nil, err
		}
		out = append(out, spans...)
	}
	if len(texts) == 0 {
		return [][]annotate.Span{}, nil
	}
	return out, nil
}

// post sends one batch, retrying transient failures.
func (c *Client) post(ctx context.Context, texts []string) ([][]annotate.Span, error) {
	body, err := json.Marshal(struct {
		Texts []string `json:"texts"`
	}{texts})
	if err != nil {
		return nil, permanent(fmt.Errorf("httpmodel: encode request: %w", err))
	}
	var opts []retry.Option
	if c.clock != nil {
		opts = append(opts, retry.WithClock(c.clock))
	}
	var spans [][]annotate.Span
	err = retry.Do(ctx, c.cfg.Retry, func(ctx context.Context) error {
		s, err := c.attempt(ctx, body, texts)
		spans = s
		return err
	}, nil, opts...)
	if err != nil {
		return nil, err
	}
	return spans, nil
}

// attempt makes one request and classifies its failure: transient errors
// are returned as they are (with the server's Retry-After hint attached),
// permanent ones marked for both annotate and retry.
func (c *Client) attempt(ctx context.Context, body []byte, texts []string) ([][]annotate.Span, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, permanent(fmt.Errorf("httpmodel: build request for %s: %w", c.endpoint, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		err = fmt.Errorf("httpmodel: post %s: %w", c.endpoint, err)
		if retry.ClassifyError(err) == retry.DecisionPermanent {
			return nil, permanent(err)
		}
		return nil, err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // reuse the connection
		_ = resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		se := &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(snippet))}
		se.RetryAfter = c.parseRetryAfter(resp.Header.Get("Retry-After"))
		err := fmt.Errorf("httpmodel: post %s: %w", c.endpoint, se)
		if se.Permanent() || retry.ClassifyStatus(resp.StatusCode) != retry.DecisionRetry {
			return nil, permanent(err)
		}
		return nil, retry.WithRetryAfter(err, se.RetryAfter)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("httpmodel: read response of %s: %w", c.endpoint, err)
	}
	if int64(len(raw)) > c.cfg.MaxResponseBytes {
		return nil, badResponse("response of %s exceeds %d bytes", c.endpoint, c.cfg.MaxResponseBytes)
	}
	spans, err := Decode(raw, texts)
	if err != nil {
		return nil, fmt.Errorf("httpmodel: %s: %w", c.endpoint, err)
	}
	if c.labels != nil {
		for i, ss := range spans {
			kept := ss[:0]
			for _, s := range ss {
				if c.labels[strings.ToUpper(s.Label)] {
					kept = append(kept, s)
				}
			}
			spans[i] = kept
		}
	}
	return spans, nil
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// It returns 0 when there is no usable hint.
func (c *Client) parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(max(secs, 0), maxSecs)) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	now := time.Now()
	if c.clock != nil {
		now = c.clock.Now()
	}
	return max(t.Sub(now), 0)
}

// permanent marks err as permanent for both annotate.IsPermanent and
// retry.IsPermanent.
func permanent(err error) error {
	return retry.Permanent(annotate.Permanent(err))
}

// badResponse returns an error wrapping annotate.ErrBadResponse and
// ErrPermanent, marked permanent for retry.IsPermanent.
func badResponse(format string, args ...any) error {
	return permanent(fmt.Errorf("%w: %s", annotate.ErrBadResponse, fmt.Sprintf(format, args...)))
}
