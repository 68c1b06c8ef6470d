package tagtog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tagflow/tagflow/pkg/retry"
)

func TestCredentialsNeverInErrors(t *testing.T) {
	const secret = "p4ss-w0rd-XYZ"
	token := "cmVhZGVyOnA0c3MtdzByZC1YWVo=" // base64("reader:p4ss-w0rd-XYZ")
	echo := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		// A badly behaved server that echoes the request's credentials.
		user, pass, _ := r.BasicAuth()
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, "bad login %s/%s (header %s)", user, pass, r.Header.Get("Authorization"))
	})
	withURLCredentials := func(base string) string {
		u, _ := url.Parse(base)
		u.User = url.UserPassword("reader", secret)
		return u.String()
	}
	var errs []error

	// Credentials given in the base URL are used, and never shown.
	c, err := New(Config{BaseURL: withURLCredentials(echo.URL), Retry: testPolicy})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = c.PlainHTML(context.Background(), memoRef)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if !strings.Contains(err.Error(), "bad login reader/[REDACTED] (header Basic [REDACTED])") {
		t.Fatalf("err = %v, want the echoed credentials redacted", err)
	}
	errs = append(errs, err)

	// Transport errors quote the URL: it carries no credentials.
	c, err = New(Config{BaseURL: withURLCredentials(closedURL(t)), Retry: testPolicy})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.clock = newTestClient(t, echo.URL).clock
	_, err = c.Legend(context.Background(), "acme", "ner-demo")
	if err == nil {
		t.Fatal("Legend of a closed server succeeded")
	}
	errs = append(errs, err)

	// Invalid configurations.
	for _, base := range []string{
		"http://reader:" + secret + "@tagtog.test:port/",
		"ftp://reader:" + secret + "@tagtog.test/",
		"http://reader:" + secret + "@tagtog.test/?x=1",
		"http://reader:" + secret + "@/path",
		"http://reader:" + secret + "@tagtog.test/%zz",
	} {
		_, err := New(Config{BaseURL: base})
		if err == nil {
			t.Fatalf("New(%q) accepted an invalid URL", base)
		}
		errs = append(errs, err)
	}
	for _, err := range errs {
		if s := err.Error(); strings.Contains(s, secret) || strings.Contains(s, token) {
			t.Errorf("error shows credentials: %s", s)
		}
	}
}

func TestSearchRequest(t *testing.T) {
	var got capture
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		got = record(r)
		_, _ = io.WriteString(w, `{"version":"0.7.0","search":"filename:\"a b.txt\"","totalFound":1,
			"pages":{"current":2,"previous":1,"next":-1,"numPages":3,"pageSize":50},
			"docs":[{"id":"`+memoID+`","filename":"memo.txt","header":"Jane Doe joined","created":"2021-07-15T16:34:41.720Z",
			"updated":"2021-07-16T08:00:00.000Z","anncomplete":true,"members_anncomplete":["alice"],"members_assigned":["alice","bob"],"folder":"pool/sub"}]}`)
	})
	c := newTestClient(t, srv.URL)
	p, err := c.Search(context.Background(), "acme", "ner-demo", `filename:"a b.txt"`, 2)
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if got.method != http.MethodGet || got.path != "/tagtog/-api/documents/v1" || got.auth != testAuth ||
		got.rawQuery != "owner=acme&project=ner-demo&search=filename%3A%22a%20b.txt%22&page=2&output=search" {
		t.Fatalf("request = %s %s?%s auth %q", got.method, got.path, got.rawQuery, got.auth)
	}
	if p.Version != "0.7.0" || p.TotalFound != 1 || p.Pages != (Pages{Current: 2, Previous: 1, Next: -1, NumPages: 3, PageSize: 50}) ||
		len(p.Docs) != 1 {
		t.Fatalf("page = %+v", p)
	}
	d := p.Docs[0]
	if d.ID != memoID || d.Filename != "memo.txt" || d.Header != "Jane Doe joined" || !d.AnnComplete || d.Folder != "pool/sub" ||
		!d.Created.Equal(time.Date(2021, 7, 15, 16, 34, 41, 720e6, time.UTC)) || !d.Updated.Equal(time.Date(2021, 7, 16, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("doc = %+v", d)
	}
	equalStrings(t, "members_anncomplete", d.MembersAnnComplete, []string{"alice"})
	equalStrings(t, "members_assigned", d.MembersAssigned, []string{"alice", "bob"})
}

// pagedServer serves 3 pages of search results (ids d0..d4, 2 per page).
func pagedServer(tb testing.TB) *testServer {
	tb.Helper()
	return newTestServer(tb, func(w http.ResponseWriter, r *http.Request, n int) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		next, prev := page+1, page-1
		if page == 2 {
			next = -1
		}
		var docs []string
		for i := page * 2; i < min(page*2+2, 5); i++ {
			docs = append(docs, fmt.Sprintf(`{"id":"d%d"}`, i))
		}
		_, _ = fmt.Fprintf(w, `{"totalFound":5,"pages":{"current":%d,"previous":%d,"next":%d,"numPages":3,"pageSize":2},"docs":[%s]}`,
			page, prev, next, strings.Join(docs, ","))
	})
}

func TestSearchAll(t *testing.T) {
	srv := pagedServer(t)
	c := newTestClient(t, srv.URL)
	var ids []string
	err := c.SearchAll(context.Background(), "acme", "ner-demo", "*", func(d SearchDoc) error {
		ids = append(ids, d.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("SearchAll: %v", err)
	}
	equalStrings(t, "ids", ids, []string{"d0", "d1", "d2", "d3", "d4"})
	if srv.count() != 3 {
		t.Fatalf("requests = %d, want 3", srv.count())
	}
}

func TestSearchAllStopsAtCallbackError(t *testing.T) {
	srv := pagedServer(t)
	c := newTestClient(t, srv.URL)
	stop := errors.New("enough")
	var ids []string
	err := c.SearchAll(context.Background(), "acme", "ner-demo", "*", func(d SearchDoc) error {
		ids = append(ids, d.ID)
		if d.ID == "d2" {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("err = %v, want the callback's error unchanged", err)
	}
	equalStrings(t, "ids", ids, []string{"d0", "d1", "d2"})
	if srv.count() != 2 {
		t.Fatalf("requests = %d, want 2", srv.count())
	}
}

func TestSearchPagingThatDoesNotAdvance(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.WriteString(w, `{"pages":{"current":0,"previous":-1,"next":0,"numPages":2,"pageSize":50},"docs":[]}`)
	})
	c := newTestClient(t, srv.URL)
	err := c.SearchAll(context.Background(), "acme", "ner-demo", "*", func(SearchDoc) error { return nil })
	if !errors.Is(err, ErrBadResponse) || !retry.IsPermanent(err) || srv.count() != 1 {
		t.Fatalf("err = %v after %d calls; want a permanent ErrBadResponse after 1", err, srv.count())
	}
}

func TestImportText(t *testing.T) {
	const text = "Jane Doe joined Acme & Co in Berlin.\nCall +1 555 0100 – ü 😀"
	var got capture
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		got = record(r)
		_, _ = io.WriteString(w, `{"ok":1,"errors":0,"items":[{"origid":"memo.txt","names":["memo.txt"],"docid":"aNEW-memo.txt","tagtogID":"aNEW-memo.txt","result":"created"}],"warnings":[]}`)
	})
	c := newTestClient(t, srv.URL)
	id, err := c.ImportText(context.Background(), "acme", "ner-demo", "memo.txt", text)
	if err != nil || id != "aNEW-memo.txt" {
		t.Fatalf("ImportText = %q, %v", id, err)
	}
	if got.method != http.MethodPost || got.path != "/tagtog/-api/documents/v1" || got.auth != testAuth ||
		got.rawQuery != "owner=acme&project=ner-demo&output=null&filename=memo.txt" ||
		got.contentType != "application/x-www-form-urlencoded" {
		t.Fatalf("request = %s %s?%s auth %q type %q", got.method, got.path, got.rawQuery, got.auth, got.contentType)
	}
	form, err := url.ParseQuery(string(got.body))
	if err != nil || len(form) != 1 || form.Get("text") != text {
		t.Fatalf("form = %v (%v), want only text", form, err)
	}
}

func TestImportTextRetries(t *testing.T) {
	tests := []struct {
		name      string
		firstCode int
		wantCalls int
		wantErr   bool
	}{
		{"503 means not processed: retried", 503, 2, false},
		{"429 means not processed: retried", 429, 2, false},
		{"500 may have created the document: not retried", 500, 1, true},
		{"502 may have created the document: not retried", 502, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					w.WriteHeader(tt.firstCode)
					return
				}
				_, _ = io.WriteString(w, `{"ok":1,"errors":0,"items":[{"tagtogID":"aNEW-text.txt","result":"created"}]}`)
			})
			c := newTestClient(t, srv.URL)
			id, err := c.ImportText(context.Background(), "acme", "ner-demo", "", "text")
			if srv.count() != tt.wantCalls || (err != nil) != tt.wantErr {
				t.Fatalf("ImportText = %q, %v after %d calls; want %d calls, error %v", id, err, srv.count(), tt.wantCalls, tt.wantErr)
			}
			if tt.wantErr && !retry.IsPermanent(err) {
				t.Fatalf("err = %v, want permanent", err)
			}
		})
	}
}

func TestImportTextConnectionRefusedIsRetried(t *testing.T) {
	c := newTestClient(t, closedURL(t))
	_, err := c.ImportText(context.Background(), "acme", "ner-demo", "", "text")
	if !errors.Is(err, retry.ErrBudgetExhausted) {
		t.Fatalf("err = %v, want ErrBudgetExhausted (refused connections are retried)", err)
	}
	if got := testutil.ToFloat64(c.metrics.requests.WithLabelValues("import", "error")); got != 4 {
		t.Fatalf("requests{code=error} = %v, want 4", got)
	}
}

func TestImportTextDroppedResponseIsNotRetried(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close() // the request arrived: it may have been processed
		}
	})
	c := newTestClient(t, srv.URL)
	_, err := c.ImportText(context.Background(), "acme", "ner-demo", "", "text")
	if srv.count() != 1 || !retry.IsPermanent(err) {
		t.Fatalf("err = %v after %d calls; want a permanent error after 1", err, srv.count())
	}
}

func TestMetrics(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			_, _ = io.WriteString(w, `{"e_1":"PERSON"}`)
		}
	})
	c := newTestClient(t, srv.URL)
	if _, err := c.Legend(context.Background(), "acme", "ner-demo"); err != nil {
		t.Fatalf("Legend: %v", err)
	}
	want := `
# HELP tagflow_tagtog_requests_total HTTP requests made to tagtog's API, by operation and status code ("error": no response).
# TYPE tagflow_tagtog_requests_total counter
tagflow_tagtog_requests_total{code="200",op="legend"} 1
tagflow_tagtog_requests_total{code="429",op="legend"} 1
tagflow_tagtog_requests_total{code="503",op="legend"} 1
# HELP tagflow_tagtog_retries_total Retries of tagtog API calls, by operation and reason.
# TYPE tagflow_tagtog_retries_total counter
tagflow_tagtog_retries_total{op="legend",reason="429"} 1
tagflow_tagtog_retries_total{op="legend",reason="5xx"} 1
`
	if err := testutil.GatherAndCompare(c.reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(c.reg)
	if err != nil || len(problems) != 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}

func TestNilMetricsAndUnregistered(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, "{}")
	})
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.Metrics = nil })
	if _, err := c.Legend(context.Background(), "acme", "ner-demo"); err != nil {
		t.Fatalf("Legend: %v", err)
	}
	_ = NewMetrics(nil) // no registry: nothing registered, no panic
	reg := prometheus.NewRegistry()
	_ = NewMetrics(reg)
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
}

func TestRetryReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&StatusError{Code: 503}, "5xx"},
		{&StatusError{Code: 500}, "5xx"},
		{&StatusError{Code: 429}, "429"},
		{&StatusError{Code: 408}, "408"},
		{&StatusError{Code: 418}, "other"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "timeout"},
		{fmt.Errorf("reading response body: %w", io.ErrUnexpectedEOF), "connection"},
		{&url.Error{Op: "Get", URL: "http://x", Err: io.EOF}, "connection"},
		{errors.New("odd"), "other"},
	}
	for _, tt := range tests {
		if got := retryReason(tt.err); got != tt.want {
			t.Errorf("retryReason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"-5", 0, false},
		{"3", 3 * time.Second, true},
		{" 120 ", 120 * time.Second, true},
		{"99999999999999999999", 0, false},
		{"9223372036854775807", time.Duration(9223372036) * time.Second, true},
		{"soon", 0, false},
		{"1.5", 0, false},
		{"Wed, 01 May 2024 12:00:30 GMT", 30 * time.Second, true},
		{"Wednesday, 01-May-24 12:01:00 GMT", time.Minute, true},
		{"Wed May  1 12:00:05 2024", 5 * time.Second, true},
		{"Wed, 01 May 2024 11:59:00 GMT", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{BaseURL: "https://www.tagtog.com"}, true},
		{"path prefix", Config{BaseURL: "https://nlp.example.org/tagtog/"}, true},
		{"no base URL", Config{}, false},
		{"relative URL", Config{BaseURL: "tagtog.example.org"}, false},
		{"negative timeout", Config{BaseURL: "http://x", Timeout: -1}, false},
		{"negative size", Config{BaseURL: "http://x", MaxResponseBytes: -1}, false},
		{"negative concurrency", Config{BaseURL: "http://x", Concurrency: -1}, false},
		{"bad retry policy", Config{BaseURL: "http://x", Retry: retry.Policy{Multiplier: 0.5}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestTransportTunedForConcurrency(t *testing.T) {
	c, err := New(Config{BaseURL: "http://tagtog.test", Concurrency: 32})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok || tr.MaxIdleConnsPerHost != 32 || tr.MaxIdleConns != 100 {
		t.Fatalf("transport = %+v", c.hc.Transport)
	}
	if c.hc.CheckRedirect == nil {
		t.Fatal("redirects are followed")
	}
	own := &http.Client{}
	c, err = New(Config{BaseURL: "http://tagtog.test", HTTPClient: own})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.hc == own || own.CheckRedirect != nil || c.hc.CheckRedirect == nil {
		t.Fatal("the caller's client must be copied, not changed")
	}
}
