package anndoc_test

import (
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

func TestParseUnit(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    anndoc.Unit
		wantErr bool
	}{
		{"", anndoc.UTF16, false},
		{"utf16", anndoc.UTF16, false},
		{"UTF-16", anndoc.UTF16, false},
		{"codepoint", anndoc.CodePoint, false},
		{" CodePoints ", anndoc.CodePoint, false},
		{"bytes", 0, true},
	} {
		got, err := anndoc.ParseUnit(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseUnit(%q) = %v, %v", tc.in, got, err)
		}
		if err == nil {
			if back, _ := anndoc.ParseUnit(got.String()); back != got {
				t.Errorf("ParseUnit(%q.String()) = %v", got, back)
			}
		}
	}
	if s := anndoc.Unit(7).String(); s != "Unit(7)" {
		t.Errorf("String = %q", s)
	}
}

func TestSlice(t *testing.T) {
	text := "a😀b€c" // a=1, 😀=2 UTF-16 units / 1 code point, b, €, c
	for _, tc := range []struct {
		name          string
		start, length int
		u             anndoc.Unit
		want          string
		ok            bool
	}{
		{"utf16 emoji", 1, 2, anndoc.UTF16, "😀", true},
		{"utf16 after emoji", 3, 3, anndoc.UTF16, "b€c", true},
		{"utf16 half emoji start", 2, 1, anndoc.UTF16, "", false},
		{"utf16 half emoji end", 0, 2, anndoc.UTF16, "", false},
		{"utf16 whole", 0, 6, anndoc.UTF16, text, true},
		{"utf16 past end", 5, 2, anndoc.UTF16, "", false},
		{"utf16 empty at end", 6, 0, anndoc.UTF16, "", true},
		{"codepoint emoji", 1, 1, anndoc.CodePoint, "😀", true},
		{"codepoint after emoji", 2, 3, anndoc.CodePoint, "b€c", true},
		{"codepoint past end", 5, 1, anndoc.CodePoint, "", false},
		{"negative start", -1, 1, anndoc.UTF16, "", false},
		{"negative length", 0, -1, anndoc.CodePoint, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := anndoc.Slice(text, tc.start, tc.length, tc.u)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Slice(%d,%d,%s) = %q, %v; want %q, %v", tc.start, tc.length, tc.u, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestOffsetsEdges(t *testing.T) {
	text := "a😀b€c"
	o := anndoc.NewOffsets(text)
	for _, tc := range []struct {
		b       int
		u16, cp int
	}{
		{-3, 0, 0},
		{0, 0, 0},
		{1, 1, 1},
		{2, 1, 1}, // inside 😀: its start
		{4, 1, 1},
		{5, 3, 2},
		{6, 4, 3},
		{7, 4, 3}, // inside €
		{9, 5, 4},
		{10, 6, 5},
		{11, 6, 5}, // past end: clamped
	} {
		if got := o.FromByte(tc.b, anndoc.UTF16); got != tc.u16 {
			t.Errorf("FromByte(%d, utf16) = %d, want %d", tc.b, got, tc.u16)
		}
		if got := o.FromByte(tc.b, anndoc.CodePoint); got != tc.cp {
			t.Errorf("FromByte(%d, codepoint) = %d, want %d", tc.b, got, tc.cp)
		}
	}
	for _, tc := range []struct {
		n  int
		u  anndoc.Unit
		b  int
		ok bool
	}{
		{0, anndoc.UTF16, 0, true},
		{1, anndoc.UTF16, 1, true},
		{2, anndoc.UTF16, 0, false}, // between the surrogates
		{3, anndoc.UTF16, 5, true},
		{6, anndoc.UTF16, 10, true},
		{7, anndoc.UTF16, 0, false},
		{2, anndoc.CodePoint, 5, true},
		{5, anndoc.CodePoint, 10, true},
		{6, anndoc.CodePoint, 0, false},
		{-1, anndoc.CodePoint, 0, false},
	} {
		if b, ok := o.ToByte(tc.n, tc.u); b != tc.b || ok != tc.ok {
			t.Errorf("ToByte(%d, %s) = %d, %v; want %d, %v", tc.n, tc.u, b, ok, tc.b, tc.ok)
		}
	}
	ascii := anndoc.NewOffsets("plain ascii")
	if got := ascii.FromByte(6, anndoc.UTF16); got != 6 {
		t.Errorf("ascii FromByte = %d", got)
	}
	if b, ok := ascii.ToByte(11, anndoc.CodePoint); !ok || b != 11 {
		t.Errorf("ascii ToByte = %d, %v", b, ok)
	}
}

// TestOffsetsAgreeWithUTF16 compares every rune boundary with the standard
// library's UTF-16 encoding and rune counting.
func TestOffsetsAgreeWithUTF16(t *testing.T) {
	for _, text := range []string{
		"", "ascii only", "é", "😀😀", "x😀y€z中文🇩🇪\u00a0end", "\xffbad\xc3utf8😀",
	} {
		o := anndoc.NewOffsets(text)
		for b := 0; b <= len(text); b++ {
			if b < len(text) && !utf8.RuneStart(text[b]) {
				continue
			}
			want16 := len(utf16.Encode([]rune(text[:b])))
			wantCP := utf8.RuneCountInString(text[:b])
			if got := o.FromByte(b, anndoc.UTF16); got != want16 {
				t.Errorf("%q: FromByte(%d, utf16) = %d, want %d", text, b, got, want16)
			}
			if got := o.FromByte(b, anndoc.CodePoint); got != wantCP {
				t.Errorf("%q: FromByte(%d, codepoint) = %d, want %d", text, b, got, wantCP)
			}
			if back, ok := o.ToByte(want16, anndoc.UTF16); !ok || back != b {
				t.Errorf("%q: ToByte(%d, utf16) = %d, %v; want %d", text, want16, back, ok, b)
			}
			if back, ok := o.ToByte(wantCP, anndoc.CodePoint); !ok || back != b {
				t.Errorf("%q: ToByte(%d, codepoint) = %d, %v; want %d", text, wantCP, back, ok, b)
			}
		}
		if got, want := anndoc.UnitLen(text, anndoc.UTF16), len(utf16.Encode([]rune(text))); got != want {
			t.Errorf("%q: UnitLen utf16 = %d, want %d", text, got, want)
		}
	}
}

func TestOffsetsASCIIAllocs(t *testing.T) {
	o := anndoc.NewOffsets("Jane Doe joined Acme & Co in Berlin.")
	allocs := testing.AllocsPerRun(100, func() {
		_ = o.FromByte(16, anndoc.UTF16)
		_ = anndoc.UnitLen("Acme & Co", anndoc.UTF16)
	})
	if allocs != 0 {
		t.Errorf("allocations per conversion = %v, want 0", allocs)
	}
	if a := testing.AllocsPerRun(100, func() { _ = anndoc.NewOffsets("plain ascii") }); a != 1 {
		t.Errorf("NewOffsets on ASCII allocates %v times, want 1", a)
	}
}
