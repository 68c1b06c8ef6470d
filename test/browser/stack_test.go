package browser

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tagflow/tagflow/internal/stacktest"
)

const owner, project = stacktest.Owner, stacktest.Project

// stack is the whole main job in one process (internal/stacktest) with a
// recorder of every webhook ingest answered.
type stack struct {
	*stacktest.Stack
	hooks *hookRecorder
}

func startStack(tb testing.TB) *stack {
	tb.Helper()
	rec := &hookRecorder{}
	st := stacktest.Start(tb, stacktest.Options{Concurrency: 2, WrapIngest: func(h http.Handler) http.Handler {
		rec.next = h
		return rec
	}})
	return &stack{Stack: st, hooks: rec}
}

// hookRecorder notes every webhook the ingest handler answered: its status
// and source headers, the document id and the handler's HTTP status.
type hookRecorder struct {
	next http.Handler

	mu   sync.Mutex
	seen []string
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var p struct {
		DocID string `json:"docid"`
	}
	_ = json.Unmarshal(body, &p)
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	h.next.ServeHTTP(sw, r)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, strings.Join([]string{
		r.Header.Get("X-tagtog-onPushSave-status"), r.Header.Get("X-tagtog-onPushSave-source"), p.DocID, http.StatusText(sw.code),
	}, " "))
}

// deliveries returns the recorded webhooks, sorted: the emulator delivers
// with several workers, so their order is not fixed.
func (h *hookRecorder) deliveries() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := append([]string(nil), h.seen...)
	sort.Strings(out)
	return out
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}
