package anndoc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, rewriting it with -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs:\ngot  %s\nwant %s", name, got, want)
	}
}

func TestDecodeMarshalGolden(t *testing.T) {
	a := mustDecode(t, readFile(t, "existing.ann.json"))
	out := mustMarshal(t, a)
	golden(t, "existing.golden.json", out)
	if !json.Valid(out) {
		t.Fatal("output is not valid JSON")
	}
	// A second round changes nothing.
	if again := mustMarshal(t, mustDecode(t, out)); !bytes.Equal(again, out) {
		t.Errorf("second round differs:\n%s\n%s", again, out)
	}
	for _, want := range []string{
		`"x_reviewNote":"<b>keep</b> & co"`,
		`"note":"checked twice"`,
		`"annotatable":{"parts":["s1h1","s2s1p1","s2s2p1","s3f1p1"],"note":"kept"}`,
		`"confidence":{"state":null,"who":["user:bo"],"prob":1,"reviewed":true}`,
		`"coordinates":[]`,
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %s", want)
		}
	}
	if !bytes.HasPrefix(out, []byte(`{"annotatable":`)) || !bytes.HasSuffix(out, []byte(`],"aaa":[1,2],"x_reviewNote":"<b>keep</b> & co"}`)) {
		t.Errorf("key order wrong: %s", out)
	}
}

func TestDecodeAnnJSONEmpty(t *testing.T) {
	for _, in := range []string{"", "  \n", "{}", "null"} {
		a := mustDecode(t, []byte(in))
		got := string(mustMarshal(t, a))
		want := `{"annotatable":{"parts":[]},"anncomplete":false,"sources":[],"metas":{},"entities":[],"relations":[]}`
		if got != want {
			t.Errorf("%q: got %s", in, got)
		}
	}
}

func TestDecodeAnnJSONBad(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"not json", "<html>"},
		{"array", "[]"},
		{"truncated", `{"entities":[`},
		{"entities not array", `{"entities":{}}`},
		{"entity not object", `{"entities":[1]}`},
		{"start not int", `{"entities":[{"offsets":[{"start":"3","text":"x"}]}]}`},
		{"anncomplete not bool", `{"anncomplete":"yes"}`},
		{"parts not strings", `{"annotatable":{"parts":[1]}}`},
		{"state not string", `{"entities":[{"confidence":{"state":1}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := anndoc.DecodeAnnJSON([]byte(tc.in)); !errors.Is(err, anndoc.ErrBadAnnJSON) {
				t.Errorf("err = %v, want ErrBadAnnJSON", err)
			}
		})
	}
}

// TestConfidenceState keeps "", null and a string state apart.
func TestConfidenceState(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"state":"","who":["user:a"],"prob":1}`, `{"state":"","who":["user:a"],"prob":1}`},
		{`{"state":null,"who":["user:a"],"prob":1}`, `{"state":null,"who":["user:a"],"prob":1}`},
		{`{"state":"pre-removed","who":[],"prob":0.25}`, `{"state":"pre-removed","who":[],"prob":0.25}`},
		{`{"who":null,"prob":1e-7}`, `{"state":null,"who":[],"prob":1e-7}`},
	} {
		in := `{"entities":[{"classId":"e_1","part":"p","offsets":[],"confidence":` + tc.in + `,"fields":{},"normalizations":{}}]}`
		out := string(mustMarshal(t, mustDecode(t, []byte(in))))
		if !strings.Contains(out, `"confidence":`+tc.want+`,`) {
			t.Errorf("%s -> %s", tc.in, out)
		}
	}
}

func TestMarshalNewModelEntity(t *testing.T) {
	a := &anndoc.AnnJSON{
		Annotatable: anndoc.Annotatable{Parts: []string{"s1v1"}},
		Entities: []anndoc.Entity{
			anndoc.NewModelEntity("e_1", "s1v1", 0, "Jane Doe", "my-ner-v1", 0.97),
			anndoc.NewModelEntity("e_2", "s1v1", 16, "Acme & Co", "my-ner-v1", 0.88),
		},
	}
	// The ann.json of the push-back example in tagtog's API notes.
	want := `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[{"classId":"e_1","part":"s1v1","offsets":[{"start":0,"text":"Jane Doe"}],"confidence":{"state":"pre-added","who":["ml:my-ner-v1"],"prob":0.97},"fields":{},"normalizations":{}},{"classId":"e_2","part":"s1v1","offsets":[{"start":16,"text":"Acme & Co"}],"confidence":{"state":"pre-added","who":["ml:my-ner-v1"],"prob":0.88},"fields":{},"normalizations":{}}],"relations":[]}`
	if got := string(mustMarshal(t, a)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMarshalStrings(t *testing.T) {
	e := anndoc.NewModelEntity("e_1", "s1v1", 0, "q\"\\ \n\r\t\x01 <>& \u2028 \xff 😀", "m", 1)
	out := mustMarshal(t, &anndoc.AnnJSON{Entities: []anndoc.Entity{e}})
	want := `"text":"q\"\\ \n\r\t\u0001 <>& \u2028 \ufffd 😀"`
	if !bytes.Contains(out, []byte(want)) {
		t.Errorf("got %s, want it to contain %s", out, want)
	}
	var back struct {
		Entities []struct {
			Offsets []anndoc.Offset `json:"offsets"`
		} `json:"entities"`
	}
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Entities[0].Offsets[0].Text; got != "q\"\\ \n\r\t\x01 <>& \u2028 \ufffd 😀" {
		t.Errorf("decoded back %q", got)
	}
}

func TestMarshalBadRaw(t *testing.T) {
	a := &anndoc.AnnJSON{Metas: json.RawMessage(`{"m_1":`)}
	if _, err := a.Marshal(); err == nil {
		t.Error("Marshal of invalid raw metas succeeded")
	}
}

// TestDecodeAnnJSONUnusualShapes covers input outside the usual shape
// (repeated keys, escaped or invalid UTF-8 keys, other spellings of offset
// keys, null elements): it decodes as encoding/json reads it into maps.
func TestDecodeAnnJSONUnusualShapes(t *testing.T) {
	const head = `{"annotatable":{"parts":[]},"anncomplete":false,"sources":[],"metas":{},"entities":[`
	const tail = `],"relations":[]}`
	tests := []struct{ name, in, want string }{
		{"repeated entity key", `{"entities":[{"classId":"e_1","classId":"e_2"}]}`,
			head + `{"classId":"e_2","part":"","offsets":[],"fields":{},"normalizations":{}}` + tail},
		{"offset keys in other case", `{"entities":[{"offsets":[{"Start":3,"TEXT":"abc","x":1}]}]}`,
			head + `{"classId":"","part":"","offsets":[{"start":3,"text":"abc"}],"fields":{},"normalizations":{}}` + tail},
		{"null entity", `{"entities":[null,{"part":"p"}]}`,
			head + `{"classId":"","part":"","offsets":[],"fields":{},"normalizations":{}},{"classId":"","part":"p","offsets":[],"fields":{},"normalizations":{}}` + tail},
		{"escaped key, surrogates, repeated unknown key", `{"\u0065ntities":[{"classId":"\u00e9\ud83d\ude00\ud800"}],"x":1,"x":2}`,
			head + `{"classId":"é😀` + "\ufffd" + `","part":"","offsets":[],"fields":{},"normalizations":{}}],"relations":[],"x":2}`},
		{"null who entry and prob", `{"entities":[{"confidence":{"who":["a",null],"prob":null,"state":"pre-added"}}]}`,
			head + `{"classId":"","part":"","offsets":[],"confidence":{"state":"pre-added","who":["a",""],"prob":0},"fields":{},"normalizations":{}}` + tail},
		{"repeated parts", `{"annotatable":{"parts":["a"],"parts":["b"]},"anncomplete":null}`,
			`{"annotatable":{"parts":["b"]},"anncomplete":false,"sources":[],"metas":{},"entities":[],"relations":[]}`},
		{"invalid UTF-8", "{\"entities\":[{\"offsets\":[{\"start\":1,\"text\":\"\xff\"}]}],\"\xfe\":{ \"a\" : [ 1 ] }}",
			head + `{"classId":"","part":"","offsets":[{"start":1,"text":"` + "\ufffd" + `"}],"fields":{},"normalizations":{}}],"relations":[],"` + "\ufffd" + `":{"a":[1]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(mustMarshal(t, mustDecode(t, []byte(tt.in)))); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestMarshalProb writes probabilities as encoding/json writes float64s.
func TestMarshalProb(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, 0.5, 0.97, 1e-7, 1e-6, 9.99e-7, 123456789, 1e20, 1e21, 2.5e-300, 0.1 + 0.2, math.SmallestNonzeroFloat64, math.MaxFloat64} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		e := anndoc.NewModelEntity("e_1", "p", 0, "x", "m", f)
		out := mustMarshal(t, &anndoc.AnnJSON{Entities: []anndoc.Entity{e}})
		if !bytes.Contains(out, []byte(`"prob":`+string(want)+`}`)) {
			t.Errorf("%v: got %s, want prob %s", f, out, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1)} {
		e := anndoc.NewModelEntity("e_1", "p", 0, "x", "m", f)
		if _, err := (&anndoc.AnnJSON{Entities: []anndoc.Entity{e}}).Marshal(); err == nil {
			t.Errorf("Marshal of prob %v succeeded", f)
		}
	}
}
