package anndoc_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

func FuzzParse(f *testing.F) {
	f.Add(readFile(f, "memo.plain.html"))
	f.Add(readFile(f, "structured.plain.html"))
	f.Add([]byte(`<html id="d"><body><div id="a">x<p id="b">&amp;y</p></div></body></html>`))
	f.Add([]byte("plain text"))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := anndoc.Parse(in)
		if err != nil {
			if !errors.Is(err, anndoc.ErrNotAnndoc) {
				t.Fatalf("error does not wrap ErrNotAnndoc: %v", err)
			}
			return
		}
		if d.ID == "" || len(d.Parts) == 0 {
			t.Fatalf("document without id or parts: %+v", d)
		}
		for _, p := range d.Parts {
			if p.ID == "" || !utf8.ValidString(p.Text) {
				t.Fatalf("bad part %q %q", p.ID, p.Text)
			}
			if got, ok := d.Part(p.ID); !ok || got.ID != p.ID {
				t.Fatalf("Part(%q) not found", p.ID)
			}
		}
		again, err := anndoc.Parse(in)
		if err != nil || again.ID != d.ID || !slices.Equal(again.Parts, d.Parts) {
			t.Fatalf("Parse is not deterministic")
		}
	})
}

func FuzzDecodeAnnJSON(f *testing.F) {
	f.Add(readFile(f, "existing.ann.json"))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"entities":[{"confidence":{"state":null},"coordinates":null,"X":1}],"Entities":2}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := anndoc.DecodeAnnJSON(in)
		if err != nil {
			if !errors.Is(err, anndoc.ErrBadAnnJSON) {
				t.Fatalf("error does not wrap ErrBadAnnJSON: %v", err)
			}
			return
		}
		first, err := a.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		b, err := anndoc.DecodeAnnJSON(first)
		if err != nil {
			t.Fatalf("decode of own output: %v\n%s", err, first)
		}
		second, err := b.Marshal()
		if err != nil {
			t.Fatalf("second Marshal: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("not a fixed point:\n%s\n%s", first, second)
		}
	})
}

// FuzzMerge builds a document and entities from the fuzzer's text, merges
// them with an existing ann.json and checks the result.
func FuzzMerge(f *testing.F) {
	f.Add("Jane Doe joined Acme & Co in Berlin.", "second part 😀 x", uint8(3), uint8(7), false)
	f.Add("\r\n&amp;<>", "", uint8(0), uint8(1), true)
	f.Fuzz(func(t *testing.T, p1, p2 string, step, width uint8, codePoints bool) {
		if !utf8.ValidString(p1) || !utf8.ValidString(p2) || strings.ContainsRune(p1+p2, 0) {
			return
		}
		u := anndoc.UTF16
		if codePoints {
			u = anndoc.CodePoint
		}
		doc := &anndoc.Document{ID: "d", Parts: []anndoc.Part{{ID: "s1p1", Text: p1}, {ID: "s2p1", Text: p2}}}
		existing := &anndoc.AnnJSON{Entities: spansOf(doc, "user:ann", u, int(step)+1, int(width)%8+1)}
		existing.Entities = append(existing.Entities, spansOf(doc, "ml:old", u, int(width)+2, int(step)%5+1)...)
		if err := anndoc.CheckEntities(doc, existing, u); err != nil {
			t.Fatalf("existing: %v", err)
		}
		add := spansOf(doc, anndoc.ModelWho("m"), u, int(step)%7+1, int(width)%3+1)
		merged := anndoc.Merge(existing, doc, "m", add)
		if err := anndoc.CheckEntities(doc, merged, u); err != nil {
			t.Fatalf("merged: %v", err)
		}
		first, err := merged.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		second, err := anndoc.Merge(merged, doc, "m", add).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("merge is not idempotent:\n%s\n%s", first, second)
		}
	})
}

// spansOf makes entities every step characters of each part, width characters
// long, attributed to who.
func spansOf(doc *anndoc.Document, who string, u anndoc.Unit, step, width int) []anndoc.Entity {
	var out []anndoc.Entity
	for _, p := range doc.Parts {
		offs := anndoc.NewOffsets(p.Text)
		for b := 0; b < len(p.Text); b += step {
			if !utf8.RuneStart(p.Text[b]) {
				continue
			}
			end := b
			for range width {
				if end >= len(p.Text) {
					break
				}
				_, size := utf8.DecodeRuneInString(p.Text[end:])
				end += size
			}
			e := anndoc.NewModelEntity("e_1", p.ID, offs.FromByte(b, u), p.Text[b:end], "x", 0.5)
			e.Confidence.Who = []string{who}
			out = append(out, e)
		}
	}
	return out
}

func FuzzVerbatimRoundTrip(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		d, err := anndoc.Parse(anndoc.VerbatimHTML("d", "d.txt", text))
		if err != nil {
			t.Fatal(err)
		}
		// NUL is the one character HTML5 cannot carry; it becomes U+FFFD.
		want := strings.ReplaceAll(text, "\x00", "\ufffd")
		if got := d.Parts[0].Text; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}
