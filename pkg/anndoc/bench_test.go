package anndoc_test

import (
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"ferry.plain.html", "structured.plain.html"} {
		in := readFile(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := anndoc.Parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMerge(b *testing.B) {
	doc := mustParse(b, readFile(b, "structured.plain.html"))
	existing := mustDecode(b, readFile(b, "existing.ann.json"))
	add := mergeAdd()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := anndoc.Merge(existing, doc, model, add).Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOffsets(b *testing.B) {
	ascii := mustParse(b, readFile(b, "ferry.plain.html")).Parts[0].Text
	mixed := "Café “curly” 北京市 😀 " + ascii
	for _, tc := range []struct{ name, text string }{{"ascii", ascii}, {"mixed", mixed}} {
		b.Run(tc.name+"/new", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				anndoc.NewOffsets(tc.text)
			}
		})
		o := anndoc.NewOffsets(tc.text)
		b.Run(tc.name+"/from-byte", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i := 0; i < len(tc.text); i += 97 {
					o.FromByte(i, anndoc.UTF16)
				}
			}
		})
	}
}

// annJSONInputs are the ann.json bodies the decode and Marshal benchmarks
// use: the indented fixture, and a compact document with many model
// entities like the ones the pipeline pushes.
func annJSONInputs(tb testing.TB) []struct {
	name string
	in   []byte
} {
	tb.Helper()
	existing := readFile(tb, "existing.ann.json")
	a := mustDecode(tb, existing)
	for i := range 200 {
		text := []string{"Jane Doe", "Acme & Co", "Nordhaven", "Café “Zur Post”"}[i%4]
		a.Entities = append(a.Entities, anndoc.NewModelEntity("e_"+string(rune('1'+i%4)), "s2s1p1", i*17, text, "tagflow-builtin-v1", 0.5+float64(i%50)/100))
	}
	return []struct {
		name string
		in   []byte
	}{{"fixture", existing}, {"entities-204", mustMarshal(tb, a)}}
}

func BenchmarkDecodeAnnJSON(b *testing.B) {
	for _, tc := range annJSONInputs(b) {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := anndoc.DecodeAnnJSON(tc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMarshalAnnJSON(b *testing.B) {
	for _, tc := range annJSONInputs(b) {
		a := mustDecode(b, tc.in)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Marshal(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMergeMany merges 2,000 suggestions into a part with 2,000 people's
// entities: the overlap checks are indexed, so this is not 4 million checks.
func BenchmarkMergeMany(b *testing.B) {
	const n = 2000
	text := strings.Repeat("abcde fghij ", n)
	doc := &anndoc.Document{ID: "d", Parts: []anndoc.Part{{ID: "s1v1", Text: text}}}
	existing := &anndoc.AnnJSON{}
	var add []anndoc.Entity
	for i := 0; i < n; i++ {
		person := anndoc.NewModelEntity("e_1", "s1v1", i*12, "abcde", "x", 1)
		person.Confidence.Who = []string{"user:ana"}
		existing.Entities = append(existing.Entities, person)
		add = append(add, anndoc.NewModelEntity("e_2", "s1v1", i*12+6, "fghij", "m", 0.9))
	}
	b.ReportAllocs()
	for b.Loop() {
		if got := anndoc.Merge(existing, doc, "m", add); len(got.Entities) != 2*n {
			b.Fatalf("%d entities, want %d", len(got.Entities), 2*n)
		}
	}
}
