package httpmodel

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tagflow/tagflow/pkg/annotate"
)

// rawEnt is one entity or token in any accepted shape.
type rawEnt struct {
	Start       *int     `json:"start"`
	End         *int     `json:"end"`
	Label       string   `json:"label"`
	EntityGroup string   `json:"entity_group"`
	Entity      string   `json:"entity"`
	Score       *float64 `json:"score"`
}

type spacyDoc struct {
	Ents *[]rawEnt `json:"ents"`
}

// Decode turns a model server's response body into spans for texts: one
// slice per text, byte offsets, sorted by start, overlaps removed (the
// leftmost, then longest, wins). Every error wraps annotate.ErrBadResponse
// and ErrPermanent and, for a bad entity, names the text index and the span.
func Decode(body []byte, texts []string) ([][]annotate.Span, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, badResponse("empty body")
	}
	var perText [][]rawEnt
	var hf []bool // per text: Hugging Face shape
	switch body[0] {
	case '{':
		var obj struct {
			Results *[]spacyDoc `json:"results"`
		}
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, badResponse("decode: %v", err)
		}
		if obj.Results == nil {
			return nil, badResponse(`object without "results"`)
		}
		for i, d := range *obj.Results {
			if d.Ents == nil {
				return nil, badResponse(`result %d has no "ents"`, i)
			}
			perText = append(perText, *d.Ents)
			hf = append(hf, false)
		}
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, badResponse("decode: %v", err)
		}
		flat := len(items) > 0
		for _, it := range items {
			if t := bytes.TrimSpace(it); len(t) == 0 || t[0] != '{' || hasKey(t, "ents") {
				flat = false
				break
			}
		}
		if flat {
			// a single text's flat Hugging Face list
			var ents []rawEnt
			if err := json.Unmarshal(body, &ents); err != nil {
				return nil, badResponse("decode: %v", err)
			}
			perText, hf = [][]rawEnt{ents}, []bool{true}
			break
		}
		for i, it := range items {
			it = bytes.TrimSpace(it)
			switch {
			case len(it) > 0 && it[0] == '[':
				var ents []rawEnt
				if err := json.Unmarshal(it, &ents); err != nil {
					return nil, badResponse("result %d: %v", i, err)
				}
				perText = append(perText, ents)
				hf = append(hf, true)
			case len(it) > 0 && it[0] == '{':
				var d spacyDoc
				if err := json.Unmarshal(it, &d); err != nil {
					return nil, badResponse("result %d: %v", i, err)
				}
				if d.Ents == nil {
					return nil, badResponse(`result %d has no "ents"`, i)
				}
				perText = append(perText, *d.Ents)
				hf = append(hf, false)
			default:
				return nil, badResponse("result %d is neither a list nor an object", i)
			}
		}
	default:
		return nil, badResponse("body is neither a JSON object nor an array")
	}
	if len(perText) != len(texts) {
		return nil, badResponse("%d results for %d texts", len(perText), len(texts))
	}
	out := make([][]annotate.Span, len(texts))
	for i, ents := range perText {
		spans, err := convert(texts[i], i, ents, hf[i])
		if err != nil {
			return nil, err
		}
		out[i] = spans
	}
	return out, nil
}

// hasKey reports whether the JSON object obj has the top-level key.
func hasKey(obj []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// splitLabel strips a B-/I-/E-/S-/L-/U- prefix and reports which one it was.
func splitLabel(l string) (prefix byte, label string) {
	if len(l) > 2 && l[1] == '-' {
		switch l[0] {
		case 'B', 'I', 'E', 'S', 'L', 'U':
			return l[0], l[2:]
		}
	}
	return 0, l
}

// convert validates and converts one text's entities to byte-offset spans.
func convert(text string, ti int, ents []rawEnt, hf bool) ([]annotate.Span, error) {
	cps := newCodePoints(text)
	spans := make([]annotate.Span, 0, len(ents))
	var counts []int // tokens merged into each span, in token mode
	merging := false // last span may take further I- tokens
	for k, e := range ents {
		if e.Start == nil || e.End == nil {
			return nil, badResponse("text %d: entity %d has no start or end", ti, k)
		}
		start, end := *e.Start, *e.End
		if start < 0 || end <= start || end > cps.n {
			return nil, badResponse("text %d: entity %d [%d,%d) is out of range for a text of %d characters", ti, k, start, end, cps.n)
		}
		score := 1.0
		if e.Score != nil {
			score = *e.Score
			if math.IsNaN(score) || score < 0 || score > 1 {
				return nil, badResponse("text %d: entity %d [%d,%d) has score %v outside [0,1]", ti, k, start, end, score)
			}
			if score == 0 {
				score = math.SmallestNonzeroFloat64
			}
		}
		raw, tokenMode := e.Label, false
		if hf {
			raw = e.EntityGroup
			if raw == "" {
				raw, tokenMode = e.Entity, true
			}
		}
		prefix, label := splitLabel(raw)
		if label == "" {
			return nil, badResponse("text %d: entity %d [%d,%d) has no label", ti, k, start, end)
		}
		if label == "O" {
			merging = false
			continue
		}
		bs, be := cps.byteOffset(start), cps.byteOffset(end)
		if tokenMode && merging && prefix != 'B' && prefix != 'S' && prefix != 'U' {
			last := &spans[len(spans)-1]
			if last.Label == label && last.End <= bs && strings.TrimSpace(text[last.End:bs]) == "" {
				// the mean score of the merged tokens
				n := float64(counts[len(counts)-1])
				last.Score = (last.Score*n + score) / (n + 1)
				last.End = be
				counts[len(counts)-1]++
				continue
			}
		}
		spans = append(spans, annotate.Span{Start: bs, End: be, Label: label, Score: score})
		counts = append(counts, 1)
		merging = tokenMode
	}
	slices.SortStableFunc(spans, func(x, y annotate.Span) int {
		if x.Start != y.Start {
			return x.Start - y.Start
		}
		return y.End - x.End
	})
	kept := spans[:0]
	lastEnd := 0
	for _, s := range spans {
		if s.Start < lastEnd {
			continue
		}
		kept = append(kept, s)
		lastEnd = s.End
	}
	return kept, nil
}

// codePoints converts code-point offsets of one text to byte offsets.
type codePoints struct {
	text  string
	ascii bool
	n     int   // number of code points
	index []int // byte offset of each code point, and len(text) at the end; nil for ASCII
}

func newCodePoints(text string) *codePoints {
	c := &codePoints{text: text}
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		c.ascii, c.n = true, len(text)
		return c
	}
	c.index = make([]int, 0, len(text)+1)
	for i := range text {
		c.index = append(c.index, i)
	}
	c.n = len(c.index)
	c.index = append(c.index, len(text))
	return c
}

func (c *codePoints) byteOffset(cp int) int {
	if c.ascii {
		return cp
	}
	return c.index[cp]
}
