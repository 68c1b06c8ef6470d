// Package retrytest holds what tests of retrying code share: a fake clock
// that never really sleeps, and the table of HTTP statuses and transport
// errors with the retry decision each must get. Both package retry and the
// API clients built on it run their classification tests against this table.
package retrytest

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/tagflow/tagflow/pkg/retry"
)

// Clock is a retry.Clock whose time only moves when Sleep or Advance is
// called. It is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	// OnSleep, when set, runs at the start of each Sleep with the requested
	// duration (e.g. to cancel a context while the caller waits).
	OnSleep func(d time.Duration)
}

var _ retry.Clock = (*Clock)(nil)

// NewClock returns a fake clock reading a fixed instant.
func NewClock() *Clock {
	return &Clock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
}

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records d and moves the fake time forward by d, without waiting.
// It returns ctx.Err() without moving the time when ctx has ended (also when
// OnSleep ended it).
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if c.OnSleep != nil {
		c.OnSleep(d)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// Advance moves the fake time forward by d (e.g. to model a slow attempt).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleeps returns the durations passed to Sleep so far, in order.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// StatusCase is one HTTP status code and the decision it must get.
type StatusCase struct {
	Name string
	Code int
	Want retry.Decision
}

// StatusCases maps every status code that matters to its retry decision.
var StatusCases = []StatusCase{
	{"100 continue", 100, retry.DecisionPermanent},
	{"200 ok", 200, retry.DecisionOK},
	{"201 created", 201, retry.DecisionOK},
	{"204 no content", 204, retry.DecisionOK},
	{"205 reset content", 205, retry.DecisionOK},
	{"301 moved", 301, retry.DecisionPermanent},
	{"303 see other (old tagtog login redirect)", 303, retry.DecisionPermanent},
	{"304 not modified", 304, retry.DecisionPermanent},
	{"400 bad request", 400, retry.DecisionPermanent},
	{"401 unauthorized", 401, retry.DecisionPermanent},
	{"403 forbidden", 403, retry.DecisionPermanent},
	{"404 not found", 404, retry.DecisionPermanent},
	{"405 method not allowed", 405, retry.DecisionPermanent},
	{"408 request timeout", 408, retry.DecisionRetry},
	{"409 conflict", 409, retry.DecisionPermanent},
	{"410 gone", 410, retry.DecisionPermanent},
	{"413 content too large", 413, retry.DecisionPermanent},
	{"415 unsupported media type", 415, retry.DecisionPermanent},
	{"422 unprocessable", 422, retry.DecisionPermanent},
	{"429 too many requests", 429, retry.DecisionRetry},
	{"451 unavailable for legal reasons", 451, retry.DecisionPermanent},
	{"499 client closed request", 499, retry.DecisionPermanent},
	{"500 internal server error", 500, retry.DecisionRetry},
	{"501 not implemented", 501, retry.DecisionRetry},
	{"502 bad gateway", 502, retry.DecisionRetry},
	{"503 service unavailable", 503, retry.DecisionRetry},
	{"504 gateway timeout", 504, retry.DecisionRetry},
	{"507 insufficient storage", 507, retry.DecisionRetry},
	{"599 network connect timeout", 599, retry.DecisionRetry},
}

// ErrorCase is one kind of transport error and the decision it must get.
type ErrorCase struct {
	Name string
	Err  error
	Want retry.Decision
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func urlErr(err error) error {
	return &url.Error{Op: "Get", URL: "http://tagtog.test/-api/documents/v1", Err: err}
}

func opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Err: &os.SyscallError{Syscall: op, Err: err}}
}

// ErrorCases maps every kind of transport error that matters to its retry
// decision, wrapped the way net/http returns them.
var ErrorCases = []ErrorCase{
	{"nil", nil, retry.DecisionOK},
	{"context canceled", context.Canceled, retry.DecisionStop},
	{"context canceled in url.Error", urlErr(context.Canceled), retry.DecisionStop},
	{"per-request deadline exceeded", urlErr(context.DeadlineExceeded), retry.DecisionRetry},
	{"net timeout", urlErr(&net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}), retry.DecisionRetry},
	{"connection refused", urlErr(opErr("dial", syscall.ECONNREFUSED)), retry.DecisionRetry},
	{"connection reset", urlErr(opErr("read", syscall.ECONNRESET)), retry.DecisionRetry},
	{"broken pipe", urlErr(opErr("write", syscall.EPIPE)), retry.DecisionRetry},
	{"EOF", urlErr(io.EOF), retry.DecisionRetry},
	{"unexpected EOF while reading body", fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), retry.DecisionRetry},
	{"dns failure", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "server misbehaving", Name: "tagtog.test", IsTemporary: true}}), retry.DecisionRetry},
	{"unknown certificate authority", urlErr(x509.UnknownAuthorityError{}), retry.DecisionPermanent},
	{"certificate for another host", urlErr(x509.HostnameError{Host: "tagtog.test", Certificate: &x509.Certificate{}}), retry.DecisionPermanent},
	{"marked permanent", retry.Permanent(errors.New("bad document")), retry.DecisionPermanent},
	{"unknown error", errors.New("something odd"), retry.DecisionRetry},
}
