package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tagflow/tagflow/internal/natstest"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/webhook"
)

var now = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

type fixture struct {
	srv *natstest.Server
	q   *queue.Client
	h   *webhook.Handler
	reg *prometheus.Registry
}

func setup(tb testing.TB, mod func(*webhook.Config), opts ...natstest.Option) *fixture {
	tb.Helper()
	srv := natstest.Start(tb, opts...)
	q, err := queue.New(srv.Connect(tb), queue.Config{PublishTimeout: 500 * time.Millisecond}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.EnsureStreams(ctx); err != nil {
		tb.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	cfg := webhook.Config{
		Publisher: queue.NewPublisher(q),
		Now:       func() time.Time { return now },
		Logger:    slog.New(slog.DiscardHandler),
		Metrics:   webhook.NewMetrics(reg),
	}
	if mod != nil {
		mod(&cfg)
	}
	h, err := webhook.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{srv: srv, q: q, h: h, reg: reg}
}

type req struct {
	method, body   string
	status, source string
	user, pass     string
	auth           bool
}

func (f *fixture) do(tb testing.TB, r req) *httptest.ResponseRecorder {
	tb.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	hr := httptest.NewRequest(r.method, "/webhook", strings.NewReader(r.body))
	hr.Header.Set("Content-Type", "application/json")
	if r.status != "" {
		hr.Header.Set(webhook.HeaderStatus, r.status)
	}
	if r.source != "" {
		hr.Header.Set(webhook.HeaderSource, r.source)
	}
	if r.auth {
		hr.SetBasicAuth(r.user, r.pass)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, hr)
	return rec
}

func (f *fixture) streamMsgs(tb testing.TB) uint64 {
	tb.Helper()
	st, err := f.q.Status(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return st.Stream.Msgs
}

const okBody = `{"owner":"acme","project":"ner-demo","tagtogID":"aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt"}`

var eventIDRe = regexp.MustCompile(`^\{"event_id":"[0-9a-f]{32}","duplicate":(true|false)\}\n$`)

func TestStatusCodes(t *testing.T) {
	withAuth := func(c *webhook.Config) { c.Username, c.Password = "tagtog-hook", "wh-s3cret" }
	tests := []struct {
		name    string
		mod     func(*webhook.Config)
		req     req
		code    int
		body    string // exact; "" means a 202 body checked by pattern
		headers map[string]string
		stored  uint64
	}{
		{name: "created", req: req{body: okBody, status: "created", source: "GUI"}, code: 202, stored: 1},
		{name: "no status header means created", req: req{body: okBody}, code: 202, stored: 1},
		{name: "docid and member", req: req{body: `{"owner":"acme","project":"p","docid":"d1","member":"alice"}`}, code: 202, stored: 1},
		{name: "auth ok", mod: withAuth, req: req{body: okBody, auth: true, user: "tagtog-hook", pass: "wh-s3cret"}, code: 202, stored: 1},
		{
			name: "get", req: req{method: "GET"}, code: 405,
			body:    `{"error":"method GET not allowed: tagtog webhooks use POST"}`,
			headers: map[string]string{"Allow": "POST"},
		},
		{
			name: "put", req: req{method: "PUT", body: okBody}, code: 405,
			body:    `{"error":"method PUT not allowed: tagtog webhooks use POST"}`,
			headers: map[string]string{"Allow": "POST"},
		},
		{
			name: "auth missing", mod: withAuth, req: req{body: okBody}, code: 401,
			body:    `{"error":"missing Basic credentials"}`,
			headers: map[string]string{"WWW-Authenticate": `Basic realm="tagflow", charset="UTF-8"`},
		},
		{
			name: "auth bad password", mod: withAuth, req: req{body: okBody, auth: true, user: "tagtog-hook", pass: "nope"}, code: 401,
			body:    `{"error":"bad credentials"}`,
			headers: map[string]string{"WWW-Authenticate": `Basic realm="tagflow", charset="UTF-8"`},
		},
		{
			name: "auth bad user", mod: withAuth, req: req{body: okBody, auth: true, user: "x", pass: "wh-s3cret"}, code: 401,
			body: `{"error":"bad credentials"}`,
		},
		{
			name: "unknown status", req: req{body: okBody, status: "deleted"}, code: 400,
			body: `{"error":"unknown X-tagtog-onPushSave-status \"deleted\": want created or updated"}`,
		},
		{
			name: "unknown source", req: req{body: okBody, source: "CLI"}, code: 400,
			body: `{"error":"unknown X-tagtog-onPushSave-source \"CLI\": want GUI or API"}`,
		},
		{
			name: "malformed json", req: req{body: `{"owner":"acme",`}, code: 400,
			body: `{"error":"bad webhook payload: malformed JSON: unexpected EOF"}`,
		},
		{
			name: "bare id (pre-2018 format)", req: req{body: `aQm3xT0bV1.memo.txt`}, code: 400,
			body: `{"error":"bad webhook payload: body is not a JSON object: want {\"owner\":…,\"project\":…,\"tagtogID\":…}"}`,
		},
		{
			name: "empty body", req: req{body: ``}, code: 400,
			body: `{"error":"bad webhook payload: empty body: want {\"owner\":…,\"project\":…,\"tagtogID\":…}"}`,
		},
		{
			name: "missing fields", req: req{body: `{"owner":"acme"}`}, code: 400,
			body: `{"error":"bad webhook payload: missing project, tagtogID (or docid)"}`,
		},
		{
			name: "number id", req: req{body: `{"owner":"acme","project":"p","tagtogID":5}`}, code: 400,
			body: `{"error":"bad webhook payload: tagtogID must be a string"}`,
		},
		{
			name: "control characters", req: req{body: `{"owner":"ac\nme","project":"p","tagtogID":"d"}`}, code: 400,
			body: `{"error":"invalid event: owner contains control characters"}`,
		},
		{
			name: "ann.json format", req: req{body: `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[],"relations":[]}`}, code: 422,
			body: `{"error":"this endpoint needs the tagtogID webhook format: in tagtog's project Settings › Webhooks choose Format tagtogID"}`,
		},
		{
			name: "not allowed", mod: func(c *webhook.Config) { c.Allow = []string{"acme/other", "beta/ner-demo"} },
			req: req{body: okBody}, code: 403,
			body: `{"error":"project acme/ner-demo is not allowed here"}`,
		},
		{
			name: "allowed", mod: func(c *webhook.Config) { c.Allow = []string{"acme/ner-demo"} },
			req: req{body: okBody}, code: 202, stored: 1,
		},
		{
			name: "body over limit", mod: func(c *webhook.Config) { c.MaxBody = 10 },
			req: req{body: okBody}, code: 413,
			body: `{"error":"body of 88 bytes is over the limit of 10 bytes"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, tt.mod)
			rec := f.do(t, tt.req)
			if rec.Code != tt.code {
				t.Fatalf("code = %d, want %d (body %s)", rec.Code, tt.code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tt.body == "" {
				if !eventIDRe.MatchString(rec.Body.String()) {
					t.Errorf("body = %q", rec.Body)
				}
			} else if got := rec.Body.String(); got != tt.body+"\n" {
				t.Errorf("body = %s, want %s", got, tt.body)
			}
			for k, v := range tt.headers {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if got := f.streamMsgs(t); got != tt.stored {
				t.Errorf("stream msgs = %d, want %d", got, tt.stored)
			}
		})
	}
}

func decodeAccepted(tb testing.TB, rec *httptest.ResponseRecorder) (id string, dup bool) {
	tb.Helper()
	if rec.Code != http.StatusAccepted {
		tb.Fatalf("code = %d (%s)", rec.Code, rec.Body)
	}
	var b struct {
		EventID   string `json:"event_id"`
		Duplicate bool   `json:"duplicate"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		tb.Fatal(err)
	}
	return b.EventID, b.Duplicate
}

func TestDuplicatesAndStoredEnvelope(t *testing.T) {
	f := setup(t, nil)
	id1, dup := decodeAccepted(t, f.do(t, req{body: okBody, status: "created", source: "GUI"}))
	if dup {
		t.Fatal("first delivery reported duplicate")
	}
	_, dup = decodeAccepted(t, f.do(t, req{body: okBody, status: "created", source: "GUI"}))
	if !dup {
		t.Fatal("second delivery of the same import not reported duplicate")
	}
	if got := f.streamMsgs(t); got != 1 {
		t.Fatalf("stream msgs after the same webhook twice = %d, want 1", got)
	}
	_, dup = decodeAccepted(t, f.do(t, req{body: okBody, status: "updated", source: "GUI"}))
	if dup {
		t.Fatal("updated reported duplicate")
	}
	if got := f.streamMsgs(t); got != 2 {
		t.Fatalf("stream msgs after created+updated = %d, want 2", got)
	}

	// The stored envelope carries the real values and the headers.
	js, err := jetstream.New(f.srv.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), "TAGTOG")
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	env, err := event.Unmarshal(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	want := event.Envelope{V: 1, ID: id1, ReceivedAt: now, Owner: "acme", Project: "ner-demo",
		DocID: "aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt", Member: "master", Source: "GUI", Status: "created", Format: "tagtogID"}
	if env != want {
		t.Errorf("stored envelope:\n got %+v\nwant %+v", env, want)
	}
	if m.Subject != "tagtog.events.created.acme.ner-demo" {
		t.Errorf("subject = %s", m.Subject)
	}
}

func TestUnavailableWhenNATSStopped(t *testing.T) {
	f := setup(t, nil)
	f.srv.Shutdown()
	rec := f.do(t, req{body: okBody})
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("code = %d (%s)", rec.Code, rec.Body)
	}
	if got := rec.Body.String(); got != `{"error":"event not stored, try again later"}`+"\n" {
		t.Errorf("body = %s", got)
	}
	if got := rec.Header().Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After = %q, want 5", got)
	}
}

func TestEventTooLargeForQueue(t *testing.T) {
	f := setup(t, nil, natstest.MaxPayload(600))
	rec := f.do(t, req{body: `{"owner":"acme","project":"p","tagtogID":"` + strings.Repeat("d", 500) + `"}`})
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("code = %d (%s)", rec.Code, rec.Body)
	}
	if !strings.HasPrefix(rec.Body.String(), `{"error":"event too large for the queue: queue: message too large: `) {
		t.Errorf("body = %s", rec.Body)
	}
}

// zeros is an endless-ish body that counts the bytes read from it.
type zeros struct {
	left int64
	read atomic.Int64
}

func (z *zeros) Read(p []byte) (int, error) {
	if z.left == 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > z.left {
		n = z.left
	}
	clear(p[:n])
	z.left -= n
	z.read.Add(n)
	return int(n), nil
}

func TestHugeBodyIsNotRead(t *testing.T) {
	const size = 50 << 20
	f := setup(t, nil)
	for _, tt := range []struct {
		name          string
		contentLength int64
		maxRead       int64
	}{
		{"with Content-Length", size, 0},
		{"chunked", -1, 1<<20 + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := &zeros{left: size}
			r := httptest.NewRequest(http.MethodPost, "/webhook", body)
			r.ContentLength = tt.contentLength
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, r)
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("code = %d (%s)", rec.Code, rec.Body)
			}
			if got := body.read.Load(); got > tt.maxRead {
				t.Fatalf("read %d bytes of a %d-byte body, want at most %d", got, size, tt.maxRead)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	f := setup(t, nil)
	f.do(t, req{body: okBody, status: "created", source: "GUI"})
	f.do(t, req{body: okBody, status: "created", source: "GUI"})
	f.do(t, req{body: okBody, status: "updated", source: "API"})
	f.do(t, req{body: okBody, status: "weird", source: "x"})
	f.do(t, req{body: `{"entities":[]}`})
	want := `
# HELP tagflow_webhooks_total Webhook deliveries by response code, tagtog status header and source header.
# TYPE tagflow_webhooks_total counter
tagflow_webhooks_total{code="202",source="API",status="updated"} 1
tagflow_webhooks_total{code="202",source="GUI",status="created"} 2
tagflow_webhooks_total{code="400",source="other",status="other"} 1
tagflow_webhooks_total{code="422",source="none",status="created"} 1
`
	if err := testutil.GatherAndCompare(f.reg, strings.NewReader(want), "tagflow_webhooks_total"); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(f.reg, "tagflow_webhook_ack_seconds"); err != nil || n != 1 {
		t.Fatalf("ack histogram series = %d, %v", n, err)
	}
	if probs, err := testutil.GatherAndLint(f.reg); err != nil || len(probs) != 0 {
		t.Fatalf("lint: %v %+v", err, probs)
	}
}

func TestNewErrors(t *testing.T) {
	pub := publisherFunc(func(context.Context, event.Envelope) (bool, error) { return false, nil })
	tests := []struct {
		name string
		cfg  webhook.Config
	}{
		{"no publisher", webhook.Config{}},
		{"negative body", webhook.Config{Publisher: pub, MaxBody: -1}},
		{"bad allow", webhook.Config{Publisher: pub, Allow: []string{"acme"}}},
		{"allow with two slashes", webhook.Config{Publisher: pub, Allow: []string{"a/b/c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := webhook.New(tt.cfg); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
}

type publisherFunc func(context.Context, event.Envelope) (bool, error)

func (f publisherFunc) Publish(ctx context.Context, e event.Envelope) (bool, error) { return f(ctx, e) }

func TestPublisherInvalidIsBadRequest(t *testing.T) {
	h, err := webhook.New(webhook.Config{Publisher: publisherFunc(func(context.Context, event.Envelope) (bool, error) {
		return false, errors.Join(errors.New("queue: publish"), event.ErrInvalid)
	})})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(okBody)))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("code = %d", rec.Code)
	}
}

// TestLongNamesKeepTheConnection: the longest owner and project a webhook may
// carry, escaped into subject tokens, once made a subject above NATS's
// control-line limit, and NATS closed the connection for good. They are
// stored, and the next webhook is stored too.
func TestLongNamesKeepTheConnection(t *testing.T) {
	f := setup(t, nil)
	long := `{"owner":"` + strings.Repeat(".", event.MaxFieldLen) + `","project":"` + strings.Repeat("*", event.MaxFieldLen) + `","tagtogID":"doc-1"}`
	for i, body := range []string{long, okBody} {
		if rec := f.do(t, req{body: body}); rec.Code != http.StatusAccepted {
			t.Fatalf("webhook %d: code %d (%s), want 202", i, rec.Code, rec.Body)
		}
	}
	if n := f.streamMsgs(t); n != 2 {
		t.Fatalf("stream holds %d events, want 2", n)
	}
}
