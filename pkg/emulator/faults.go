package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Op names an API operation for per-operation fault rates.
type Op string

// Operations of the API that faults can target.
const (
	OpLegend Op = "legend" // GET annotationsLegend
	OpGet    Op = "get"    // GET a document by id
	OpSearch Op = "search" // GET with search=
	OpPush   Op = "push"   // POST/PUT with format anndoc or *-plus-annjson
	OpImport Op = "import" // other POST/PUT (text, files)
	OpDelete Op = "delete" // DELETE
)

// Faults describes the faults injected into API requests (not into the
// /-emulator/ endpoints). Each request draws from one RNG seeded with Seed, in
// a fixed order (drop, rate limit, error, spike, jitter, only for the faults
// that are enabled), so a sequential run with the same seed and the same
// requests injects exactly the same faults.
type Faults struct {
	// Latency is added to every request; LatencyJitter adds a uniform random [0, jitter).
	Latency       time.Duration `json:"latency"`
	LatencyJitter time.Duration `json:"latency_jitter"`
	// LatencySpikeRate is the fraction of requests delayed by Spike more.
	LatencySpikeRate float64       `json:"latency_spike_rate"`
	Spike            time.Duration `json:"spike"`
	// ErrorRate is the fraction of requests of each operation answered with ErrorStatus.
	ErrorRate map[Op]float64 `json:"error_rate"`
	// ErrorStatus is the status of injected errors (default 503).
	ErrorStatus int `json:"error_status"`
	// RateLimitRate is the fraction of requests answered 429 with Retry-After: RetryAfter seconds.
	RateLimitRate float64 `json:"rate_limit_rate"`
	RetryAfter    int     `json:"retry_after"`
	// DropRate is the fraction of requests whose connection is closed without a response.
	DropRate float64 `json:"drop_rate"`
	// Seed seeds the RNG; SetFaults reseeds it.
	Seed uint64 `json:"seed"`
}

// faultsJSON is Faults with durations as Go duration strings ("250ms").
type faultsJSON struct {
	Latency          string         `json:"latency,omitempty"`
	LatencyJitter    string         `json:"latency_jitter,omitempty"`
	LatencySpikeRate float64        `json:"latency_spike_rate,omitempty"`
	Spike            string         `json:"spike,omitempty"`
	ErrorRate        map[Op]float64 `json:"error_rate,omitempty"`
	ErrorStatus      int            `json:"error_status,omitempty"`
	RateLimitRate    float64        `json:"rate_limit_rate,omitempty"`
	RetryAfter       int            `json:"retry_after,omitempty"`
	DropRate         float64        `json:"drop_rate,omitempty"`
	Seed             uint64         `json:"seed,omitempty"`
}

// MarshalJSON writes durations as strings such as "250ms".
func (f Faults) MarshalJSON() ([]byte, error) {
	j := faultsJSON{
		LatencySpikeRate: f.LatencySpikeRate, ErrorRate: f.ErrorRate, ErrorStatus: f.ErrorStatus,
		RateLimitRate: f.RateLimitRate, RetryAfter: f.RetryAfter, DropRate: f.DropRate, Seed: f.Seed,
	}
	dur := func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return d.String()
	}
	j.Latency, j.LatencyJitter, j.Spike = dur(f.Latency), dur(f.LatencyJitter), dur(f.Spike)
	return json.Marshal(j)
}

// UnmarshalJSON reads durations as strings ("250ms") or as numbers of milliseconds.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j struct {
		faultsJSON
		Latency       json.RawMessage `json:"latency"`
		LatencyJitter json.RawMessage `json:"latency_jitter"`
		Spike         json.RawMessage `json:"spike"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := Faults{
		LatencySpikeRate: j.LatencySpikeRate, ErrorRate: j.ErrorRate, ErrorStatus: j.ErrorStatus,
		RateLimitRate: j.RateLimitRate, RetryAfter: j.RetryAfter, DropRate: j.DropRate, Seed: j.Seed,
	}
	for _, x := range []struct {
		raw json.RawMessage
		dst *time.Duration
		key string
	}{{j.Latency, &out.Latency, "latency"}, {j.LatencyJitter, &out.LatencyJitter, "latency_jitter"}, {j.Spike, &out.Spike, "spike"}} {
		d, err := parseDurationJSON(x.raw)
		if err != nil {
			return fmt.Errorf("faults: %s: %w", x.key, err)
		}
		*x.dst = d
	}
	for op := range out.ErrorRate {
		if !validOp(op) {
			return fmt.Errorf("faults: unknown operation %q in error_rate", op)
		}
	}
	*f = out
	return nil
}

func parseDurationJSON(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return 0, nil
		}
		return time.ParseDuration(s)
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return 0, fmt.Errorf("want a duration string or milliseconds: %w", err)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

func validOp(op Op) bool {
	switch op {
	case OpLegend, OpGet, OpSearch, OpPush, OpImport, OpDelete:
		return true
	}
	return false
}

// ParseErrorRates parses "get=0.1,push=0.2" (or "*=0.1" for every operation).
func ParseErrorRates(s string) (map[Op]float64, error) {
	out := map[Op]float64{}
	if s == "" {
		return out, nil
	}
	for _, kv := range splitComma(s) {
		k, v, ok := cutEq(kv)
		if !ok {
			return nil, fmt.Errorf("error rate %q: want op=rate", kv)
		}
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("error rate %q: rate must be within [0,1]", kv)
		}
		if k == "*" {
			for _, op := range []Op{OpLegend, OpGet, OpSearch, OpPush, OpImport, OpDelete} {
				out[op] = r
			}
			continue
		}
		if !validOp(Op(k)) {
			return nil, fmt.Errorf("error rate %q: unknown operation", kv)
		}
		out[Op(k)] = r
	}
	return out, nil
}

// Validate reports rates outside [0,1] and negative durations.
func (f Faults) Validate() error {
	for name, r := range map[string]float64{"latency_spike_rate": f.LatencySpikeRate, "rate_limit_rate": f.RateLimitRate, "drop_rate": f.DropRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("faults: %s %v outside [0,1]", name, r)
		}
	}
	for op, r := range f.ErrorRate {
		if r < 0 || r > 1 {
			return fmt.Errorf("faults: error rate of %s %v outside [0,1]", op, r)
		}
	}
	if f.Latency < 0 || f.LatencyJitter < 0 || f.Spike < 0 {
		return fmt.Errorf("faults: negative duration")
	}
	if f.ErrorStatus != 0 && (f.ErrorStatus < 400 || f.ErrorStatus > 599) {
		return fmt.Errorf("faults: error status %d is not an HTTP error", f.ErrorStatus)
	}
	return nil
}

// FaultStats counts injected faults.
type FaultStats struct {
	Errors      int `json:"errors"`
	RateLimited int `json:"rate_limited"`
	Dropped     int `json:"dropped"`
	Spikes      int `json:"spikes"`
}

type faultInjector struct {
	mu    sync.Mutex
	f     Faults
	rng   *rand.Rand
	stats FaultStats
}

func newFaultInjector(f Faults) *faultInjector {
	fi := &faultInjector{}
	fi.set(f)
	return fi
}

func (fi *faultInjector) set(f Faults) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.f = f
	fi.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
}

func (fi *faultInjector) get() Faults {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.f
}

// decision is what to do with one request.
type decision struct {
	delay      time.Duration
	drop       bool
	status     int // injected error status; 0 = none
	retryAfter int
}

func (fi *faultInjector) decide(op Op) decision {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := &fi.f
	d := decision{delay: f.Latency}
	hit := func(rate float64) bool { return rate > 0 && fi.rng.Float64() < rate }
	switch {
	case hit(f.DropRate):
		d.drop = true
		fi.stats.Dropped++
	case hit(f.RateLimitRate):
		d.status = http.StatusTooManyRequests
		d.retryAfter = f.RetryAfter
		if d.retryAfter <= 0 {
			d.retryAfter = 1
		}
		fi.stats.RateLimited++
	case hit(f.ErrorRate[op]):
		d.status = f.ErrorStatus
		if d.status == 0 {
			d.status = http.StatusServiceUnavailable
		}
		fi.stats.Errors++
	}
	if hit(f.LatencySpikeRate) {
		d.delay += f.Spike
		fi.stats.Spikes++
	}
	if f.LatencyJitter > 0 {
		d.delay += time.Duration(fi.rng.Int64N(int64(f.LatencyJitter)))
	}
	return d
}

// SetFaults replaces the injected faults at run time and reseeds the RNG with f.Seed.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.faults.set(f)
	return nil
}

// Faults returns the faults currently injected.
func (s *Server) Faults() Faults { return s.faults.get() }

// withFaults injects the configured faults before h handles the request.
func (s *Server) withFaults(op func(*http.Request) Op, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d := s.faults.decide(op(r))
		if err := sleepCtx(r.Context(), d.delay); err != nil {
			return
		}
		switch {
		case d.drop:
			dropConnection(w)
			return
		case d.status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", strconv.Itoa(d.retryAfter))
			httpError(w, d.status, "too many requests (injected)")
			return
		case d.status != 0:
			httpError(w, d.status, "injected failure")
			return
		}
		h(w, r)
	}
}

// dropConnection closes the client connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func cutEq(s string) (k, v string, ok bool) {
	k, v, ok = strings.Cut(s, "=")
	return strings.TrimSpace(k), strings.TrimSpace(v), ok
}
