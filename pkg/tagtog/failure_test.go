package tagtog

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/retry/retrytest"
)

var memoRef = DocRef{Owner: "acme", Project: "ner-demo", ID: memoID}

// TestStatusDecisions runs the shared status table against a server: OK
// statuses succeed at once, transient ones are tried until the budget is
// spent (4 attempts with testPolicy), permanent ones are tried once.
func TestStatusDecisions(t *testing.T) {
	for _, tc := range retrytest.StatusCases {
		if tc.Code < 200 { // a server cannot send 1xx as its final answer
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.WriteHeader(tc.Code)
				_, _ = io.WriteString(w, "answer body")
			})
			c := newTestClient(t, srv.URL)
			_, err := c.PlainHTML(context.Background(), memoRef)
			var se *StatusError
			switch tc.Want {
			case retry.DecisionOK:
				if err != nil || srv.count() != 1 {
					t.Fatalf("err = %v after %d calls; want success after 1", err, srv.count())
				}
			case retry.DecisionRetry:
				if srv.count() != 4 || !errors.Is(err, retry.ErrBudgetExhausted) || retry.IsPermanent(err) {
					t.Fatalf("err = %v after %d calls; want ErrBudgetExhausted after 4", err, srv.count())
				}
			case retry.DecisionPermanent:
				if srv.count() != 1 || !retry.IsPermanent(err) {
					t.Fatalf("err = %v after %d calls; want a permanent error after 1", err, srv.count())
				}
			}
			if tc.Want != retry.DecisionOK && (!errors.As(err, &se) || se.Code != tc.Code || se.Op != "plain_html") {
				t.Fatalf("err = %v, want a *StatusError with code %d", err, tc.Code)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		body   string
		call   func(*Client) error
		want   string
		target error
	}{
		{"document not found", 404, "No such document\n",
			func(c *Client) error { _, err := c.PlainHTML(context.Background(), memoRef); return err },
			`tagtog: get plain.html of "` + memoID + `" (acme/ner-demo): HTTP 404 Not Found: document not found; response: "No such document"`,
			ErrNotFound},
		{"project not found", 404, "",
			func(c *Client) error { _, err := c.Legend(context.Background(), "acme", "nope"); return err },
			`tagtog: legend of acme/nope: HTTP 404 Not Found: project not found`, ErrNotFound},
		{"bad credentials", 401, "",
			func(c *Client) error { _, err := c.AnnJSON(context.Background(), memoRef); return err },
			`tagtog: get ann.json of "` + memoID + `" (acme/ner-demo): HTTP 401 Unauthorized: authentication failed: check the tagtog username and password`,
			ErrAuth},
		{"role without API permission", 403, "forbidden",
			func(c *Client) error {
				_, err := c.PushAnndoc(context.Background(), memoRef, []byte(memoHTML), []byte(memoAnnJSON))
				return err
			},
			`tagtog: push "` + memoID + `" (acme/ner-demo): HTTP 403 Forbidden: forbidden: the user must be a member of the project with a role allowed to use the API (admin, reviewer or supercurator; curator and reader cannot); response: "forbidden"`,
			ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.WriteHeader(tt.code)
				_, _ = io.WriteString(w, tt.body)
			})
			err := tt.call(newTestClient(t, srv.URL).Client)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
			if !errors.Is(err, tt.target) || !retry.IsPermanent(err) || srv.count() != 1 {
				t.Fatalf("err = %v after %d calls; want permanent, matching %v, after 1", err, srv.count(), tt.target)
			}
		})
	}
}

func TestErrorBodyTruncated(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, strings.Repeat("x", 100_000))
	})
	c := newTestClient(t, srv.URL)
	_, err := c.PlainHTML(context.Background(), memoRef)
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *StatusError", err)
	}
	if want := strings.Repeat("x", 512) + "…"; se.Body != want {
		t.Fatalf("Body has %d bytes, want the first 512 and an ellipsis", len(se.Body))
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	tests := []struct {
		name  string
		value func(now time.Time) string
		want  time.Duration
	}{
		{"seconds", func(time.Time) string { return "3" }, 3 * time.Second},
		{"HTTP date", func(now time.Time) string { return now.Add(7 * time.Second).UTC().Format(http.TimeFormat) }, 7 * time.Second},
		{"shorter than the backoff", func(time.Time) string { return "0" }, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		for _, code := range []int{429, 503} {
			t.Run(tt.name+" "+http.StatusText(code), func(t *testing.T) {
				var c *testClient
				srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
					if n == 1 {
						w.Header().Set("Retry-After", tt.value(c.clock.Now()))
						w.WriteHeader(code)
						return
					}
					_, _ = io.WriteString(w, memoHTML)
				})
				c = newTestClient(t, srv.URL, func(cfg *Config) { cfg.Retry.Budget = 20 * time.Second })
				body, err := c.PlainHTML(context.Background(), memoRef)
				if err != nil || string(body) != memoHTML {
					t.Fatalf("PlainHTML: %v", err)
				}
				if got := c.clock.Sleeps(); srv.count() != 2 || len(got) != 1 || got[0] != tt.want {
					t.Fatalf("%d calls, waits %v; want 2 calls and one wait of %v", srv.count(), got, tt.want)
				}
			})
		}
	}
}

func TestRetryAfterBeyondBudget(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.Retry.Budget = 10 * time.Second })
	_, err := c.PushAnndoc(context.Background(), memoRef, []byte(memoHTML), []byte(memoAnnJSON))
	if srv.count() != 1 || len(c.clock.Sleeps()) != 0 {
		t.Fatalf("%d calls, waits %v; want 1 call, no wait", srv.count(), c.clock.Sleeps())
	}
	if !errors.Is(err, retry.ErrBudgetExhausted) || retry.IsPermanent(err) {
		t.Fatalf("err = %v, want a transient ErrBudgetExhausted", err)
	}
	if d, ok := retry.RetryAfterOf(err); !ok || d != 120*time.Second {
		t.Fatalf("RetryAfterOf = %v, %v; want 120s, true", d, ok)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.RetryAfter != 120*time.Second {
		t.Fatalf("err = %v, want a *StatusError with RetryAfter 120s", err)
	}
}

func TestCancelMakesNoFurtherRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := newTestClient(t, srv.URL)
	_, err := c.PlainHTML(ctx, memoRef)
	if srv.count() != 1 {
		t.Fatalf("calls = %d, want 1", srv.count())
	}
	if !errors.Is(err, context.Canceled) || retry.IsPermanent(err) || errors.Is(err, retry.ErrBudgetExhausted) {
		t.Fatalf("err = %v, want context.Canceled, neither permanent nor budget exhaustion", err)
	}
}

func TestCancelDuringWaitMakesNoFurtherRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(http.StatusBadGateway) })
	c := newTestClient(t, srv.URL)
	c.clock.OnSleep = func(time.Duration) { cancel() }
	_, err := c.PlainHTML(ctx, memoRef)
	if srv.count() != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v after %d calls; want context.Canceled after 1", err, srv.count())
	}
}

func TestConnectionDroppedMidResponseIsRetried(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/html\r\n\r\n<!DOCTYPE html")
			_ = buf.Flush()
			_ = conn.Close()
			return
		}
		_, _ = io.WriteString(w, memoHTML)
	})
	c := newTestClient(t, srv.URL)
	body, err := c.PlainHTML(context.Background(), memoRef)
	if err != nil || string(body) != memoHTML {
		t.Fatalf("PlainHTML: %v", err)
	}
	if srv.count() != 2 {
		t.Fatalf("calls = %d, want 2", srv.count())
	}
	if got := testutil.ToFloat64(c.metrics.retries.WithLabelValues("plain_html", "connection")); got != 1 {
		t.Fatalf("connection retries = %v, want 1", got)
	}
}

func TestPerRequestTimeoutIsRetried(t *testing.T) {
	release := make(chan struct{})
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			select { // hang until the client gives up
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		_, _ = io.WriteString(w, memoHTML)
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.Timeout = 50 * time.Millisecond })
	body, err := c.PlainHTML(context.Background(), memoRef)
	if err != nil || string(body) != memoHTML {
		t.Fatalf("PlainHTML: %v", err)
	}
	if srv.count() != 2 {
		t.Fatalf("calls = %d, want 2", srv.count())
	}
	if got := testutil.ToFloat64(c.metrics.retries.WithLabelValues("plain_html", "timeout")); got != 1 {
		t.Fatalf("timeout retries = %v, want 1", got)
	}
}

// closedURL returns the address of a server that no longer listens.
func closedURL(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	c := newTestClient(t, closedURL(t))
	_, err := c.AnnJSON(context.Background(), memoRef)
	if !errors.Is(err, retry.ErrBudgetExhausted) || retry.IsPermanent(err) {
		t.Fatalf("err = %v, want ErrBudgetExhausted", err)
	}
	if got := testutil.ToFloat64(c.metrics.requests.WithLabelValues("ann_json", "error")); got != 4 {
		t.Fatalf("requests{code=error} = %v, want 4", got)
	}
	if got := testutil.ToFloat64(c.metrics.retries.WithLabelValues("ann_json", "connection")); got != 3 {
		t.Fatalf("retries{reason=connection} = %v, want 3", got)
	}
}

func TestTooLargeIsPermanent(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		name := map[bool]string{false: "content length", true: "chunked"}[chunked]
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if !chunked {
					w.Header().Set("Content-Length", "11")
				}
				_, _ = io.WriteString(w, "0123456789")
				w.(http.Flusher).Flush()
				_, _ = io.WriteString(w, "X")
			})
			c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxResponseBytes = 10 })
			_, err := c.PlainHTML(context.Background(), memoRef)
			if !errors.Is(err, ErrTooLarge) || !retry.IsPermanent(err) || srv.count() != 1 {
				t.Fatalf("err = %v after %d calls; want a permanent ErrTooLarge after 1", err, srv.count())
			}
		})
	}
	// At the limit exactly, the body is accepted.
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = io.WriteString(w, "0123456789") })
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxResponseBytes = 10 })
	if b, err := c.PlainHTML(context.Background(), memoRef); err != nil || string(b) != "0123456789" {
		t.Fatalf("PlainHTML = %q, %v", b, err)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path == "/login" {
			_, _ = io.WriteString(w, "<html>login page</html>")
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
	c := newTestClient(t, srv.URL)
	_, err := c.PlainHTML(context.Background(), memoRef)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusSeeOther || !retry.IsPermanent(err) || srv.count() != 1 {
		t.Fatalf("err = %v after %d calls; want a permanent 303 after 1 call", err, srv.count())
	}
}

func TestConnectionsAreReused(t *testing.T) {
	var newConns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ids") == "missing" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, strings.Repeat("not found ", 1000)) // more than the error text keeps
			return
		}
		_, _ = io.WriteString(w, memoHTML)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL)
	for i := range 6 {
		ref := memoRef
		if i%2 == 1 {
			ref.ID = "missing"
		}
		_, _ = c.PlainHTML(context.Background(), ref)
	}
	c.CloseIdleConnections()
	srv.Close() // waits for the connection's states to settle
	if n := newConns.Load(); n != 1 {
		t.Fatalf("%d connections opened for 6 sequential requests, want 1", n)
	}
}
