package retry_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tagflow/tagflow/pkg/retry"
)

func ExampleDo() {
	calls := 0
	err := retry.Do(context.Background(), retry.Policy{Initial: time.Millisecond},
		func(ctx context.Context) error {
			calls++
			if calls < 3 {
				return errors.New("503 service unavailable") // transient: retried
			}
			return nil
		},
		func(err error, wait time.Duration) { fmt.Println("retrying after:", err) })
	fmt.Println(calls, err)
	// Output:
	// retrying after: 503 service unavailable
	// retrying after: 503 service unavailable
	// 3 <nil>
}

func ExampleRetryAfterOf() {
	// A server asked for a pause longer than the policy may wait in-process:
	// Do returns at once, and the caller reschedules the work with the hint.
	err := retry.Do(context.Background(), retry.Policy{MaxRetryAfter: time.Minute},
		func(ctx context.Context) error {
			return retry.WithRetryAfter(errors.New("429 too many requests"), 5*time.Minute)
		}, nil)
	d, ok := retry.RetryAfterOf(err)
	fmt.Println(errors.Is(err, retry.ErrBudgetExhausted), d, ok)
	// Output: true 5m0s true
}
