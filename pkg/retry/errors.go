package retry

import (
	"errors"
	"time"
)

// ErrBudgetExhausted is wrapped by the error Do returns when the policy's
// budget is spent, or when a server asks for a longer pause than Do may wait.
// The work is not lost: the caller should reschedule it (e.g. Nak with a
// delay of at least RetryAfterOf(err) when that reports a hint).
var ErrBudgetExhausted = errors.New("retry budget exhausted")

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying: Do returns it at once and
// IsPermanent reports true for it and for every error wrapping it. The text
// of the error is unchanged. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type retryAfterError struct {
	err error
	d   time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// WithRetryAfter attaches a server's Retry-After hint d to err: Do waits at
// least d before the next attempt. The text of the error is unchanged.
// A nil err or a d that is not positive returns err unchanged.
func WithRetryAfter(err error, d time.Duration) error {
	if err == nil || d <= 0 {
		return err
	}
	return &retryAfterError{err: err, d: d}
}

// RetryAfterOf returns the Retry-After hint carried by err or an error it
// wraps (the outermost one when there are several), and whether there is one.
// An error returned by Do because of ErrBudgetExhausted keeps the hint of the
// last attempt.
func RetryAfterOf(err error) (time.Duration, bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.d, true
	}
	return 0, false
}
