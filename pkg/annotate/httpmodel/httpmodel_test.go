package httpmodel_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagflow/tagflow/pkg/annotate"
	"github.com/tagflow/tagflow/pkg/annotate/httpmodel"
	"github.com/tagflow/tagflow/pkg/retry"
	"github.com/tagflow/tagflow/pkg/retry/retrytest"
)

// server starts an httptest.Server answering every request with status and
// body, and records the decoded request texts.
func server(tb testing.TB, status int, body string, got *[][]string) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var req struct {
			Texts []string `json:"texts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if got != nil {
			*got = append(*got, req.Texts)
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

func newClient(tb testing.TB, cfg httpmodel.Config) *httpmodel.Client {
	tb.Helper()
	c, err := httpmodel.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestAnnotateShapes(t *testing.T) {
	texts := []string{"Tony Blair met Microsoft.", "Zoë 😀 Müller in 東京 today"}
	// text 1 by code points: Z o ë ␠ 😀 ␠ M ü l l e r ␠ i n ␠ 東 京 ...
	//                        0 1 2 3  4  5 6 7 8 9 10 11 12 13 14 15 16 17
	want := [][]annotate.Span{
		{{Start: 0, End: 10, Label: "PERSON", Score: 1}, {Start: 15, End: 24, Label: "ORG", Score: 1}},
		{{Start: 0, End: 4, Label: "PERSON", Score: 1}, {Start: 10, End: 17, Label: "PERSON", Score: 1}, {Start: 21, End: 27, Label: "GPE", Score: 1}},
	}
	wantHF := [][]annotate.Span{
		{{Start: 0, End: 10, Label: "PER", Score: 0.75}, {Start: 15, End: 24, Label: "ORG", Score: 0.5}},
		{{Start: 0, End: 4, Label: "PER", Score: 1}, {Start: 10, End: 17, Label: "PER", Score: 0.875}, {Start: 21, End: 27, Label: "LOC", Score: 0.25}},
	}
	tests := []struct {
		name string
		body string
		want [][]annotate.Span
	}{
		{"spacy results", `{"results":[{"ents":[{"start":0,"end":10,"label":"PERSON"},{"start":15,"end":24,"label":"ORG"}]},` +
			`{"ents":[{"start":0,"end":3,"label":"PERSON"},{"start":6,"end":12,"label":"PERSON"},{"start":16,"end":18,"label":"GPE"}]}]}`, want},
		{"spacy bare array", `[{"ents":[{"start":15,"end":24,"label":"ORG"},{"start":0,"end":10,"label":"PERSON"}]},` +
			`{"ents":[{"start":0,"end":3,"label":"PERSON"},{"start":6,"end":12,"label":"PERSON"},{"start":16,"end":18,"label":"GPE"}]}]`, want},
		{"hf entity_group", `[[{"entity_group":"PER","start":0,"end":10,"score":0.75,"word":"Tony Blair"},{"entity_group":"ORG","start":15,"end":24,"score":0.5}],` +
			`[{"entity_group":"PER","start":0,"end":3,"score":1},{"entity_group":"PER","start":6,"end":12,"score":0.875},{"entity_group":"LOC","start":16,"end":18,"score":0.25}]]`, wantHF},
		{"hf entity tokens merged", `[[{"entity":"B-PER","start":0,"end":4,"score":0.5},{"entity":"I-PER","start":5,"end":10,"score":1},{"entity":"O","start":11,"end":14,"score":0.9},{"entity":"B-ORG","start":15,"end":20,"score":0.5},{"entity":"I-ORG","start":20,"end":24,"score":0.5}],` +
			`[{"entity":"B-PER","start":0,"end":3,"score":1},{"entity":"B-PER","start":6,"end":12,"score":0.875},{"entity":"I-LOC","start":16,"end":17,"score":0.25},{"entity":"I-LOC","start":17,"end":18,"score":0.25}]]`, wantHF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]string
			c := newClient(t, httpmodel.Config{URL: server(t, 200, tt.body, &got).URL})
			spans, err := c.Annotate(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(spans, tt.want) {
				t.Fatalf("spans = %v, want %v", spans, tt.want)
			}
			if !reflect.DeepEqual(got, [][]string{texts}) {
				t.Fatalf("server got %q", got)
			}
			for i, ss := range spans {
				for _, s := range ss {
					_ = texts[i][s.Start:s.End]
				}
			}
			if texts[1][10:17] != "Müller" || texts[1][21:27] != "東京" {
				t.Fatal("fixture offsets are wrong")
			}
		})
	}
}

func TestAnnotateFlatHFSingleText(t *testing.T) {
	body := `[{"entity_group":"PER","start":0,"end":5,"score":0.9},{"entity_group":"ORG","start":6,"end":9,"score":0.8}]`
	c := newClient(t, httpmodel.Config{URL: server(t, 200, body, nil).URL, Labels: []string{"per"}})
	spans, err := c.Annotate(context.Background(), []string{"Alice IBM"})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]annotate.Span{{{Start: 0, End: 5, Label: "PER", Score: 0.9}}}
	if !reflect.DeepEqual(spans, want) {
		t.Fatalf("spans = %v, want %v", spans, want)
	}
}

func TestAnnotateBatches(t *testing.T) {
	var got [][]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Texts []string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		got = append(got, req.Texts)
		res := make([]map[string]any, len(req.Texts))
		for i := range res {
			res[i] = map[string]any{"ents": []map[string]any{{"start": 0, "end": 1, "label": "X"}}}
		}
		_ = json.NewEncoder(w).Encode(res)
	}))
	defer srv.Close()
	c := newClient(t, httpmodel.Config{URL: srv.URL, MaxBatch: 2})
	spans, err := c.Annotate(context.Background(), []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 3 || !reflect.DeepEqual(got, [][]string{{"a", "b"}, {"c"}}) {
		t.Fatalf("spans %v, requests %q", spans, got)
	}
}

func TestAnnotateErrors(t *testing.T) {
	texts := []string{"héllo", "x"}
	tests := []struct {
		name      string
		status    int
		body      string
		permanent bool
		bad       bool
		msg       string // substring of the error
		code      int
		requests  int // made before giving up
	}{
		{"server error", 500, "boom", false, false, "status 500: boom", 500, 4},
		{"unavailable", 503, "", false, false, "status 503", 503, 4},
		{"too many requests", 429, "", false, false, "status 429", 429, 1},
		{"request timeout", 408, "", false, false, "status 408", 408, 4},
		{"bad request", 400, "no", true, false, "status 400: no", 400, 1},
		{"not found", 404, "", true, false, "status 404", 404, 1},
		{"not json", 200, "<html>", true, true, "neither", 0, 1},
		{"broken json", 200, `{"results":[`, true, true, "decode", 0, 1},
		{"no results key", 200, `{"docs":[]}`, true, true, `without "results"`, 0, 1},
		{"too few results", 200, `{"results":[{"ents":[]}]}`, true, true, "1 results for 2 texts", 0, 1},
		{"too many results", 200, `[[],[],[]]`, true, true, "3 results for 2 texts", 0, 1},
		{"end past text", 200, `[[{"entity_group":"A","start":1,"end":6}],[]]`, true, true, "text 0: entity 0 [1,6) is out of range for a text of 5 characters", 0, 1},
		{"negative start", 200, `[{"ents":[]},{"ents":[{"start":-1,"end":1,"label":"A"}]}]`, true, true, "text 1: entity 0 [-1,1)", 0, 1},
		{"empty span", 200, `[{"ents":[{"start":2,"end":2,"label":"A"}]},{"ents":[]}]`, true, true, "text 0: entity 0 [2,2)", 0, 1},
		{"missing end", 200, `[{"ents":[{"start":2,"label":"A"}]},{"ents":[]}]`, true, true, "has no start or end", 0, 1},
		{"missing ents", 200, `[{"ents":[]},{}]`, true, true, `result 1 has no "ents"`, 0, 1},
		{"no label", 200, `[[{"start":0,"end":1}],[]]`, true, true, "has no label", 0, 1},
		{"bad score", 200, `[[{"entity_group":"A","start":0,"end":1,"score":1.5}],[]]`, true, true, "score 1.5", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]string
			c := newClient(t, httpmodel.Config{URL: server(t, tt.status, tt.body, &got).URL, Retry: testPolicy})
			httpmodel.SetClock(c, retrytest.NewClock())
			_, err := c.Annotate(context.Background(), texts)
			if err == nil {
				t.Fatal("no error")
			}
			if len(got) != tt.requests {
				t.Errorf("%d requests, want %d", len(got), tt.requests)
			}
			if got := retry.IsPermanent(err); got != tt.permanent {
				t.Errorf("retry.IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if got := errors.Is(err, retry.ErrBudgetExhausted); got == tt.permanent {
				t.Errorf("budget exhausted = %v, want %v (%v)", got, !tt.permanent, err)
			}
			if got := errors.Is(err, httpmodel.ErrPermanent); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if got := errors.Is(err, annotate.ErrBadResponse); got != tt.bad {
				t.Errorf("bad response = %v, want %v (%v)", got, tt.bad, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			var se *httpmodel.StatusError
			if errors.As(err, &se) != (tt.code != 0) || (se != nil && se.Code != tt.code) {
				t.Errorf("StatusError = %v, want code %d", se, tt.code)
			}
			if tt.code == 429 && se.RetryAfter != 7*time.Second {
				t.Errorf("RetryAfter = %v, want 7s", se.RetryAfter)
			}
			if ra, _ := retry.RetryAfterOf(err); tt.code == 429 && ra != 7*time.Second {
				t.Errorf("RetryAfterOf = %v, want 7s", ra)
			}
		})
	}
}

// testPolicy waits 100ms, 200ms and 400ms, then gives up: the next wait
// would reach the 1s budget. With a fake clock the waits are not real.
var testPolicy = retry.Policy{Initial: 100 * time.Millisecond, Max: time.Second, Jitter: retry.NoJitter, Budget: time.Second}

// reply is one scripted answer of the model server.
type reply struct {
	status     int
	retryAfter string // Retry-After header, if not empty
	body       string
}

// scripted starts a server giving the replies in order (the last one
// repeated) and counts the requests.
func scripted(tb testing.TB, replies ...reply) (*httptest.Server, *atomic.Int32) {
	tb.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		i := int(n.Add(1)) - 1
		rep := replies[min(i, len(replies)-1)]
		if rep.retryAfter != "" {
			w.Header().Set("Retry-After", rep.retryAfter)
		}
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
	}))
	tb.Cleanup(srv.Close)
	return srv, &n
}

func TestAnnotateRetries(t *testing.T) {
	const ok = `[{"ents":[{"start":0,"end":5,"label":"PERSON"}]}]`
	wantSpans := [][]annotate.Span{{{Start: 0, End: 5, Label: "PERSON", Score: 1}}}
	// the fake clock's instant, for an HTTP-date Retry-After 3s later
	date := retrytest.NewClock().Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		replies    []reply
		policy     retry.Policy
		requests   int32
		sleeps     []time.Duration
		errIs      []error // nil: success
		permanent  bool
		retryAfter time.Duration // hint RetryAfterOf must find in the error
	}{
		{name: "503 twice then 200", replies: []reply{{503, "", "busy"}, {503, "", "busy"}, {200, "", ok}}, policy: testPolicy,
			requests: 3, sleeps: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}},
		{name: "502 then 200 with the default policy", replies: []reply{{502, "", ""}, {200, "", ok}},
			requests: 2, sleeps: nil},
		{name: "429 with Retry-After 1 honoured", replies: []reply{{429, "1", ""}, {200, "", ok}}, policy: retry.Policy{Initial: 100 * time.Millisecond, Budget: 5 * time.Second},
			requests: 2, sleeps: []time.Duration{time.Second}},
		{name: "Retry-After as an HTTP date", replies: []reply{{503, date, ""}, {200, "", ok}}, policy: retry.Policy{Jitter: retry.NoJitter},
			requests: 2, sleeps: []time.Duration{3 * time.Second}},
		{name: "400 is not retried", replies: []reply{{400, "", "bad"}, {200, "", ok}}, policy: testPolicy,
			requests: 1, sleeps: []time.Duration{}, errIs: []error{httpmodel.ErrPermanent}, permanent: true},
		{name: "bad response is not retried", replies: []reply{{200, "", "[[],[]]"}, {200, "", ok}}, policy: testPolicy,
			requests: 1, sleeps: []time.Duration{}, errIs: []error{httpmodel.ErrPermanent, annotate.ErrBadResponse}, permanent: true},
		{name: "budget exhausted", replies: []reply{{503, "", ""}}, policy: testPolicy,
			requests: 4, sleeps: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond},
			errIs: []error{retry.ErrBudgetExhausted}},
		{name: "Retry-After beyond the cap", replies: []reply{{429, "120", ""}, {200, "", ok}}, policy: testPolicy,
			requests: 1, sleeps: []time.Duration{}, errIs: []error{retry.ErrBudgetExhausted}, retryAfter: 120 * time.Second},
		{name: "Retry-After kept when the budget runs out", replies: []reply{{503, "", ""}, {503, "2", ""}}, policy: testPolicy,
			requests: 2, sleeps: []time.Duration{100 * time.Millisecond}, errIs: []error{retry.ErrBudgetExhausted}, retryAfter: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := scripted(t, tt.replies...)
			c := newClient(t, httpmodel.Config{URL: srv.URL, Retry: tt.policy})
			clk := retrytest.NewClock()
			httpmodel.SetClock(c, clk)
			spans, err := c.Annotate(context.Background(), []string{"Alice"})
			if got := n.Load(); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			if tt.sleeps != nil && !reflect.DeepEqual(clk.Sleeps(), tt.sleeps) && !(len(tt.sleeps) == 0 && len(clk.Sleeps()) == 0) {
				t.Errorf("sleeps = %v, want %v", clk.Sleeps(), tt.sleeps)
			}
			if tt.errIs == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(spans, wantSpans) {
					t.Fatalf("spans = %v, want %v", spans, wantSpans)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, target := range tt.errIs {
				if !errors.Is(err, target) {
					t.Errorf("error %v does not wrap %v", err, target)
				}
			}
			if got := retry.IsPermanent(err); got != tt.permanent {
				t.Errorf("retry.IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if got, _ := retry.RetryAfterOf(err); got != tt.retryAfter {
				t.Errorf("RetryAfterOf = %v, want %v", got, tt.retryAfter)
			}
		})
	}
}

func TestAnnotateStopsWhenCanceled(t *testing.T) {
	t.Run("during the wait", func(t *testing.T) {
		srv, n := scripted(t, reply{503, "", ""}, reply{200, "", `[{"ents":[]}]`})
		c := newClient(t, httpmodel.Config{URL: srv.URL, Retry: testPolicy})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		clk := retrytest.NewClock()
		clk.OnSleep = func(time.Duration) { cancel() }
		httpmodel.SetClock(c, clk)
		_, err := c.Annotate(ctx, []string{"x"})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if got := n.Load(); got != 1 {
			t.Fatalf("%d requests, want 1", got)
		}
	})
	t.Run("before the first request", func(t *testing.T) {
		srv, n := scripted(t, reply{200, "", `[{"ents":[]}]`})
		c := newClient(t, httpmodel.Config{URL: srv.URL, Retry: testPolicy})
		httpmodel.SetClock(c, retrytest.NewClock())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Annotate(ctx, []string{"x"})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if got := n.Load(); got != 0 {
			t.Fatalf("%d requests, want 0", got)
		}
	})
}

func TestNewRejectsBadRetryPolicy(t *testing.T) {
	_, err := httpmodel.New(httpmodel.Config{URL: "http://model:8000", Retry: retry.Policy{Multiplier: 0.5}})
	if err == nil || !strings.Contains(err.Error(), "Multiplier") {
		t.Fatalf("err = %v", err)
	}
}

func TestAnnotateTimeoutIsTransient(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, httpmodel.Config{URL: srv.URL, Timeout: 50 * time.Millisecond, Retry: testPolicy})
	clk := retrytest.NewClock()
	httpmodel.SetClock(c, clk)
	_, err := c.Annotate(context.Background(), []string{"x"})
	if err == nil || errors.Is(err, httpmodel.ErrPermanent) || retry.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a transient deadline error", err)
	}
	if !errors.Is(err, retry.ErrBudgetExhausted) || len(clk.Sleeps()) != 3 {
		t.Fatalf("err = %v after %d waits, want the budget spent after 3", err, len(clk.Sleeps()))
	}
}

func TestAnnotateRedactsCredentials(t *testing.T) {
	srv := server(t, 500, "", nil)
	u := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1)
	c := newClient(t, httpmodel.Config{URL: u, Retry: testPolicy})
	httpmodel.SetClock(c, retrytest.NewClock())
	_, err := c.Annotate(context.Background(), []string{"x"})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "localhost:8000", "http://"} {
		if _, err := httpmodel.New(httpmodel.Config{URL: u}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	c := newClient(t, httpmodel.Config{URL: "http://model:8000/ner", Name: "spacy-en"})
	if c.Name() != "spacy-en" {
		t.Fatalf("Name = %q", c.Name())
	}
}

func BenchmarkAnnotate(b *testing.B) {
	texts := make([]string, 20)
	ents := make([]string, 20)
	for i := range texts {
		texts[i] = strings.Repeat("Tony Blair met Zoë Müller in London. ", 20)
		var parts []string
		for k := 0; k < 20; k++ {
			o := k * 37
			parts = append(parts, fmt.Sprintf(`{"entity_group":"PER","start":%d,"end":%d,"score":0.9},{"entity_group":"PER","start":%d,"end":%d,"score":0.9}`, o, o+10, o+15, o+25))
		}
		ents[i] = "[" + strings.Join(parts, ",") + "]"
	}
	body := "[" + strings.Join(ents, ",") + "]"
	c := newClient(b, httpmodel.Config{URL: server(b, 200, body, nil).URL})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Annotate(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
}
