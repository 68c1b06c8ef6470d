package builtin

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// TestSentenceStartsMatchPunkt checks that running punkt on small windows
// finds the boundaries punkt finds on the whole text.
func TestSentenceStartsMatchPunkt(t *testing.T) {
	pk, err := loadPunkt()
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"Mr. Smith went to Washington. He met Dr. Jones at 5 p.m. on Jan. 5. The U.S. economy grew 2.5%. Then it fell!",
		"Is it true? \"Yes.\" She said (quietly.) It was 3 a.m. Everyone slept. Prices rose to $2.7 million. St. Louis is big.",
		"Microsoft Corp. said sales rose 5% in 2004. Shares fell. Analysts at Deutsche Bank were gloomy... Really? Yes.",
		"gurkhas to help tsunami victims britain has offered. downing street said.  the deployment would involve troops. ok",
		"Zoë went to Zürich. Åsa stayed in Malmö. José left for São Paulo. The end é.",
		"1. First item. 2. Second item. See p. 5 and fig. 3. A. B. Smith wrote it. Ends",
	}
	for _, text := range texts {
		var want []int
		for _, s := range pk.Tokenize(text) {
			if s.End < len(text) {
				// punkt ends a sentence before the white space; we start the next after it
				e := s.End
				for e < len(text) && unicode.IsSpace(rune(text[e])) {
					e++
				}
				want = append(want, e)
			}
		}
		got := sentenceStarts(pk, text, nil)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q\n got %v\nwant %v", text, got, want)
		}
	}
	if got := sentenceStarts(pk, "One line\nAnother line\n\nA third", nil); !reflect.DeepEqual(got, []int{9, 22, 23}) {
		t.Errorf("line breaks: got %v", got)
	}
	if got := sentenceStarts(pk, strings.Repeat("a.", 1000), nil); len(got) != 0 {
		t.Errorf("chunk without white space: got %v", got)
	}
}
