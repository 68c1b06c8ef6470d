// Package builtin is a rule-based English entity recogniser written in pure
// Go: no model files, no downloads. It splits text into sentences with the
// punkt tokenizer of github.com/neurosnap/sentences and finds PERSON, ORG,
// GPE, LOC, NORP, MONEY, PERCENT and DATE entities with rules and small word
// lists tuned for news text. Entities never cross a sentence boundary.
package builtin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/neurosnap/sentences"

	"github.com/tagflow/tagflow/pkg/annotate"
)

// ModelName is the name recorded in tagtog as "ml:tagflow-builtin-v1".
const ModelName = "tagflow-builtin-v1"

// Labels produced by the model.
const (
	LabelPerson  = "PERSON"
	LabelOrg     = "ORG"
	LabelGPE     = "GPE"
	LabelLoc     = "LOC"
	LabelNORP    = "NORP"
	LabelMoney   = "MONEY"
	LabelPercent = "PERCENT"
	LabelDate    = "DATE"
)

// Scores of the rules, fixed so that output is deterministic.
const (
	scoreMoney      = 0.95
	scorePercent    = 0.95
	scoreDate       = 0.85
	scoreGazetteer  = 0.9
	scoreOrgSuffix  = 0.85
	scoreTitle      = 0.9
	scoreFullName   = 0.85
	scoreRole       = 0.75
	scoreCoref      = 0.7
	scoreFirstAlone = 0.6
)

// Model is the builtin recogniser. It is safe for concurrent use.
type Model struct {
	punkt   *sentences.DefaultSentenceTokenizer
	loadErr error
	labels  map[string]bool // nil: all labels
	scratch sync.Pool
}

var (
	_ annotate.Annotator = (*Model)(nil)
	_ annotate.Namer     = (*Model)(nil)
)

// Option configures a Model.
type Option func(*Model)

// WithLabels restricts the output to the given labels (PERSON, ORG, ...).
func WithLabels(labels ...string) Option {
	return func(m *Model) {
		m.labels = make(map[string]bool, len(labels))
		for _, l := range labels {
			m.labels[strings.ToUpper(strings.TrimSpace(l))] = true
		}
	}
}

// New returns a Model. The punkt training data is loaded once per process.
func New(opts ...Option) *Model {
	m := &Model{}
	m.punkt, m.loadErr = loadPunkt()
	for _, o := range opts {
		o(m)
	}
	m.scratch.New = func() any { return new(scratch) }
	return m
}

// Name returns ModelName.
func (m *Model) Name() string { return ModelName }

// Annotate returns the entities of each text. It fails only when ctx is done
// or the embedded sentence model could not be loaded (a permanent error).
func (m *Model) Annotate(ctx context.Context, texts []string) ([][]annotate.Span, error) {
	if m.loadErr != nil {
		return nil, annotate.Permanent(fmt.Errorf("builtin: load sentence model: %w", m.loadErr))
	}
	out := make([][]annotate.Span, len(texts))
	sc := m.scratch.Get().(*scratch)
	defer m.scratch.Put(sc)
	for i, text := range texts {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("builtin: %w", err)
		}
		out[i] = m.annotateText(sc, text)
	}
	return out, nil
}

// scratch holds buffers reused between texts.
type scratch struct {
	starts []int
	toks   []token
	cands  []cand
	chosen []cand
	cl     []uint32
}

// cand is a candidate entity over tokens [a, b); b is exclusive. end is the
// byte end, which may include a full stop after an abbreviation.
type cand struct {
	a, b  int
	end   int
	label string
	score float64
}

func (m *Model) annotateText(sc *scratch, text string) []annotate.Span {
	sc.starts = sentenceStarts(m.punkt, text, sc.starts[:0])
	sc.toks = tokenize(text, sc.starts, sc.toks[:0])
	r := recognizer{text: text, toks: sc.toks, cands: sc.cands[:0]}
	if uncased(sc.toks) {
		r.text, r.lower, r.cl = asciiLower(text), true, sc.cl[:0]
		r.runLower()
		sc.cl = r.cl
	} else {
		r.run()
	}
	sc.chosen = resolve(r.cands, sc.chosen[:0])
	if r.lower {
		sc.chosen = r.corefLower(sc.chosen)
	} else {
		sc.chosen = r.coref(sc.chosen)
	}
	sc.cands = r.cands
	var spans []annotate.Span
	for _, c := range sc.chosen {
		if m.labels != nil && !m.labels[c.label] {
			continue
		}
		if spans == nil {
			spans = make([]annotate.Span, 0, len(sc.chosen))
		}
		spans = append(spans, annotate.Span{Start: r.toks[c.a].s, End: c.end, Label: c.label, Score: c.score})
	}
	return spans
}

// resolve picks non-overlapping candidates, leftmost first, then longest,
// then highest score; ties end on the label so the result is deterministic.
func resolve(cands []cand, out []cand) []cand {
	slices.SortFunc(cands, func(x, y cand) int {
		switch {
		case x.a != y.a:
			return x.a - y.a
		case x.end != y.end:
			return y.end - x.end
		case x.score != y.score:
			if x.score > y.score {
				return -1
			}
			return 1
		default:
			return strings.Compare(x.label, y.label)
		}
	})
	lastB := 0
	for _, c := range cands {
		if c.a < lastB {
			continue
		}
		out = append(out, c)
		lastB = c.b
	}
	return out
}
