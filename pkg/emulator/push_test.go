package emulator_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/emulator"
)

// memoText and memoAnn are the document and ann.json of notes §10.2/§10.3.
const (
	memoText = "Jane Doe joined Acme & Co in Berlin.\nCall +1 555 0100."
	memoAnn  = `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[{"classId":"e_1","part":"s1v1","offsets":[{"start":0,"text":"Jane Doe"}],"confidence":{"state":"pre-added","who":["ml:my-ner-v1"],"prob":0.97},"fields":{},"normalizations":{}},{"classId":"e_2","part":"s1v1","offsets":[{"start":16,"text":"Acme & Co"}],"confidence":{"state":"pre-added","who":["ml:my-ner-v1"],"prob":0.88},"fields":{},"normalizations":{}}],"relations":[]}`
)

// importMemo imports memoText and returns its id and plain.html.
func (e *env) importMemo(tb testing.TB) (string, []byte) {
	tb.Helper()
	id, err := e.srv.ImportText(owner, proj, "memo.txt", memoText, emulator.SourceGUI)
	if err != nil {
		tb.Fatal(err)
	}
	r := get(tb, e.docURL("ids", id, "output", "plain.html"))
	wantCode(tb, r, 200)
	return id, []byte(r.body)
}

func TestPushAnndocUpdated(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	id, html := e.importMemo(t)
	r := e.push(t, "anndoc", []filePart{{id + ".plain.html", html}, {id + ".ann.json", []byte(memoAnn)}})
	wantCode(t, r, 200)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	want := fmt.Sprintf(`{"ok":1,"errors":0,"items":[{"origid":"memo.txt","names":[%[1]q,%[2]q],"filenames":[%[1]q,%[2]q],"rawInputSizeInBytes":%[3]d,"docid":%[4]q,"tagtogID":%[4]q,"result":"updated","parsedTextSizeInBytes":54}],"warnings":[]}`,
		id+".ann.json", id+".plain.html", len(html)+len(memoAnn), id)
	if r.body != want {
		t.Fatalf("report\n%s\nwant\n%s", r.body, want)
	}
	d, err := e.srv.Document(owner, proj, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(d.AnnJSON["master"]) != memoAnn || d.Pushes != 1 || d.Updates != 1 || string(d.PlainHTML) != string(html) {
		t.Fatalf("stored %s pushes %d updates %d", d.AnnJSON["master"], d.Pushes, d.Updates)
	}
	if r := get(t, e.docURL("ids", id, "output", "ann.json")); r.body != memoAnn {
		t.Fatalf("GET ann.json %s", r.body)
	}
	// A second push replaces the version wholesale.
	demo := `{"anncomplete":false,"metas":{},"relations":[],"entities":[{"classId":"e_3","part":"s1v1","offsets":[{"start":29,"text":"Berlin"}],"confidence":{"state":"pre-added","who":["ml:x"],"prob":0.5},"fields":{},"normalizations":{}}]}`
	r = e.push(t, "anndoc", []filePart{{id + ".plain.html", html}, {id + ".ann.json", []byte(demo)}})
	wantCode(t, r, 200)
	wantStored := `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[{"classId":"e_3","part":"s1v1","offsets":[{"start":29,"text":"Berlin"}],"confidence":{"state":"pre-added","who":["ml:x"],"prob":0.5},"fields":{},"normalizations":{}}],"relations":[]}`
	if r := get(t, e.docURL("ids", id, "output", "ann.json")); r.body != wantStored {
		t.Fatalf("GET ann.json after demo-style push\n%s\nwant\n%s", r.body, wantStored)
	}
	st := e.srv.Stats()
	if st.Pushes != 2 || st.PushesCreated != 0 || st.Documents != 1 || len(st.Rejected) != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPushIdentification(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	id, html := e.importMemo(t)
	tests := []struct {
		name       string
		base       string
		html       []byte
		wantResult string
		sameID     bool
	}{
		{"named after the id", id, html, "updated", true},
		{"generic name, html id identifies", "text", html, "updated", true},
		{"altered text is a new document", id, []byte(strings.Replace(string(html), "Berlin", "Munich", 1)), "created", false},
		{"unknown html id, same text", "text", []byte(strings.Replace(string(html), id, "aUnknownUnknownUnknownUnknown-memo.txt", -1)), "created", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ann := `{"entities":[{"classId":"e_1","part":"s1v1","offsets":[{"start":0,"text":"Jane Doe"}]}]}`
			r := e.push(t, "anndoc", []filePart{{tc.base + ".plain.html", tc.html}, {tc.base + ".ann.json", []byte(ann)}})
			wantCode(t, r, 200)
			rep := decodeReport(t, r.body)
			it := rep.Items[0]
			if it.Result != tc.wantResult || (it.TagtogID == id) != tc.sameID || it.DocID != it.TagtogID {
				t.Fatalf("item %+v", it)
			}
			if tc.sameID {
				return
			}
			if it.OrigID != "memo.txt" || !strings.HasSuffix(it.TagtogID, "-memo.txt") {
				t.Fatalf("new document item %+v", it)
			}
			d, err := e.srv.Document(owner, proj, it.TagtogID)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := anndoc.Parse(d.PlainHTML)
			if err != nil || doc.ID != it.TagtogID || doc.Parts[0].Text != d.Text {
				t.Fatalf("new document plain.html: %+v %v", doc, err)
			}
		})
	}
	st := e.srv.Stats()
	if st.Pushes != 4 || st.PushesCreated != 2 || st.Documents != 3 || st.Imports != 3 {
		t.Fatalf("stats %+v", st)
	}
	d, _ := e.srv.Document(owner, proj, id)
	if d.Pushes != 2 {
		t.Fatalf("original document pushes %d, want 2", d.Pushes)
	}
}

func TestPushRejected(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	id, html := e.importMemo(t)
	good := []byte(memoAnn)
	badOffset := []byte(strings.Replace(memoAnn, `"start":16`, `"start":15`, 1))
	tests := []struct {
		name   string
		format string
		parts  []filePart
		code   int
		body   string
		reason string
	}{
		{"bad offset names the entity", "anndoc", []filePart{{id + ".plain.html", html}, {id + ".ann.json", badOffset}}, 400,
			id + `.ann.json: entity 1 (classId e_2, part s1v1): offset start 15 text "Acme & Co" does not match part text " Acme & C"` + "\n", emulator.RejectOffsets},
		{"unknown part", "anndoc", []filePart{{id + ".plain.html", html}, {id + ".ann.json", []byte(`{"entities":[{"classId":"e_1","part":"s9v9","offsets":[{"start":0,"text":"Jane"}]}]}`)}}, 400,
			id + ".ann.json: entity 0 (classId e_1, part s9v9): part is not in the document\n", emulator.RejectOffsets},
		{"plain.html alone", "anndoc", []filePart{{id + ".plain.html", html}}, 400,
			"file " + id + ".plain.html has no matching " + id + ".ann.json (incomplete pair)\n", emulator.RejectUnpaired},
		{"ann.json alone", "anndoc", []filePart{{id + ".ann.json", good}}, 400,
			"file " + id + ".ann.json has no matching content file (incomplete pair)\n", emulator.RejectUnpaired},
		{"different base names", "anndoc", []filePart{{"a.plain.html", html}, {"b.ann.json", good}}, 400,
			"file a.plain.html has no matching a.ann.json (incomplete pair)\n", emulator.RejectUnpaired},
		{"unknown format", "anndoc-v2", []filePart{{id + ".plain.html", html}, {id + ".ann.json", good}}, 400,
			"unknown or unsupported format: anndoc-v2\n", emulator.RejectFormat},
		{"native pdf", "nativepdfv1-plus-annjson", []filePart{{"a.pdf", []byte("%PDF")}, {"a.ann.json", good}}, 400,
			"format nativepdfv1-plus-annjson is not supported by the emulator\n", emulator.RejectFormat},
		{"not a plain.html", "anndoc", []filePart{{"x.plain.html", []byte("<p>hello</p>")}, {"x.ann.json", good}}, 400,
			"x.plain.html: anndoc: parse: not a tagtog anndoc plain.html: <html> has no id attribute\n", emulator.RejectPlainHTML},
		{"bad ann.json", "anndoc", []filePart{{id + ".plain.html", html}, {id + ".ann.json", []byte(`{"entities":`)}}, 400,
			"", emulator.RejectAnnJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.srv.Stats().Rejected[tc.reason]
			r := e.push(t, tc.format, tc.parts)
			if r.code != tc.code || (tc.body != "" && r.body != tc.body) {
				t.Fatalf("got %d %q, want %d %q", r.code, r.body, tc.code, tc.body)
			}
			if got := e.srv.Stats().Rejected[tc.reason]; got != before+1 {
				t.Fatalf("rejected[%s] = %d, want %d", tc.reason, got, before+1)
			}
		})
	}
	d, _ := e.srv.Document(owner, proj, id)
	if d.Pushes != 0 || len(d.AnnJSON) != 0 {
		t.Fatalf("rejected pushes changed the document: %+v", d)
	}
	if st := e.srv.Stats(); st.Documents != 1 || st.Pushes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPushOffsetUnits(t *testing.T) {
	text := "😀 Jane Doe" // Jane starts at UTF-16 unit 3, code point 2
	tests := []struct {
		name  string
		unit  anndoc.Unit
		start int
		code  int
	}{
		{"utf16 accepts utf16 offset", anndoc.UTF16, 3, 200},
		{"utf16 rejects code point offset", anndoc.UTF16, 2, 400},
		{"codepoint accepts code point offset", anndoc.CodePoint, 2, 200},
		{"codepoint rejects utf16 offset", anndoc.CodePoint, 3, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{Unit: tc.unit})
			id, err := e.srv.ImportText(owner, proj, "", text, emulator.SourceAPI)
			if err != nil {
				t.Fatal(err)
			}
			html := []byte(get(t, e.docURL("ids", id, "output", "plain.html")).body)
			ann := fmt.Sprintf(`{"entities":[{"classId":"e_1","part":"s1v1","offsets":[{"start":%d,"text":"Jane Doe"}]}]}`, tc.start)
			r := e.push(t, "anndoc", []filePart{{id + ".plain.html", html}, {id + ".ann.json", []byte(ann)}})
			if r.code != tc.code {
				t.Fatalf("%d %q", r.code, r.body)
			}
		})
	}
}

func TestPushPlusAnnJSON(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	ann := []byte(`{"entities":[{"classId":"e_2","part":"s1v1","offsets":[{"start":0,"text":"Acme"}]}]}`)
	steps := []struct {
		name, format, text string
		result             string
		sameAsFirst        bool
	}{
		{"new document", "default-plus-annjson", "Acme & Co\r\nhired Jane.", "created", false},
		{"same name and text updates", "verbatim-plus-annjson", "Acme & Co\r\nhired Jane.", "updated", true},
		{"same name, other text, new document", "default-plus-annjson", "Acme changed.", "created", false},
	}
	var first string
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := e.push(t, st.format, []filePart{{"acme.v2.txt", []byte(st.text)}, {"acme.v2.ann.json", ann}})
			wantCode(t, r, 200)
			it := decodeReport(t, r.body).Items[0]
			if first == "" {
				first = it.TagtogID
			} else if (it.TagtogID == first) != st.sameAsFirst {
				t.Fatalf("id %s, first %s", it.TagtogID, first)
			}
			if it.Result != st.result || it.OrigID != "acme.v2.txt" ||
				it.ParsedTextSizeInBytes != len(st.text) || it.RawInputSizeInBytes != len(st.text)+len(ann) {
				t.Fatalf("item %+v", it)
			}
			d, err := e.srv.Document(owner, proj, it.TagtogID)
			if err != nil {
				t.Fatal(err)
			}
			if string(d.PlainHTML) != string(anndoc.VerbatimHTML(it.TagtogID, "acme.v2.txt", st.text)) || d.Text != st.text {
				t.Fatalf("document %q", d.PlainHTML)
			}
		})
	}
}

// TestPushQuotedFilenames sends the part names as python-requests (%22) and Go
// (backslash) escape a double quote; both must pair.
func TestPushQuotedFilenames(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	id, html := e.importMemo(t)
	body := "--XyZ42\r\n" +
		`Content-Disposition: form-data; name="say %22hi%22.plain.html"; filename="say %22hi%22.plain.html"` + "\r\n\r\n" +
		string(html) + "\r\n--XyZ42\r\n" +
		`Content-Disposition: form-data; name="say \"hi\".ann.json"; filename="say \"hi\".ann.json"` + "\r\n" +
		"Content-Type: application/json\r\n\r\n" + memoAnn + "\r\n--XyZ42--\r\n"
	r := do(t, http.MethodPost, e.docURL("output", "null", "format", "anndoc"), strings.NewReader(body), "multipart/form-data; boundary=XyZ42", true)
	wantCode(t, r, 200)
	it := decodeReport(t, r.body).Items[0]
	if it.Result != "updated" || it.TagtogID != id || it.Names[0] != `say "hi".ann.json` || it.Names[1] != `say "hi".plain.html` {
		t.Fatalf("item %+v", it)
	}
}
