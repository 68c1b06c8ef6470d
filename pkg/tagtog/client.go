// Package tagtog is a client for the parts of tagtog's API that tagflow uses:
// the annotations legend of a project, a document's plain.html and ann.json,
// pushing a document back as an anndoc pair, search and text import.
//
// Every call retries transient failures (connection errors, timeouts, 408,
// 429, 5xx) with the client's retry.Policy and honours Retry-After; other
// failures come back marked permanent (retry.IsPermanent). Errors never
// contain the client's credentials.
package tagtog

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tagflow/tagflow/pkg/retry"
)

// Defaults applied by New to the zero fields of a Config.
const (
	DefaultTimeout          = 15 * time.Second
	DefaultMaxResponseBytes = 64 << 20
	DefaultConcurrency      = 8
)

// API paths below the base URL.
const (
	documentsPath = "/-api/documents/v1"
	legendPath    = "/-api/settings/v1/annotationsLegend"
)

// maxErrorBody bounds the part of an error response kept in a StatusError.
const maxErrorBody = 512

// maxDrain bounds how much of an unread response body is discarded to let
// the connection be reused; larger rests are dropped with the connection.
const maxDrain = 256 << 10

// Config configures a Client.
type Config struct {
	// BaseURL is tagtog's address, e.g. "https://www.tagtog.com" or an
	// on-premises URL that may carry a path prefix ("https://nlp.example.org/tagtog").
	// Credentials written into it (user:password@) are used when Username is
	// empty and are removed from the URL either way.
	BaseURL string
	// Username and Password are sent with HTTP Basic auth on every request.
	// The user needs a project role allowed to use the API.
	Username, Password string
	// HTTPClient, when set, is used instead of a client built from
	// Concurrency and TLSConfig. Redirects are not followed unless its
	// CheckRedirect says otherwise.
	HTTPClient *http.Client
	// Retry is the policy of every call (zero value: retry's defaults).
	Retry retry.Policy
	// Metrics counts requests and retries; nil counts nothing.
	Metrics *Metrics
	// Logger receives a debug record for each retry; nil logs nothing.
	Logger *slog.Logger
	// Timeout bounds one HTTP attempt, reading the response included
	// (default DefaultTimeout). The retry budget bounds the whole call.
	Timeout time.Duration
	// MaxResponseBytes bounds a response body, e.g. a document's plain.html
	// (default DefaultMaxResponseBytes). Larger responses fail permanently
	// with ErrTooLarge.
	MaxResponseBytes int64
	// Concurrency is the number of requests expected to run at once; the
	// built transport keeps that many idle connections to tagtog
	// (default DefaultConcurrency). Ignored when HTTPClient is set.
	Concurrency int
	// TLSConfig configures TLS of the built transport (e.g. the CA of an
	// on-premises install). Ignored when HTTPClient is set.
	TLSConfig *tls.Config
}

func (c *Config) setDefaults() {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
}

// Validate reports whether the configuration, with defaults applied to its
// zero fields, is usable. Its errors never contain the base URL's credentials.
func (c Config) Validate() error {
	c.setDefaults()
	if _, _, err := parseBaseURL(c.BaseURL); err != nil {
		return err
	}
	switch {
	case c.Timeout < 0:
		return fmt.Errorf("tagtog: config: Timeout %v is negative", c.Timeout)
	case c.MaxResponseBytes < 0:
		return fmt.Errorf("tagtog: config: MaxResponseBytes %d is negative", c.MaxResponseBytes)
	case c.Concurrency < 0:
		return fmt.Errorf("tagtog: config: Concurrency %d is negative", c.Concurrency)
	}
	if err := c.Retry.Validate(); err != nil {
		return fmt.Errorf("tagtog: config: %w", err)
	}
	return nil
}

// parseBaseURL returns the base URL without credentials, query or trailing
// slash, and the credentials it carried (nil when none).
func parseBaseURL(raw string) (*url.URL, *url.Userinfo, error) {
	if raw == "" {
		return nil, nil, errors.New("tagtog: config: BaseURL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error would quote the whole URL, credentials included.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, nil, fmt.Errorf("tagtog: config: BaseURL is not a valid URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, nil, fmt.Errorf("tagtog: config: BaseURL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, nil, errors.New("tagtog: config: BaseURL has no host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, nil, errors.New("tagtog: config: BaseURL must not have a query or fragment")
	}
	user := u.User
	u.User = nil
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, user, nil
}

// Client calls tagtog's API. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	username string
	password string
	// secrets are strings scrubbed from error bodies: the password and the
	// Authorization header value, in case a server echoes them.
	secrets  []string
	hc       *http.Client
	policy   retry.Policy
	metrics  *Metrics
	log      *slog.Logger
	timeout  time.Duration
	maxBytes int64
	clock    retry.Clock // nil: the real clock (tests set a fake one)
}

// New returns a client for cfg, or an error when cfg is invalid.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	base, user, _ := parseBaseURL(cfg.BaseURL)
	if cfg.Username == "" && user != nil {
		cfg.Username = user.Username()
		cfg.Password, _ = user.Password()
	}
	c := &Client{
		base:     base,
		username: cfg.Username,
		password: cfg.Password,
		policy:   cfg.Retry,
		metrics:  cfg.Metrics,
		log:      cfg.Logger,
		timeout:  cfg.Timeout,
		maxBytes: cfg.MaxResponseBytes,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.username != "" || c.password != "" {
		token := base64.StdEncoding.EncodeToString([]byte(c.username + ":" + c.password))
		c.secrets = append(c.secrets, token)
		if len(c.password) >= 4 { // scrubbing very short strings would mangle bodies
			c.secrets = append(c.secrets, c.password)
		}
	}
	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient
		if hc.CheckRedirect == nil {
			hc.CheckRedirect = noRedirect
		}
		c.hc = &hc
	} else {
		c.hc = &http.Client{Transport: NewTransport(cfg.Concurrency, cfg.TLSConfig), CheckRedirect: noRedirect}
	}
	return c, nil
}

// noRedirect stops redirects: tagtog answers API calls directly, and a
// redirect (e.g. to a login page) must surface as an error, not as the
// 200 of the page it leads to.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// NewTransport returns an HTTP transport tuned for many concurrent requests to
// one tagtog host: it keeps up to concurrency idle connections to it.
func NewTransport(concurrency int, tlsConfig *tls.Config) *http.Transport {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           d.DialContext,
		TLSClientConfig:       tlsConfig,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(100, concurrency),
		MaxIdleConnsPerHost:   concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// CloseIdleConnections closes the idle connections of the client's transport.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// DocRef names one annotation version of one document.
type DocRef struct {
	Owner   string
	Project string
	// ID is the tagtogID.
	ID string
	// Member is the annotation version; "" or "master" means master.
	Member string
}

func (r DocRef) validate() error {
	if r.Owner == "" || r.Project == "" || r.ID == "" {
		return retry.Permanent(fmt.Errorf("%w: owner, project and document id are required", ErrInvalidArgument))
	}
	return nil
}

func (r DocRef) params(extra ...string) []string {
	p := append([]string{"owner", r.Owner, "project", r.Project}, extra...)
	if r.Member != "" && r.Member != "master" {
		p = append(p, "member", r.Member)
	}
	return p
}

// request is one API call.
type request struct {
	op          string   // metric label and StatusError.Op
	method      string   // GET or POST
	path        string   // below the base URL
	params      []string // query parameters as name, value pairs, in order
	body        []byte   // nil: no body
	contentType string
	// notIdempotent marks calls whose repetition has an effect of its own
	// (an import creates a new document each time): only failures that show
	// the request was not processed are retried.
	notIdempotent bool
}

// encodeQuery percent-encodes name/value pairs in order. Spaces become %20
// rather than '+', which every server reads the same way.
func encodeQuery(params []string) string {
	var b strings.Builder
	for i := 0; i+1 < len(params); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(queryEscape(params[i]))
		b.WriteByte('=')
		b.WriteString(queryEscape(params[i+1]))
	}
	return b.String()
}

func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func (c *Client) url(path string, params []string) string {
	u := *c.base
	u.Path += path
	u.RawQuery = encodeQuery(params)
	return u.String()
}

func (c *Client) now() time.Time {
	if c.clock != nil {
		return c.clock.Now()
	}
	return time.Now()
}

// do runs r with retries and returns the body of its 2xx response.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	var body []byte
	var opts []retry.Option
	if c.clock != nil {
		opts = append(opts, retry.WithClock(c.clock))
	}
	attempt := 0
	err := retry.Do(ctx, c.policy, func(ctx context.Context) error {
		attempt++
		b, err := c.attempt(ctx, r)
		if err != nil {
			return err
		}
		body = b
		return nil
	}, func(err error, wait time.Duration) {
		reason := retryReason(err)
		c.metrics.retry(r.op, reason)
		c.log.DebugContext(ctx, "tagtog request failed, retrying",
			"op", r.op, "attempt", attempt, "reason", reason, "wait", wait, "error", err)
	}, opts...)
	return body, err
}

// attempt makes one HTTP request and classifies its outcome.
func (c *Client) attempt(ctx context.Context, r request) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.url(r.path, r.params), rd)
	if err != nil {
		return nil, retry.Permanent(err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("User-Agent", "tagflow")
	if c.username != "" || c.password != "" {
		req.SetBasicAuth(c.username, c.password)
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		c.metrics.request(r.op, "error")
		return nil, c.transportError(err, r)
	}
	defer drainAndClose(resp.Body)
	c.metrics.request(r.op, strconv.Itoa(resp.StatusCode))

	decision := retry.ClassifyStatus(resp.StatusCode)
	if decision == retry.DecisionOK {
		b, err := readBody(resp, c.maxBytes)
		if err != nil {
			return nil, c.transportError(err, r)
		}
		return b, nil
	}

	// Read a little more than kept, so that a secret cut by the truncation
	// is still scrubbed whole.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, int64(maxErrorBody+c.longestSecret())))
	se := &StatusError{Op: r.op, Code: resp.StatusCode, Body: c.scrub(head)}
	if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
		se.RetryAfter = ra
	}
	if decision == retry.DecisionRetry && (!r.notIdempotent || notProcessedStatus(resp.StatusCode)) {
		return nil, retry.WithRetryAfter(se, se.RetryAfter)
	}
	return nil, retry.Permanent(se)
}

// transportError classifies an error that came without an HTTP status.
func (c *Client) transportError(err error, r request) error {
	if errors.Is(err, ErrTooLarge) {
		return retry.Permanent(err)
	}
	switch retry.ClassifyError(err) {
	case retry.DecisionPermanent:
		return retry.Permanent(err)
	case retry.DecisionRetry:
		if r.notIdempotent && !notSent(err) {
			return retry.Permanent(fmt.Errorf("%w (not retried: the request may have been processed)", err))
		}
	}
	return err
}

// notSent reports whether err shows that the request never reached the
// server (no connection could be made).
func notSent(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial")
}

// notProcessedStatus reports whether a status says the server did not act
// on the request.
func notProcessedStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable
}

// readBody reads a 2xx body of at most limit bytes.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 {
		if n > limit {
			return nil, fmt.Errorf("%w: response of %d bytes exceeds the limit of %d", ErrTooLarge, n, limit)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, fmt.Errorf("reading response body: %w", eofUnexpected(err))
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: response exceeds the limit of %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// eofUnexpected turns a bare EOF of a body cut short into ErrUnexpectedEOF.
func eofUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// drainAndClose discards a bounded rest of body so that the connection can be
// reused, then closes it.
func drainAndClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	_ = body.Close()
}

func (c *Client) longestSecret() int {
	n := 0
	for _, s := range c.secrets {
		n = max(n, len(s))
	}
	return n
}

// scrub turns the start of an error body into at most maxErrorBody bytes of
// valid UTF-8 text without the client's secrets.
func (c *Client) scrub(b []byte) string {
	s := string(b)
	for _, secret := range c.secrets {
		s = strings.ReplaceAll(s, secret, "[REDACTED]")
	}
	if len(s) > maxErrorBody {
		s = s[:maxErrorBody] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
