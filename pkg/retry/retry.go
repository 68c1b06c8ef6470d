// Package retry runs an operation again, with exponential backoff and jitter,
// until it succeeds, fails permanently, its context ends or a time budget is
// spent. It decides which HTTP statuses and transport errors are worth another
// attempt, and carries a server's Retry-After hint to the caller.
//
// It is the only package that imports github.com/cenkalti/backoff/v4; no type
// of that module crosses this package's boundary.
package retry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Defaults applied by Do to the zero fields of a Policy.
const (
	DefaultInitial       = 200 * time.Millisecond
	DefaultMax           = 5 * time.Second
	DefaultMultiplier    = 2.0
	DefaultJitter        = 0.5
	DefaultBudget        = 20 * time.Second
	DefaultMaxRetryAfter = 60 * time.Second
)

// NoJitter is a Policy.Jitter value that turns randomisation off (zero means
// DefaultJitter).
const NoJitter = -1.0

// Policy says how often and for how long one call is retried. The zero value
// is usable: every zero field takes its Default value.
type Policy struct {
	// Initial is the wait after the first failed attempt.
	Initial time.Duration
	// Max caps every backoff wait, jitter included.
	Max time.Duration
	// Multiplier grows the wait after each failed attempt; at least 1.
	Multiplier float64
	// Jitter is the randomisation factor in [0, 1): a wait w becomes a random
	// value in [w(1-Jitter), w(1+Jitter)]. Zero means DefaultJitter; a negative
	// value (NoJitter) means no randomisation.
	Jitter float64
	// Budget bounds the whole call: attempts and waits together. Do never
	// sleeps past it, and the context handed to each attempt ends with it.
	// Keep it below the queue's AckWait.
	Budget time.Duration
	// MaxRetryAfter caps the server's Retry-After hint that Do is willing to
	// wait for in-process; a longer hint ends the call with ErrBudgetExhausted
	// so that the caller can reschedule the work.
	MaxRetryAfter time.Duration
}

func (p *Policy) setDefaults() {
	if p.Initial == 0 {
		p.Initial = DefaultInitial
	}
	if p.Max == 0 {
		p.Max = DefaultMax
	}
	if p.Multiplier == 0 {
		p.Multiplier = DefaultMultiplier
	}
	switch {
	case p.Jitter == 0:
		p.Jitter = DefaultJitter
	case p.Jitter < 0:
		p.Jitter = 0
	}
	if p.Budget == 0 {
		p.Budget = DefaultBudget
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
}

// Validate reports whether the policy, with defaults applied to its zero
// fields, is usable. The zero Policy is valid.
func (p Policy) Validate() error {
	p.setDefaults()
	switch {
	case p.Initial < 0:
		return fmt.Errorf("retry: policy: Initial %v is negative", p.Initial)
	case p.Max < p.Initial:
		return fmt.Errorf("retry: policy: Max %v is below Initial %v", p.Max, p.Initial)
	case p.Multiplier < 1:
		return fmt.Errorf("retry: policy: Multiplier %v is below 1", p.Multiplier)
	case p.Jitter >= 1:
		return fmt.Errorf("retry: policy: Jitter %v is not below 1", p.Jitter)
	case p.Budget < 0:
		return fmt.Errorf("retry: policy: Budget %v is negative", p.Budget)
	case p.MaxRetryAfter < 0:
		return fmt.Errorf("retry: policy: MaxRetryAfter %v is negative", p.MaxRetryAfter)
	}
	return nil
}

// Clock tells the time and waits. Do uses the real clock unless WithClock
// gives another one (tests use a fake clock so that they never really sleep).
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends, returning ctx.Err() in that case.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Option changes how Do runs.
type Option func(*options)

type options struct {
	clock Clock
}

// WithClock makes Do read the time from c and wait with c.Sleep. A nil c
// keeps the real clock.
func WithClock(c Clock) Option {
	return func(o *options) {
		if c != nil {
			o.clock = c
		}
	}
}

// Do calls op until it returns nil, and retries every other error unless
//   - it is marked with Permanent: Do returns it at once, still marked;
//   - ctx ends (before an attempt, during one or during a wait): Do makes no
//     further call and returns an error wrapping ctx.Err() and the last error;
//   - it wraps context.Canceled while ctx is still alive (the operation gave
//     up by itself): Do returns it;
//   - the next wait would reach past Policy.Budget, or the error's Retry-After
//     hint exceeds Policy.MaxRetryAfter: Do returns at once an error wrapping
//     ErrBudgetExhausted and the last error (RetryAfterOf still finds the
//     server's hint in it, so the caller can delay the work at least as long).
//
// The wait before the next attempt is the exponential backoff of p (a fresh
// backoff for each call of Do), or the error's Retry-After hint when that is
// longer. The context passed to op ends when ctx ends or the budget is spent
// (the latter only with the real clock).
// onRetry, when not nil, is called before each wait with the error and the
// wait. An invalid policy is returned as an error without calling op.
func Do(ctx context.Context, p Policy, op func(ctx context.Context) error, onRetry func(err error, wait time.Duration), opts ...Option) error {
	if err := p.Validate(); err != nil {
		return err
	}
	p.setDefaults()
	o := options{clock: realClock{}}
	for _, opt := range opts {
		opt(&o)
	}

	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.Initial,
		RandomizationFactor: p.Jitter,
		Multiplier:          p.Multiplier,
		MaxInterval:         p.Max,
		MaxElapsedTime:      0, // the budget is enforced below, against the same clock
		Stop:                backoff.Stop,
		Clock:               o.clock,
	}
	b.Reset()
	start := o.clock.Now()

	// Contexts run on real time: only with the real clock does the budget
	// also end the attempt in progress. Another clock (a test's fake one)
	// measures the budget through the checks below alone.
	attemptCtx := ctx
	if _, real := o.clock.(realClock); real {
		var cancel context.CancelFunc
		attemptCtx, cancel = context.WithTimeout(ctx, p.Budget)
		defer cancel()
	}

	var last error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return stopped(err, last, attempt-1)
		}
		err := op(attemptCtx)
		if err == nil {
			return nil
		}
		last = err
		if cerr := ctx.Err(); cerr != nil {
			return stopped(cerr, last, attempt)
		}
		if IsPermanent(err) || errors.Is(err, context.Canceled) {
			return err
		}
		if attemptCtx.Err() != nil {
			return exhausted(p, last, attempt)
		}

		wait := b.NextBackOff()
		if wait > p.Max {
			wait = p.Max
		}
		if ra, ok := RetryAfterOf(err); ok {
			if ra > p.MaxRetryAfter {
				return fmt.Errorf("%w: server asked to retry after %v, more than the %v cap (after %d attempts): %w",
					ErrBudgetExhausted, ra, p.MaxRetryAfter, attempt, last)
			}
			wait = max(wait, ra)
		}
		if elapsed := o.clock.Now().Sub(start); elapsed+wait >= p.Budget {
			return exhausted(p, last, attempt)
		}
		if onRetry != nil {
			onRetry(err, wait)
		}
		if err := o.clock.Sleep(ctx, wait); err != nil {
			return stopped(err, last, attempt)
		}
	}
}

func stopped(ctxErr, last error, attempts int) error {
	if last == nil {
		return fmt.Errorf("retry: %w", ctxErr)
	}
	return fmt.Errorf("retry: stopped after %d attempts: %w (last error: %w)", attempts, ctxErr, last)
}

func exhausted(p Policy, last error, attempts int) error {
	return fmt.Errorf("%w (%v) after %d attempts: %w", ErrBudgetExhausted, p.Budget, attempts, last)
}
