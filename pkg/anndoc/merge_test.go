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

	// Dropped from add: e_2 "Soil moisture" (bo marked that text as e_4), e_1
	// "Ada Lindqvist" (inside ana's "Dr. Ada Lindqvist") and the repeated
	// "Nordhaven University". other-model's "NH-7" does not drop ours.
	want := []string{
		"s1h1 e_4 0 Soil moisture user:bo",
		"s2s1p1 e_2 21 Nordhaven University ml:tagflow-builtin",
		"s2s1p1 e_5 56 <20% ml:tagflow-builtin",
		"s2s2p1 e_1 45 Dr. Ada Lindqvist user:ana",
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
	human := merged.Entities[3]
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

// decided lists "part classId start text who state" per entity, state quoted
// or null.
func decided(a *anndoc.AnnJSON) []string {
	out := make([]string, len(a.Entities))
	for i, e := range a.Entities {
		state, who := "null", ""
		if e.Confidence != nil {
			who = strings.Join(e.Confidence.Who, ",")
			if e.Confidence.State != nil {
				state = `"` + *e.Confidence.State + `"`
			}
		}
		var sb strings.Builder
		for _, o := range e.Offsets {
			sb.WriteString(" " + itoa(o.Start) + " " + o.Text)
		}
		out[i] = e.Part + " " + e.ClassID + sb.String() + " " + who + " " + state
	}
	return out
}

// TestMergePeoplesDecisions checks that what people did to a model's
// suggestions (confirm, correct, relabel, reject) survives a re-run and keeps
// the model from suggesting that text again.
func TestMergePeoplesDecisions(t *testing.T) {
	const text = "Jane Doe of the Bank of England met Acme in London."
	doc := &anndoc.Document{ID: "d", Parts: []anndoc.Part{{ID: "s1p1", Text: text}}}
	// ent returns an entity of part s1p1 with the given state (nil for null)
	// and who.
	ent := func(class string, start int, txt string, state *string, who ...string) anndoc.Entity {
		e := anndoc.NewModelEntity(class, "s1p1", start, txt, "unused", 1)
		e.Confidence.State = state
		e.Confidence.Who = who
		return e
	}
	str := func(s string) *string { return &s }
	preAdded, removed, manual := str("pre-added"), str("pre-removed"), str("")
	add := func(class string, start int, txt string) anndoc.Entity {
		return anndoc.NewModelEntity(class, "s1p1", start, txt, "m", 0.9)
	}
	noConfidence := ent("e_1", 0, "Jane Doe", nil)
	noConfidence.Confidence = nil

	tests := []struct {
		name     string
		existing []anndoc.Entity
		add      []anndoc.Entity
		want     []string
	}{
		{"confirmed suggestion, state empty",
			[]anndoc.Entity{ent("e_1", 0, "Jane Doe", manual, "ml:m")},
			[]anndoc.Entity{add("e_1", 0, "Jane Doe"), add("e_2", 36, "Acme")},
			[]string{`s1p1 e_1 0 Jane Doe ml:m ""`, `s1p1 e_2 36 Acme ml:m "pre-added"`}},
		{"confirmed suggestion, state null",
			[]anndoc.Entity{ent("e_1", 0, "Jane Doe", nil, "ml:m")},
			[]anndoc.Entity{add("e_1", 0, "Jane Doe")},
			[]string{`s1p1 e_1 0 Jane Doe ml:m null`}},
		{"confirmed suggestion, who names the person",
			[]anndoc.Entity{ent("e_1", 0, "Jane Doe", preAdded, "ml:m", "user:ana")},
			[]anndoc.Entity{add("e_1", 0, "Jane Doe")},
			[]string{`s1p1 e_1 0 Jane Doe ml:m,user:ana "pre-added"`}},
		{"corrected suggestion",
			[]anndoc.Entity{ent("e_1", 0, "Jane", manual, "ml:m", "user:ana")},
			[]anndoc.Entity{add("e_1", 0, "Jane Doe")},
			[]string{`s1p1 e_1 0 Jane ml:m,user:ana ""`}},
		{"rejected suggestion",
			[]anndoc.Entity{ent("e_1", 0, "Jane Doe", removed, "ml:m")},
			[]anndoc.Entity{add("e_1", 0, "Jane Doe"), add("e_2", 36, "Acme")},
			[]string{`s1p1 e_1 0 Jane Doe ml:m "pre-removed"`, `s1p1 e_2 36 Acme ml:m "pre-added"`}},
		{"relabelled by a person",
			[]anndoc.Entity{ent("e_1", 36, "Acme", manual, "user:ana")},
			[]anndoc.Entity{add("e_2", 36, "Acme")},
			[]string{`s1p1 e_1 36 Acme user:ana ""`}},
		{"person's entity without confidence",
			[]anndoc.Entity{noConfidence},
			[]anndoc.Entity{add("e_2", 0, "Jane Doe")},
			[]string{`s1p1 e_1 0 Jane Doe  null`}},
		{"inside a person's span",
			[]anndoc.Entity{ent("e_2", 16, "Bank of England", nil, "user:ana")},
			[]anndoc.Entity{add("e_3", 24, "England")},
			[]string{`s1p1 e_2 16 Bank of England user:ana null`}},
		{"across the end of a person's span",
			[]anndoc.Entity{ent("e_2", 16, "Bank of England", nil, "user:ana")},
			[]anndoc.Entity{add("e_5", 24, "England met"), add("e_1", 0, "Jane Doe")},
			[]string{`s1p1 e_1 0 Jane Doe ml:m "pre-added"`, `s1p1 e_2 16 Bank of England user:ana null`}},
		{"around a person's span",
			[]anndoc.Entity{ent("e_3", 24, "England", manual, "user:ana")},
			[]anndoc.Entity{add("e_2", 16, "Bank of England"), add("e_2", 12, "the Bank")},
			[]string{`s1p1 e_2 12 the Bank ml:m "pre-added"`, `s1p1 e_3 24 England user:ana ""`}},
		{"next to a person's span",
			[]anndoc.Entity{ent("e_3", 24, "England", manual, "user:ana")},
			[]anndoc.Entity{add("e_2", 16, "Bank of "), add("e_4", 31, " met")},
			[]string{`s1p1 e_2 16 Bank of  ml:m "pre-added"`, `s1p1 e_3 24 England user:ana ""`, `s1p1 e_4 31  met ml:m "pre-added"`}},
		{"another model's suggestion, same class and span",
			[]anndoc.Entity{ent("e_3", 44, "London", preAdded, "ml:other")},
			[]anndoc.Entity{add("e_3", 44, "London")},
			[]string{`s1p1 e_3 44 London ml:other "pre-added"`, `s1p1 e_3 44 London ml:m "pre-added"`}},
		{"another model's suggestion, other class",
			[]anndoc.Entity{ent("e_2", 44, "London", preAdded, "ml:other")},
			[]anndoc.Entity{add("e_3", 44, "London"), add("e_3", 46, "ndo")},
			[]string{`s1p1 e_2 44 London ml:other "pre-added"`, `s1p1 e_3 44 London ml:m "pre-added"`, `s1p1 e_3 46 ndo ml:m "pre-added"`}},
		{"another model's suggestion confirmed by a person",
			[]anndoc.Entity{ent("e_2", 44, "London", preAdded, "ml:other", "user:bo")},
			[]anndoc.Entity{add("e_3", 44, "London")},
			[]string{`s1p1 e_2 44 London ml:other,user:bo "pre-added"`}},
		{"own suggestions replaced",
			[]anndoc.Entity{ent("e_1", 0, "Jane", preAdded, "ml:m"), ent("e_2", 36, "Acme", preAdded, "ml:m")},
			[]anndoc.Entity{add("e_1", 0, "Jane Doe")},
			[]string{`s1p1 e_1 0 Jane Doe ml:m "pre-added"`}},
		{"own suggestions removed, decisions kept",
			[]anndoc.Entity{ent("e_1", 0, "Jane Doe", removed, "ml:m"), ent("e_2", 36, "Acme", preAdded, "ml:m")},
			nil,
			[]string{`s1p1 e_1 0 Jane Doe ml:m "pre-removed"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			existing := &anndoc.AnnJSON{Entities: tt.existing}
			if err := anndoc.CheckEntities(doc, existing, anndoc.UTF16); err != nil {
				t.Fatalf("test case wrong: existing: %v", err)
			}
			if err := anndoc.CheckEntities(doc, &anndoc.AnnJSON{Entities: tt.add}, anndoc.UTF16); err != nil {
				t.Fatalf("test case wrong: add: %v", err)
			}
			before := mustMarshal(t, existing)
			merged := anndoc.Merge(existing, doc, "m", tt.add)
			if got := decided(merged); !slices.Equal(got, tt.want) {
				t.Errorf("entities =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if after := mustMarshal(t, existing); !bytes.Equal(after, before) {
				t.Error("Merge modified existing")
			}
			out := mustMarshal(t, merged)
			if again := mustMarshal(t, anndoc.Merge(merged, doc, "m", tt.add)); !bytes.Equal(again, out) {
				t.Errorf("second merge differs:\n%s\n%s", again, out)
			}
			if again := mustMarshal(t, anndoc.Merge(mustDecode(t, out), doc, "m", tt.add)); !bytes.Equal(again, out) {
				t.Errorf("merge of decoded output differs:\n%s\n%s", again, out)
			}
		})
	}
}
