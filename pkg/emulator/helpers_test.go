package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagflow/tagflow/pkg/emulator"
)

const (
	owner   = "acme"
	proj    = "ner-demo"
	botUser = "svc-bot"
	botPass = "s3cret"
)

// env is an emulator behind an httptest.Server with one API user and one project.
type env struct {
	srv *emulator.Server
	ts  *httptest.Server
}

func newEnv(tb testing.TB, cfg emulator.Config) *env {
	tb.Helper()
	s := emulator.New(cfg)
	s.AddUser(botUser, botPass, emulator.RoleSupercurator)
	s.AddUser("carol", "pw", emulator.RoleCurator)
	s.AddUser("rita", "pw", emulator.RoleReader)
	s.AddUser("admin", "pw", emulator.RoleAdmin)
	s.AddProject(owner, proj, []string{"PERSON", "ORG", "MONEY"}, []string{"Category"})
	ts := httptest.NewServer(s)
	tb.Cleanup(func() {
		ts.Close()
		_ = s.Close()
	})
	return &env{srv: s, ts: ts}
}

// url builds an API URL with owner and project plus the given key/value pairs.
func (e *env) url(path string, kv ...string) string {
	v := url.Values{"owner": {owner}, "project": {proj}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return e.ts.URL + path + "?" + v.Encode()
}

func (e *env) docURL(kv ...string) string { return e.url("/-api/documents/v1", kv...) }

type resp struct {
	code   int
	header http.Header
	body   string
}

// do sends a request as the bot user (auth=true) or without credentials.
func do(tb testing.TB, method, u string, body io.Reader, contentType string, auth bool) resp {
	tb.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth {
		req.SetBasicAuth(botUser, botPass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp{code: res.StatusCode, header: res.Header, body: string(b)}
}

func get(tb testing.TB, u string) resp {
	tb.Helper()
	return do(tb, http.MethodGet, u, nil, "", true)
}

func wantCode(tb testing.TB, r resp, code int) {
	tb.Helper()
	if r.code != code {
		tb.Fatalf("status %d, want %d; body %q", r.code, code, r.body)
	}
}

// postText imports text through the API (form-urlencoded) and returns the report.
func (e *env) postText(tb testing.TB, text string, kv ...string) report {
	tb.Helper()
	kv = append([]string{"output", "null"}, kv...)
	r := do(tb, http.MethodPost, e.docURL(kv...), strings.NewReader(url.Values{"text": {text}}.Encode()),
		"application/x-www-form-urlencoded", true)
	wantCode(tb, r, http.StatusOK)
	return decodeReport(tb, r.body)
}

type report struct {
	OK       int          `json:"ok"`
	Errors   int          `json:"errors"`
	Items    []reportItem `json:"items"`
	Warnings []string     `json:"warnings"`
}

type reportItem struct {
	OrigID                string   `json:"origid"`
	Names                 []string `json:"names"`
	Filenames             []string `json:"filenames"`
	RawInputSizeInBytes   int      `json:"rawInputSizeInBytes"`
	DocID                 string   `json:"docid"`
	TagtogID              string   `json:"tagtogID"`
	Result                string   `json:"result"`
	ParsedTextSizeInBytes int      `json:"parsedTextSizeInBytes"`
}

func decodeReport(tb testing.TB, body string) report {
	tb.Helper()
	var rep report
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		tb.Fatalf("decode report %q: %v", body, err)
	}
	return rep
}

// filePart is one multipart file: the field name and file name are both name,
// as python-requests sends files=[(name, data)].
type filePart struct {
	name string
	data []byte
}

func multipartBody(tb testing.TB, parts ...filePart) (io.Reader, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		fw, err := mw.CreateFormFile(p.name, p.name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := fw.Write(p.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// push sends files with format and output=null plus kv.
func (e *env) push(tb testing.TB, format string, parts []filePart, kv ...string) resp {
	tb.Helper()
	body, ct := multipartBody(tb, parts...)
	kv = append([]string{"output", "null", "format", format}, kv...)
	return do(tb, http.MethodPost, e.docURL(kv...), body, ct, true)
}

// waitWebhooks polls until no delivery is pending and want events were
// queued, and returns the stats.
func waitWebhooks(tb testing.TB, s *emulator.Server, fired int) emulator.WebhookStats {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.Stats().Webhooks
		if st.Pending == 0 && st.Fired >= fired {
			return st
		}
		if time.Now().After(deadline) {
			tb.Fatalf("webhooks not delivered: %+v, want %d fired", st, fired)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// hookReq is one request received by a webhook receiver.
type hookReq struct {
	Method, ContentType, Source, Status, Auth string
	Body                                      string
}

// receiver is an httptest webhook endpoint recording requests.
type receiver struct {
	ts   *httptest.Server
	mu   sync.Mutex
	reqs []hookReq
	code int
}

func newReceiver(tb testing.TB, code int) *receiver {
	tb.Helper()
	rc := &receiver{code: code}
	rc.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, hookReq{
			Method: r.Method, ContentType: r.Header.Get("Content-Type"),
			Source: r.Header.Get("X-tagtog-onPushSave-source"), Status: r.Header.Get("X-tagtog-onPushSave-status"),
			Auth: r.Header.Get("Authorization"), Body: string(b),
		})
		rc.mu.Unlock()
		w.WriteHeader(rc.code)
	}))
	tb.Cleanup(rc.ts.Close)
	return rc
}

func (rc *receiver) requests() []hookReq {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookReq(nil), rc.reqs...)
}
