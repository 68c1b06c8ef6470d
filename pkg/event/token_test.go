package event

import (
	"strings"
	"testing"
	"time"
)

// TestTokenBounded: however long and however escaped an owner or project is,
// the subject stays short; long values keep distinct tokens.
func TestTokenBounded(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the whole token, or its readable prefix when hashed
		hashed   bool
	}{
		{"exactly 64 kept", strings.Repeat("a", 64), strings.Repeat("a", 64), false},
		{"65 hashed", strings.Repeat("a", 65), strings.Repeat("a", 40) + "~~", true},
		{"escape not cut", strings.Repeat("a", 39) + strings.Repeat(".", 20), strings.Repeat("a", 39) + "~~", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Token(tt.in)
			if len(got) > MaxTokenLen {
				t.Fatalf("Token has %d bytes, more than %d", len(got), MaxTokenLen)
			}
			if tt.hashed {
				if !strings.HasPrefix(got, tt.want) || len(got) != len(tt.want)+22 {
					t.Fatalf("Token = %q, want %q and 22 hex digits", got, tt.want)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("Token = %q, want %q", got, tt.want)
			}
		})
	}
	a, b := Token(strings.Repeat(".", 1024)), Token(strings.Repeat(".", 1023)+"*")
	if a == b {
		t.Fatalf("distinct long values share token %q", a)
	}
	env := New(time.Now(), strings.Repeat(".", MaxFieldLen), strings.Repeat("é", MaxFieldLen/2), "doc", "", StatusCreated, SourceGUI)
	if err := env.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := len(env.Subject("tagtog.events")); n > 200 {
		t.Fatalf("subject of %d bytes for the longest valid owner and project", n)
	}
}
