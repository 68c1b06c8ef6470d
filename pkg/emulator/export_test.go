package emulator_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/emulator"
)

const (
	fixtureTrain1 = "aFixtureTrainDocument01.xyzW-1062.txt"
	fixtureTrain2 = "aFixtureTrainDocument02_abcQ-1879.txt"
	fixturePool   = "aFixturePoolSubDocument03xyz-memo"
)

func readFixture(tb testing.TB, rel string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "export", filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestLoadExport(t *testing.T) {
	s := emulator.New(emulator.Config{})
	defer s.Close()
	s.AddUser(botUser, botPass, emulator.RoleAdmin)
	n, err := s.LoadExport("bbc", "news", filepath.Join("testdata", "export"))
	if err != nil || n != 3 {
		t.Fatalf("LoadExport = %d, %v", n, err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	u := func(kv ...string) string {
		v := url.Values{"owner": {"bbc"}, "project": {"news"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return ts.URL + "/-api/documents/v1?" + v.Encode()
	}
	if r := get(t, ts.URL+"/-api/settings/v1/annotationsLegend?owner=bbc&project=news"); r.body != `{"m_1":"Category"}` {
		t.Fatalf("legend %q", r.body)
	}
	empty := `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[],"relations":[]}`
	tests := []struct {
		name, id, member string
		html, ann        string
		warning          bool
	}{
		{"ann.json/<folder> layout", fixtureTrain1, "", "plain.html/train/" + fixtureTrain1 + ".plain.html", readFixture(t, "ann.json/train/"+fixtureTrain1+".ann.json"), false},
		{"no ann.json", fixtureTrain2, "", "plain.html/train/" + fixtureTrain2 + ".plain.html", empty, false},
		{"ann.json/master/<folder> layout", fixturePool, "", "plain.html/pool/sub/" + fixturePool + ".plain.html", readFixture(t, "ann.json/master/pool/sub/"+fixturePool+".ann.json"), false},
		{"member version", fixturePool, "alice", "plain.html/pool/sub/" + fixturePool + ".plain.html", readFixture(t, "ann.json/members/alice/pool/sub/"+fixturePool+".ann.json"), false},
		{"member fallback", fixturePool, "bob", "plain.html/pool/sub/" + fixturePool + ".plain.html", readFixture(t, "ann.json/master/pool/sub/"+fixturePool+".ann.json"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := get(t, u("ids", tc.id, "output", "plain.html")); r.code != 200 || r.body != readFixture(t, tc.html) {
				t.Fatalf("plain.html %d %q", r.code, r.body)
			}
			q := []string{"ids", tc.id, "output", "ann.json"}
			if tc.member != "" {
				q = append(q, "member", tc.member)
			}
			r := get(t, u(q...))
			if r.code != 200 || r.body != tc.ann || (r.header.Get("Warning") != "") != tc.warning {
				t.Fatalf("ann.json %d %q warning %q", r.code, r.body, r.header.Get("Warning"))
			}
		})
	}
	d, err := s.Document("bbc", "news", fixtureTrain1)
	if err != nil {
		t.Fatal(err)
	}
	if d.Filename != "1062.txt" || d.Folder != "train" || d.Text != "shop & co sales rise  profits at s&c beat forecasts." {
		t.Fatalf("document %+v", d)
	}
	searches := []struct {
		query string
		ids   []string
	}{
		{"*", []string{fixturePool, fixtureTrain1, fixtureTrain2}},
		{"folder:train", []string{fixtureTrain1, fixtureTrain2}},
		{"folder:sub", []string{fixturePool}},
		{"anncomplete:true", []string{fixturePool}},
		{"members_anncomplete:alice", []string{fixturePool}},
		{`filename:"1879.txt"`, []string{fixtureTrain2}},
	}
	for _, tc := range searches {
		t.Run("search "+tc.query, func(t *testing.T) {
			var res struct {
				Docs []struct {
					ID     string `json:"id"`
					Folder string `json:"folder"`
				} `json:"docs"`
			}
			r := get(t, u("search", tc.query))
			if err := json.Unmarshal([]byte(r.body), &res); err != nil {
				t.Fatalf("%d %q: %v", r.code, r.body, err)
			}
			var got []string
			for _, d := range res.Docs {
				got = append(got, d.ID)
			}
			if strings.Join(got, " ") != strings.Join(tc.ids, " ") {
				t.Fatalf("ids %v, want %v", got, tc.ids)
			}
		})
	}
}

func TestLoadExportMergesLegend(t *testing.T) {
	s := emulator.New(emulator.Config{})
	defer s.Close()
	s.AddProject("bbc", "news", []string{"PERSON"}, []string{"Topic", "Quality"})
	if _, err := s.LoadExport("bbc", "news", filepath.Join("testdata", "export")); err != nil {
		t.Fatal(err)
	}
	legend, err := s.Legend("bbc", "news")
	if err != nil {
		t.Fatal(err)
	}
	if !equalJSON(t, legend, map[string]string{"e_1": "PERSON", "m_1": "Category", "m_2": "Quality"}) {
		t.Fatalf("legend %v", legend)
	}
	if _, err := s.LoadExport("bbc", "news", filepath.Join("testdata", "missing")); err == nil {
		t.Fatal("LoadExport of a missing folder succeeded")
	}
}

func TestAddStructuredDocument(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	html := anndoc.StructuredHTML("aStructuredFixtureDocument0001-paper", "paper.xml", []anndoc.Section{
		{Type: "title", Header: "Acme & Co buys Globex"},
		{Header: "Abstract", Paragraphs: []string{"Jane Doe said so.", "Second paragraph."}},
	})
	id, err := e.srv.AddDocument(owner, proj, html, nil)
	if err != nil || id != "aStructuredFixtureDocument0001-paper" {
		t.Fatalf("AddDocument = %q, %v", id, err)
	}
	if r := get(t, e.docURL("ids", id, "output", "plain.html")); r.body != string(html) {
		t.Fatalf("plain.html %q", r.body)
	}
	ann := `{"entities":[{"classId":"e_2","part":"s1h1","offsets":[{"start":0,"text":"Acme & Co"}]},{"classId":"e_1","part":"s2p1","offsets":[{"start":0,"text":"Jane Doe"}]}]}`
	r := e.push(t, "anndoc", []filePart{{id + ".plain.html", html}, {id + ".ann.json", []byte(ann)}})
	wantCode(t, r, 200)
	if it := decodeReport(t, r.body).Items[0]; it.Result != "updated" || it.TagtogID != id || it.OrigID != "paper.xml" {
		t.Fatalf("item %+v", it)
	}
	r = get(t, e.docURL("ids", id, "output", "ann.json"))
	if !strings.HasPrefix(r.body, `{"annotatable":{"parts":["s1h1","s2h1","s2p1","s2p2"]}`) {
		t.Fatalf("ann.json %s", r.body)
	}
	if _, err := e.srv.AddDocument(owner, proj, []byte("<p>no</p>"), nil); !errors.Is(err, anndoc.ErrNotAnndoc) {
		t.Fatalf("AddDocument of a non-anndoc: %v", err)
	}
}
