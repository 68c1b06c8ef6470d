package main

import (
	"math"
	"slices"
	"time"
)

// latencies collects durations and answers quantiles.
type latencies []time.Duration

// quantile returns the q-quantile (0 < q <= 1) by the nearest-rank method,
// or 0 when empty. It sorts l.
func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	rank := int(math.Ceil(q*float64(len(l)))) - 1
	rank = max(0, min(rank, len(l)-1))
	return l[rank]
}

// ms converts a duration to milliseconds with microsecond precision.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// round keeps n decimals.
func round(v float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(v*p) / p
}
