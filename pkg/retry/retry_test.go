package retry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/retry/retrytest"
)

// fixed is a policy without jitter so that waits are exact.
var fixed = retry.Policy{
	Initial:       100 * time.Millisecond,
	Max:           time.Second,
	Multiplier:    2,
	Jitter:        retry.NoJitter,
	Budget:        10 * time.Second,
	MaxRetryAfter: 30 * time.Second,
}

var errTransient = errors.New("transient")

// failing returns an op that fails with errs[i] on call i (the last one
// repeating) and counts its calls.
func failing(calls *int, errs ...error) func(context.Context) error {
	return func(context.Context) error {
		i := min(*calls, len(errs)-1)
		*calls++
		return errs[i]
	}
}

func equalDurations(tb testing.TB, got, want []time.Duration) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("waits = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			tb.Fatalf("waits = %v, want %v", got, want)
		}
	}
}

func TestDoSucceedsAfterTransientErrors(t *testing.T) {
	clk := retrytest.NewClock()
	calls := 0
	var notified []time.Duration
	err := retry.Do(context.Background(), fixed, failing(&calls, errTransient, errTransient, nil),
		func(err error, wait time.Duration) {
			if !errors.Is(err, errTransient) {
				t.Errorf("onRetry err = %v", err)
			}
			notified = append(notified, wait)
		}, retry.WithClock(clk))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if calls != 3 {
		t.Fatalf("calls = %d, want 3", calls)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}
	equalDurations(t, clk.Sleeps(), want)
	equalDurations(t, notified, want)
}

func TestDoBackoffCappedAtMax(t *testing.T) {
	clk := retrytest.NewClock()
	calls := 0
	_ = retry.Do(context.Background(), fixed, failing(&calls, errTransient, errTransient, errTransient, errTransient, errTransient, errTransient, nil), nil, retry.WithClock(clk))
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
		800 * time.Millisecond, time.Second, time.Second}
	equalDurations(t, clk.Sleeps(), want)
}

func TestDoJitterStaysInRange(t *testing.T) {
	p := fixed
	p.Jitter = 0.5
	clk := retrytest.NewClock()
	calls := 0
	_ = retry.Do(context.Background(), p, failing(&calls, errTransient, errTransient, errTransient, errTransient, errTransient, nil), nil, retry.WithClock(clk))
	base := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second}
	got := clk.Sleeps()
	if len(got) != len(base) {
		t.Fatalf("waits = %v, want %d of them", got, len(base))
	}
	for i, w := range got {
		lo, hi := base[i]/2, min(base[i]*3/2+1, p.Max)
		if w < lo || w > hi {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, w, lo, hi)
		}
	}
}

func TestDoPermanentStopsAfterOneCall(t *testing.T) {
	calls := 0
	bad := errors.New("bad request")
	err := retry.Do(context.Background(), fixed, failing(&calls, retry.Permanent(bad)), func(error, time.Duration) {
		t.Error("onRetry called for a permanent error")
	}, retry.WithClock(retrytest.NewClock()))
	if calls != 1 {
		t.Fatalf("calls = %d, want 1", calls)
	}
	if !retry.IsPermanent(err) || !errors.Is(err, bad) {
		t.Fatalf("err = %v, want the permanent error", err)
	}
	if err.Error() != "bad request" {
		t.Fatalf("err text = %q, want unchanged", err.Error())
	}
}

func TestDoCancelDuringAttemptMakesNoFurtherCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	err := retry.Do(ctx, fixed, func(context.Context) error {
		calls++
		if calls == 2 {
			cancel()
		}
		return errTransient
	}, nil, retry.WithClock(retrytest.NewClock()))
	if calls != 2 {
		t.Fatalf("calls = %d, want 2", calls)
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errTransient) {
		t.Fatalf("err = %v, want it to wrap context.Canceled and the last error", err)
	}
	if retry.IsPermanent(err) || errors.Is(err, retry.ErrBudgetExhausted) {
		t.Fatalf("err = %v must be neither permanent nor budget exhaustion", err)
	}
}

func TestDoCancelDuringWaitMakesNoFurtherCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := retrytest.NewClock()
	clk.OnSleep = func(time.Duration) { cancel() }
	calls := 0
	err := retry.Do(ctx, fixed, failing(&calls, errTransient), nil, retry.WithClock(clk))
	if calls != 1 {
		t.Fatalf("calls = %d, want 1", calls)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestDoCanceledBeforeStartMakesNoCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := retry.Do(ctx, fixed, failing(&calls, nil), nil)
	if calls != 0 {
		t.Fatalf("calls = %d, want 0", calls)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestDoOperationCanceledItselfIsNotRetried(t *testing.T) {
	calls := 0
	err := retry.Do(context.Background(), fixed, failing(&calls, context.Canceled), nil, retry.WithClock(retrytest.NewClock()))
	if calls != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("calls = %d, err = %v; want 1 call and context.Canceled", calls, err)
	}
}

func TestDoRealClockWaitHonoursContext(t *testing.T) {
	// A real wait of an hour ends as soon as the context does.
	p := fixed
	p.Initial, p.Max, p.Budget = time.Hour, time.Hour, 2*time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := retry.Do(ctx, p, failing(&calls, errTransient), func(error, time.Duration) { cancel() })
	if calls != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("calls = %d, err = %v; want 1 call and context.Canceled", calls, err)
	}
}

func TestDoRetryAfterHonoured(t *testing.T) {
	clk := retrytest.NewClock()
	calls := 0
	limited := retry.WithRetryAfter(errors.New("429"), 3*time.Second)
	err := retry.Do(context.Background(), fixed, failing(&calls, limited, errTransient, nil), nil, retry.WithClock(clk))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	// The hint (3s) beats the first backoff (100ms); the next wait is the
	// backoff's second step.
	equalDurations(t, clk.Sleeps(), []time.Duration{3 * time.Second, 200 * time.Millisecond})
}

func TestDoRetryAfterShorterThanBackoff(t *testing.T) {
	clk := retrytest.NewClock()
	calls := 0
	err := retry.Do(context.Background(), fixed, failing(&calls, retry.WithRetryAfter(errTransient, time.Millisecond), nil), nil, retry.WithClock(clk))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	equalDurations(t, clk.Sleeps(), []time.Duration{100 * time.Millisecond})
}

func TestDoRetryAfterOverBudget(t *testing.T) {
	clk := retrytest.NewClock()
	calls := 0
	limited := retry.WithRetryAfter(errors.New("503"), 12*time.Second) // budget 10s, cap 30s
	err := retry.Do(context.Background(), fixed, failing(&calls, limited), func(error, time.Duration) {
		t.Error("onRetry called although no retry follows")
	}, retry.WithClock(clk))
	if calls != 1 {
		t.Fatalf("calls = %d, want 1", calls)
	}
	if len(clk.Sleeps()) != 0 {
		t.Fatalf("slept %v, want no sleep", clk.Sleeps())
	}
	if !errors.Is(err, retry.ErrBudgetExhausted) {
		t.Fatalf("err = %v, want ErrBudgetExhausted", err)
	}
	if d, ok := retry.RetryAfterOf(err); !ok || d != 12*time.Second {
		t.Fatalf("RetryAfterOf = %v, %v; want 12s, true", d, ok)
	}
	if retry.IsPermanent(err) {
		t.Fatal("budget exhaustion must not be permanent")
	}
}

func TestDoRetryAfterOverCap(t *testing.T) {
	p := fixed
	p.Budget = time.Hour
	clk := retrytest.NewClock()
	calls := 0
	err := retry.Do(context.Background(), p, failing(&calls, retry.WithRetryAfter(errTransient, 31*time.Second)), nil, retry.WithClock(clk))
	if calls != 1 || len(clk.Sleeps()) != 0 {
		t.Fatalf("calls = %d, sleeps = %v; want 1 call, no sleep", calls, clk.Sleeps())
	}
	if !errors.Is(err, retry.ErrBudgetExhausted) || !errors.Is(err, errTransient) {
		t.Fatalf("err = %v, want ErrBudgetExhausted wrapping the last error", err)
	}
	if d, ok := retry.RetryAfterOf(err); !ok || d != 31*time.Second {
		t.Fatalf("RetryAfterOf = %v, %v; want 31s, true", d, ok)
	}
	if !strings.Contains(err.Error(), "31s") {
		t.Fatalf("err text %q does not name the hint", err)
	}
}

func TestDoBudgetExhausted(t *testing.T) {
	p := fixed
	p.Budget = time.Second
	clk := retrytest.NewClock()
	calls := 0
	err := retry.Do(context.Background(), p, failing(&calls, errTransient), nil, retry.WithClock(clk))
	// Waits 100+200+400 = 700ms; the next (800ms) would reach 1.5s > 1s.
	if calls != 4 {
		t.Fatalf("calls = %d, want 4", calls)
	}
	equalDurations(t, clk.Sleeps(), []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond})
	if !errors.Is(err, retry.ErrBudgetExhausted) || !errors.Is(err, errTransient) {
		t.Fatalf("err = %v, want ErrBudgetExhausted wrapping the last error", err)
	}
	if _, ok := retry.RetryAfterOf(err); ok {
		t.Fatal("RetryAfterOf reports a hint no server gave")
	}
	if got, want := err.Error(), "retry budget exhausted (1s) after 4 attempts: transient"; got != want {
		t.Fatalf("err = %q, want %q", got, want)
	}
}

func TestDoBudgetCountsAttemptTime(t *testing.T) {
	p := fixed
	p.Budget = time.Second
	clk := retrytest.NewClock()
	calls := 0
	err := retry.Do(context.Background(), p, func(context.Context) error {
		calls++
		clk.Advance(600 * time.Millisecond) // a slow attempt
		return errTransient
	}, nil, retry.WithClock(clk))
	// 600ms attempt + 100ms wait + 600ms attempt = 1.3s; the second wait no longer fits.
	if calls != 2 || !errors.Is(err, retry.ErrBudgetExhausted) {
		t.Fatalf("calls = %d, err = %v; want 2 calls and ErrBudgetExhausted", calls, err)
	}
}

func TestDoAttemptContextEndsWithBudget(t *testing.T) {
	p := fixed
	p.Budget = 20 * time.Millisecond
	calls := 0
	err := retry.Do(context.Background(), p, func(ctx context.Context) error {
		calls++
		<-ctx.Done() // an attempt that would hang without the budget
		return ctx.Err()
	}, nil)
	if calls != 1 || !errors.Is(err, retry.ErrBudgetExhausted) {
		t.Fatalf("calls = %d, err = %v; want 1 call and ErrBudgetExhausted", calls, err)
	}
}

func TestDoInvalidPolicy(t *testing.T) {
	calls := 0
	err := retry.Do(context.Background(), retry.Policy{Multiplier: 0.5}, failing(&calls, nil), nil)
	if err == nil || calls != 0 {
		t.Fatalf("calls = %d, err = %v; want 0 calls and an error", calls, err)
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		p    retry.Policy
		ok   bool
	}{
		{"zero value", retry.Policy{}, true},
		{"no jitter", retry.Policy{Jitter: retry.NoJitter}, true},
		{"negative initial", retry.Policy{Initial: -1}, false},
		{"max below initial", retry.Policy{Initial: time.Second, Max: time.Millisecond}, false},
		{"multiplier below 1", retry.Policy{Multiplier: 0.9}, false},
		{"multiplier 1", retry.Policy{Multiplier: 1}, true},
		{"jitter 1", retry.Policy{Jitter: 1}, false},
		{"negative budget", retry.Policy{Budget: -time.Second}, false},
		{"negative retry-after cap", retry.Policy{MaxRetryAfter: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestPermanentAndRetryAfterWrapping(t *testing.T) {
	base := errors.New("boom")
	if retry.Permanent(nil) != nil || retry.WithRetryAfter(nil, time.Second) != nil {
		t.Fatal("wrapping nil must give nil")
	}
	if retry.WithRetryAfter(base, 0) != base {
		t.Fatal("a zero hint must leave the error unchanged")
	}
	err := retry.Permanent(retry.WithRetryAfter(base, 5*time.Second))
	wrapped := errors.Join(errors.New("context"), err)
	if !retry.IsPermanent(wrapped) || !errors.Is(wrapped, base) {
		t.Fatalf("wrapping lost the marks: %v", wrapped)
	}
	if d, ok := retry.RetryAfterOf(wrapped); !ok || d != 5*time.Second {
		t.Fatalf("RetryAfterOf = %v, %v; want 5s, true", d, ok)
	}
	if retry.IsPermanent(base) {
		t.Fatal("an unmarked error is not permanent")
	}
}
