package anndoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf16"
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
	if decodeFast(a, b) {
		return a, nil
	}
	*a = AnnJSON{}
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
	if s := string(v); s == "{}" || s == "[]" {
		w.buf = append(w.buf, s...)
		return
	}
	// Compact appends to the buffer in place; on error it appends nothing.
	b := bytes.NewBuffer(w.buf)
	err := json.Compact(b, v)
	w.buf = b.Bytes()
	if err != nil && w.err == nil {
		w.err = err
	}
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

// float writes f the way encoding/json does: like ES6, with exponents from
// 1e21 and below 1e-6, not padded to two digits.
func (w *writer) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		// encoding/json's error for an unsupported value.
		if _, err := json.Marshal(f); err != nil && w.err == nil {
			w.err = err
		}
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(w.buf, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	w.buf = b
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

// The fast decoder below reads an ann.json in one pass. It handles the shape
// tagtog writes (exact key names, each key once, strings and numbers of the
// expected types) and reports false for anything else, in which case
// DecodeAnnJSON falls back to the general decoder above, which has the final
// say on odd input and writes the error messages. Whenever the fast decoder
// succeeds, its result is the one the general decoder gives.

// maxFastDepth is the nesting the fast decoder follows before leaving the
// input to the general decoder.
const maxFastDepth = 512

// fastDecoder reads data, a private copy of the input that raw members are
// sliced from.
type fastDecoder struct {
	data  []byte
	i     int
	depth int
	// interned holds recent short strings (class ids, part ids, who
	// entries) so that repeated values share one allocation.
	interned []string
}

// Keys of the objects the fast decoder understands, as bits of a seen set.
const (
	keyAnnotatable = 1 << iota
	keyAnnComplete
	keySources
	keyMetas
	keyEntities
	keyRelations
)

const (
	keyClassID = 1 << iota
	keyPart
	keyOffsets
	keyCoordinates
	keyConfidence
	keyFields
	keyNormalizations
)

const (
	keyState = 1 << iota
	keyWho
	keyProb
)

const (
	keyStart = 1 << iota
	keyText
)

// decodeFast decodes b into a, which must be zero; false means the general
// decoder must decide.
func decodeFast(a *AnnJSON, b []byte) bool {
	d := &fastDecoder{data: bytes.Clone(b)}
	if !d.annJSON(a) {
		return false
	}
	d.space()
	return d.i == len(d.data)
}

func (d *fastDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, or 0 at the end.
func (d *fastDecoder) peek() byte {
	d.space()
	if d.i < len(d.data) {
		return d.data[d.i]
	}
	return 0
}

// next reports whether another member or element follows in the object or
// array being read, consuming the separating comma or the closing byte.
// first is true before the first member. ok is false on a syntax error.
func (d *fastDecoder) next(first bool, closing byte) (more, ok bool) {
	c := d.peek()
	if c == closing {
		d.i++
		return false, true
	}
	if !first {
		if c != ',' {
			return false, false
		}
		d.i++
	}
	return true, true
}

// open consumes c (an opening brace or bracket).
func (d *fastDecoder) open(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

// key reads a member name and the colon after it.
func (d *fastDecoder) key() ([]byte, bool) {
	raw, escaped, ok := d.stringToken()
	if !ok {
		return nil, false
	}
	if d.peek() != ':' {
		return nil, false
	}
	d.i++
	if escaped {
		return unquoteBytes(raw), true
	}
	return raw, true
}

// stringToken reads a JSON string and returns the bytes between the quotes;
// escaped is true when they need unquote (escapes or bytes beyond ASCII).
func (d *fastDecoder) stringToken() (raw []byte, escaped, ok bool) {
	if d.peek() != '"' {
		return nil, false, false
	}
	d.i++
	start := d.i
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			raw = d.data[start:d.i]
			d.i++
			return raw, escaped, true
		case c == '\\':
			escaped = true
			d.i++
			if d.i >= len(d.data) {
				return nil, false, false
			}
			switch d.data[d.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i++
			case 'u':
				if d.i+4 >= len(d.data) {
					return nil, false, false
				}
				for _, h := range d.data[d.i+1 : d.i+5] {
					if hexValue(h) < 0 {
						return nil, false, false
					}
				}
				d.i += 5
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			if c >= utf8.RuneSelf {
				escaped = true
			}
			d.i++
		}
	}
	return nil, false, false
}

// string reads a JSON string value.
func (d *fastDecoder) string() (string, bool) {
	raw, escaped, ok := d.stringToken()
	if !ok {
		return "", false
	}
	if escaped {
		return unquote(raw), true
	}
	return string(raw), true
}

// internedString reads a JSON string value, reusing an earlier equal one.
func (d *fastDecoder) internedString() (string, bool) {
	raw, escaped, ok := d.stringToken()
	if !ok {
		return "", false
	}
	if escaped {
		return unquote(raw), true
	}
	for _, s := range d.interned {
		if s == string(raw) {
			return s, true
		}
	}
	s := string(raw)
	if len(d.interned) < 32 {
		d.interned = append(d.interned, s)
	}
	return s, true
}

// null consumes a null literal if one is next.
func (d *fastDecoder) null() bool {
	if d.peek() == 'n' && bytes.HasPrefix(d.data[d.i:], []byte("null")) {
		d.i += 4
		return true
	}
	return false
}

// object reads the members of an object whose '{' is next, calling member
// with each key once the ':' is read; member reads the value and reports
// whether it was acceptable.
func (d *fastDecoder) object(member func(k []byte) bool) bool {
	if !d.open('{') {
		return false
	}
	for first := true; ; first = false {
		more, ok := d.next(first, '}')
		if !ok {
			return false
		}
		if !more {
			return true
		}
		k, ok := d.key()
		if !ok || !member(k) {
			return false
		}
	}
}

// array reads the elements of an array whose '[' was already read, calling
// elem for each.
func (d *fastDecoder) array(elem func() bool) bool {
	for first := true; ; first = false {
		more, ok := d.next(first, ']')
		if !ok {
			return false
		}
		if !more {
			return true
		}
		if !elem() {
			return false
		}
	}
}

// strings reads an array of strings; null gives nil.
func (d *fastDecoder) strings() ([]string, bool) {
	if d.null() {
		return nil, true
	}
	if !d.open('[') {
		return nil, false
	}
	out := []string{}
	ok := d.array(func() bool {
		s, ok := d.internedString()
		out = append(out, s)
		return ok
	})
	if !ok {
		return nil, false
	}
	return out, true
}

// number reads a JSON number and returns its text.
func (d *fastDecoder) number() ([]byte, bool) {
	d.space()
	data, start := d.data, d.i
	i := start
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	default:
		return nil, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return nil, false
		}
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return nil, false
		}
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	}
	d.i = i
	return data[start:i], true
}

// raw reads any JSON value and returns its bytes, with a capacity that ends
// with them so that appending to one member never overwrites the next.
func (d *fastDecoder) raw() (json.RawMessage, bool) {
	d.space()
	start := d.i
	if !d.skip() {
		return nil, false
	}
	return d.data[start:d.i:d.i], true
}

// rawOrNil is raw, giving nil for a null.
func (d *fastDecoder) rawOrNil() (json.RawMessage, bool) {
	if d.null() {
		return nil, true
	}
	return d.raw()
}

// skip reads and checks any JSON value.
func (d *fastDecoder) skip() bool {
	switch d.peek() {
	case '{', '[':
		closing := byte('}')
		if d.data[d.i] == '[' {
			closing = ']'
		}
		d.depth++
		if d.depth > maxFastDepth {
			return false
		}
		d.i++
		for first := true; ; first = false {
			more, ok := d.next(first, closing)
			if !ok {
				return false
			}
			if !more {
				break
			}
			if closing == '}' {
				if _, _, ok := d.stringToken(); !ok || d.peek() != ':' {
					return false
				}
				d.i++
			}
			if !d.skip() {
				return false
			}
		}
		d.depth--
		return true
	case '"':
		_, _, ok := d.stringToken()
		return ok
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		_, ok := d.number()
		return ok
	}
}

func (d *fastDecoder) literal(lit string) bool {
	if !bytes.HasPrefix(d.data[d.i:], []byte(lit)) {
		return false
	}
	d.i += len(lit)
	return true
}

// extra reads an unknown member's value into *m.
func (d *fastDecoder) extra(m *map[string]json.RawMessage, k string) bool {
	if _, dup := (*m)[k]; dup {
		return false
	}
	v, ok := d.raw()
	if !ok {
		return false
	}
	if *m == nil {
		*m = make(map[string]json.RawMessage)
	}
	(*m)[k] = v
	return true
}

// seen marks bit in *set, failing when it was already there: a repeated
// key is left to the general decoder.
func seen(set *int, bit int) bool {
	if *set&bit != 0 {
		return false
	}
	*set |= bit
	return true
}

func (d *fastDecoder) annJSON(a *AnnJSON) bool {
	set := 0
	return d.object(func(k []byte) bool {
		ok := true
		switch string(k) {
		case "annotatable":
			ok = seen(&set, keyAnnotatable) && (d.null() || d.annotatable(&a.Annotatable))
		case "anncomplete":
			ok = seen(&set, keyAnnComplete)
			if ok && !d.null() {
				switch d.peek() {
				case 't':
					ok = d.literal("true")
					a.AnnComplete = true
				case 'f':
					ok = d.literal("false")
				default:
					ok = false
				}
			}
		case "sources":
			ok = seen(&set, keySources)
			if ok {
				a.Sources, ok = d.rawOrNil()
			}
		case "metas":
			ok = seen(&set, keyMetas)
			if ok {
				a.Metas, ok = d.rawOrNil()
			}
		case "relations":
			ok = seen(&set, keyRelations)
			if ok {
				a.Relations, ok = d.rawOrNil()
			}
		case "entities":
			ok = seen(&set, keyEntities) && d.entities(a)
		default:
			ok = d.extra(&a.Extra, string(k))
		}
		return ok
	})
}

func (d *fastDecoder) annotatable(an *Annotatable) bool {
	set := 0
	return d.object(func(k []byte) bool {
		ok := true
		if string(k) == "parts" {
			ok = seen(&set, 1)
			if ok {
				an.Parts, ok = d.strings()
			}
		} else {
			ok = d.extra(&an.Extra, string(k))
		}
		return ok
	})
}

func (d *fastDecoder) entities(a *AnnJSON) bool {
	if d.null() {
		return true
	}
	if !d.open('[') {
		return false
	}
	a.Entities = []Entity{}
	return d.array(func() bool {
		a.Entities = append(a.Entities, Entity{})
		return d.entity(&a.Entities[len(a.Entities)-1])
	})
}

func (d *fastDecoder) entity(e *Entity) bool {
	set := 0
	return d.object(func(k []byte) bool {
		ok := true
		switch string(k) {
		case "classId":
			ok = seen(&set, keyClassID) && (d.null() || d.internedInto(&e.ClassID))
		case "part":
			ok = seen(&set, keyPart) && (d.null() || d.internedInto(&e.Part))
		case "offsets":
			ok = seen(&set, keyOffsets) && (d.null() || d.offsets(e))
		case "coordinates":
			// Unlike other raw members, a null is kept: the key was present.
			ok = seen(&set, keyCoordinates)
			if ok {
				e.Coordinates, ok = d.raw()
			}
		case "confidence":
			ok = seen(&set, keyConfidence)
			if ok && !d.null() {
				e.Confidence = &Confidence{}
				ok = d.confidence(e.Confidence)
			}
		case "fields":
			ok = seen(&set, keyFields)
			if ok {
				e.Fields, ok = d.rawOrNil()
			}
		case "normalizations":
			ok = seen(&set, keyNormalizations)
			if ok {
				e.Normalizations, ok = d.rawOrNil()
			}
		default:
			ok = d.extra(&e.Extra, string(k))
		}
		return ok
	})
}

func (d *fastDecoder) internedInto(dst *string) bool {
	s, ok := d.internedString()
	*dst = s
	return ok
}

func (d *fastDecoder) offsets(e *Entity) bool {
	if !d.open('[') {
		return false
	}
	e.Offsets = []Offset{}
	return d.array(func() bool {
		var o Offset
		if !d.offset(&o) {
			return false
		}
		e.Offsets = append(e.Offsets, o)
		return true
	})
}

func (d *fastDecoder) offset(o *Offset) bool {
	if !d.open('{') {
		return false
	}
	set := 0
	for first := true; ; first = false {
		more, ok := d.next(first, '}')
		if !ok {
			return false
		}
		if !more {
			return true
		}
		raw, escaped, ok := d.stringToken()
		if !ok || escaped || d.peek() != ':' {
			return false
		}
		d.i++
		switch string(raw) {
		case "start":
			ok = seen(&set, keyStart)
			if ok && !d.null() {
				var num []byte
				num, ok = d.number()
				if ok {
					var n int64
					n, err := strconv.ParseInt(string(num), 10, 64)
					ok = err == nil
					o.Start = int(n)
				}
			}
		case "text":
			ok = seen(&set, keyText) && (d.null() || d.stringInto(&o.Text))
		default:
			// Offsets match keys case-insensitively and drop unknown ones:
			// the general decoder handles that.
			ok = false
		}
		if !ok {
			return false
		}
	}
}

func (d *fastDecoder) stringInto(dst *string) bool {
	s, ok := d.string()
	*dst = s
	return ok
}

func (d *fastDecoder) confidence(c *Confidence) bool {
	set := 0
	return d.object(func(k []byte) bool {
		ok := true
		switch string(k) {
		case "state":
			ok = seen(&set, keyState)
			if ok && !d.null() {
				var s string
				s, ok = d.internedString()
				c.State = &s
			}
		case "who":
			ok = seen(&set, keyWho)
			if ok {
				c.Who, ok = d.strings()
			}
		case "prob":
			ok = seen(&set, keyProb)
			if ok && !d.null() {
				var num []byte
				num, ok = d.number()
				if ok {
					var err error
					c.Prob, err = strconv.ParseFloat(string(num), 64)
					ok = err == nil
				}
			}
		default:
			ok = d.extra(&c.Extra, string(k))
		}
		return ok
	})
}

// hexValue returns the value of a hex digit, or -1.
func hexValue(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// u4 returns the value of the \uXXXX escape at the start of s, or -1 when
// s does not start with one.
func u4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		v := hexValue(c)
		if v < 0 {
			return -1
		}
		r = r<<4 | v
	}
	return r
}

// unquote decodes the text between a JSON string's quotes, already checked
// by stringToken, as encoding/json does: invalid UTF-8 and unpaired
// surrogates become U+FFFD.
func unquote(s []byte) string {
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return string(s)
	}
	return string(unquoteBytes(s))
}

// unquoteBytes is unquote giving bytes.
func unquoteBytes(s []byte) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			switch s[i+1] {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := u4(s[i:])
				i += 6
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, u4(s[i:])); dec != unicode.ReplacementChar {
						r = dec
						i += 6
					} else {
						r = unicode.ReplacementChar
					}
				}
				b = utf8.AppendRune(b, r)
				continue
			default: // '"', '\\', '/'
				b = append(b, s[i+1])
			}
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			b = utf8.AppendRune(b, r)
			i += size
		}
	}
	return b
}
