package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/internal/config"
	"github.com/tagflow/tagflow/pkg/emulator"
)

func TestParseUsers(t *testing.T) {
	tests := []struct {
		in      string
		want    []userSpec
		wantErr string
	}{
		{"", nil, ""},
		{"bob:pw", []userSpec{{"bob", "pw", emulator.RoleAdmin}}, ""},
		{"bob:pw:curator, ann:x:reviewer", []userSpec{{"bob", "pw", emulator.RoleCurator}, {"ann", "x", emulator.RoleReviewer}}, ""},
		{"bob", nil, "users: entry 1: want name:password[:role]"},
		{"bob:topsecret:king", nil, `users: user bob: unknown role "king"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseUsers(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %v %v", got, err)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestRunServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	env := config.MapLookup(map[string]string{
		"TAGFLOW_LISTEN":               "127.0.0.1:0",
		"TAGTOG_USERNAME":              "demo",
		"TAGTOG_PASSWORD":              "demo-password",
		"TAGTOG_EMULATOR_ENTITY_TYPES": "PERSON,ORG",
		"TAGTOG_EMULATOR_ERROR_RATES":  "delete=1",
	})
	go func() { done <- run(ctx, []string{"-project", "p1"}, env, io.Discard, io.Discard, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	base := "http://" + addr
	if err := healthcheck(ctx, []string{base + "/healthz"}); err != nil {
		t.Fatal(err)
	}
	call := func(method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		req.SetBasicAuth("demo", "demo-password")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	q := url.Values{"owner": {"demo"}, "project": {"p1"}}.Encode()
	if code, body := call(http.MethodGet, "/-api/settings/v1/annotationsLegend?"+q); code != 200 || body != `{"e_1":"PERSON","e_2":"ORG"}` {
		t.Fatalf("legend %d %q", code, body)
	}
	if code, _ := call(http.MethodDelete, "/-api/documents/v1?search=*&"+q); code != 503 {
		t.Fatalf("delete with injected errors: %d", code)
	}
	if code, body := call(http.MethodPost, "/-api/documents/v1?output=null&text=hi&"+q); code != 200 || !strings.Contains(body, `"result":"created"`) {
		t.Fatalf("import %d %q", code, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	tests := []struct{ name, key, val string }{
		{"unit", "TAGFLOW_OFFSET_UNIT", "bytes"},
		{"error rates", "TAGTOG_EMULATOR_ERROR_RATES", "get=7"},
		{"webhook format", "TAGTOG_EMULATOR_WEBHOOK_FORMAT", "xml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := config.MapLookup(map[string]string{"TAGFLOW_LISTEN": "127.0.0.1:0", tc.key: tc.val, "TAGTOG_EMULATOR_WEBHOOK_URL": "http://127.0.0.1:1/"})
			if err := run(context.Background(), nil, env, io.Discard, io.Discard, nil); err == nil {
				t.Fatal("run accepted a bad configuration")
			}
		})
	}
}
