package pipeline

import (
	"bytes"
	"testing"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

const testModel = "m1"

var mergeDoc = &anndoc.Document{ID: "d", Parts: []anndoc.Part{
	{ID: "s1p1", Text: "Jane Doe joined Acme & Co in Berlin."},
	{ID: "s2p1", Text: "Call Jane Doe."},
}}

func modelEntities() []anndoc.Entity {
	return []anndoc.Entity{
		anndoc.NewModelEntity("e_1", "s1p1", 0, "Jane Doe", testModel, 0.9),
		anndoc.NewModelEntity("e_2", "s1p1", 16, "Acme & Co", testModel, 0.8),
		anndoc.NewModelEntity("e_1", "s2p1", 5, "Jane Doe", testModel, 0.9),
	}
}

// decode decodes an ann.json or fails.
func decode(tb testing.TB, s string) *anndoc.AnnJSON {
	tb.Helper()
	a, err := anndoc.DecodeAnnJSON([]byte(s))
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// pushed is the ann.json a first run of the model pushes.
func pushed(tb testing.TB) string {
	tb.Helper()
	out, err := anndoc.Merge(decode(tb, ""), mergeDoc, testModel, modelEntities()).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}

// TestMergeUnchanged checks merge against its definition: nothing to push
// exactly when the merged ann.json marshals to the bytes of the existing one.
func TestMergeUnchanged(t *testing.T) {
	first := pushed(t)
	moved := modelEntities()
	moved[2].Offsets[0].Start = 6
	tests := []struct {
		name     string
		existing string
		doc      *anndoc.Document
		add      []anndoc.Entity
		wantPush bool
	}{
		{"new document", "", mergeDoc, modelEntities(), true},
		{"repeat", first, mergeDoc, modelEntities(), false},
		{"repeat of indented ann.json", "{\n  " + first[1:], mergeDoc, modelEntities(), false},
		{"same count, other offset", first, mergeDoc, moved, true},
		{"fewer entities", first, mergeDoc, modelEntities()[:2], true},
		{"no entities, parts filled in", "", mergeDoc, nil, true},
		{"no entities, no parts", "", &anndoc.Document{ID: "d"}, nil, false},
		{"no entities, parts known", `{"annotatable":{"parts":["s1p1","s2p1"]}}`, mergeDoc, nil, false},
		{"model entities of another model stay", `{"annotatable":{"parts":["s1p1"]},"entities":[{"classId":"e_1","part":"s1p1","offsets":[{"start":0,"text":"Jane"}],"confidence":{"state":"pre-added","who":["ml:other"],"prob":1}}]}`, mergeDoc, nil, false},
		{"stale entity of this model removed", `{"annotatable":{"parts":["s1p1"]},"entities":[{"classId":"e_1","part":"s1p1","offsets":[{"start":0,"text":"Jane"}],"confidence":{"state":"pre-added","who":["ml:m1"],"prob":1}}]}`, mergeDoc, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			existing := decode(t, tt.existing)
			merged, out, err := merge(existing, tt.doc, testModel, tt.add)
			if err != nil {
				t.Fatal(err)
			}
			want, err := anndoc.Merge(existing, tt.doc, testModel, tt.add).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			before, err := existing.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if same := bytes.Equal(before, want); same == tt.wantPush {
				t.Fatalf("test case wrong: re-marshalled existing equal to merged: %v", same)
			}
			if got, _ := merged.Marshal(); !bytes.Equal(got, want) {
				t.Errorf("merged ann.json\n%s\nwant\n%s", got, want)
			}
			switch {
			case tt.wantPush && !bytes.Equal(out, want):
				t.Errorf("encoding %s, want %s", out, want)
			case !tt.wantPush && out != nil:
				t.Errorf("encoding %s, want nil: nothing to push", out)
			}
		})
	}
}

func BenchmarkMergeStep(b *testing.B) {
	first := pushed(b)
	for _, tc := range []struct{ name, existing string }{
		{"push", ""},
		{"repeat", first},
	} {
		existing := decode(b, tc.existing)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := merge(existing, mergeDoc, testModel, modelEntities()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
