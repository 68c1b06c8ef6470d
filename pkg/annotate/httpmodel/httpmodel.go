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
// Failures: connection errors, timeouts, 408, 429 and 5xx are transient;
// other 4xx answers and undecodable or inconsistent responses are permanent
// (they wrap ErrPermanent, and the latter also annotate.ErrBadResponse).
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
	// Timeout of one request (default DefaultTimeout).
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
	return nil
}

// Client annotates texts with a remote model server. It is safe for
// concurrent use.
type Client struct {
	cfg      Config
	endpoint string // redacted, for errors
	labels   map[string]bool
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
// returns one slice of spans per text, sorted and without overlaps. Errors
// are *StatusError, transport errors (transient), or bad responses wrapping
// annotate.ErrBadResponse and ErrPermanent.
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

func (c *Client) post(ctx context.Context, texts []string) ([][]annotate.Span, error) {
	body, err := json.Marshal(struct {
		Texts []string `json:"texts"`
	}{texts})
	if err != nil {
		return nil, annotate.Permanent(fmt.Errorf("httpmodel: encode request: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, annotate.Permanent(fmt.Errorf("httpmodel: build request for %s: %w", c.endpoint, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("httpmodel: post %s: %w", c.endpoint, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // reuse the connection
		_ = resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		se := &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(snippet))}
		if s := resp.Header.Get("Retry-After"); s != "" {
			if secs, err := strconv.Atoi(s); err == nil && secs > 0 {
				se.RetryAfter = time.Duration(secs) * time.Second
			} else if t, err := http.ParseTime(s); err == nil {
				se.RetryAfter = max(time.Until(t), 0)
			}
		}
		return nil, fmt.Errorf("httpmodel: post %s: %w", c.endpoint, se)
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

// badResponse returns an error wrapping annotate.ErrBadResponse and ErrPermanent.
func badResponse(format string, args ...any) error {
	return annotate.Permanent(fmt.Errorf("%w: %s", annotate.ErrBadResponse, fmt.Sprintf(format, args...)))
}
