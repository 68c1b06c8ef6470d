// Package dictionary is an exact-match gazetteer annotator reading tagtog's
// dictionary TSV format:
//
//	entity_1_id<TAB>recName1<TAB>recName2 ...
//	entity_2_id<TAB>recName1<TAB>@@@<TAB>altName1<TAB>altName2 ...
//
// The first column is the entity's id, the other columns its names;
// names after the "@@@" column are alternative names. A line holding only
// an id names the entity with its id, so a plain one-term-per-line list is a
// valid dictionary too. Blank lines and lines starting with "#" are
// ignored, a UTF-8 byte order mark is skipped, and fields are trimmed. As in
// tagtog, names longer than seven words are not matched.
//
// Matching is exact (case-sensitive unless CaseInsensitive is given) and on
// whole words: text and names are split into words (runs of letters, digits
// and combining marks) and single punctuation characters, and a name matches
// a run of tokens with the same text, white space where the name has white
// space (any amount) and none where it has none. The leftmost, then longest
// name wins and matches do not overlap. When two entities share a name, the
// first one in the file wins.
package dictionary

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tagflow/tagflow/pkg/annotate"
)

// MaxNameWords is the longest name, in words, that is matched.
const MaxNameWords = 7

// Scores of matches on recommended and alternative names.
const (
	ScoreRecommended = 1.0
	ScoreAlternative = 0.9
)

// Entry is one dictionary entity.
type Entry struct {
	ID       string
	Names    []string // recommended names
	AltNames []string // alternative names
}

// Match is one dictionary hit in a text; Start and End are byte offsets.
type Match struct {
	Start, End  int
	ID          string
	Alternative bool
}

// Option configures a Dictionary.
type Option func(*Dictionary)

// CaseInsensitive matches names ignoring case (Unicode lower-casing).
func CaseInsensitive() Option { return func(d *Dictionary) { d.fold = true } }

// WithName sets the model name recorded in tagtog (default "dictionary").
func WithName(name string) Option { return func(d *Dictionary) { d.name = name } }

// Dictionary finds dictionary names in texts and labels them with one
// entity type. It is safe for concurrent use.
type Dictionary struct {
	label   string
	name    string
	fold    bool
	entries int
	index   map[string][]pattern // first token -> patterns, longest first
}

var (
	_ annotate.Annotator = (*Dictionary)(nil)
	_ annotate.Namer     = (*Dictionary)(nil)
)

// pattern is a tokenised name.
type pattern struct {
	toks  []string // token texts (lower-cased when folding)
	space []bool   // white space before each token (the first is ignored)
	id    string
	alt   bool
}

// New builds a Dictionary labelling matches with label (a model label such
// as "ORG" or a tagtog entity-type name). It fails when label is empty or an
// entry has no id.
func New(label string, entries []Entry, opts ...Option) (*Dictionary, error) {
	if strings.TrimSpace(label) == "" {
		return nil, fmt.Errorf("dictionary: empty label")
	}
	d := &Dictionary{label: label, name: "dictionary", index: make(map[string][]pattern)}
	for _, o := range opts {
		o(d)
	}
	seen := make(map[string]bool)
	for i, e := range entries {
		if e.ID == "" {
			return nil, fmt.Errorf("dictionary: entry %d has no id", i)
		}
		names := e.Names
		if len(names) == 0 && len(e.AltNames) == 0 {
			names = []string{e.ID}
		}
		for k, n := range append(append([]string(nil), names...), e.AltNames...) {
			p, ok := d.compile(n)
			if !ok {
				continue
			}
			key := strings.Join(p.toks, "\x00") + "\x01" + fmt.Sprint(p.space[1:])
			if seen[key] {
				continue
			}
			seen[key] = true
			p.id, p.alt = e.ID, k >= len(names)
			d.index[p.toks[0]] = append(d.index[p.toks[0]], p)
		}
		d.entries++
	}
	for k, ps := range d.index {
		// longest first; equal lengths keep file order (stable insertion sort)
		for i := 1; i < len(ps); i++ {
			for j := i; j > 0 && len(ps[j].toks) > len(ps[j-1].toks); j-- {
				ps[j], ps[j-1] = ps[j-1], ps[j]
			}
		}
		d.index[k] = ps
	}
	return d, nil
}

// compile tokenises a name; ok is false for empty names and names of more
// than MaxNameWords words.
func (d *Dictionary) compile(name string) (pattern, bool) {
	var p pattern
	words := 0
	for _, t := range tokens(name, nil) {
		s := name[t.s:t.e]
		if d.fold {
			s = strings.ToLower(s)
		}
		p.toks = append(p.toks, s)
		p.space = append(p.space, t.space)
		if t.word {
			words++
		}
	}
	return p, len(p.toks) > 0 && words <= MaxNameWords
}

// Parse reads a dictionary in tagtog's TSV format (see the package
// documentation). Errors name the line.
func Parse(r io.Reader, label string, opts ...Option) (*Dictionary, error) {
	var entries []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			s = strings.TrimPrefix(s, "\uFEFF")
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("dictionary: line %d: not UTF-8", line)
		}
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		fields := strings.Split(s, "\t")
		e := Entry{ID: strings.TrimSpace(fields[0])}
		if e.ID == "" {
			return nil, fmt.Errorf("dictionary: line %d: empty id", line)
		}
		alt := false
		for _, f := range fields[1:] {
			f = strings.TrimSpace(f)
			switch {
			case f == "":
			case f == "@@@":
				alt = true
			case alt:
				e.AltNames = append(e.AltNames, f)
			default:
				e.Names = append(e.Names, f)
			}
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dictionary: line %d: %w", line+1, err)
	}
	return New(label, entries, opts...)
}

// Load reads a dictionary file with Parse.
func Load(path, label string, opts ...Option) (*Dictionary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	defer f.Close()
	d, err := Parse(f, label, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Name returns the model name.
func (d *Dictionary) Name() string { return d.name }

// Len returns the number of entities.
func (d *Dictionary) Len() int { return d.entries }

// Find returns the matches in text, sorted and without overlaps.
func (d *Dictionary) Find(text string) []Match {
	var out []Match
	toks := tokens(text, nil)
	var buf []byte
	for i := 0; i < len(toks); {
		var cands []pattern
		cands, buf = d.lookup(text[toks[i].s:toks[i].e], buf)
		n := 0
		var hit *pattern
		for pi := range cands {
			p := &cands[pi]
			if d.matches(text, toks, i, p) {
				hit, n = p, len(p.toks)
				break
			}
		}
		if hit == nil {
			i++
			continue
		}
		out = append(out, Match{Start: toks[i].s, End: toks[i+n-1].e, ID: hit.id, Alternative: hit.alt})
		i += n
	}
	return out
}

func (d *Dictionary) matches(text string, toks []tok, i int, p *pattern) bool {
	if i+len(p.toks) > len(toks) {
		return false
	}
	for k := 1; k < len(p.toks); k++ {
		t := toks[i+k]
		if t.space != p.space[k] {
			return false
		}
		s := text[t.s:t.e]
		if d.fold {
			s = strings.ToLower(s)
		}
		if s != p.toks[k] {
			return false
		}
	}
	return true
}

// lookup returns the patterns starting with token s, lower-casing it into
// buf when folding so that ASCII lookups do not allocate.
func (d *Dictionary) lookup(s string, buf []byte) ([]pattern, []byte) {
	if !d.fold {
		return d.index[s], buf
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return d.index[strings.ToLower(s)], buf
		}
	}
	buf = buf[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return d.index[string(buf)], buf
}

// Annotate returns the matches of each text as spans labelled with the
// dictionary's label. It fails only when ctx is done.
func (d *Dictionary) Annotate(ctx context.Context, texts []string) ([][]annotate.Span, error) {
	out := make([][]annotate.Span, len(texts))
	for i, text := range texts {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("dictionary: %w", err)
		}
		ms := d.Find(text)
		if len(ms) == 0 {
			continue
		}
		spans := make([]annotate.Span, len(ms))
		for k, m := range ms {
			score := ScoreRecommended
			if m.Alternative {
				score = ScoreAlternative
			}
			spans[k] = annotate.Span{Start: m.Start, End: m.End, Label: d.label, Score: score}
		}
		out[i] = spans
	}
	return out, nil
}

// tok is a word or a punctuation character.
type tok struct {
	s, e  int
	space bool // white space before it
	word  bool
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// tokens splits text into words and single punctuation characters.
func tokens(text string, out []tok) []tok {
	space := false
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
				space = true
				i++
			case (c|0x20) >= 'a' && (c|0x20) <= 'z' || c >= '0' && c <= '9':
				j := i + 1
				for j < len(text) {
					if b := text[j]; b < utf8.RuneSelf {
						if (b|0x20) >= 'a' && (b|0x20) <= 'z' || b >= '0' && b <= '9' {
							j++
							continue
						}
						break
					}
					r, sz := utf8.DecodeRuneInString(text[j:])
					if !isWordRune(r) {
						break
					}
					j += sz
				}
				out = append(out, tok{s: i, e: j, space: space, word: true})
				space, i = false, j
			default:
				out = append(out, tok{s: i, e: i + 1, space: space})
				space, i = false, i+1
			}
			continue
		}
		r, sz := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			space = true
			i += sz
		case isWordRune(r):
			j := i + sz
			for j < len(text) {
				r, sz := utf8.DecodeRuneInString(text[j:])
				if !isWordRune(r) {
					break
				}
				j += sz
			}
			out = append(out, tok{s: i, e: j, space: space, word: true})
			space, i = false, j
		default:
			out = append(out, tok{s: i, e: i + sz, space: space})
			space, i = false, i+sz
		}
	}
	return out
}
