package annotate_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/tagflow/tagflow/pkg/annotate"
)

func TestLabelMapClassID(t *testing.T) {
	legend := map[string]string{
		"e_1": "Person",
		"e_2": "ORG",
		"e_3": "Money",
		"m_1": "Category",
		"m_2": "GPE", // a document label sharing a name with no entity type
		"f_1": "Location",
		"e_4": "location",
		"e_5": "Location", // duplicate name: the smaller id (e_4) wins
		"r_1": "works_for",
	}
	explicit := map[string]string{
		"PER":  "PERSON", // by name, any case
		"LOC":  "e_5",    // by id
		"CAT":  "m_1",    // not an entity id: maps to nothing
		"MISC": "Nothing",
		"org":  "Money", // explicit beats the name match
	}
	m := annotate.NewLabelMap(legend, explicit)
	tests := []struct {
		label  string
		wantID string
		wantOK bool
	}{
		{"PERSON", "e_1", true},
		{"person", "e_1", true},
		{"PER", "e_1", true},
		{"per", "e_1", true},
		{"ORG", "e_3", true},
		{"MONEY", "e_3", true},
		{"LOCATION", "e_4", true},
		{"LOC", "e_5", true},
		{"GPE", "", false},
		{"Category", "", false},
		{"CAT", "", false},
		{"MISC", "", false},
		{"works_for", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			id, ok := m.ClassID(tt.label)
			if id != tt.wantID || ok != tt.wantOK {
				t.Fatalf("ClassID(%q) = %q, %v; want %q, %v", tt.label, id, ok, tt.wantID, tt.wantOK)
			}
		})
	}
}

func TestLabelMapNil(t *testing.T) {
	var m *annotate.LabelMap
	if id, ok := m.ClassID("PERSON"); ok || id != "" {
		t.Fatalf("nil map ClassID = %q, %v", id, ok)
	}
	m = annotate.NewLabelMap(nil, nil)
	if id, ok := m.ClassID("PERSON"); ok || id != "" {
		t.Fatalf("empty map ClassID = %q, %v", id, ok)
	}
}

func TestParseMapping(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr bool
	}{
		{"empty", "", map[string]string{}, false},
		{"one", "PER=PERSON", map[string]string{"PER": "PERSON"}, false},
		{"several with spaces", " PER = PERSON , LOC=GPE,,MISC=e_7 ", map[string]string{"PER": "PERSON", "LOC": "GPE", "MISC": "e_7"}, false},
		{"no equals", "PER", nil, true},
		{"empty target", "PER=", nil, true},
		{"empty label", "=PERSON", nil, true},
		{"duplicate", "PER=PERSON,PER=ORG", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := annotate.ParseMapping(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseMapping(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseMapping(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("boom")
	err := fmt.Errorf("call: %w", annotate.Permanent(base))
	if !annotate.IsPermanent(err) || !errors.Is(err, base) {
		t.Fatalf("Permanent lost a match: %v", err)
	}
	if err.Error() != "call: boom" {
		t.Fatalf("Error() = %q", err.Error())
	}
	if annotate.Permanent(nil) != nil {
		t.Fatal("Permanent(nil) != nil")
	}
	if annotate.IsPermanent(base) {
		t.Fatal("plain error reported permanent")
	}
}
