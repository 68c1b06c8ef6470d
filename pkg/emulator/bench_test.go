package emulator_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/tagflow/tagflow/pkg/emulator"
)

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

func benchDo(b *testing.B, c *http.Client, req *http.Request) {
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("status %d", res.StatusCode)
	}
}

// BenchmarkGetPlainHTML measures concurrent GETs of plain.html from a project
// of 2,000 documents over HTTP.
func BenchmarkGetPlainHTML(b *testing.B) {
	e := newEnv(b, emulator.Config{})
	const n = 2000
	ids := make([]string, n)
	for i := range ids {
		id, err := e.srv.ImportText(owner, proj, "d"+strconv.Itoa(i), memoText+" "+strconv.Itoa(i), emulator.SourceAPI)
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	urls := make([]string, n)
	for i, id := range ids {
		urls[i] = e.docURL("ids", id, "output", "plain.html")
	}
	c := benchClient()
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, urls[next.Add(1)%n], nil)
			req.SetBasicAuth(botUser, botPass)
			benchDo(b, c, req)
		}
	})
}

// BenchmarkPushAnndoc measures concurrent anndoc pushes (multipart parse,
// plain.html parse, offset check, store) to 64 documents.
func BenchmarkPushAnndoc(b *testing.B) {
	e := newEnv(b, emulator.Config{})
	const n = 64
	type pushReq struct {
		url, ct string
		body    []byte
	}
	reqs := make([]pushReq, n)
	for i := range reqs {
		id, err := e.srv.ImportText(owner, proj, "memo", memoText, emulator.SourceAPI)
		if err != nil {
			b.Fatal(err)
		}
		html := []byte(get(b, e.docURL("ids", id, "output", "plain.html")).body)
		body, ct := multipartBody(b, filePart{id + ".plain.html", html}, filePart{id + ".ann.json", []byte(memoAnn)})
		raw, _ := io.ReadAll(body)
		reqs[i] = pushReq{url: e.docURL("output", "null", "format", "anndoc"), ct: ct, body: raw}
	}
	c := benchClient()
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := reqs[next.Add(1)%n]
			req, _ := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(r.body))
			req.Header.Set("Content-Type", r.ct)
			req.SetBasicAuth(botUser, botPass)
			benchDo(b, c, req)
		}
	})
	b.StopTimer()
	if st := e.srv.Stats(); st.Pushes != b.N || st.PushesCreated != 0 {
		b.Fatalf("stats %+v after %d pushes", st, b.N)
	}
}
