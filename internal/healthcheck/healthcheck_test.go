package healthcheck

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMain_(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			_, _ = io.WriteString(w, "ok")
			return
		}
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"ready", []string{srv.URL + "/readyz"}, 0},
		{"503", []string{srv.URL + "/other"}, 1},
		{"unreachable", []string{"http://127.0.0.1:1/readyz"}, 1},
		{"no url", nil, 2},
		{"two urls", []string{"a", "b"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Main(context.Background(), tc.args, io.Discard); got != tc.want {
				t.Errorf("exit %d, want %d", got, tc.want)
			}
		})
	}
}
