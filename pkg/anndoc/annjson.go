package anndoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// ErrBadAnnJSON is wrapped by DecodeAnnJSON when the bytes are not a valid ann.json.
var ErrBadAnnJSON = errors.New("invalid ann.json")

// Confidence says who made an annotation and how sure they were.
type Confidence struct {
	// State is nil for a JSON null (or a missing state), else the string
	// that came in: "" for a normal manual annotation, "pre-added" or
	// "pre-removed" for automatic ones.
	State *string
	// Who lists "user:<name>" and "ml:<model>" entries.
	Who []string
	// Prob is the probability, in (0,1].
	Prob float64
	// Extra holds keys this package does not know, kept as they came.
	Extra map[string]json.RawMessage
}

// Offset is one span of an entity, relative to the start of its part's text.
type Offset struct {
	Start int    `json:"start"`
	Text  string `json:"text"`
}

// Entity is one entity annotation. The fields this package does not interpret
// are kept as raw JSON so that they survive a decode and Marshal unchanged.
type Entity struct {
	ClassID string
	Part    string
	Offsets []Offset
	// Coordinates is written only when not nil (native-PDF boxes).
	Coordinates json.RawMessage
	// Confidence is written only when not nil.
	Confidence *Confidence
	// Fields and Normalizations are written as {} when nil.
	Fields         json.RawMessage
	Normalizations json.RawMessage
	// Extra holds keys this package does not know, kept as they came.
	Extra map[string]json.RawMessage
}

// Annotatable lists the annotatable parts of a document.
type Annotatable struct {
	Parts []string
	// Extra holds keys this package does not know, kept as they came.
	Extra map[string]json.RawMessage
}

// AnnJSON is a document's ann.json. Sources, metas (document labels) and
// relations are kept as raw JSON; Extra keeps unknown top-level keys.
type AnnJSON struct {
	Annotatable Annotatable
	AnnComplete bool
	// Sources is written as [] when nil.
	Sources json.RawMessage
	// Metas is written as {} when nil.
	Metas    json.RawMessage
	Entities []Entity
	// Relations is written as [] when nil.
	Relations json.RawMessage
	// Extra holds top-level keys this package does not know.
	Extra map[string]json.RawMessage
}

// DecodeAnnJSON decodes an ann.json. An empty body (or only whitespace) gives
// an empty AnnJSON. Errors wrap ErrBadAnnJSON.
func DecodeAnnJSON(b []byte) (*AnnJSON, error) {
	a := &AnnJSON{}
	if len(bytes.TrimSpace(b)) == 0 {
		return a, nil
	}
	if err := a.decode(b); err != nil {
		return nil, fmt.Errorf("anndoc: decode ann.json: %w: %v", ErrBadAnnJSON, err)
	}
	return a, nil
}

// object decodes a JSON object into its members; null gives nil.
func object(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func isNull(b json.RawMessage) bool {
	return string(bytes.TrimSpace(b)) == "null"
}

// take removes key from m and decodes its value into v unless it is null.
func take(m map[string]json.RawMessage, key string, v any) error {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	delete(m, key)
	if isNull(raw) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// takeRaw removes key from m and returns its value; null gives nil.
func takeRaw(m map[string]json.RawMessage, key string) json.RawMessage {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	delete(m, key)
	if isNull(raw) {
		return nil
	}
	return raw
}

func extra(m map[string]json.RawMessage) map[string]json.RawMessage {
	if len(m) == 0 {
		return nil
	}
	return m
}

func (a *AnnJSON) decode(b []byte) error {
	m, err := object(b)
	if err != nil {
		return err
	}
	if raw := takeRaw(m, "annotatable"); raw != nil {
		am, err := object(raw)
		if err != nil {
			return fmt.Errorf("annotatable: %w", err)
		}
		if err := take(am, "parts", &a.Annotatable.Parts); err != nil {
			return fmt.Errorf("annotatable: %w", err)
		}
		a.Annotatable.Extra = extra(am)
	}
	if err := take(m, "anncomplete", &a.AnnComplete); err != nil {
		return err
	}
	a.Sources = takeRaw(m, "sources")
	a.Metas = takeRaw(m, "metas")
	a.Relations = takeRaw(m, "relations")
	var ents []json.RawMessage
	if err := take(m, "entities", &ents); err != nil {
		return err
	}
	if ents != nil {
		a.Entities = make([]Entity, len(ents))
	}
	for i, raw := range ents {
		if err := a.Entities[i].decode(raw); err != nil {
			return fmt.Errorf("entities[%d]: %w", i, err)
		}
	}
	a.Extra = extra(m)
	return nil
}

func (e *Entity) decode(b []byte) error {
	m, err := object(b)
	if err != nil {
		return err
	}
	if err := take(m, "classId", &e.ClassID); err != nil {
		return err
	}
	if err := take(m, "part", &e.Part); err != nil {
		return err
	}
	if err := take(m, "offsets", &e.Offsets); err != nil {
		return err
	}
	if raw, ok := m["coordinates"]; ok {
		// Unlike other raw members, a null is kept: the key was present.
		delete(m, "coordinates")
		e.Coordinates = raw
	}
	if raw := takeRaw(m, "confidence"); raw != nil {
		e.Confidence = &Confidence{}
		if err := e.Confidence.decode(raw); err != nil {
			return fmt.Errorf("confidence: %w", err)
		}
	}
	e.Fields = takeRaw(m, "fields")
	e.Normalizations = takeRaw(m, "normalizations")
	e.Extra = extra(m)
	return nil
}

func (c *Confidence) decode(b []byte) error {
	m, err := object(b)
	if err != nil {
		return err
	}
	if err := take(m, "state", &c.State); err != nil {
		return err
	}
	if err := take(m, "who", &c.Who); err != nil {
		return err
	}
	if err := take(m, "prob", &c.Prob); err != nil {
		return err
	}
	c.Extra = extra(m)
	return nil
}

// Marshal encodes a as compact JSON with a fixed key order: annotatable,
// anncomplete, sources, metas, entities, relations, then unknown keys sorted.
// Within an entity: classId, part, offsets, coordinates (when present),
// confidence, fields, normalizations, then unknown keys sorted. <, > and & are
// not escaped. The same AnnJSON always gives the same bytes.
func (a *AnnJSON) Marshal() ([]byte, error) {
	w := &writer{buf: make([]byte, 0, 256+len(a.Entities)*256)}
	w.byte('{')
	w.key("annotatable", true)
	w.byte('{')
	w.key("parts", true)
	w.strings(a.Annotatable.Parts)
	w.extra(a.Annotatable.Extra, false)
	w.byte('}')
	w.key("anncomplete", false)
	w.buf = strconv.AppendBool(w.buf, a.AnnComplete)
	w.key("sources", false)
	w.raw(a.Sources, "[]")
	w.key("metas", false)
	w.raw(a.Metas, "{}")
	w.key("entities", false)
	w.byte('[')
	for i := range a.Entities {
		if i > 0 {
			w.byte(',')
		}
		w.entity(&a.Entities[i])
	}
	w.byte(']')
	w.key("relations", false)
	w.raw(a.Relations, "[]")
	w.extra(a.Extra, false)
	w.byte('}')
	if w.err != nil {
		return nil, fmt.Errorf("anndoc: marshal ann.json: %w", w.err)
	}
	return w.buf, nil
}

// writer appends JSON to buf; the first error sticks.
type writer struct {
	buf []byte
	err error
}

func (w *writer) byte(c byte) { w.buf = append(w.buf, c) }

func (w *writer) key(k string, first bool) {
	if !first {
		w.byte(',')
	}
	w.buf = appendString(w.buf, k)
	w.byte(':')
}

func (w *writer) strings(ss []string) {
	w.byte('[')
	for i, s := range ss {
		if i > 0 {
			w.byte(',')
		}
		w.buf = appendString(w.buf, s)
	}
	w.byte(']')
}

// raw writes a raw JSON value compacted, or def when it is nil.
func (w *writer) raw(v json.RawMessage, def string) {
	if v == nil {
		w.buf = append(w.buf, def...)
		return
	}
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.buf = append(w.buf, b.Bytes()...)
}

// extra writes unknown keys in sorted order.
func (w *writer) extra(m map[string]json.RawMessage, first bool) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w.key(k, first)
		first = false
		w.raw(m[k], "null")
	}
}

func (w *writer) entity(e *Entity) {
	w.byte('{')
	w.key("classId", true)
	w.buf = appendString(w.buf, e.ClassID)
	w.key("part", false)
	w.buf = appendString(w.buf, e.Part)
	w.key("offsets", false)
	w.byte('[')
	for i, o := range e.Offsets {
		if i > 0 {
			w.byte(',')
		}
		w.buf = append(w.buf, `{"start":`...)
		w.buf = strconv.AppendInt(w.buf, int64(o.Start), 10)
		w.buf = append(w.buf, `,"text":`...)
		w.buf = appendString(w.buf, o.Text)
		w.byte('}')
	}
	w.byte(']')
	if e.Coordinates != nil {
		w.key("coordinates", false)
		w.raw(e.Coordinates, "null")
	}
	if c := e.Confidence; c != nil {
		w.key("confidence", false)
		w.byte('{')
		w.key("state", true)
		if c.State == nil {
			w.buf = append(w.buf, "null"...)
		} else {
			w.buf = appendString(w.buf, *c.State)
		}
		w.key("who", false)
		w.strings(c.Who)
		w.key("prob", false)
		w.float(c.Prob)
		w.extra(c.Extra, false)
		w.byte('}')
	}
	w.key("fields", false)
	w.raw(e.Fields, "{}")
	w.key("normalizations", false)
	w.raw(e.Normalizations, "{}")
	w.extra(e.Extra, false)
	w.byte('}')
}

// float writes f the way encoding/json does.
func (w *writer) float(f float64) {
	b, err := json.Marshal(f)
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.buf = append(w.buf, b...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string like encoding/json with HTML
// escaping off: quotes, backslashes and control characters are escaped,
// invalid UTF-8 becomes U+FFFD, and U+2028/U+2029 are escaped for JavaScript.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
