package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/internal/natstest"
)

// startIngest starts an ingest server on a random port and stops it when the
// test ends; it returns the app and a function that stops it and returns
// serve's error.
func startIngest(tb testing.TB, natsURL string, args []string, env map[string]string) (*app, func() error) {
	tb.Helper()
	args = append([]string{"-listen", "127.0.0.1:0", "-nats-url", natsURL, "-log-format", "text", "-log-level", "error"}, args...)
	o, err := parse(args, config.MapLookup(env), io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := start(ctx, o, io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(sctx) }()
	var result error
	stopped := false
	stopFn := func() error {
		if !stopped {
			stopped = true
			stop()
			result = <-done
		}
		return result
	}
	tb.Cleanup(func() { _ = stopFn() })
	return a, stopFn
}

func post(tb testing.TB, url, body string, user, pass string) (*http.Response, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-tagtog-onPushSave-status", "created")
	req.Header.Set("X-tagtog-onPushSave-source", "GUI")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const okBody = `{"owner":"acme","project":"ner-demo","tagtogID":"aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt"}`

func TestIngest(t *testing.T) {
	ns := natstest.Start(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("wh-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, stop := startIngest(t, ns.ClientURL(), []string{"-publish-timeout", "500ms"}, map[string]string{
		"TAGFLOW_WEBHOOK_USER":          "tagtog-hook",
		"TAGFLOW_WEBHOOK_PASSWORD_FILE": pwFile,
		"TAGFLOW_ALLOW":                 "acme/ner-demo, acme/other",
	})
	base := "http://" + a.addr()

	for _, path := range []string{"/webhook", "/"} {
		resp, body := post(t, base+path, okBody, "tagtog-hook", "wh-s3cret")
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %s = %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, body := post(t, base+"/webhook", okBody, "tagtog-hook", "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad password = %d %s", resp.StatusCode, body)
	}
	if code, body := get(t, base+"/webhook"); code != http.StatusMethodNotAllowed {
		t.Fatalf("GET /webhook = %d %s", code, body)
	}
	if code, body := get(t, base+"/healthz"); code != 200 || body != `{"status":"ok"}`+"\n" {
		t.Fatalf("/healthz = %d %s", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || body != `{"status":"ready"}`+"\n" {
		t.Fatalf("/readyz = %d %s", code, body)
	}
	if code, body := get(t, base+"/nope"); code != 404 || body != `{"error":"not found"}`+"\n" {
		t.Fatalf("/nope = %d %s", code, body)
	}
	code, body := get(t, base+"/metrics")
	for _, want := range []string{
		`tagflow_webhooks_total{code="202",source="GUI",status="created"} 2`,
		`tagflow_webhooks_total{code="401",source="GUI",status="created"} 1`,
		`tagflow_dlq_messages 0`,
		`go_goroutines`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q", code, want)
		}
	}
	if strings.Contains(body, "wh-s3cret") {
		t.Error("/metrics shows the password")
	}

	ns.Shutdown()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := get(t, base+"/readyz")
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d with NATS down", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp, body := post(t, base+"/webhook", okBody, "tagtog-hook", "wh-s3cret"); resp.StatusCode != http.StatusServiceUnavailable ||
		resp.Header.Get("Retry-After") == "" {
		t.Fatalf("with NATS down = %d %s", resp.StatusCode, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

func TestSlowHeaderClientIsCutOff(t *testing.T) {
	ns := natstest.Start(t)
	a, _ := startIngest(t, ns.ClientURL(), []string{"-read-header-timeout", "200ms"}, nil)
	conn, err := net.Dial("tcp", a.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Half a request header, then nothing.
	if _, err := io.WriteString(conn, "POST /webhook HTTP/1.1\r\nHost: ingest\r\nX-tagtog-onPush"); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = bufio.NewReader(conn).ReadByte()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("server kept a slow-header connection open for 10s")
	}
	if err == nil {
		// Some Go versions answer 408 before closing; either way the connection ends.
		if _, err := io.ReadAll(conn); err != nil && !errors.Is(err, io.EOF) {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("connection not closed")
			}
		}
	}
}

func TestTwoServersInOneProcess(t *testing.T) {
	ns := natstest.Start(t)
	a1, _ := startIngest(t, ns.ClientURL(), nil, nil)
	a2, _ := startIngest(t, ns.ClientURL(), []string{"-metrics-listen", "127.0.0.1:0"}, nil)
	for _, a := range []*app{a1, a2} {
		if resp, body := post(t, "http://"+a.addr()+"/webhook", okBody, "", ""); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: %d %s", a.addr(), resp.StatusCode, body)
		}
	}
	// The second serves /metrics on its own listener only.
	if code, _ := get(t, "http://"+a2.addr()+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the main listener = %d, want 404", code)
	}
	code, body := get(t, "http://"+a2.metricsAddr()+"/metrics")
	if code != 200 || !strings.Contains(body, `tagflow_webhooks_total{code="202",source="GUI",status="created"} 1`) {
		t.Errorf("separate /metrics = %d, lacks the webhook count", code)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		err  string
	}{
		{name: "defaults"},
		{name: "env", env: map[string]string{"TAGFLOW_MAX_BODY": "2MiB", "TAGFLOW_STREAM_REPLICAS": "3", "TAGFLOW_LOG_FORMAT": "text"}},
		{name: "bad size", env: map[string]string{"TAGFLOW_MAX_BODY": "lots"}, err: `config: TAGFLOW_MAX_BODY="lots": size "lots": want a number of bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB)`},
		{name: "bad replicas", args: []string{"-stream-replicas", "9"}, err: "queue: invalid config: Replicas 9: want 1 to 5"},
		{name: "bad log level", args: []string{"-log-level", "loud"}, err: `-log-level "loud": want debug, info, warn or error`},
		{name: "bad log format", args: []string{"-log-format", "xml"}, err: `-log-format "xml": want json or text`},
		{name: "zero body", args: []string{"-max-body", "0"}, err: "-max-body 0: want > 0"},
		{name: "stray args", args: []string{"x"}, err: `unexpected arguments ["x"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parse(tt.args, config.MapLookup(tt.env), io.Discard)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "env" && (o.maxBody != 2<<20 || o.queue.Replicas != 3 || o.logFormat != "text") {
				t.Errorf("options = %+v", o)
			}
			if tt.name == "defaults" && (o.natsURL != "nats://127.0.0.1:4222" || o.listen != ":8080" || o.maxBody != 1<<20 ||
				o.queue.Stream != "TAGTOG" || o.readHeaderTimeout != 5*time.Second) {
				t.Errorf("options = %+v", o)
			}
		})
	}
}
