package tagtog

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/retry/retrytest"
)

const (
	testUser     = "svc-bot"
	testPassword = "s3cr3t-pw"
	// testAuth is "Basic " + base64("svc-bot:s3cr3t-pw").
	testAuth = "Basic c3ZjLWJvdDpzM2NyM3QtcHc="
	// memoID is the document id of the API notes' example exchanges.
	memoID = "aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt"
	// oddID holds every character that needs care in URLs and multipart names.
	oddID = "aQm3xT0bV1.kLp9sR_2wYz7uHcE4-my \"odd\" doc\\ #1 ü 😀.txt"
)

// testPolicy retries without jitter: waits 100ms, 200ms, 400ms, then the 1s
// budget is spent, so a failure that never clears is tried exactly 4 times.
var testPolicy = retry.Policy{
	Initial:       100 * time.Millisecond,
	Max:           time.Second,
	Multiplier:    2,
	Jitter:        retry.NoJitter,
	Budget:        time.Second,
	MaxRetryAfter: 60 * time.Second,
}

// testServer is an httptest.Server that counts requests; handle gets the
// 1-based number of the request.
type testServer struct {
	*httptest.Server
	calls atomic.Int32
}

func newTestServer(tb testing.TB, handle func(w http.ResponseWriter, r *http.Request, n int)) *testServer {
	tb.Helper()
	s := &testServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(w, r, int(s.calls.Add(1)))
	}))
	tb.Cleanup(s.Close)
	return s
}

func (s *testServer) count() int { return int(s.calls.Load()) }

type testClient struct {
	*Client
	clock *retrytest.Clock
	reg   *prometheus.Registry
}

// newTestClient returns a client of baseURL+"/tagtog" (a path prefix, as
// on-premises installs have) with a fake clock and its own registry.
func newTestClient(tb testing.TB, baseURL string, modify ...func(*Config)) *testClient {
	tb.Helper()
	reg := prometheus.NewRegistry()
	cfg := Config{
		BaseURL:  baseURL + "/tagtog/",
		Username: testUser,
		Password: testPassword,
		Retry:    testPolicy,
		Metrics:  NewMetrics(reg),
		Timeout:  10 * time.Second,
	}
	for _, m := range modify {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	clk := retrytest.NewClock()
	c.clock = clk
	tb.Cleanup(c.CloseIdleConnections)
	return &testClient{Client: c, clock: clk, reg: reg}
}

func equalStrings(tb testing.TB, what string, got, want []string) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s = %q, want %q", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			tb.Fatalf("%s = %q, want %q", what, got, want)
		}
	}
}
