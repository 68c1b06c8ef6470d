package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

// Vocabulary of the generated news corpus: enough variety that the builtin
// model meets people, organisations, money, dates and places in every text.
var (
	firstNames = []string{"Daniel", "Maria", "James", "Aiko", "Olga", "Pedro", "Sarah", "Wei", "Fatima", "John", "Elena", "Tom"}
	lastNames  = []string{"Schulman", "Garcia", "Smith", "Tanaka", "Ivanova", "Silva", "Johnson", "Chen", "Haddad", "Miller", "Rossi", "Brown"}
	orgStems   = []string{"Paypal", "Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay"}
	orgSuffix  = []string{"Holdings Inc", "Corp", "Group", "Ltd", "Bank", "Capital LLC", "Industries"}
	places     = []string{"London", "New York", "Tokyo", "Berlin", "Madrid", "Paris", "Chicago", "Singapore"}
	months     = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	roles      = []string{"chief executive", "President and CEO", "chief financial officer", "chairman", "analyst"}
	verbs      = []string{"sold", "bought", "announced", "reported", "raised", "lost", "acquired", "invested"}
	fillers    = []string{
		"The company said the deal would close by the end of the quarter.",
		"Shares rose in early trading after the announcement.",
		"Analysts had expected weaker results because of higher costs.",
		"The board did not comment on the report.",
		"Investors welcomed the news, but some warned of risks ahead.",
		"Revenue grew for the third consecutive quarter.",
		"Regulators are still reviewing the proposal.",
	}
)

// newsText returns a news-like text of about words words.
func newsText(r *rand.Rand, words int) string {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	var b strings.Builder
	n := 0
	for n < words {
		var s string
		switch r.IntN(5) {
		case 0:
			s = fmt.Sprintf("%s %s, %s of %s %s, %s $%d.%d million of shares on %s %d.",
				pick(firstNames), pick(lastNames), pick(roles), pick(orgStems), pick(orgSuffix), pick(verbs),
				1+r.IntN(900), r.IntN(10), pick(months), 1+r.IntN(28))
		case 1:
			s = fmt.Sprintf("%s %s said on Tuesday in %s that revenue reached %d percent above forecasts.",
				pick(orgStems), pick(orgSuffix), pick(places), 2+r.IntN(40))
		case 2:
			s = fmt.Sprintf("Mr. %s, who joined %s %s in %d, %s a stake worth $%d million.",
				pick(lastNames), pick(orgStems), pick(orgSuffix), 1990+r.IntN(34), pick(verbs), 1+r.IntN(500))
		default:
			s = pick(fillers)
		}
		if b.Len() > 0 {
			if r.IntN(6) == 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(s)
		n += len(strings.Fields(s))
	}
	return b.String()
}

// generatedCorpus returns n deterministic news-like texts of about words words.
func generatedCorpus(n, words int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	for i := range out {
		out[i] = newsText(r, words)
	}
	return out
}

// exportDoc is one document of a tagtog export folder.
type exportDoc struct {
	name string
	html []byte
}

// readExport reads every plain.html file under dir/plain.html.
func readExport(dir string) ([]exportDoc, error) {
	var docs []exportDoc
	err := filepath.WalkDir(filepath.Join(dir, "plain.html"), func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".plain.html") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		docs = append(docs, exportDoc{name: e.Name(), html: b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read export %s: %w", dir, err)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("read export %s: no plain.html files", dir)
	}
	return docs, nil
}

// partTexts parses each document's plain.html into its part texts.
func partTexts(docs []exportDoc) ([][]string, error) {
	out := make([][]string, 0, len(docs))
	for _, d := range docs {
		doc, err := anndoc.Parse(d.html)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", d.name, err)
		}
		texts := make([]string, len(doc.Parts))
		for i, p := range doc.Parts {
			texts[i] = p.Text
		}
		out = append(out, texts)
	}
	return out, nil
}

// wordCount counts whitespace-separated words.
func wordCount(texts []string) int {
	n := 0
	for _, t := range texts {
		n += len(strings.Fields(t))
	}
	return n
}
