package anndoc

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrOffsetMismatch is wrapped by CheckEntities for every entity that cannot
// be found in the document: unknown part, no offsets, a negative or
// out-of-range start, or a text that differs from the part text at its offsets.
var ErrOffsetMismatch = errors.New("entity offsets do not match the document")

// StatePreAdded is the confidence state of automatic annotations shown as selected.
const StatePreAdded = "pre-added"

// ModelWho returns the confidence.who entry that marks the entities of a model.
func ModelWho(model string) string { return "ml:" + model }

// NewModelEntity returns an entity of a model: one offset, confidence
// {"state":"pre-added","who":["ml:<model>"],"prob":prob}, no fields and no
// normalizations.
func NewModelEntity(classID, part string, start int, text string, model string, prob float64) Entity {
	state := StatePreAdded
	return Entity{
		ClassID:        classID,
		Part:           part,
		Offsets:        []Offset{{Start: start, Text: text}},
		Confidence:     &Confidence{State: &state, Who: []string{ModelWho(model)}, Prob: prob},
		Fields:         json.RawMessage(`{}`),
		Normalizations: json.RawMessage(`{}`),
	}
}

// ownedBy reports whether e is a suggestion of the model whose who entry is
// who that no person has acted on: its confidence.who contains who and no
// "user:" entry, and its state is "pre-added".
func ownedBy(e *Entity, who string) bool {
	return suggestion(e) && slices.Contains(e.Confidence.Who, who)
}

// suggestion reports whether e is a model's suggestion that no person has
// acted on: its state is "pre-added", its confidence.who has an "ml:" entry
// and no "user:" entry. Every other entity is a person's decision: made,
// confirmed, corrected or rejected ("pre-removed") by a person.
func suggestion(e *Entity) bool {
	c := e.Confidence
	if c == nil || c.State == nil || *c.State != StatePreAdded {
		return false
	}
	ml := false
	for _, w := range c.Who {
		switch {
		case strings.HasPrefix(w, "user:"):
			return false
		case strings.HasPrefix(w, "ml:"):
			ml = true
		}
	}
	return ml
}

// Merge returns existing with the entities of model replaced by add. It keeps
// everything else as it came: metas (document labels), relations, anncomplete,
// sources, unknown keys, people's decisions and other models' suggestions.
//
// An entity belongs to model, and is replaced, only while it is a suggestion
// nobody acted on: its confidence.who contains ModelWho(model) and no "user:"
// entry, and its state is "pre-added". An entity is a person's decision when
// it is not such a suggestion of any model: no confidence, a state other than
// "pre-added" ("" or null once a person made or confirmed it, "pre-removed"
// once rejected), a "user:" entry in confidence.who, or no "ml:" entry there.
// A person's decision is kept even when confidence.who names model.
//
// An entity of add is dropped when a person's decision marks text of the same
// part that overlaps it, whatever its class: people's annotations, corrections
// and rejections win. It is dropped too when an earlier entity of add marks the
// same class, part and offsets: duplicates say nothing. Other models'
// suggestions never drop an entity of add.
//
// Overlap is judged in UTF-16 units, tagtog's; with code point offsets, text
// outside the Basic Multilingual Plane can make an entity ending right before a
// person's decision count as overlapping it. add should hold entities of model
// (see NewModelEntity): others would be kept as they are on the next merge.
//
// Entities are sorted by the position of their part in doc (parts doc does not
// have go last, by part id), then start offset, classId and text; the sort is
// stable. annotatable.parts stays as it was unless empty, in which case it
// lists doc's parts. existing and add are not modified, but the result shares
// their slices, maps and raw JSON: treat them as read-only. existing may be nil.
// The same inputs give the same Marshal bytes, and merging the result again
// with the same add changes nothing.
func Merge(existing *AnnJSON, doc *Document, model string, add []Entity) *AnnJSON {
	out := &AnnJSON{}
	if existing != nil {
		*out = *existing
	}
	if len(out.Annotatable.Parts) == 0 && doc != nil {
		parts := make([]string, len(doc.Parts))
		for i := range doc.Parts {
			parts[i] = doc.Parts[i].ID
		}
		out.Annotatable.Parts = parts
	}

	who := ModelWho(model)
	var old []Entity
	if existing != nil {
		old = existing.Entities
	}
	ents := make([]Entity, 0, len(old)+len(add))
	var people []*Entity
	for i := range old {
		e := &old[i]
		if ownedBy(e, who) {
			continue
		}
		ents = append(ents, *e)
		if !suggestion(e) {
			people = append(people, e)
		}
	}
	// Indexes keep Merge near-linear: a document with thousands of people's
	// entities and thousands of suggestions must not cost their product.
	peopleIx := newSpanIndex(people)
	added := make(map[string]bool, len(add))
	for i := range add {
		e := &add[i]
		key := spanKey(e, true)
		if peopleIx.overlaps(e) || added[key] {
			continue
		}
		ents = append(ents, *e)
		added[key] = true
	}
	sortEntities(ents, doc)
	out.Entities = ents
	return out
}

// spanKey identifies an entity's part and offsets, with its class when
// withClass is set.
func spanKey(e *Entity, withClass bool) string {
	var b strings.Builder
	if withClass {
		b.WriteString(e.ClassID)
	}
	b.WriteByte(0)
	b.WriteString(e.Part)
	for _, o := range e.Offsets {
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(o.Start))
		b.WriteByte(0)
		b.WriteString(o.Text)
	}
	return b.String()
}

// spanIndex answers overlaps(e, x) for every x of a list of entities in
// O(log n) per offset of e: per part, the UTF-16 intervals of the list
// sorted by start with a running maximum of their ends, plus the exact
// offsets of each entity (entities with identical offsets overlap even when
// empty).
type spanIndex struct {
	parts map[string]*partIntervals
	exact map[string]bool
}

type partIntervals struct {
	starts, maxEnd []int
}

type interval struct{ start, end int }

func newSpanIndex(list []*Entity) spanIndex {
	ix := spanIndex{parts: make(map[string]*partIntervals), exact: make(map[string]bool, len(list))}
	byPart := make(map[string][]interval)
	for _, e := range list {
		ix.exact[spanKey(e, false)] = true
		for _, o := range e.Offsets {
			byPart[e.Part] = append(byPart[e.Part], interval{o.Start, o.Start + UnitLen(o.Text, UTF16)})
		}
	}
	for part, ivs := range byPart {
		sort.Slice(ivs, func(i, j int) bool { return ivs[i].start < ivs[j].start })
		pi := &partIntervals{starts: make([]int, len(ivs)), maxEnd: make([]int, len(ivs))}
		m := 0
		for i, iv := range ivs {
			m = max(m, iv.end)
			pi.starts[i], pi.maxEnd[i] = iv.start, m
		}
		ix.parts[part] = pi
	}
	return ix
}

// overlaps reports whether e marks text of the same part that overlaps an
// entity of the index, whatever their classes: some offset of e shares a
// UTF-16 unit with some offset of an indexed entity, or both have the same
// offsets.
func (ix spanIndex) overlaps(e *Entity) bool {
	if ix.exact[spanKey(e, false)] {
		return true
	}
	pi := ix.parts[e.Part]
	if pi == nil {
		return false
	}
	for _, x := range e.Offsets {
		xEnd := x.Start + UnitLen(x.Text, UTF16)
		// Intervals starting before xEnd; one of them overlaps when the
		// largest end among them passes x.Start.
		n := sort.SearchInts(pi.starts, xEnd)
		if n > 0 && pi.maxEnd[n-1] > x.Start {
			return true
		}
	}
	return false
}

// sortEntities orders entities by part position in doc, start, classId, text.
func sortEntities(ents []Entity, doc *Document) {
	pos := make(map[string]int)
	if doc != nil {
		for i := range doc.Parts {
			if _, dup := pos[doc.Parts[i].ID]; !dup {
				pos[doc.Parts[i].ID] = i
			}
		}
	}
	unknown := len(pos)
	partPos := func(id string) int {
		if i, ok := pos[id]; ok {
			return i
		}
		return unknown
	}
	first := func(e *Entity) (int, string) {
		if len(e.Offsets) == 0 {
			return -1, ""
		}
		return e.Offsets[0].Start, e.Offsets[0].Text
	}
	slices.SortStableFunc(ents, func(a, b Entity) int {
		pa, pb := partPos(a.Part), partPos(b.Part)
		if c := cmp.Compare(pa, pb); c != 0 {
			return c
		}
		if pa == unknown {
			if c := strings.Compare(a.Part, b.Part); c != 0 {
				return c
			}
		}
		sa, ta := first(&a)
		sb, tb := first(&b)
		if c := cmp.Compare(sa, sb); c != 0 {
			return c
		}
		if c := strings.Compare(a.ClassID, b.ClassID); c != 0 {
			return c
		}
		return strings.Compare(ta, tb)
	})
}

// maxQuoted bounds the characters of a text quoted in an error message.
const maxQuoted = 40

// quote quotes s for an error message, shortened to maxQuoted characters.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxQuoted {
		i, n := 0, 0
		for i = range s {
			if n == maxQuoted {
				break
			}
			n++
		}
		return fmt.Sprintf("%q…", s[:i])
	}
	return fmt.Sprintf("%q", s)
}

// EntityError describes an entity CheckEntities rejected. It unwraps to
// ErrOffsetMismatch.
type EntityError struct {
	Index   int    // position in ann.json entities
	ClassID string // entity class
	Part    string // part id
	Problem string // what is wrong, naming the offset and the text found
}

// Error returns e.g. `entity 3 (classId e_1, part s1v1): offset start 16 text
// "Acme & Co" does not match part text "Acme &amp;"`.
func (e *EntityError) Error() string {
	return fmt.Sprintf("entity %d (classId %s, part %s): %s", e.Index, e.ClassID, e.Part, e.Problem)
}

// Unwrap returns ErrOffsetMismatch.
func (e *EntityError) Unwrap() error { return ErrOffsetMismatch }

// CheckEntities checks every entity of a against doc with offsets counted in
// unit u: its part exists, it has offsets, each start is at least 0, and the
// part text at [start, start+len(text)) equals the offset's text. It returns
// nil or an *EntityError (wrapping ErrOffsetMismatch) for the first bad entity.
func CheckEntities(doc *Document, a *AnnJSON, u Unit) error {
	if a == nil {
		return nil
	}
	for i := range a.Entities {
		e := &a.Entities[i]
		if problem := checkEntity(doc, e, u); problem != "" {
			return &EntityError{Index: i, ClassID: e.ClassID, Part: e.Part, Problem: problem}
		}
	}
	return nil
}

// checkEntity returns what is wrong with e, or "".
func checkEntity(doc *Document, e *Entity, u Unit) string {
	part, ok := doc.Part(e.Part)
	if !ok {
		return "part is not in the document"
	}
	if len(e.Offsets) == 0 {
		return "no offsets"
	}
	for _, o := range e.Offsets {
		if o.Start < 0 {
			return fmt.Sprintf("offset start %d text %s: negative start", o.Start, quote(o.Text))
		}
		got, ok := Slice(part.Text, o.Start, UnitLen(o.Text, u), u)
		if ok && got == o.Text {
			continue
		}
		if ok {
			return fmt.Sprintf("offset start %d text %s does not match part text %s", o.Start, quote(o.Text), quote(got))
		}
		if b, inside := byteAt(part.Text, 0, 0, o.Start, u); inside {
			return fmt.Sprintf("offset start %d text %s runs past the end of the part (%d %s units long; text there %s)",
				o.Start, quote(o.Text), UnitLen(part.Text, u), u, quote(part.Text[b:]))
		}
		if n := UnitLen(part.Text, u); o.Start > n {
			return fmt.Sprintf("offset start %d text %s is outside the part (%d %s units long)", o.Start, quote(o.Text), n, u)
		}
		return fmt.Sprintf("offset start %d text %s starts inside a character", o.Start, quote(o.Text))
	}
	return ""
}
