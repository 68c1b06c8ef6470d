package deploy

import (
	"slices"
	"testing"
)

func TestParseLabelValues(t *testing.T) {
	tests := []struct {
		name  string
		def   string
		match string
		label string
		ok    bool
	}{
		{"metric", "label_values(nats_stream_total_messages, stream_name)", "nats_stream_total_messages", "stream_name", true},
		{"selector", `label_values(up{job="nats"}, instance)`, `up{job="nats"}`, "instance", true},
		{"spaces", "  label_values( up ,job )  ", "up", "job", true},
		{"label only", "label_values(stream_name)", "", "", false},
		{"other function", "query_result(up)", "", "", false},
		{"bad label", "label_values(up, 1abc)", "", "", false},
		{"empty", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			match, label, ok := ParseLabelValues(tt.def)
			if match != tt.match || label != tt.label || ok != tt.ok {
				t.Errorf("ParseLabelValues(%q) = %q, %q, %v; want %q, %q, %v",
					tt.def, match, label, ok, tt.match, tt.label, tt.ok)
			}
		})
	}
}

func TestVarQueries(t *testing.T) {
	vs, err := VarQueries()
	if err != nil {
		t.Fatal(err)
	}
	want := []VarQuery{{
		Source: `nats-jetstream.json variable "stream"`,
		Board:  natsBoard,
		Match:  "nats_stream_total_messages",
		Label:  "stream_name",
	}}
	if !slices.Equal(vs, want) {
		t.Errorf("VarQueries() = %+v, want %+v", vs, want)
	}
}
