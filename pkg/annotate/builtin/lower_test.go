package builtin_test

import (
	"bufio"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/annotate/builtin"
)

// scored is an expected entity with its score.
type scored struct {
	ent
	score float64
}

// readGolden reads testdata/lowercase-news.golden: per line of the fixture,
// its entities in order.
func readGolden(tb testing.TB, path string) map[int][]scored {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	want := make(map[int][]scored)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		row := sc.Text()
		if row == "" || strings.HasPrefix(row, "#") {
			continue
		}
		cols := strings.Split(row, "\t")
		if len(cols) != 5 {
			tb.Fatalf("golden row %q: %d columns", row, len(cols))
		}
		line, err1 := strconv.Atoi(cols[0])
		start, err2 := strconv.Atoi(cols[2])
		score, err3 := strconv.ParseFloat(cols[3], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			tb.Fatalf("golden row %q: bad number", row)
		}
		want[line] = append(want[line], scored{ent{cols[4], cols[1], start}, score})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return want
}

// TestLowerCaseFixture runs the model on lower-case news paragraphs, one a
// line, and compares every entity with the golden file.
func TestLowerCaseFixture(t *testing.T) {
	raw, err := os.ReadFile("testdata/lowercase-news.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("fixture has %d lines, want 10", len(lines))
	}
	want := readGolden(t, "testdata/lowercase-news.golden")
	m := builtin.New()
	total := 0
	for i, line := range lines {
		var got []scored
		for _, s := range annotateOne(t, m, line) {
			got = append(got, scored{ent{line[s.Start:s.End], s.Label, s.Start}, s.Score})
		}
		total += len(got)
		if !reflect.DeepEqual(got, want[i+1]) {
			t.Errorf("line %d: %q\n got %v\nwant %v", i+1, line, got, want[i+1])
		}
	}
	if total != 36 {
		t.Errorf("%d entities in the fixture, want 36", total)
	}
}

func TestLowerCaseRules(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []ent
	}{
		{"tutorial sentence in lower case", "paypal holdings inc (pypl) president and ceo daniel schulman sold $2.7 million of shares.",
			[]ent{{"paypal holdings inc", "ORG", 0}, {"daniel schulman", "PERSON", 45}, {"$2.7 million", "MONEY", 66}}},
		{"tutorial sentence in capitals", "PAYPAL HOLDINGS INC (PYPL) PRESIDENT AND CEO DANIEL SCHULMAN SOLD $2.7 MILLION OF SHARES.",
			[]ent{{"PAYPAL HOLDINGS INC", "ORG", 0}, {"DANIEL SCHULMAN", "PERSON", 45}, {"$2.7 MILLION", "MONEY", 66}}},
		{"title before any word", "mr pound said so.", []ent{{"pound", "PERSON", 3}}},
		{"role before a known surname", "talks with president putin ended.", []ent{{"putin", "PERSON", 21}}},
		{"common-word surname needs a cue", "jobs were cut. then jobs said no.", []ent{{"jobs", "PERSON", 20}}},
		{"possessive cue", "it was brown s budget.", []ent{{"brown", "PERSON", 7}}},
		{"first name before a common word", "david said he would go to the game.", nil},
		{"first name after a determiner", "the frank report was out.", nil},
		{"ambiguous first name", "will davies go there? will said no.", nil},
		{"labour the word", "the labour market is tight.", nil},
		{"labour the party", "labour won the vote.", []ent{{"labour", "ORG", 0}}},
		{"us the pronoun", "he told us the us firm was sold.", []ent{{"us", "GPE", 15}}},
		{"space-separated thousands", "he paid £535 000 in all.", []ent{{"£535 000", "MONEY", 8}}},
		{"space before a year is no thousands", "it cost $5 2005 was the year.", []ent{{"$5", "MONEY", 8}}},
		{"two spaces end a name", "said john  smith went home.", nil},
		{"names stay in sentences", "we met tony. blair said no.", []ent{{"blair", "PERSON", 13}}},
		{"company suffix needs a proper word", "a pressure group and the media group plc met.", nil},
		{"ministry of", "the ministry of trade and industry said.", []ent{{"ministry of trade and industry", "ORG", 4}}},
		{"month dates", "on 5 january 2005 and in may it rained.", []ent{{"5 january 2005", "DATE", 3}}},
		{"surname repeated after a full name", "gareth thomas played. later thomas scored.", []ent{{"gareth thomas", "PERSON", 0}, {"thomas", "PERSON", 28}}},
		{"particle in a repeated surname", "robin van persie scored and van persie ran.", []ent{{"robin van persie", "PERSON", 0}, {"van persie", "PERSON", 28}}},
	}
	m := builtin.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []ent
			for _, s := range annotateOne(t, m, tt.text) {
				if s.Score <= 0 || s.Score > 0.8 {
					t.Errorf("score %v out of (0,0.8]", s.Score)
				}
				got = append(got, ent{tt.text[s.Start:s.End], s.Label, s.Start})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("entities of %q\n got %v\nwant %v", tt.text, got, tt.want)
			}
		})
	}
}
