package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/emulator"
)

const emptyAnnJSON = `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[],"relations":[]}`

func TestAuth(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	legend := e.url("/-api/settings/v1/annotationsLegend")
	tests := []struct {
		name, user, pass string
		url              string
		code             int
		body             string
	}{
		{"no credentials", "", "", legend, 401, "authentication required\n"},
		{"wrong password", botUser, "nope", legend, 401, "invalid credentials\n"},
		{"unknown user", "mallory", "x", e.docURL("search", "*"), 401, "invalid credentials\n"},
		{"curator lacks API role", "carol", "pw", legend, 403, "user carol has no permission to use the API\n"},
		{"reader lacks API role", "rita", "pw", e.docURL("search", "*"), 403, "user rita has no permission to use the API\n"},
		{"admin", "admin", "pw", legend, 200, `{"e_1":"PERSON","e_2":"ORG","e_3":"MONEY","m_1":"Category"}`},
		{"supercurator", botUser, botPass, legend, 200, `{"e_1":"PERSON","e_2":"ORG","e_3":"MONEY","m_1":"Category"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.code || string(b) != tc.body {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, b, tc.code, tc.body)
			}
			if tc.code == 401 && res.Header.Get("WWW-Authenticate") != `Basic realm="tagtog"` {
				t.Errorf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
			}
			if tc.code >= 400 && res.Header.Get("Content-Type") != "text/plain; charset=UTF-8" {
				t.Errorf("Content-Type = %q", res.Header.Get("Content-Type"))
			}
		})
	}
}

func TestLegendAndProjectErrors(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	tests := []struct {
		name string
		url  string
		code int
		body string
	}{
		{"legend", e.url("/-api/settings/v1/annotationsLegend"), 200, `{"e_1":"PERSON","e_2":"ORG","e_3":"MONEY","m_1":"Category"}`},
		{"missing project", e.ts.URL + "/-api/settings/v1/annotationsLegend?owner=acme", 400, "missing parameter owner or project\n"},
		{"unknown project", e.ts.URL + "/-api/documents/v1?owner=acme&project=nope&ids=x&output=plain.html", 404, "project not found: acme/nope\n"},
		{"unknown document", e.docURL("ids", "aXXX-none.txt", "output", "plain.html"), 404, "document not found: aXXX-none.txt\n"},
		{"missing ids", e.docURL("output", "plain.html"), 400, "missing parameter ids (or search)\n"},
		{"unknown endpoint", e.ts.URL + "/-api/settings/v1/export?owner=acme&project=ner-demo", 404, "API endpoint not emulated: /-api/settings/v1/export\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, tc.url)
			if r.code != tc.code || r.body != tc.body {
				t.Fatalf("got %d %q, want %d %q", r.code, r.body, tc.code, tc.body)
			}
		})
	}
	if r := get(t, e.url("/-api/settings/v1/annotationsLegend")); r.header.Get("Content-Type") != "application/json" {
		t.Errorf("legend Content-Type %q", r.header.Get("Content-Type"))
	}
}

func TestTextRoundTrip(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	texts := []struct{ name, text string }{
		{"notes example", "Jane Doe joined Acme & Co in Berlin.\nCall +1 555 0100."},
		{"markup characters", `a < b && c > d "quoted" 'single' &amp; literal`},
		{"emoji", "Smile 😀 Ünïcode € done"},
		{"leading newline", "\nstarts with a newline"},
		{"two leading newlines", "\n\nx"},
		{"CRLF", "line one\r\nline two\rend"},
		{"tabs and trailing spaces", "\tindented  \n  "},
	}
	for _, tc := range texts {
		t.Run(tc.name, func(t *testing.T) {
			rep := e.postText(t, tc.text)
			if rep.OK != 1 || rep.Errors != 0 || len(rep.Items) != 1 || len(rep.Warnings) != 0 {
				t.Fatalf("report %+v", rep)
			}
			it := rep.Items[0]
			id := it.TagtogID
			want := reportItem{
				OrigID: "text.txt", Names: []string{"text.txt"}, Filenames: []string{"text.txt"},
				RawInputSizeInBytes: len(tc.text), DocID: id, TagtogID: id, Result: "created",
				ParsedTextSizeInBytes: len(tc.text),
			}
			if !equalJSON(t, it, want) {
				t.Fatalf("item %+v, want %+v", it, want)
			}
			if len(id) != 28+1+len("text.txt") || id[0] != 'a' || !strings.HasSuffix(id, "-text.txt") {
				t.Fatalf("id %q is not shaped like a tagtogID", id)
			}

			r := get(t, e.docURL("ids", id, "output", "plain.html"))
			wantCode(t, r, 200)
			if ct := r.header.Get("Content-Type"); ct != "text/html; charset=UTF-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if r.body != string(anndoc.VerbatimHTML(id, "text.txt", tc.text)) {
				t.Fatalf("plain.html differs from VerbatimHTML:\n%s", r.body)
			}
			doc, err := anndoc.Parse([]byte(r.body))
			if err != nil {
				t.Fatal(err)
			}
			if doc.ID != id || len(doc.Parts) != 1 || doc.Parts[0].ID != "s1v1" || doc.Parts[0].Text != tc.text {
				t.Fatalf("parsed %+v", doc)
			}
			for _, out := range []string{"html", "xml"} {
				if r2 := get(t, e.docURL("ids", id, "output", out)); r2.body != r.body {
					t.Errorf("output=%s differs from plain.html", out)
				}
			}
			for _, out := range []string{"text", "txt", "orig"} {
				r2 := get(t, e.docURL("ids", id, "output", out))
				wantCode(t, r2, 200)
				if r2.body != tc.text || r2.header.Get("Content-Type") != "text/plain; charset=UTF-8" {
					t.Errorf("output=%s: %q %q", out, r2.body, r2.header.Get("Content-Type"))
				}
			}
			r = get(t, e.docURL("ids", id, "output", "ann.json"))
			wantCode(t, r, 200)
			if r.body != emptyAnnJSON || r.header.Get("Content-Type") != "application/json" || r.header.Get("Warning") != "" {
				t.Fatalf("ann.json %q (%q, warning %q)", r.body, r.header.Get("Content-Type"), r.header.Get("Warning"))
			}
		})
	}
}

func equalJSON(tb testing.TB, a, b any) bool {
	tb.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		tb.Fatal(err1, err2)
	}
	return string(x) == string(y)
}

func TestImportVariants(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	tests := []struct {
		name        string
		query       []string
		body        string
		contentType string
		wantName    string
		wantText    string
	}{
		{"form body", nil, url.Values{"text": {"form text"}}.Encode(), "application/x-www-form-urlencoded", "text.txt", "form text"},
		{"json body", nil, `{"text":"json text"}`, "application/json", "text.txt", "json text"},
		{"query text", []string{"text", "query text"}, "", "", "text.txt", "query text"},
		{"forced name gets .txt", []string{"text", "x", "filename", "memo"}, "", "", "memo.txt", "x"},
		{"forced name keeps .txt", []string{"text", "x", "filename", "memo.txt"}, "", "", "memo.txt", "x"},
		{"name with spaces and emoji", []string{"text", "x", "filename", "my #1 😀.md"}, "", "", "my #1 😀.md.txt", "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := append([]string{"output", "null"}, tc.query...)
			r := do(t, http.MethodPost, e.docURL(q...), strings.NewReader(tc.body), tc.contentType, true)
			wantCode(t, r, 200)
			rep := decodeReport(t, r.body)
			id := rep.Items[0].TagtogID
			if rep.Items[0].OrigID != tc.wantName || !strings.HasSuffix(id, "-"+tc.wantName) {
				t.Fatalf("origid %q id %q, want name %q", rep.Items[0].OrigID, id, tc.wantName)
			}
			d, err := e.srv.Document(owner, proj, id)
			if err != nil {
				t.Fatal(err)
			}
			if d.Text != tc.wantText || d.Filename != tc.wantName || d.Folder != "pool" {
				t.Fatalf("document %+v", d)
			}
		})
	}

	t.Run("PUT is an alias of POST", func(t *testing.T) {
		r := do(t, http.MethodPut, e.docURL("output", "null", "text", "put"), nil, "", true)
		wantCode(t, r, 200)
		if rep := decodeReport(t, r.body); rep.Items[0].Result != "created" {
			t.Fatalf("%+v", rep)
		}
	})
	t.Run("default output is a web URL", func(t *testing.T) {
		r := do(t, http.MethodPost, e.docURL("text", "weburl please"), nil, "", true)
		wantCode(t, r, 200)
		if !strings.HasPrefix(r.body, e.ts.URL+"/-emulator/ui/doc?id=a") {
			t.Fatalf("body %q", r.body)
		}
	})
	t.Run("output ann.json", func(t *testing.T) {
		r := do(t, http.MethodPost, e.docURL("text", "x", "output", "ann.json"), nil, "", true)
		if r.code != 200 || r.body != emptyAnnJSON {
			t.Fatalf("%d %q", r.code, r.body)
		}
	})
	errs := []struct {
		name  string
		query []string
		body  string
		ct    string
		code  int
		msg   string
	}{
		{"no text", nil, "", "", 400, "missing or empty parameter text\n"},
		{"empty text", []string{"text", ""}, "", "", 400, "missing or empty parameter text\n"},
		{"unknown format", []string{"text", "x", "format", "pdf-magic"}, "", "", 400, "unknown or unsupported format for a text: pdf-magic\n"},
		{"url import", []string{"url", "http://example.org"}, "", "", 400, "url imports are not supported by the emulator\n"},
		{"bad output", []string{"text", "x", "output", "docx"}, "", "", 400, "unsupported output: docx\n"},
		{"anndoc without files", []string{"text", "x", "format", "anndoc"}, "", "", 400,
			"format anndoc needs pairs of files (content + ann.json) in a multipart/form-data body\n"},
		{"bad json", nil, `{"text":`, "application/json", 400, "decode JSON body: unexpected EOF\n"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			q := append([]string{"output", "null"}, tc.query...)
			if tc.name == "bad output" {
				q = tc.query
			}
			r := do(t, http.MethodPost, e.docURL(q...), strings.NewReader(tc.body), tc.ct, true)
			if r.code != tc.code || r.body != tc.msg {
				t.Fatalf("got %d %q, want %d %q", r.code, r.body, tc.code, tc.msg)
			}
		})
	}
}

func TestMultipartTextFiles(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	r := e.push(t, "", []filePart{{"a.txt", []byte("first file")}, {"notes.log", []byte("second\nfile")}})
	wantCode(t, r, 200)
	rep := decodeReport(t, r.body)
	if rep.OK != 2 || len(rep.Items) != 2 || rep.Items[0].OrigID != "a.txt" || rep.Items[1].OrigID != "notes.log" {
		t.Fatalf("%+v", rep)
	}
	d, err := e.srv.Document(owner, proj, rep.Items[1].TagtogID)
	if err != nil || d.Text != "second\nfile" {
		t.Fatalf("%+v %v", d, err)
	}
	r = e.push(t, "", []filePart{{"paper.pdf", []byte("%PDF")}})
	if r.code != 400 || r.body != "paper.pdf: file type .pdf is not supported by the emulator (text files only)\n" {
		t.Fatalf("%d %q", r.code, r.body)
	}
	r = e.push(t, "", []filePart{{"a.txt", []byte("x")}, {"a.ann.json", []byte("{}")}})
	if r.code != 400 || r.body != "a.ann.json: uploading annotations needs format=anndoc or a *-plus-annjson format\n" {
		t.Fatalf("%d %q", r.code, r.body)
	}
}

func TestGetOutputsAndMembers(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	text := "Jane Doe joined Acme & Co in Berlin."
	id, err := e.srv.ImportText(owner, proj, "memo.txt", text, emulator.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	html := get(t, e.docURL("ids", id, "output", "plain.html")).body
	master := `{"annotatable":{"parts":["s1v1"]},"anncomplete":true,"sources":[],"metas":{},"entities":[{"classId":"e_1","part":"s1v1","offsets":[{"start":0,"text":"Jane Doe"}],"confidence":{"state":"","who":["user:ann"],"prob":1},"fields":{},"normalizations":{}}],"relations":[]}`
	alice := `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[{"classId":"e_2","part":"s1v1","offsets":[{"start":16,"text":"Acme & Co"}],"confidence":{"state":"","who":["user:alice"],"prob":1},"fields":{},"normalizations":{}}],"relations":[]}`

	// Before any version: a member read falls back to the default ann.json with a warning.
	r := get(t, e.docURL("ids", id, "output", "ann.json", "member", "bob"))
	if r.body != emptyAnnJSON || r.header.Get("Warning") == "" {
		t.Fatalf("no-version member read: %q warning %q", r.body, r.header.Get("Warning"))
	}
	for _, m := range []struct{ member, ann string }{{"", master}, {"alice", alice}} {
		q := []string{}
		if m.member != "" {
			q = []string{"member", m.member}
		}
		r := e.push(t, "anndoc", []filePart{{id + ".plain.html", []byte(html)}, {id + ".ann.json", []byte(m.ann)}}, q...)
		wantCode(t, r, 200)
		if rep := decodeReport(t, r.body); rep.Items[0].Result != "updated" {
			t.Fatalf("%+v", rep)
		}
	}
	tests := []struct {
		name, member, want string
		warning            bool
	}{
		{"master by default", "", master, false},
		{"master explicitly", "master", master, false},
		{"member with own version", "alice", alice, false},
		{"member without version falls back", "bob", master, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := []string{"ids", id, "output", "ann.json"}
			if tc.member != "" {
				q = append(q, "member", tc.member)
			}
			r := get(t, e.docURL(q...))
			wantCode(t, r, 200)
			if r.body != tc.want {
				t.Fatalf("ann.json %s\nwant %s", r.body, tc.want)
			}
			if (r.header.Get("Warning") != "") != tc.warning {
				t.Fatalf("Warning header %q, want present=%v", r.header.Get("Warning"), tc.warning)
			}
		})
	}
	t.Run("search shows confirmed versions", func(t *testing.T) {
		var res struct {
			Docs []struct {
				AnnComplete        bool     `json:"anncomplete"`
				MembersAnnComplete []string `json:"members_anncomplete"`
			} `json:"docs"`
		}
		r := get(t, e.docURL("search", "anncomplete:true"))
		if err := json.Unmarshal([]byte(r.body), &res); err != nil || len(res.Docs) != 1 || !res.Docs[0].AnnComplete {
			t.Fatalf("%s %v", r.body, err)
		}
	})
	t.Run("orig has a content disposition", func(t *testing.T) {
		r := get(t, e.docURL("ids", id, "output", "orig"))
		if r.body != text || r.header.Get("Content-Disposition") != `inline; filename="memo.txt"; filename*=utf-8''memo.txt` {
			t.Fatalf("%q %q", r.body, r.header.Get("Content-Disposition"))
		}
	})
	t.Run("visualize for a script is the web URL", func(t *testing.T) {
		r := get(t, e.docURL("ids", id))
		want := e.ts.URL + "/-emulator/ui/doc?" + url.Values{"id": {id}, "owner": {owner}, "project": {proj}}.Encode()
		if r.code != 200 || r.body != want {
			t.Fatalf("%d %q, want %q", r.code, r.body, want)
		}
	})
	t.Run("unsupported idType", func(t *testing.T) {
		r := get(t, e.docURL("ids", "123", "idType", "PMID", "output", "ann.json"))
		if r.code != 400 || r.body != "idType PMID imports are not supported by the emulator\n" {
			t.Fatalf("%d %q", r.code, r.body)
		}
	})
}

func TestSearchPaging(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	ids := make([]string, 120)
	for i := range ids {
		id, err := e.srv.ImportText(owner, proj, "doc"+strconv.Itoa(i), "Document number "+strconv.Itoa(i)+"\nsecond line", emulator.SourceAPI)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	type pages struct{ Current, Previous, Next, NumPages, PageSize int }
	type doc struct {
		ID, Filename, Header, Created, Updated, Folder string
		AnnComplete                                    bool     `json:"anncomplete"`
		MembersAnnComplete                             []string `json:"members_anncomplete"`
		MembersAssigned                                []string `json:"members_assigned"`
	}
	type result struct {
		Version, Search string
		TotalFound      int
		Pages           pages
		Docs            []doc
	}
	tests := []struct {
		page       string
		wantPages  pages
		first, num int
	}{
		{"", pages{0, -1, 1, 3, 50}, 0, 50},
		{"0", pages{0, -1, 1, 3, 50}, 0, 50},
		{"1", pages{1, 0, 2, 3, 50}, 50, 50},
		{"2", pages{2, 1, -1, 3, 50}, 100, 20},
		{"7", pages{7, 6, -1, 3, 50}, 120, 0},
	}
	for _, tc := range tests {
		t.Run("page "+tc.page, func(t *testing.T) {
			q := []string{"search", "*"}
			if tc.page != "" {
				q = append(q, "page", tc.page)
			}
			r := get(t, e.docURL(q...))
			wantCode(t, r, 200)
			var res result
			dec := json.NewDecoder(strings.NewReader(r.body))
			if err := dec.Decode(&res); err != nil {
				t.Fatal(err)
			}
			if res.Version != "0.7.0" || res.Search != "*" || res.TotalFound != 120 || res.Pages != tc.wantPages || len(res.Docs) != tc.num {
				t.Fatalf("got %+v pages %+v (%d docs)", res, res.Pages, len(res.Docs))
			}
			if tc.num > 0 {
				d := res.Docs[0]
				i := tc.first
				if d.ID != ids[i] || d.Filename != "doc"+strconv.Itoa(i)+".txt" || d.Header != "Document number "+strconv.Itoa(i) ||
					d.Folder != "pool" || d.AnnComplete || d.MembersAnnComplete == nil || d.MembersAssigned == nil || len(d.Created) != 24 {
					t.Fatalf("first doc %+v", d)
				}
			}
			if !strings.Contains(r.body, `"members_anncomplete":[]`) && tc.num > 0 {
				t.Errorf("members_anncomplete must be [] not null")
			}
		})
	}
	queries := []struct {
		query string
		total int
		code  int
	}{
		{"docid:" + ids[7], 1, 200},
		{"docid:" + ids[7][:10] + "*", 1, 200},
		{`filename:"doc11.txt"`, 1, 200},
		{"filename:doc1*", 31, 200}, // doc1, doc10..doc19, doc100..doc119
		{"folder:pool", 120, 200},
		{"anncomplete:false", 120, 200},
		{"anncomplete:true", 0, 200},
		{"filename:doc1* AND anncomplete:false", 31, 200},
		{"entity:e_1", 0, 400},
		{"Jane", 0, 400},
	}
	for _, tc := range queries {
		t.Run(tc.query, func(t *testing.T) {
			r := get(t, e.docURL("search", tc.query))
			if r.code != tc.code {
				t.Fatalf("%d %q", r.code, r.body)
			}
			if tc.code != 200 {
				return
			}
			var res result
			if err := json.Unmarshal([]byte(r.body), &res); err != nil {
				t.Fatal(err)
			}
			if res.TotalFound != tc.total || res.Pages.NumPages != max(1, (tc.total+49)/50) {
				t.Fatalf("total %d pages %+v, want %d", res.TotalFound, res.Pages, tc.total)
			}
		})
	}
	t.Run("csv", func(t *testing.T) {
		r := get(t, e.docURL("search", "*", "output", "csv"))
		lines := strings.Split(strings.TrimSuffix(r.body, "\n"), "\n")
		if r.code != 200 || len(lines) != 121 || lines[0] != "docid,anncomplete" || lines[1] != ids[0]+",false" {
			t.Fatalf("%d %d lines %q", r.code, len(lines), lines[:2])
		}
	})
	t.Run("bad page", func(t *testing.T) {
		r := get(t, e.docURL("search", "*", "page", "-1"))
		if r.code != 400 {
			t.Fatalf("%d", r.code)
		}
	})
}

func TestDelete(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	var ids []string
	for i := range 5 {
		id, err := e.srv.ImportText(owner, proj, "d"+strconv.Itoa(i), "text", emulator.SourceAPI)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	tests := []struct {
		name  string
		query []string
		code  int
		body  string
	}{
		{"by id", []string{"idType", "tagtogID", "ids", ids[0]}, 200, "1"},
		{"same id again", []string{"idType", "tagtogID", "ids", ids[0]}, 200, "0"},
		{"by filename search", []string{"search", `filename:"d1.txt"`}, 200, "1"},
		{"everything left", []string{"search", "*"}, 200, "3"},
		{"nothing left", []string{"search", "*"}, 200, "0"},
		{"no selector", nil, 400, "missing parameter ids or search\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, http.MethodDelete, e.docURL(tc.query...), nil, "", true)
			if r.code != tc.code || r.body != tc.body {
				t.Fatalf("got %d %q, want %d %q", r.code, r.body, tc.code, tc.body)
			}
		})
	}
	if st := e.srv.Stats(); st.Documents != 0 || st.Deleted != 5 {
		t.Fatalf("stats %+v", st)
	}
}
