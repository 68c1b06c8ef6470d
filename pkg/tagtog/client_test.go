package tagtog

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/retry"
)

const memoHTML = `<!DOCTYPE html >
<html id="aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt" data-origid="memo.txt" class="anndoc" data-anndoc-version="3.6" lang="" xml:lang="" xmlns="http://www.w3.org/1999/xhtml">
  <head>
    <meta charset="UTF-8"/>
    <title>aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt</title>
  </head>
  <body>
    <article>
      <section data-type="">
        <div class="content">
          <pre id="s1v1">Jane Doe joined Acme &amp; Co in Berlin.
Call +1 555 0100.</pre>
        </div>
      </section>
    </article>
  </body>
</html>
`

const memoAnnJSON = `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[{"classId":"e_1","part":"s1v1","offsets":[{"start":0,"text":"Jane Doe"}],"confidence":{"state":"pre-added","who":["ml:my-ner-v1"],"prob":0.97},"fields":{},"normalizations":{}}],"relations":[]}`

// pushReport is tagtog's answer to a push of id that it applied.
func pushReport(id string) string {
	return `{"ok":1,"errors":0,"items":[{"origid":"memo.txt","names":["` + id + `.ann.json","` + id + `.plain.html"],` +
		`"filenames":["` + id + `.ann.json","` + id + `.plain.html"],"rawInputSizeInBytes":1087,` +
		`"docid":"` + id + `","tagtogID":"` + id + `","result":"updated","parsedTextSizeInBytes":54}],"warnings":[]}`
}

// capture records what the server received.
type capture struct {
	method, path, rawQuery, auth, contentType string
	query                                     url.Values
	body                                      []byte
}

func record(r *http.Request) capture {
	b, _ := io.ReadAll(r.Body)
	return capture{method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, auth: r.Header.Get("Authorization"),
		contentType: r.Header.Get("Content-Type"), query: r.URL.Query(), body: b}
}

func TestGetDocumentRequests(t *testing.T) {
	tests := []struct {
		name      string
		ref       DocRef
		get       func(*Client, context.Context, DocRef) ([]byte, error)
		wantQuery string
		wantIDs   string
	}{
		{"plain.html", DocRef{"acme", "ner-demo", memoID, ""}, (*Client).PlainHTML,
			"owner=acme&project=ner-demo&ids=aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt&output=plain.html", memoID},
		{"ann.json of master by name", DocRef{"acme", "ner-demo", memoID, "master"}, (*Client).AnnJSON,
			"owner=acme&project=ner-demo&ids=aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt&output=ann.json", memoID},
		{"ann.json of a member", DocRef{"acme", "ner-demo", memoID, "alice"}, (*Client).AnnJSON,
			"owner=acme&project=ner-demo&ids=aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt&output=ann.json&member=alice", memoID},
		{"id with quote, backslash, hash, space, umlaut, emoji", DocRef{"acme co", "ner/demo", oddID, ""}, (*Client).PlainHTML,
			"owner=acme%20co&project=ner%2Fdemo&ids=aQm3xT0bV1.kLp9sR_2wYz7uHcE4-my%20%22odd%22%20doc%5C%20%231%20%C3%BC%20%F0%9F%98%80.txt&output=plain.html", oddID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got capture
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				got = record(r)
				_, _ = io.WriteString(w, memoHTML)
			})
			c := newTestClient(t, srv.URL)
			body, err := tt.get(c.Client, context.Background(), tt.ref)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if string(body) != memoHTML {
				t.Fatalf("body = %q, want the exact bytes served", body)
			}
			if srv.count() != 1 || got.method != http.MethodGet || got.path != "/tagtog/-api/documents/v1" ||
				got.rawQuery != tt.wantQuery || got.auth != testAuth || len(got.body) != 0 {
				t.Fatalf("request = %d× %s %s?%s auth %q body %q; want 1× GET /tagtog/-api/documents/v1?%s auth %q",
					srv.count(), got.method, got.path, got.rawQuery, got.auth, got.body, tt.wantQuery, testAuth)
			}
			if ids := got.query.Get("ids"); ids != tt.wantIDs {
				t.Fatalf("server decoded ids = %q, want %q", ids, tt.wantIDs)
			}
		})
	}
}

func TestLegend(t *testing.T) {
	var got capture
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		got = record(r)
		_, _ = io.WriteString(w, `{"e_1":"PERSON","e_2":"ORG","m_1":"Category"}`)
	})
	c := newTestClient(t, srv.URL)
	legend, err := c.Legend(context.Background(), "acme", "ner-demo")
	if err != nil {
		t.Fatalf("Legend: %v", err)
	}
	if got.method != http.MethodGet || got.path != "/tagtog/-api/settings/v1/annotationsLegend" ||
		got.rawQuery != "owner=acme&project=ner-demo" || got.auth != testAuth {
		t.Fatalf("request = %s %s?%s auth %q", got.method, got.path, got.rawQuery, got.auth)
	}
	if len(legend) != 3 || legend["e_1"] != "PERSON" || legend["e_2"] != "ORG" || legend["m_1"] != "Category" {
		t.Fatalf("legend = %v", legend)
	}
}

func TestLegendUndecodableIsPermanent(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.WriteString(w, `<html>login</html>`)
	})
	c := newTestClient(t, srv.URL)
	_, err := c.Legend(context.Background(), "acme", "ner-demo")
	if !errors.Is(err, ErrBadResponse) || !retry.IsPermanent(err) || srv.count() != 1 {
		t.Fatalf("err = %v after %d calls; want a permanent ErrBadResponse after 1", err, srv.count())
	}
}

// part is one multipart part as received.
type part struct {
	disposition, contentType, formName, fileName, body string
}

func readParts(tb testing.TB, c capture) []part {
	tb.Helper()
	mt, params, err := mime.ParseMediaType(c.contentType)
	if err != nil || mt != "multipart/form-data" {
		tb.Fatalf("Content-Type = %q (%v), want multipart/form-data", c.contentType, err)
	}
	mr := multipart.NewReader(strings.NewReader(string(c.body)), params["boundary"])
	var parts []part
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			tb.Fatalf("multipart: %v", err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			tb.Fatalf("multipart part: %v", err)
		}
		parts = append(parts, part{disposition: p.Header.Get("Content-Disposition"), contentType: p.Header.Get("Content-Type"),
			formName: p.FormName(), fileName: p.FileName(), body: string(b)})
	}
}

func TestPushAnndocRequest(t *testing.T) {
	var got capture
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		got = record(r)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, pushReport(memoID))
	})
	c := newTestClient(t, srv.URL)
	res, err := c.PushAnndoc(context.Background(), DocRef{"acme", "ner-demo", memoID, ""}, []byte(memoHTML), []byte(memoAnnJSON))
	if err != nil {
		t.Fatalf("PushAnndoc: %v", err)
	}
	if srv.count() != 1 || got.method != http.MethodPost || got.path != "/tagtog/-api/documents/v1" ||
		got.rawQuery != "owner=acme&project=ner-demo&output=null&format=anndoc" || got.auth != testAuth {
		t.Fatalf("request = %d× %s %s?%s auth %q", srv.count(), got.method, got.path, got.rawQuery, got.auth)
	}
	parts := readParts(t, got)
	want := []part{
		{`form-data; name="` + memoID + `.plain.html"; filename="` + memoID + `.plain.html"`, "", memoID + ".plain.html", memoID + ".plain.html", memoHTML},
		{`form-data; name="` + memoID + `.ann.json"; filename="` + memoID + `.ann.json"`, "", memoID + ".ann.json", memoID + ".ann.json", memoAnnJSON},
	}
	if len(parts) != len(want) {
		t.Fatalf("got %d parts, want %d", len(parts), len(want))
	}
	for i := range want {
		if parts[i] != want[i] {
			t.Errorf("part %d = %+v\nwant %+v", i, parts[i], want[i])
		}
	}
	if res.OK != 1 || res.Errors != 0 || len(res.Items) != 1 || res.Items[0].TagtogID != memoID ||
		res.Items[0].DocID != memoID || res.Items[0].Result != "updated" || res.Items[0].OrigID != "memo.txt" {
		t.Fatalf("result = %+v", res)
	}
	equalStrings(t, "names", res.Items[0].Names, []string{memoID + ".ann.json", memoID + ".plain.html"})
}

func TestPushAnndocMemberAndOddID(t *testing.T) {
	var got capture
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		got = record(r)
		_, _ = io.WriteString(w, `{"ok":1,"errors":0,"items":[{"tagtogID":"aQm3xT0bV1.kLp9sR_2wYz7uHcE4-my \"odd\" doc\\ #1 ü 😀.txt","result":"updated"}]}`)
	})
	c := newTestClient(t, srv.URL)
	if _, err := c.PushAnndoc(context.Background(), DocRef{"acme", "ner-demo", oddID, "alice"}, []byte(memoHTML), []byte("{}")); err != nil {
		t.Fatalf("PushAnndoc: %v", err)
	}
	if got.rawQuery != "owner=acme&project=ner-demo&output=null&format=anndoc&member=alice" {
		t.Fatalf("query = %q", got.rawQuery)
	}
	// '"' is percent-encoded as browsers and python-requests do; '\', '#',
	// spaces and non-ASCII go raw.
	const name = `aQm3xT0bV1.kLp9sR_2wYz7uHcE4-my %22odd%22 doc\ #1 ü 😀.txt`
	parts := readParts(t, got)
	if len(parts) != 2 {
		t.Fatalf("got %d parts, want 2", len(parts))
	}
	for i, suffix := range []string{".plain.html", ".ann.json"} {
		want := `form-data; name="` + name + suffix + `"; filename="` + name + suffix + `"`
		if parts[i].disposition != want {
			t.Errorf("part %d Content-Disposition = %s\nwant %s", i, parts[i].disposition, want)
		}
	}
	if parts[0].body != memoHTML || parts[1].body != "{}" {
		t.Fatalf("part bodies changed: %q, %q", parts[0].body, parts[1].body)
	}
}

func TestEscapeFormName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain-id.txt", "plain-id.txt"},
		{`a"b`, `a%22b`},
		{`a\b`, `a\b`},
		{"a\r\nb", "a%0D%0Ab"},
		{"#1 ü 😀", "#1 ü 😀"},
		{"50%", "50%"},
	}
	for _, tt := range tests {
		if got := escapeFormName(tt.in); got != tt.want {
			t.Errorf("escapeFormName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPushAnndocReportShapes(t *testing.T) {
	tests := []struct {
		name     string
		report   string
		mismatch bool
		wantText []string
	}{
		{"newer report with both pairs", pushReport(memoID), false, nil},
		{"older report: tagtogID and names only",
			`{"ok":1,"errors":0,"items":[{"origid":"memo.txt","names":["a","b"],"tagtogID":"` + memoID + `","result":"updated"}]}`, false, nil},
		{"docid only", `{"ok":1,"errors":0,"items":[{"docid":"` + memoID + `","result":"updated"}]}`, false, nil},
		{"new document created", `{"ok":1,"errors":0,"items":[{"tagtogID":"aNEW0000000000000000000000000-memo.txt","result":"created"}]}`, true,
			[]string{`pushed "` + memoID + `"`, `result "created" for "aNEW0000000000000000000000000-memo.txt"`}},
		{"another document updated", `{"ok":1,"errors":0,"items":[{"tagtogID":"aOTHER-doc.txt","result":"updated"}]}`, true,
			[]string{memoID, `"aOTHER-doc.txt"`}},
		{"failure counted", `{"ok":0,"errors":1,"items":[]}`, true, []string{"ok=0 errors=1 items=0", memoID}},
		{"two items", `{"ok":2,"errors":0,"items":[{"tagtogID":"` + memoID + `","result":"updated"},{"tagtogID":"x","result":"created"}]}`, true,
			[]string{"ok=2"}},
		{"unknown result", `{"ok":1,"errors":0,"items":[{"tagtogID":"` + memoID + `","result":"skipped"}]}`, true, []string{`"skipped"`}},
		{"empty object", `{}`, true, []string{"ok=0 errors=0 items=0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = io.WriteString(w, tt.report) })
			c := newTestClient(t, srv.URL)
			res, err := c.PushAnndoc(context.Background(), DocRef{"acme", "ner-demo", memoID, ""}, []byte(memoHTML), []byte(memoAnnJSON))
			if srv.count() != 1 {
				t.Fatalf("calls = %d, want 1", srv.count())
			}
			if !tt.mismatch {
				if err != nil {
					t.Fatalf("PushAnndoc: %v", err)
				}
				if res.Items[0].TagtogID != memoID {
					t.Fatalf("TagtogID = %q", res.Items[0].TagtogID)
				}
				return
			}
			if !errors.Is(err, ErrDocumentMismatch) || !retry.IsPermanent(err) {
				t.Fatalf("err = %v, want a permanent ErrDocumentMismatch", err)
			}
			if res == nil {
				t.Fatal("the decoded report must come with the mismatch error")
			}
			for _, s := range tt.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestPushAnndocUndecodableReport(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) { _, _ = io.WriteString(w, "<html>") })
	c := newTestClient(t, srv.URL)
	_, err := c.PushAnndoc(context.Background(), DocRef{"acme", "ner-demo", memoID, ""}, []byte(memoHTML), []byte(memoAnnJSON))
	if !errors.Is(err, ErrBadResponse) || !retry.IsPermanent(err) || srv.count() != 1 {
		t.Fatalf("err = %v after %d calls; want a permanent ErrBadResponse after 1", err, srv.count())
	}
}

func TestInvalidArguments(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	c := newTestClient(t, srv.URL)
	ctx := context.Background()
	calls := map[string]func() error{
		"plain.html without id":  func() error { _, err := c.PlainHTML(ctx, DocRef{Owner: "a", Project: "p"}); return err },
		"ann.json without owner": func() error { _, err := c.AnnJSON(ctx, DocRef{Project: "p", ID: "x"}); return err },
		"push without project": func() error {
			_, err := c.PushAnndoc(ctx, DocRef{Owner: "a", ID: "x"}, []byte("h"), []byte("{}"))
			return err
		},
		"push without html": func() error {
			_, err := c.PushAnndoc(ctx, DocRef{Owner: "a", Project: "p", ID: "x"}, nil, []byte("{}"))
			return err
		},
		"legend without project": func() error { _, err := c.Legend(ctx, "a", ""); return err },
		"search negative page":   func() error { _, err := c.Search(ctx, "a", "p", "*", -1); return err },
		"import without owner":   func() error { _, err := c.ImportText(ctx, "", "p", "", "text"); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, ErrInvalidArgument) || !retry.IsPermanent(err) {
				t.Fatalf("err = %v, want a permanent ErrInvalidArgument", err)
			}
		})
	}
	if srv.count() != 0 {
		t.Fatalf("%d requests made for invalid calls", srv.count())
	}
}
