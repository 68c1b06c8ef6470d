package builtin_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/annotate"
	"github.com/tagflow/tagflow/pkg/annotate/builtin"
)

// ent is an expected entity: its text, label and byte offset.
type ent struct {
	text  string
	label string
	start int
}

func annotateOne(tb testing.TB, m *builtin.Model, text string) []annotate.Span {
	tb.Helper()
	out, err := m.Annotate(context.Background(), []string{text})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) != 1 {
		tb.Fatalf("%d results for 1 text", len(out))
	}
	return out[0]
}

func TestAnnotateSample(t *testing.T) {
	text := "Paypal Holdings Inc (PYPL) President and CEO Daniel Schulman Sold $2.7 million of Shares."
	got := annotateOne(t, builtin.New(), text)
	want := []annotate.Span{
		{Start: 0, End: 19, Label: "ORG", Score: 0.85},
		{Start: 45, End: 60, Label: "PERSON", Score: 0.85},
		{Start: 66, End: 78, Label: "MONEY", Score: 0.95},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("spans = %v, want %v", got, want)
	}
	if text[0:19] != "Paypal Holdings Inc" || text[45:60] != "Daniel Schulman" || text[66:78] != "$2.7 million" {
		t.Fatal("fixture offsets are wrong")
	}
}

func TestAnnotateRules(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []ent
	}{
		{"pounds with bn", "The deal was worth £1.2bn last year.", []ent{{"£1.2bn", "MONEY", 19}}},
		{"euros with m", "Rivals offered €300m for it.", []ent{{"€300m", "MONEY", 15}}},
		{"amount then currency word", "It cost 20 million euros to build.", []ent{{"20 million euros", "MONEY", 8}}},
		{"US dollar prefix", "He paid US$5 and 10 dollars.", []ent{{"US$5", "MONEY", 8}, {"10 dollars", "MONEY", 17}}},
		{"percent", "Sales rose 5% and costs 3 per cent.", []ent{{"5%", "PERCENT", 11}, {"3 per cent", "PERCENT", 24}}},
		{"title", "Mr Blair said no.", []ent{{"Blair", "PERSON", 3}}},
		{"title with full stop", "Later Dr. Jane Smith spoke.", []ent{{"Jane Smith", "PERSON", 10}}},
		{"first name and surname", "Tony Blair said the plan was sound.", []ent{{"Tony Blair", "PERSON", 0}}},
		{"surname repeated", "Tony Blair spoke. Later Blair's aides left.", []ent{{"Tony Blair", "PERSON", 0}, {"Blair", "PERSON", 24}}},
		{"surname before full name", "Blair spoke first. Tony Blair then left.", []ent{{"Blair", "PERSON", 0}, {"Tony Blair", "PERSON", 19}}},
		{"possessive", "We read Tony Blair's memoirs.", []ent{{"Tony Blair", "PERSON", 8}}},
		{"bank of", "The Bank of England held rates.", []ent{{"Bank of England", "ORG", 4}}},
		{"corp with full stop", "Microsoft Corp. said sales rose.", []ent{{"Microsoft Corp.", "ORG", 0}}},
		{"org suffix mid-sentence", "Analysts at Acme Widgets Ltd disagreed.", []ent{{"Acme Widgets Ltd", "ORG", 12}}},
		{"sentence-initial common word is not part of an org", "Yesterday Acme Corp fell.", []ent{{"Acme Corp", "ORG", 10}}},
		{"role", "Chancellor Gordon Brown met President Bush.", []ent{{"Gordon Brown", "PERSON", 11}, {"Bush", "PERSON", 38}}},
		{"lower-case role", "said chief executive Jeff Bezos.", []ent{{"Jeff Bezos", "PERSON", 21}}},
		{"sentence-initial words are no persons", "Shares fell. Analysts said Profits would rise.", nil},
		{"unknown single capitalised word", "Yesterday Smith spoke to Jones.", nil},
		{"hyphenated first name", "Jean-Paul Sartre wrote it.", []ent{{"Jean-Paul Sartre", "PERSON", 0}}},
		{"hyphenated org", "Profits at Coca-Cola rose.", []ent{{"Coca-Cola", "ORG", 11}}},
		{"non-ASCII names", "José Müller met Zoë Åberg in Zürich.", []ent{{"José Müller", "PERSON", 0}, {"Zoë Åberg", "PERSON", 18}, {"Zürich", "GPE", 33}}},
		{"initial", "George W. Bush won.", []ent{{"George W. Bush", "PERSON", 0}}},
		{"particle", "Music by Ludwig van Beethoven played.", []ent{{"Ludwig van Beethoven", "PERSON", 9}}},
		{"places", "Flights from London to New York resumed.", []ent{{"London", "GPE", 13}, {"New York", "GPE", 23}}},
		{"acronym place", "The U.S. economy grew.", []ent{{"U.S.", "GPE", 4}}},
		{"nationality", "The British government agreed.", []ent{{"British", "NORP", 4}}},
		{"dates", "It opened on 5 January 2005, closed on March 3, 2006 and reopened in 2007.", []ent{{"5 January 2005", "DATE", 13}, {"March 3, 2006", "DATE", 39}, {"2007", "DATE", 69}}},
		{"weekday and month alone", "We met on Monday in September.", []ent{{"Monday", "DATE", 10}, {"September", "DATE", 20}}},
		{"ambiguous month alone", "They may meet in May or March.", nil},
		{"ambiguous first name alone", "Will said he would grant it to Bill.", nil},
		{"single first name mid-sentence", "They asked Daniel about it.", []ent{{"Daniel", "PERSON", 11}}},
		{"headline case stops names", "Daniel Schulman Sold Shares", []ent{{"Daniel Schulman", "PERSON", 0}}},
		{"known org names", "Google and Deutsche Bank gave HSBC a loan.", []ent{{"Google", "ORG", 0}, {"Deutsche Bank", "ORG", 11}, {"HSBC", "ORG", 30}}},
		{"empty", "", nil},
		{"only spaces", " \n\t ", nil},
	}
	m := builtin.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []ent
			for _, s := range annotateOne(t, m, tt.text) {
				if s.Score <= 0 || s.Score > 1 {
					t.Errorf("score %v out of (0,1]", s.Score)
				}
				got = append(got, ent{tt.text[s.Start:s.End], s.Label, s.Start})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("entities of %q\n got %v\nwant %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestEntitiesStayInSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []ent
	}{
		// without the boundary these would read "Blair Microsoft Corp" and "Tony Blair"
		{"full stop", "He met Blair. Microsoft Corp fell.", []ent{{"Microsoft Corp", "ORG", 14}}},
		{"question mark", "Is it Tony? Blair said no.", []ent{{"Tony", "PERSON", 6}}},
		{"line break", "Shares in Acme\nGroup fell", nil},
		{"money across a line", "It cost $\n5 million", nil},
	}
	m := builtin.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []ent
			for _, s := range annotateOne(t, m, tt.text) {
				got = append(got, ent{tt.text[s.Start:s.End], s.Label, s.Start})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("entities of %q\n got %v\nwant %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestAnnotateManyTextsDeterministic(t *testing.T) {
	texts := generatedCorpus()[:20]
	m := builtin.New()
	first, err := m.Annotate(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != len(texts) {
		t.Fatalf("%d results for %d texts", len(first), len(texts))
	}
	for run := 0; run < 3; run++ {
		again, err := builtin.New().Annotate(context.Background(), texts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatal("output differs between runs")
		}
	}
	for i, spans := range first {
		last := 0
		for _, s := range spans {
			if s.Start < last || s.End <= s.Start || s.End > len(texts[i]) {
				t.Fatalf("text %d: bad or overlapping span %+v", i, s)
			}
			last = s.End
		}
	}
}

func TestWithLabels(t *testing.T) {
	text := "Paypal Holdings Inc (PYPL) President and CEO Daniel Schulman Sold $2.7 million of Shares."
	got := annotateOne(t, builtin.New(builtin.WithLabels("money", "PERSON")), text)
	if len(got) != 2 || got[0].Label != "PERSON" || got[1].Label != "MONEY" {
		t.Fatalf("spans = %v", got)
	}
}

func TestAnnotateHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := builtin.New().Annotate(ctx, []string{"x"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if builtin.New().Name() != "tagflow-builtin-v1" {
		t.Fatal("wrong model name")
	}
}

func TestAnnotateOddInput(t *testing.T) {
	m := builtin.New()
	for _, text := range []string{
		"\xff\xfe invalid UTF-8 $", "...", "a.b.c.d.e.f.g.h", "Mr.", "Mr. ", "$", "5 %", "£", strings.Repeat("A. ", 1000),
		"“Quoted.” Next one.", "Ends with é.", "Tab\tseparated.\tText",
	} {
		spans := annotateOne(t, m, text)
		for _, s := range spans {
			if s.Start < 0 || s.End > len(text) || s.End <= s.Start {
				t.Fatalf("%q: bad span %+v", text, s)
			}
		}
	}
}
