package tagtog

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// benchHTML is a plain.html of about 100 KiB, a long news article.
var benchHTML = strings.Replace(memoHTML, "Call +1 555 0100.",
	strings.Repeat("Jane Doe joined Acme &amp; Co in Berlin, said the company on Monday. ", 1500), 1)

func BenchmarkPlainHTML(b *testing.B) {
	srv := newTestServer(b, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.WriteString(w, benchHTML)
	})
	c := newTestClient(b, srv.URL, func(cfg *Config) { cfg.Metrics = NewMetrics(nil) })
	ctx := context.Background()
	b.SetBytes(int64(len(benchHTML)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.PlainHTML(ctx, memoRef); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPushAnndoc(b *testing.B) {
	report := pushReport(memoID)
	srv := newTestServer(b, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, report)
	})
	c := newTestClient(b, srv.URL, func(cfg *Config) { cfg.Metrics = NewMetrics(nil) })
	ctx := context.Background()
	html, ann := []byte(benchHTML), []byte(memoAnnJSON)
	b.SetBytes(int64(len(html) + len(ann)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.PushAnndoc(ctx, memoRef, html, ann); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPushAnndocParallel(b *testing.B) {
	report := pushReport(memoID)
	srv := newTestServer(b, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, report)
	})
	c := newTestClient(b, srv.URL, func(cfg *Config) { cfg.Metrics = NewMetrics(nil); cfg.Concurrency = 16 })
	html, ann := []byte(benchHTML), []byte(memoAnnJSON)
	b.SetBytes(int64(len(html) + len(ann)))
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.PushAnndoc(context.Background(), memoRef, html, ann); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkAnndocBody(b *testing.B) {
	html, ann := []byte(benchHTML), []byte(memoAnnJSON)
	b.SetBytes(int64(len(html) + len(ann)))
	b.ReportAllocs()
	for b.Loop() {
		anndocBody(oddID, html, ann)
	}
}
