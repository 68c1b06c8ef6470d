package retry_test

import (
	"testing"

	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/retry/retrytest"
)

func TestClassifyStatus(t *testing.T) {
	for _, tc := range retrytest.StatusCases {
		t.Run(tc.Name, func(t *testing.T) {
			if got := retry.ClassifyStatus(tc.Code); got != tc.Want {
				t.Fatalf("ClassifyStatus(%d) = %v, want %v", tc.Code, got, tc.Want)
			}
		})
	}
}

func TestClassifyError(t *testing.T) {
	for _, tc := range retrytest.ErrorCases {
		t.Run(tc.Name, func(t *testing.T) {
			if got := retry.ClassifyError(tc.Err); got != tc.Want {
				t.Fatalf("ClassifyError(%v) = %v, want %v", tc.Err, got, tc.Want)
			}
		})
	}
}

func TestDecisionString(t *testing.T) {
	want := map[retry.Decision]string{
		retry.DecisionOK: "ok", retry.DecisionRetry: "retry", retry.DecisionPermanent: "permanent",
		retry.DecisionStop: "stop", retry.Decision(99): "unknown",
	}
	for d, s := range want {
		if d.String() != s {
			t.Errorf("%d.String() = %q, want %q", int(d), d.String(), s)
		}
	}
}
