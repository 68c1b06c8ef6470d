package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&fields); err != nil {
		return Payload{}, bad("malformed JSON: %v", err)
	}
	if dec.More() {
		return Payload{}, bad("malformed JSON: data after the object")
	}
	_, hasOwner := fields["owner"]
	_, hasID := fields["tagtogID"]
	_, hasDocID := fields["docid"]
	if !hasOwner && !hasID && !hasDocID {
		for _, k := range annJSONKeys {
			if _, ok := fields[k]; ok {
				return Payload{}, ErrAnnJSONFormat
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
	var p Payload
	var id, docid string
	for _, f := range []struct {
		key string
		dst *string
	}{{"owner", &p.Owner}, {"project", &p.Project}, {"tagtogID", &id}, {"docid", &docid}, {"member", &p.Member}} {
		v, err := str(f.key)
		if err != nil {
			return Payload{}, err
		}
		*f.dst = v
	}
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
