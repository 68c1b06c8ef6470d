package anndoc_test

import (
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
