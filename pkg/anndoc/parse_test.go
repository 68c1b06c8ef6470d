package anndoc_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

func TestParseMemo(t *testing.T) {
	d := mustParse(t, readFile(t, "memo.plain.html"))
	if d.ID != "aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt" {
		t.Errorf("ID = %q", d.ID)
	}
	want := [][2]string{{"s1v1", "Jane Doe joined Acme & Co in Berlin.\nCall +1 555 0100."}}
	if got := partsOf(d); !slices.Equal(got, want) {
		t.Fatalf("parts = %q, want %q", got, want)
	}
	text := d.Parts[0].Text
	for _, tc := range []struct {
		name          string
		start, length int
		want          string
	}{
		{"person", 0, 8, "Jane Doe"},
		{"org", 16, 9, "Acme & Co"},
		{"city", 29, 6, "Berlin"},
	} {
		for _, u := range []anndoc.Unit{anndoc.UTF16, anndoc.CodePoint} {
			got, ok := anndoc.Slice(text, tc.start, tc.length, u)
			if !ok || got != tc.want {
				t.Errorf("%s %s: Slice(%d,%d) = %q, %v; want %q", tc.name, u, tc.start, tc.length, got, ok, tc.want)
			}
		}
	}
	if n := anndoc.UnitLen(text, anndoc.UTF16); n != 54 {
		t.Errorf("text length = %d, want 54", n)
	}
}

// TestParseEntitiesAndUnits checks decoding of character references and the
// offsets of entities after non-ASCII text in both units.
func TestParseEntitiesAndUnits(t *testing.T) {
	src := `Caf&eacute; &amp; Co &lt;tag&gt; &quot;q&quot; a&nbsp;b “curly” 5 &euro; 北京市 😀 Acme`
	wantText := "Café & Co <tag> \"q\" a\u00a0b “curly” 5 € 北京市 😀 Acme"
	d := mustParse(t, verbatim(src))
	text := d.Parts[0].Text
	if text != wantText {
		t.Fatalf("text = %q, want %q", text, wantText)
	}
	if got := anndoc.UnitLen(text, anndoc.UTF16); got != 47 {
		t.Errorf("UTF-16 length = %d, want 47", got)
	}
	if got := anndoc.UnitLen(text, anndoc.CodePoint); got != 46 {
		t.Errorf("code point length = %d, want 46", got)
	}
	offs := anndoc.NewOffsets(text)
	for _, tc := range []struct {
		sub              string
		byteStart        int
		u16Start, u16Len int
		cpStart, cpLen   int
	}{
		{"Café", 0, 0, 4, 0, 4},
		{"& Co", 6, 5, 4, 5, 4},
		{"<tag>", 11, 10, 5, 10, 5},
		{`"q"`, 17, 16, 3, 16, 3},
		{"a\u00a0b", 21, 20, 3, 20, 3},
		{"“curly”", 26, 24, 7, 24, 7},
		{"5 €", 38, 32, 3, 32, 3},
		{"北京市", 44, 36, 3, 36, 3},
		{"😀", 54, 40, 2, 40, 1},
		{"Acme", 59, 43, 4, 42, 4},
	} {
		t.Run(tc.sub, func(t *testing.T) {
			if b := strings.Index(text, tc.sub); b != tc.byteStart {
				t.Fatalf("byte start = %d, want %d", b, tc.byteStart)
			}
			for _, c := range []struct {
				u            anndoc.Unit
				start, count int
			}{{anndoc.UTF16, tc.u16Start, tc.u16Len}, {anndoc.CodePoint, tc.cpStart, tc.cpLen}} {
				if got := offs.FromByte(tc.byteStart, c.u); got != c.start {
					t.Errorf("%s: FromByte(%d) = %d, want %d", c.u, tc.byteStart, got, c.start)
				}
				if got := anndoc.UnitLen(tc.sub, c.u); got != c.count {
					t.Errorf("%s: UnitLen = %d, want %d", c.u, got, c.count)
				}
				if got, ok := anndoc.Slice(text, c.start, c.count, c.u); !ok || got != tc.sub {
					t.Errorf("%s: Slice(%d,%d) = %q, %v", c.u, c.start, c.count, got, ok)
				}
				if b, ok := offs.ToByte(c.start, c.u); !ok || b != tc.byteStart {
					t.Errorf("%s: ToByte(%d) = %d, %v; want %d", c.u, c.start, b, ok, tc.byteStart)
				}
			}
		})
	}
}

func TestParseEmojiBeforeEntity(t *testing.T) {
	d := mustParse(t, verbatim("😀 Acme"))
	text := d.Parts[0].Text
	offs := anndoc.NewOffsets(text)
	if got := offs.FromByte(5, anndoc.UTF16); got != 3 {
		t.Errorf("UTF-16 start = %d, want 3", got)
	}
	if got := offs.FromByte(5, anndoc.CodePoint); got != 2 {
		t.Errorf("code point start = %d, want 2", got)
	}
	if got, ok := anndoc.Slice(text, 3, 4, anndoc.UTF16); !ok || got != "Acme" {
		t.Errorf("UTF-16 slice = %q, %v", got, ok)
	}
	if got, ok := anndoc.Slice(text, 2, 4, anndoc.CodePoint); !ok || got != "Acme" {
		t.Errorf("code point slice = %q, %v", got, ok)
	}
}

func TestParseStructured(t *testing.T) {
	d := mustParse(t, readFile(t, "structured.plain.html"))
	if d.ID != "b3c9e0f1a2d4:rc-2031-114" {
		t.Errorf("ID = %q", d.ID)
	}
	want := [][2]string{
		{"s1h1", "Soil moisture & root growth in drought-tolerant barley"},
		{"s2h1", "Abstract"},
		{"s2s1h1", "Background"},
		{"s2s1p1", "Barley lines bred at Nordhaven University were grown at <20% field capacity."},
		{"s2s2h1", "Results"},
		{"s2s2p1", `Roots of line "NH-7" grew 35 μm per hour, as Dr. Ada Lindqvist predicted.`},
		{"s3h1", "Methods"},
		{"s3p1", "Plants were\n watered by hand."},
		{"s3f1h1", "Root length over time"},
		{"s3f1p1", "Mean root length (mm) of NH-7 and control plants; bars show ±1 SD."},
		{"s3f2h1", "Soil water content"},
	}
	if got := partsOf(d); !slices.Equal(got, want) {
		t.Fatalf("parts =\n%q\nwant\n%q", got, want)
	}
	for _, p := range want {
		got, ok := d.Part(p[0])
		if !ok || got.Text != p[1] {
			t.Errorf("Part(%q) = %q, %v", p[0], got.Text, ok)
		}
	}
	if _, ok := d.Part("s9p9"); ok {
		t.Error("Part(s9p9) found")
	}
}

func TestParseFerry(t *testing.T) {
	d := mustParse(t, readFile(t, "ferry.plain.html"))
	if d.ID != "aXq7.Tz0Lm_k3PvB2sWnYc9dHf1R-4021.txt" || len(d.Parts) != 1 || d.Parts[0].ID != "s1v1" {
		t.Fatalf("got id %q parts %d", d.ID, len(d.Parts))
	}
	text := d.Parts[0].Text
	if n := anndoc.UnitLen(text, anndoc.UTF16); n != 2710 {
		t.Errorf("length = %d, want 2710", n)
	}
	for _, tc := range []struct {
		start int
		want  string
	}{
		{219, "northgate construction & sons"},
		{262, "£48m"},
		{365, "maria ellison"},
		{914, "£12m"},
		{993, "bluewater lines"},
		{1087, "anil kapoor"},
	} {
		if got, ok := anndoc.Slice(text, tc.start, anndoc.UnitLen(tc.want, anndoc.UTF16), anndoc.UTF16); !ok || got != tc.want {
			t.Errorf("at %d: %q, %v; want %q", tc.start, got, ok, tc.want)
		}
	}
}

// TestParseRules covers the less common shapes: nested ids, duplicate ids,
// comments, CR handling and the newline after <pre>.
func TestParseRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want [][2]string
	}{
		{
			name: "nested ids are parts of their own and part of the outer text",
			body: `<div id="s1p1">Acme <span id="s1p1x">&amp; Co</span> rose</div><p id="s1p2">x</p>`,
			want: [][2]string{{"s1p1", "Acme & Co rose"}, {"s1p1x", "& Co"}, {"s1p2", "x"}},
		},
		{
			name: "elements without id and comments are not text of a part",
			body: `<p>no id</p><p id="a">one<!-- note --><b>two</b><br/>three</p>`,
			want: [][2]string{{"a", "onetwothree"}},
		},
		{
			name: "empty element and empty id",
			body: `<p id="a"></p><p id="">skipped</p>`,
			want: [][2]string{{"a", ""}},
		},
		{
			name: "duplicate ids are both listed",
			body: `<p id="a">first</p><p id="a">second</p>`,
			want: [][2]string{{"a", "first"}, {"a", "second"}},
		},
		{
			name: "first newline after pre is dropped, the second kept",
			body: "<pre id=\"v\">\n\nx</pre>",
			want: [][2]string{{"v", "\nx"}},
		},
		{
			name: "raw CR and CRLF become LF, character reference CR survives",
			body: "<pre id=\"v\">a\r\nb\rc&#13;d</pre>",
			want: [][2]string{{"v", "a\nb\nc\rd"}},
		},
		{
			name: "whitespace is kept",
			body: "<p id=\"a\">  two  spaces\ttab \n</p>",
			want: [][2]string{{"a", "  two  spaces\ttab \n"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, []byte(`<html id="d"><body>`+tc.body+`</body></html>`))
			if got := partsOf(d); !slices.Equal(got, tc.want) {
				t.Errorf("parts = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseManyPartsLookup(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<html id="d"><body>`)
	ids := []string{}
	for i := range 20 {
		id := "s1p" + string(rune('a'+i))
		ids = append(ids, id)
		b.WriteString(`<p id="` + id + `">` + id + ` text</p>`)
	}
	b.WriteString(`</body></html>`)
	d := mustParse(t, []byte(b.String()))
	for _, id := range ids {
		if p, ok := d.Part(id); !ok || p.Text != id+" text" {
			t.Errorf("Part(%q) = %q, %v", id, p.Text, ok)
		}
	}
	// Parts is exported; lookups stay right after it is changed.
	d.Parts = d.Parts[1:]
	if _, ok := d.Part(ids[0]); ok {
		t.Errorf("Part(%q) found after removal", ids[0])
	}
	if p, ok := d.Part(ids[5]); !ok || p.ID != ids[5] {
		t.Errorf("Part(%q) = %q, %v", ids[5], p.ID, ok)
	}
}

func TestParseNotAnndoc(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input string
		why   string
	}{
		{"empty", "", "empty input"},
		{"whitespace", " \n\t", "empty input"},
		{"plain text", "Jane Doe joined Acme & Co in Berlin.", "<html> has no id attribute"},
		{"html without id", `<!DOCTYPE html><html><body><pre id="s1v1">x</pre></body></html>`, "<html> has no id attribute"},
		{"empty html id", `<html id=""><body><pre id="s1v1">x</pre></body></html>`, "<html> has no id attribute"},
		{"no parts", `<html id="d"><body><pre>x</pre></body></html>`, "no element with an id inside <body>"},
		{"id only in head", `<html id="d"><head><title id="t">x</title></head><body></body></html>`, "no element with an id inside <body>"},
		{"binary", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "not valid UTF-8"},
		{"latin-1", `<html id="d"><body><p id="a">caf` + "\xe9" + `</p></body></html>`, "not valid UTF-8"},
		{"json", `{"annotatable":{"parts":[]}}`, "<html> has no id attribute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := anndoc.Parse([]byte(tc.input))
			if !errors.Is(err, anndoc.ErrNotAnndoc) {
				t.Fatalf("Parse = %v, %v; want ErrNotAnndoc", d, err)
			}
			if !strings.Contains(err.Error(), tc.why) {
				t.Errorf("error %q does not say %q", err, tc.why)
			}
		})
	}
}
