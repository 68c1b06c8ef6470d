package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Payload is the tagtogID webhook body.
type Payload struct {
	Owner, Project string
	// DocID is the document's tagtog id ("tagtogID", or "docid" in newer payloads).
	DocID string
	// Member is the annotation version; "" when absent or "master".
	Member string
}

// Errors returned by DecodePayload.
var (
	// ErrBadPayload is wrapped by every error about a malformed body.
	ErrBadPayload = errors.New("bad webhook payload")
	// ErrAnnJSONFormat: the body is an ann.json document, sent when the
	// webhook's Format is ann.json; it does not say which document changed.
	ErrAnnJSONFormat = errors.New("this endpoint needs the tagtogID webhook format: in tagtog's project Settings › Webhooks choose Format tagtogID")
)

// annJSONKeys are top-level keys of a tagtog ann.json document.
var annJSONKeys = []string{"annotatable", "anncomplete", "entities", "relations", "metas", "sources"}

// DecodePayload decodes a tagtogID webhook body: a JSON object with string
// fields owner, project and tagtogID or docid (both may be present but must
// then agree), and optionally member. Unknown fields are ignored. Errors wrap
// ErrBadPayload, or are ErrAnnJSONFormat for an ann.json body.
func DecodePayload(body []byte) (Payload, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadPayload, fmt.Sprintf(format, args...))
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return Payload{}, bad(`empty body: want {"owner":…,"project":…,"tagtogID":…}`)
	}
	if trimmed[0] != '{' {
		return Payload{}, bad(`body is not a JSON object: want {"owner":…,"project":…,"tagtogID":…}`)
	}
	f, ok := scanPayload(trimmed)
	if !ok {
		var err error
		if f, err = decodePayloadFields(trimmed, bad); err != nil {
			return Payload{}, err
		}
	}
	p := Payload{Owner: f.owner, Project: f.project, Member: f.member}
	id, docid := f.id, f.docid
	if id != "" && docid != "" && id != docid {
		return Payload{}, bad("tagtogID %q and docid %q differ", id, docid)
	}
	p.DocID = id
	if p.DocID == "" {
		p.DocID = docid
	}
	var missing []string
	if strings.TrimSpace(p.Owner) == "" {
		missing = append(missing, "owner")
	}
	if strings.TrimSpace(p.Project) == "" {
		missing = append(missing, "project")
	}
	if strings.TrimSpace(p.DocID) == "" {
		missing = append(missing, "tagtogID (or docid)")
	}
	if len(missing) > 0 {
		return Payload{}, bad("missing %s", strings.Join(missing, ", "))
	}
	if p.Member == "master" {
		p.Member = ""
	}
	return p, nil
}

// payloadFields are the members of a webhook body DecodePayload reads.
type payloadFields struct {
	owner, project, id, docid, member string
}

// decodePayloadFields is the general decoder of a body that starts with '{':
// every syntax or type problem gets its error message here.
func decodePayloadFields(body []byte, bad func(format string, args ...any) error) (payloadFields, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil {
		return payloadFields{}, bad("malformed JSON: %v", err)
	}
	if dec.More() {
		return payloadFields{}, bad("malformed JSON: data after the object")
	}
	_, hasOwner := fields["owner"]
	_, hasID := fields["tagtogID"]
	_, hasDocID := fields["docid"]
	if !hasOwner && !hasID && !hasDocID {
		for _, k := range annJSONKeys {
			if _, ok := fields[k]; ok {
				return payloadFields{}, ErrAnnJSONFormat
			}
		}
	}
	str := func(key string) (string, error) {
		raw, ok := fields[key]
		if !ok || string(raw) == "null" {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", bad("%s must be a string", key)
		}
		return s, nil
	}
	var f payloadFields
	for _, m := range []struct {
		key string
		dst *string
	}{{"owner", &f.owner}, {"project", &f.project}, {"tagtogID", &f.id}, {"docid", &f.docid}, {"member", &f.member}} {
		v, err := str(m.key)
		if err != nil {
			return payloadFields{}, err
		}
		*m.dst = v
	}
	return f, nil
}

// scanPayload reads the usual webhook body in one pass: an object whose
// known members are plain strings (no escapes) or null, each given once,
// with nothing after it. It reports false for anything else, and for an
// ann.json body, leaving those to decodePayloadFields, so that whenever it
// succeeds its result is the one decodePayloadFields gives.
func scanPayload(body []byte) (payloadFields, bool) {
	s := payloadScanner{data: body}
	var f payloadFields
	const (
		hasOwner = 1 << iota
		hasProject
		hasID
		hasDocID
		hasMember
	)
	set, annKey := 0, false
	if s.peek() != '{' {
		return f, false
	}
	s.i++
	for first := true; ; first = false {
		c := s.peek()
		if c == '}' {
			s.i++
			break
		}
		if !first {
			if c != ',' {
				return f, false
			}
			s.i++
		}
		key, ok := s.plainString()
		if !ok || s.peek() != ':' {
			return f, false
		}
		s.i++
		var dst *string
		bit := 0
		switch string(key) {
		case "owner":
			dst, bit = &f.owner, hasOwner
		case "project":
			dst, bit = &f.project, hasProject
		case "tagtogID":
			dst, bit = &f.id, hasID
		case "docid":
			dst, bit = &f.docid, hasDocID
		case "member":
			dst, bit = &f.member, hasMember
		case "annotatable", "anncomplete", "entities", "relations", "metas", "sources":
			annKey = true
		}
		if dst == nil {
			if !s.skip(0) {
				return f, false
			}
			continue
		}
		if set&bit != 0 {
			return f, false
		}
		set |= bit
		if s.peek() == 'n' {
			if !s.literal("null") {
				return f, false
			}
			continue
		}
		v, ok := s.plainString()
		if !ok {
			return f, false
		}
		*dst = string(v)
	}
	if s.peek() != 0 || s.i != len(s.data) {
		return f, false
	}
	if annKey && set&(hasOwner|hasID|hasDocID) == 0 {
		return f, false
	}
	return f, true
}

// payloadScanner checks and reads JSON in data from offset i.
type payloadScanner struct {
	data []byte
	i    int
}

// peek skips white space and returns the next byte, or 0 at the end.
func (s *payloadScanner) peek() byte {
	for s.i < len(s.data) {
		switch c := s.data[s.i]; c {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return c
		}
	}
	return 0
}

// plainString reads a string without escapes whose bytes are valid UTF-8,
// and returns what is between the quotes.
func (s *payloadScanner) plainString() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	for i := start; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			v := s.data[start:i]
			if !utf8.Valid(v) {
				return nil, false
			}
			s.i = i + 1
			return v, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

func (s *payloadScanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.data[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// skip checks and passes over one value: plain strings, numbers, literals,
// and arrays and objects of them nested a few levels.
func (s *payloadScanner) skip(depth int) bool {
	switch c := s.peek(); c {
	case '{', '[':
		if depth >= 16 {
			return false
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		s.i++
		for first := true; ; first = false {
			c := s.peek()
			if c == closing {
				s.i++
				return true
			}
			if !first {
				if c != ',' {
					return false
				}
				s.i++
			}
			if closing == '}' {
				if _, ok := s.plainString(); !ok || s.peek() != ':' {
					return false
				}
				s.i++
			}
			if !s.skip(depth + 1) {
				return false
			}
		}
	case '"':
		_, ok := s.plainString()
		return ok
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

// number passes over a JSON number.
func (s *payloadScanner) number() bool {
	d, i := s.data, s.i
	digits := func() bool {
		start := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	if i < len(d) && d[i] == '0' {
		i++
	} else if i >= len(d) || d[i] < '1' || d[i] > '9' || !digits() {
		return false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	s.i = i
	return true
}
