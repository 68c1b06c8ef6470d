package anndoc_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

// TestVerbatimHTMLLayout reproduces tagtog's own bytes for the memo example.
func TestVerbatimHTMLLayout(t *testing.T) {
	got := anndoc.VerbatimHTML("aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt", "memo.txt",
		"Jane Doe joined Acme & Co in Berlin.\nCall +1 555 0100.")
	if want := readFile(t, "memo.plain.html"); !bytes.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// tricky are texts that HTML5 parsing would change if written naively.
var tricky = []string{
	"", " ", "\n", "\n\n", "\nx", "\r", "\r\n", "\r\nx", "\n\r", "a\r\nb\rc\n", "x\n",
	"&", "&amp;", "&amp", "&#13;", "&#0;", "&nbsp;", "&lt;pre&gt;", "<", ">", "</pre>", "<pre>", "<!-- c -->",
	"<script>alert(1)</script>", "]]>", `"quoted" 'single'`, "\t\f\v\x01\x1f\x7f", "\u0080\u009f",
	"\u00a0", "\ufeffBOM", "\ufffe\uffff", "😀", "🇩🇪", "e\u0301", "\u2028\u2029", "中文 € ₹",
	strings.Repeat("long line ", 500), "<body></body></html>", "</body>\n<p id=\"x\">y</p>",
}

func TestVerbatimHTMLRoundTrip(t *testing.T) {
	for _, text := range tricky {
		for _, id := range []string{"a1-doc.txt", `we"ird <id> & #1 😀`, "line\r\nbreak"} {
			d := mustParse(t, anndoc.VerbatimHTML(id, id+".txt", text))
			if d.ID != id {
				t.Errorf("id %q came back as %q", id, d.ID)
			}
			if len(d.Parts) != 1 || d.Parts[0].ID != anndoc.VerbatimPart || d.Parts[0].Text != text {
				t.Errorf("text %q came back as %q", text, partsOf(d))
			}
		}
	}
}

func TestVerbatimHTMLReplacements(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"\x00", "\ufffd"},
		{"a\x00\nb", "a\ufffd\nb"},
		{"\x00\n", "\ufffd\n"},
		{"bad \xff\xfe utf8", "bad \ufffd utf8"},
		{"cut \xe2\x82", "cut \ufffd"},
	} {
		d := mustParse(t, anndoc.VerbatimHTML("d", "d.txt", tc.in))
		if got := d.Parts[0].Text; got != tc.want {
			t.Errorf("%q came back as %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestVerbatimHTMLEveryCodePoint round-trips every code point but NUL.
func TestVerbatimHTMLEveryCodePoint(t *testing.T) {
	if testing.Short() {
		t.Skip("parses a 5 MB document")
	}
	var b strings.Builder
	for r := rune(1); r <= 0x10FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		b.WriteByte('a')
		b.WriteRune(r)
	}
	text := b.String()
	if got := mustParse(t, anndoc.VerbatimHTML("d", "d", text)).Parts[0].Text; got != text {
		t.Error("some code point did not round-trip")
	}
}

func TestStructuredHTML(t *testing.T) {
	sections := []anndoc.Section{
		{Type: "title", Header: "Ferries & roads"},
		{Type: "abstract", Header: "Abstract", Subsections: []anndoc.Section{
			{Header: "Background", Paragraphs: []string{"First <p>.", "\nSecond\r\n"}},
			{Header: "Results", Paragraphs: []string{"Third."}},
		}},
		{Paragraphs: []string{"No header."}},
		{Header: "Methods", Paragraphs: []string{"Before the figure."}, Figures: []anndoc.Figure{
			{Header: "Queue length", Caption: "Minutes waited; n = 40."},
			{Header: "Fares", Table: true},
			{Caption: "Caption only."},
		}},
	}
	d := mustParse(t, anndoc.StructuredHTML("doc-7", "doc-7.xml", sections))
	if d.ID != "doc-7" {
		t.Errorf("ID = %q", d.ID)
	}
	want := [][2]string{
		{"s1h1", "Ferries & roads"},
		{"s2h1", "Abstract"},
		{"s2s1h1", "Background"},
		{"s2s1p1", "First <p>."},
		{"s2s1p2", "\nSecond\r\n"},
		{"s2s2h1", "Results"},
		{"s2s2p1", "Third."},
		{"s3p1", "No header."},
		{"s4h1", "Methods"},
		{"s4p1", "Before the figure."},
		{"s4f1h1", "Queue length"},
		{"s4f1p1", "Minutes waited; n = 40."},
		{"s4f2h1", "Fares"},
		{"s4f3p1", "Caption only."},
	}
	if got := partsOf(d); !slices.Equal(got, want) {
		t.Errorf("parts =\n%q\nwant\n%q", got, want)
	}
	html := string(anndoc.StructuredHTML("doc-7", "doc-7.xml", sections))
	for _, s := range []string{`<section data-type="title">`, `<h3 id="s2s1h1">`, `<div class="subsections">`, `<figure class="table" data-origid="F2">`, `<h5 id="s4f1h1">`} {
		if !strings.Contains(html, s) {
			t.Errorf("html lacks %s", s)
		}
	}
}
