package pipeline

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestLabelsBounded: a model inventing labels cannot create series without end.
func TestLabelsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	for i := 0; i < 200; i++ {
		m.countDropped(fmt.Sprintf("L%d", i))
	}
	if n := testutil.CollectAndCount(reg, "tagflow_entities_dropped_total"); n != maxLabels+1 {
		t.Fatalf("%d series, want %d labels and other", n, maxLabels+1)
	}
	if v := testutil.ToFloat64(m.dropped.WithLabelValues("other")); v != 200-maxLabels {
		t.Fatalf("other = %v, want %d", v, 200-maxLabels)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) != 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}
