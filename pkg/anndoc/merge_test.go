package anndoc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

const model = "tagflow-builtin"

// mergeAdd is what the model found in structured.plain.html.
func mergeAdd() []anndoc.Entity {
	return []anndoc.Entity{
		anndoc.NewModelEntity("e_2", "s2s1p1", 21, "Nordhaven University", model, 0.88),
		anndoc.NewModelEntity("e_1", "s2s2p1", 45, "Dr. Ada Lindqvist", model, 0.9), // a person marked it: dropped
		anndoc.NewModelEntity("e_3", "s3f1p1", 25, "NH-7", model, 0.8),
		anndoc.NewModelEntity("e_5", "s2s1p1", 56, "<20%", model, 0.5),
		anndoc.NewModelEntity("e_1", "s2s2p1", 49, "Ada Lindqvist", model, 0.91),
		anndoc.NewModelEntity("e_2", "s1h1", 0, "Soil moisture", model, 0.3),
		anndoc.NewModelEntity("e_2", "s2s1p1", 21, "Nordhaven University", model, 0.88), // repeated: dropped
	}
}

// spans lists "part start classId text who" per entity.
func spans(a *anndoc.AnnJSON) []string {
	out := make([]string, len(a.Entities))
	for i, e := range a.Entities {
		who := ""
		if e.Confidence != nil {
			who = strings.Join(e.Confidence.Who, ",")
		}
		var sb strings.Builder
		for _, o := range e.Offsets {
			sb.WriteString(" " + itoa(o.Start) + " " + o.Text)
		}
		out[i] = e.Part + " " + e.ClassID + sb.String() + " " + who
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestMerge(t *testing.T) {
	doc := mustParse(t, readFile(t, "structured.plain.html"))
	existingBytes := readFile(t, "existing.ann.json")
	existing := mustDecode(t, existingBytes)
	before := mustMarshal(t, existing)

	merged := anndoc.Merge(existing, doc, model, mergeAdd())
	out := mustMarshal(t, merged)
	golden(t, "merged.golden.json", out)

	want := []string{
		"s1h1 e_2 0 Soil moisture ml:tagflow-builtin",
		"s1h1 e_4 0 Soil moisture user:bo",
		"s2s1p1 e_2 21 Nordhaven University ml:tagflow-builtin",
		"s2s1p1 e_5 56 <20% ml:tagflow-builtin",
		"s2s2p1 e_1 45 Dr. Ada Lindqvist user:ana",
		"s2s2p1 e_1 49 Ada Lindqvist ml:tagflow-builtin",
		"s3f1p1 e_3 25 NH-7 ml:other-model",
		"s3f1p1 e_3 25 NH-7 ml:tagflow-builtin",
	}
	if got := spans(merged); !slices.Equal(got, want) {
		t.Errorf("entities =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := anndoc.CheckEntities(doc, merged, anndoc.UTF16); err != nil {
		t.Errorf("CheckEntities: %v", err)
	}
	// Everything the model does not own is kept.
	if !bytes.Equal(merged.Metas, existing.Metas) || !bytes.Equal(merged.Relations, existing.Relations) ||
		!bytes.Equal(merged.Sources, existing.Sources) || !merged.AnnComplete {
		t.Error("metas, relations, sources or anncomplete changed")
	}
	human := merged.Entities[4]
	if string(human.Fields) == "{}" || string(human.Normalizations) == "{}" || string(human.Extra["note"]) != `"checked twice"` {
		t.Errorf("person's entity lost data: %+v", human)
	}
	for _, want := range []string{`"x_reviewNote":"<b>keep</b> & co"`, `"aaa":[1,2]`, `"m_1":{"value":"agronomy"`, `"text":"<20%"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %s", want)
		}
	}
	// The inputs are not modified.
	if after := mustMarshal(t, existing); !bytes.Equal(after, before) {
		t.Error("Merge modified existing")
	}

	// Idempotent: merging again with the same entities gives the same bytes.
	again := mustMarshal(t, anndoc.Merge(merged, doc, model, mergeAdd()))
	if !bytes.Equal(again, out) {
		t.Errorf("second merge differs:\n%s\n%s", again, out)
	}
	// Merging the decoded bytes again gives the same bytes too.
	fromBytes := mustMarshal(t, anndoc.Merge(mustDecode(t, out), doc, model, mergeAdd()))
	if !bytes.Equal(fromBytes, out) {
		t.Errorf("merge of decoded output differs:\n%s\n%s", fromBytes, out)
	}
}

func TestMergeRemovesOnlyThisModel(t *testing.T) {
	doc := mustParse(t, readFile(t, "structured.plain.html"))
	merged := anndoc.Merge(mustDecode(t, readFile(t, "existing.ann.json")), doc, model, nil)
	want := []string{
		"s1h1 e_4 0 Soil moisture user:bo",
		"s2s2p1 e_1 45 Dr. Ada Lindqvist user:ana",
		"s3f1p1 e_3 25 NH-7 ml:other-model",
	}
	if got := spans(merged); !slices.Equal(got, want) {
		t.Errorf("entities = %q, want %q", got, want)
	}
	// Another model's name that merely starts the same is not this model.
	e := anndoc.NewModelEntity("e_1", "s1h1", 0, "Soil", model+"-v2", 1)
	kept := anndoc.Merge(&anndoc.AnnJSON{Entities: []anndoc.Entity{e}}, doc, model, nil)
	if len(kept.Entities) != 1 {
		t.Errorf("entity of %s-v2 removed", model)
	}
}

func TestMergeEmpty(t *testing.T) {
	doc := mustParse(t, readFile(t, "memo.plain.html"))
	add := []anndoc.Entity{
		anndoc.NewModelEntity("e_2", "s1v1", 16, "Acme & Co", "my-ner-v1", 0.88),
		anndoc.NewModelEntity("e_1", "s1v1", 0, "Jane Doe", "my-ner-v1", 0.97),
	}
	for _, existing := range []*anndoc.AnnJSON{nil, mustDecode(t, nil)} {
		got := string(mustMarshal(t, anndoc.Merge(existing, doc, "my-ner-v1", add)))
		want := `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[{"classId":"e_1","part":"s1v1","offsets":[{"start":0,"text":"Jane Doe"}],"confidence":{"state":"pre-added","who":["ml:my-ner-v1"],"prob":0.97},"fields":{},"normalizations":{}},{"classId":"e_2","part":"s1v1","offsets":[{"start":16,"text":"Acme & Co"}],"confidence":{"state":"pre-added","who":["ml:my-ner-v1"],"prob":0.88},"fields":{},"normalizations":{}}],"relations":[]}`
		if got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	}
}

func TestMergeOrdering(t *testing.T) {
	doc := &anndoc.Document{ID: "d", Parts: []anndoc.Part{{ID: "s2p1"}, {ID: "s1p1"}}}
	ent := func(part string, start int, class, text string) anndoc.Entity {
		return anndoc.NewModelEntity(class, part, start, text, "m", 1)
	}
	add := []anndoc.Entity{
		ent("zz", 0, "e_1", "a"),
		ent("s1p1", 5, "e_1", "b"),
		ent("s1p1", 5, "e_1", "a"),
		ent("aa", 9, "e_1", "a"),
		ent("s2p1", 7, "e_2", "x"),
		ent("s1p1", 2, "e_9", "c"),
		ent("s2p1", 7, "e_1", "x"),
		{ClassID: "e_1", Part: "s1p1"}, // no offsets: first in its part
	}
	got := spans(anndoc.Merge(nil, doc, "m", add))
	want := []string{
		"s2p1 e_1 7 x ml:m",
		"s2p1 e_2 7 x ml:m",
		"s1p1 e_1 ",
		"s1p1 e_9 2 c ml:m",
		"s1p1 e_1 5 a ml:m",
		"s1p1 e_1 5 b ml:m",
		"aa e_1 9 a ml:m",
		"zz e_1 0 a ml:m",
	}
	if !slices.Equal(got, want) {
		t.Errorf("order =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// annotatable.parts comes from the document when empty, in document order.
	if parts := anndoc.Merge(nil, doc, "m", nil).Annotatable.Parts; !slices.Equal(parts, []string{"s2p1", "s1p1"}) {
		t.Errorf("parts = %q", parts)
	}
	// Without a document, parts sort by id.
	got = spans(anndoc.Merge(nil, nil, "m", add[:4]))
	if want := []string{"aa e_1 9 a ml:m", "s1p1 e_1 5 a ml:m", "s1p1 e_1 5 b ml:m", "zz e_1 0 a ml:m"}; !slices.Equal(got, want) {
		t.Errorf("order without document = %q", got)
	}
}

func TestCheckEntities(t *testing.T) {
	doc := mustParse(t, verbatim("😀 Acme &amp; Co and Berlin"))
	ok := []anndoc.Entity{anndoc.NewModelEntity("e_1", "s1v1", 3, "Acme & Co", "m", 1)}
	if err := anndoc.CheckEntities(doc, &anndoc.AnnJSON{Entities: ok}, anndoc.UTF16); err != nil {
		t.Errorf("UTF-16: %v", err)
	}
	ok[0].Offsets[0].Start = 2
	if err := anndoc.CheckEntities(doc, &anndoc.AnnJSON{Entities: ok}, anndoc.CodePoint); err != nil {
		t.Errorf("code points: %v", err)
	}
	long := strings.Repeat("x", 60)
	for _, tc := range []struct {
		name string
		e    anndoc.Entity
		want string
	}{
		{"mismatch", anndoc.NewModelEntity("e_1", "s1v1", 3, "Acme &amp;", "m", 1),
			`entity 1 (classId e_1, part s1v1): offset start 3 text "Acme &amp;" does not match part text "Acme & Co "`},
		{"code point offset in UTF-16", anndoc.NewModelEntity("e_1", "s1v1", 2, "Acme & Co", "m", 1),
			`entity 1 (classId e_1, part s1v1): offset start 2 text "Acme & Co" does not match part text " Acme & C"`},
		{"inside a surrogate pair", anndoc.NewModelEntity("e_1", "s1v1", 1, "x", "m", 1),
			`entity 1 (classId e_1, part s1v1): offset start 1 text "x" starts inside a character`},
		{"unknown part", anndoc.NewModelEntity("e_2", "s2v1", 0, "x", "m", 1),
			`entity 1 (classId e_2, part s2v1): part is not in the document`},
		{"negative", anndoc.NewModelEntity("e_1", "s1v1", -1, "x", "m", 1),
			`entity 1 (classId e_1, part s1v1): offset start -1 text "x": negative start`},
		{"past end", anndoc.NewModelEntity("e_1", "s1v1", 17, "Berlin!", "m", 1),
			`entity 1 (classId e_1, part s1v1): offset start 17 text "Berlin!" runs past the end of the part (23 utf16 units long; text there "Berlin")`},
		{"outside", anndoc.NewModelEntity("e_1", "s1v1", 40, long, "m", 1),
			`entity 1 (classId e_1, part s1v1): offset start 40 text "` + long[:40] + `"… is outside the part (23 utf16 units long)`},
		{"no offsets", anndoc.Entity{ClassID: "e_1", Part: "s1v1"},
			`entity 1 (classId e_1, part s1v1): no offsets`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &anndoc.AnnJSON{Entities: []anndoc.Entity{anndoc.NewModelEntity("e_1", "s1v1", 3, "Acme & Co", "m", 1), tc.e}}
			err := anndoc.CheckEntities(doc, a, anndoc.UTF16)
			if !errors.Is(err, anndoc.ErrOffsetMismatch) {
				t.Fatalf("err = %v, want ErrOffsetMismatch", err)
			}
			var ee *anndoc.EntityError
			if !errors.As(err, &ee) || ee.Index != 1 {
				t.Errorf("not an EntityError for entity 1: %v", err)
			}
			if err.Error() != tc.want {
				t.Errorf("message\n%s\nwant\n%s", err, tc.want)
			}
		})
	}
}
