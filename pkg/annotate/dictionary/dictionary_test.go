package dictionary_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tagflow/tagflow/pkg/annotate"
	"github.com/tagflow/tagflow/pkg/annotate/dictionary"
)

func load(tb testing.TB, opts ...dictionary.Option) *dictionary.Dictionary {
	tb.Helper()
	d, err := dictionary.Load("testdata/companies.tsv", "ORG", opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// match is a Match written with its text, for readable tables.
type match struct {
	text string
	id   string
	alt  bool
}

func TestFind(t *testing.T) {
	d := load(t)
	if d.Len() != 9 {
		t.Fatalf("Len = %d, want 9", d.Len())
	}
	tests := []struct {
		name string
		text string
		want []match
	}{
		{"recommended and alternative", "Google Inc. and Alphabet", []match{{"Google Inc.", "Q95", false}, {"Alphabet", "Q95", true}}},
		{"longest wins", "The New York Times reported", []match{{"The New York Times", "Q_NYT", false}}},
		{"longest wins over prefix", "in New York City today", []match{{"New York City", "Q_NY", false}}},
		{"any white space inside", "New \n York", []match{{"New \n York", "Q_NY", false}}},
		{"no space where the name has none", "Google Inc . then", []match{{"Google", "Q95", false}}},
		{"whole words only", "Googles Microsofty IBMs xIBM", nil},
		{"punctuation is a boundary", "(IBM), Microsoft's", []match{{"IBM", "IBM", false}, {"Microsoft", "Q2283", false}}},
		{"case sensitive", "google MICROSOFT", nil},
		{"non-ASCII", "Die Müller AG in 東京都 und 東京", []match{{"Müller AG", "Q_muller", false}, {"東京都", "Q_tokyo", true}, {"東京", "Q_tokyo", false}}},
		{"hyphenated", "Coca-Cola, not Coca Cola", []match{{"Coca-Cola", "Q_coca", false}}},
		{"names over seven words are ignored", "one two three four five six seven eight", nil},
		{"id-only line", "IBM", []match{{"IBM", "IBM", false}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []match
			for _, m := range d.Find(tt.text) {
				got = append(got, match{tt.text[m.Start:m.End], m.ID, m.Alternative})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Find(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestAnnotateOffsets(t *testing.T) {
	d := load(t, dictionary.CaseInsensitive(), dictionary.WithName("companies"))
	texts := []string{"Zoë 😀 met MÜLLER ag and google inc.", "", "new york"}
	got, err := d.Annotate(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]annotate.Span{
		{{Start: 14, End: 24, Label: "ORG", Score: 1}, {Start: 29, End: 40, Label: "ORG", Score: 1}},
		nil,
		{{Start: 0, End: 8, Label: "ORG", Score: 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Annotate = %v, want %v", got, want)
	}
	if texts[0][14:24] != "MÜLLER ag" || texts[0][29:40] != "google inc." {
		t.Fatal("fixture offsets are wrong")
	}
	if d.Name() != "companies" {
		t.Fatalf("Name = %q", d.Name())
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, msg string
	}{
		{"empty id", "A\tx\n\tname\n", "line 2: empty id"},
		{"bad utf8", "A\t\xff\n", "line 1: not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dictionary.Parse(strings.NewReader(tt.in), "ORG")
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %q", err, tt.msg)
			}
		})
	}
	if _, err := dictionary.Parse(strings.NewReader("A\n"), ""); err == nil {
		t.Fatal("empty label accepted")
	}
	if _, err := dictionary.Load("testdata/missing.tsv", "ORG"); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestFirstEntryWins(t *testing.T) {
	d, err := dictionary.Parse(strings.NewReader("A\tApple\nB\tApple\tBanana\n"), "ORG")
	if err != nil {
		t.Fatal(err)
	}
	ms := d.Find("Apple Banana")
	if len(ms) != 2 || ms[0].ID != "A" || ms[1].ID != "B" {
		t.Fatalf("Find = %+v", ms)
	}
}

func BenchmarkAnnotate(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 2000; i++ {
		sb.WriteString("A\tname")
		sb.WriteString(strings.Repeat("x", i%7))
		sb.WriteString(" Corp\tN")
		sb.WriteString(strings.Repeat("y", i%5))
		sb.WriteString("\n")
	}
	sb.WriteString("G\tGoogle\tGoogle Inc.\nM\tMicrosoft Corporation\n")
	d, err := dictionary.Parse(strings.NewReader(sb.String()), "ORG")
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Shares of Google Inc. rose while Microsoft Corporation and namexx Corp fell in New York. ", 50)
	texts := []string{text, text, text, text}
	words := 4 * len(strings.Fields(text))
	b.SetBytes(int64(4 * len(text)))
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		if _, err := d.Annotate(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(words)*float64(b.N)/b.Elapsed().Seconds(), "words/s")
}

// FuzzParse feeds an arbitrary dictionary and text to Parse and Find: they
// never panic, errors name a line, and matches lie within the text, on rune
// boundaries, sorted, without overlaps and with a non-empty id.
func FuzzParse(f *testing.F) {
	f.Add([]byte("ACME\tAcme Corp\tACME\t@@@\tAcme\n# comment\nIBM\n"), "Acme Corp bought IBM; acme too.", false)
	f.Add([]byte("\uFEFFe1\tZoë Müller\r\n\ne2\t東京\t@@@\tTokyo\n"), "ZOË MÜLLER in 東京 and tokyo", true)
	f.Add([]byte("x\ta b c d e f g h\n\tno id\n"), "a b c d e f g h", false)
	f.Add([]byte("k\tİstanbul\nAT&T\n"), "İSTANBUL istanbul AT & T AT&T", true)
	f.Fuzz(func(t *testing.T, dict []byte, text string, fold bool) {
		var opts []dictionary.Option
		if fold {
			opts = append(opts, dictionary.CaseInsensitive())
		}
		d, err := dictionary.Parse(bytes.NewReader(dict), "ORG", opts...)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "dictionary: line ") {
				t.Fatalf("error does not name the line: %v", err)
			}
			return
		}
		last := 0
		for _, m := range d.Find(text) {
			if m.Start < last || m.End <= m.Start || m.End > len(text) {
				t.Fatalf("match %+v out of order or out of bounds (text of %d bytes, last end %d)", m, len(text), last)
			}
			if utf8.ValidString(text) && (!utf8.RuneStart(text[m.Start]) || (m.End < len(text) && !utf8.RuneStart(text[m.End]))) {
				t.Fatalf("match %+v cuts a character in %q", m, text)
			}
			if m.ID == "" {
				t.Fatalf("match %+v has no id", m)
			}
			last = m.End
		}
	})
}
