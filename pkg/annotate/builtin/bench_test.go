package builtin_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tagflow/tagflow/pkg/annotate/builtin"
)

// realCorpusDir holds a tagtog export used, when present, to measure speed on
// real news text.
const realCorpusDir = "/work/shared/data/tagtog-export/plain.html/train"

var tagRE = regexp.MustCompile(`(?s)<[^>]*>`)

func loadRealCorpus(b *testing.B) []string {
	b.Helper()
	files, err := filepath.Glob(filepath.Join(realCorpusDir, "*.plain.html"))
	if err != nil || len(files) == 0 {
		b.Skip("no tagtog export at " + realCorpusDir)
	}
	texts := make([]string, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		s := string(raw)
		if i := strings.Index(s, "<body"); i >= 0 {
			s = s[i:]
		}
		s = tagRE.ReplaceAllString(s, " ")
		s = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'").Replace(s)
		texts = append(texts, strings.TrimSpace(s))
	}
	return texts
}

// generatedCorpus is capitalised, punctuated news-like text rich in entities.
func generatedCorpus() []string {
	sentences := []string{
		"Paypal Holdings Inc (PYPL) President and CEO Daniel Schulman Sold $2.7 million of Shares.",
		"Tony Blair said the Bank of England would hold rates at 4.75% until March 2005.",
		"Microsoft Corp. reported a profit of £1.2bn, up 12 per cent on the year, on Tuesday.",
		"Shares in Deutsche Bank rose after Mr Müller told analysts in Frankfurt the bank would cut 300 jobs.",
		"The European Commission fined the company €300m, the largest penalty since 2001.",
		"Chancellor Gordon Brown said the economy had grown by 20 million euros a week, according to José Ramos.",
		"Analysts expect the U.S. Federal Reserve to raise interest rates again in June.",
		"Blair's spokesman said the prime minister would travel to Washington on 5 January.",
	}
	var texts []string
	for d := 0; d < 200; d++ {
		var b strings.Builder
		for k := 0; k < 12; k++ {
			b.WriteString(sentences[(d+k)%len(sentences)])
			b.WriteByte(' ')
		}
		texts = append(texts, b.String())
	}
	return texts
}

func countWords(texts []string) int {
	n := 0
	for _, t := range texts {
		n += len(strings.Fields(t))
	}
	return n
}

func benchmarkAnnotate(b *testing.B, texts []string) {
	m := builtin.New()
	ctx := context.Background()
	words := countWords(texts)
	bytes := 0
	for _, t := range texts {
		bytes += len(t)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Annotate(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(words)*float64(b.N)/b.Elapsed().Seconds(), "words/s")
}

func BenchmarkAnnotate(b *testing.B) {
	b.Run("real", func(b *testing.B) { benchmarkAnnotate(b, loadRealCorpus(b)) })
	b.Run("generated", func(b *testing.B) { benchmarkAnnotate(b, generatedCorpus()) })
}
