package annotate

import (
	"fmt"
	"sort"
	"strings"
)

// entityPrefix marks entity-type ids in a tagtog annotationsLegend, which also
// holds document labels (m_), fields (f_), relations (r_) and normalizations (n_).
const entityPrefix = "e_"

// LabelMap maps model labels to tagtog entity-type ids (e_N). A nil *LabelMap
// maps nothing.
type LabelMap struct {
	byName   map[string]string // lower-cased entity-type name -> e_ id
	explicit map[string]string // lower-cased model label -> e_ id
}

// NewLabelMap builds a LabelMap from a project's annotationsLegend (id -> name)
// and an optional explicit mapping from model label to entity-type name or e_
// id (for example PER=PERSON). Only e_ ids of the legend are considered, so a
// document label sharing a name with an entity type is never chosen. When two
// entity types share a name (ignoring case) the smallest id wins, so the
// result does not depend on map iteration order. Explicit targets that are
// neither a known e_ id nor a known entity-type name map to nothing.
func NewLabelMap(legend map[string]string, explicit map[string]string) *LabelMap {
	m := &LabelMap{
		byName:   make(map[string]string, len(legend)),
		explicit: make(map[string]string, len(explicit)),
	}
	ids := make([]string, 0, len(legend))
	for id := range legend {
		if strings.HasPrefix(id, entityPrefix) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		name := strings.ToLower(strings.TrimSpace(legend[id]))
		if _, dup := m.byName[name]; !dup {
			m.byName[name] = id
		}
	}
	for label, target := range explicit {
		target = strings.TrimSpace(target)
		var id string
		if _, ok := legend[target]; ok && strings.HasPrefix(target, entityPrefix) {
			id = target
		} else if byName, ok := m.byName[strings.ToLower(target)]; ok {
			id = byName
		}
		if id != "" {
			m.explicit[strings.ToLower(strings.TrimSpace(label))] = id
		}
	}
	return m
}

// ClassID returns the entity-type id for a model label: the explicit mapping
// first, then an entity type whose name equals the label ignoring case. The
// boolean is false for labels that map to nothing; callers drop those.
func (m *LabelMap) ClassID(label string) (string, bool) {
	if m == nil {
		return "", false
	}
	key := strings.ToLower(strings.TrimSpace(label))
	if id, ok := m.explicit[key]; ok {
		return id, true
	}
	id, ok := m.byName[key]
	return id, ok
}

// ParseMapping parses an explicit label mapping written as comma-separated
// LABEL=TARGET pairs, for example "PER=PERSON,LOC=GPE,MISC=e_7". Spaces around
// items are ignored and an empty string gives an empty map. A pair without
// "=", with an empty side, or a label given twice is an error.
func ParseMapping(s string) (map[string]string, error) {
	out := make(map[string]string)
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		label, target, ok := strings.Cut(item, "=")
		label, target = strings.TrimSpace(label), strings.TrimSpace(target)
		if !ok || label == "" || target == "" {
			return nil, fmt.Errorf("annotate: label mapping %q: want LABEL=TARGET", item)
		}
		if _, dup := out[label]; dup {
			return nil, fmt.Errorf("annotate: label mapping: label %q given twice", label)
		}
		out[label] = target
	}
	return out, nil
}
