package event

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func TestToken(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "acme", "acme"},
		{"digits dash underscore", "ner-demo_2", "ner-demo_2"},
		{"empty", "", "~"},
		{"dot", "a.b", "a~2Eb"},
		{"star", "*", "~2A"},
		{"greater", ">", "~3E"},
		{"space", "my project", "my~20project"},
		{"tilde", "~", "~7E"},
		{"escape lookalike", "~2E", "~7E2E"},
		{"tab and newline", "a\tb\n", "a~09b~0A"},
		{"unicode", "é", "~C3~A9"},
		{"emoji", "😀", "~F0~9F~98~80"},
		{"slash", "a/b", "a~2Fb"},
		{"invalid utf8", "\xff", "~FF"},
	}
	safe := regexp.MustCompile(`^[A-Za-z0-9_~-]+$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Token(tt.in)
			if got != tt.want {
				t.Fatalf("Token(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !safe.MatchString(got) {
				t.Fatalf("Token(%q) = %q is not a safe subject token", tt.in, got)
			}
		})
	}
}

func TestTokenDistinct(t *testing.T) {
	inputs := []string{"", "~", "~7E", "a.b", "a~2Eb", "a b", "a_b", "a-b", "A.B", "é", "e", "~C3~A9", ".", "..", "*", ">", "a", "a."}
	seen := map[string]string{}
	for _, in := range inputs {
		tok := Token(in)
		if prev, ok := seen[tok]; ok {
			t.Fatalf("Token(%q) == Token(%q) == %q", in, prev, tok)
		}
		seen[tok] = in
	}
}

func FuzzToken(f *testing.F) {
	for _, s := range []string{"", "a.b", "~", "é", "a b*>"} {
		f.Add(s, s+"x")
	}
	safe := regexp.MustCompile(`^[A-Za-z0-9_~-]+$`)
	f.Fuzz(func(t *testing.T, a, b string) {
		ta, tb := Token(a), Token(b)
		if !safe.MatchString(ta) {
			t.Fatalf("Token(%q) = %q", a, ta)
		}
		if (a == b) != (ta == tb) {
			t.Fatalf("Token(%q)=%q Token(%q)=%q", a, ta, b, tb)
		}
	})
}

func TestSubject(t *testing.T) {
	e := New(now, "ac.me", "ner *demo", "d1", "", StatusCreated, SourceGUI)
	if got := e.Subject("tagtog.events"); got != "tagtog.events.created.ac~2Eme.ner~20~2Ademo" {
		t.Fatalf("Subject = %q", got)
	}
	e.Status = StatusUpdated
	if got := e.Subject("x"); got != "x.updated.ac~2Eme.ner~20~2Ademo" {
		t.Fatalf("Subject = %q", got)
	}
}

func TestMsgID(t *testing.T) {
	base := New(now, "acme", "ner", "doc1", "", StatusCreated, SourceGUI)
	again := New(now.Add(time.Minute), "acme", "ner", "doc1", "master", StatusCreated, SourceAPI)
	if base.ID == again.ID {
		t.Fatal("New returned the same id twice")
	}
	if base.MsgID() != again.MsgID() {
		t.Fatalf("created events of one document differ: %s vs %s", base.MsgID(), again.MsgID())
	}
	if !strings.HasPrefix(base.MsgID(), "c:") || len(base.MsgID()) != 2+64 {
		t.Fatalf("created MsgID = %q", base.MsgID())
	}
	for _, tt := range []struct {
		name string
		e    Envelope
	}{
		{"other doc", New(now, "acme", "ner", "doc2", "", StatusCreated, "")},
		{"other member", New(now, "acme", "ner", "doc1", "alice", StatusCreated, "")},
		{"other project", New(now, "acme", "ner2", "doc1", "", StatusCreated, "")},
		{"shifted separator", New(now, "acme/ner", "", "doc1", "", StatusCreated, "")},
		{"field boundary", New(now, "acm", "ener", "doc1", "", StatusCreated, "")},
	} {
		if tt.e.MsgID() == base.MsgID() {
			t.Errorf("%s: same MsgID as the base event", tt.name)
		}
	}
	u1 := New(now, "acme", "ner", "doc1", "", StatusUpdated, SourceGUI)
	u2 := New(now, "acme", "ner", "doc1", "", StatusUpdated, SourceGUI)
	if u1.MsgID() == u2.MsgID() {
		t.Fatal("two updated events share a MsgID")
	}
	if u1.MsgID() != "u:"+u1.ID {
		t.Fatalf("updated MsgID = %q", u1.MsgID())
	}
}

func TestValidate(t *testing.T) {
	valid := New(now, "acme", "ner", "doc1", "", StatusCreated, SourceGUI)
	tests := []struct {
		name   string
		mutate func(*Envelope)
		err    string // "" valid
	}{
		{"valid", func(*Envelope) {}, ""},
		{"no source", func(e *Envelope) { e.Source = "" }, ""},
		{"empty member", func(e *Envelope) { e.Member = "" }, ""},
		{"unicode owner", func(e *Envelope) { e.Owner = "Jürgen" }, ""},
		{"version 0", func(e *Envelope) { e.V = 0 }, "invalid event: unsupported envelope version 0"},
		{"future version", func(e *Envelope) { e.V = Version + 1 }, "invalid event: unsupported envelope version 2"},
		{"no id", func(e *Envelope) { e.ID = "" }, "invalid event: missing id"},
		{"id with newline", func(e *Envelope) { e.ID = "a\r\nb" }, "invalid event: id must be 1 to 128 printable ASCII characters without spaces"},
		{"id too long", func(e *Envelope) { e.ID = strings.Repeat("a", 129) }, "invalid event: id must be 1 to 128 printable ASCII characters without spaces"},
		{"no owner", func(e *Envelope) { e.Owner = " " }, "invalid event: missing owner"},
		{"no project", func(e *Envelope) { e.Project = "" }, "invalid event: missing project"},
		{"no doc", func(e *Envelope) { e.DocID = "" }, "invalid event: missing document id"},
		{"long doc", func(e *Envelope) { e.DocID = strings.Repeat("d", MaxFieldLen+1) }, "invalid event: document id longer than 1024 bytes"},
		{"bad utf8", func(e *Envelope) { e.Project = "\xff" }, "invalid event: project is not valid UTF-8"},
		{"control in member", func(e *Envelope) { e.Member = "a\x00" }, "invalid event: member contains control characters"},
		{"bad status", func(e *Envelope) { e.Status = "deleted" }, `invalid event: unknown status "deleted"`},
		{"bad source", func(e *Envelope) { e.Source = "gui" }, `invalid event: unknown source "gui"`},
		{"bad format", func(e *Envelope) { e.Format = "ann.json" }, `invalid event: unsupported payload format "ann.json"`},
		{"no time", func(e *Envelope) { e.ReceivedAt = time.Time{} }, "invalid event: missing received_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := valid
			tt.mutate(&e)
			err := e.Validate()
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.err {
				t.Fatalf("Validate() = %v, want %s", err, tt.err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	e := New(now, "acme", "ner", "doc1", "alice", StatusUpdated, SourceAPI)
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"id":"` + e.ID + `","received_at":"2024-05-06T07:08:09Z","owner":"acme","project":"ner","doc_id":"doc1","member":"alice","source":"API","status":"updated","format":"tagtogID"}`
	if string(b) != want {
		t.Fatalf("Marshal = %s\nwant %s", b, want)
	}
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if got != e {
		t.Fatalf("round trip: %+v != %+v", got, e)
	}
	if _, err := Unmarshal([]byte(`{"v":1`)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Unmarshal(truncated) = %v", err)
	}
	var probe map[string]any
	if err := json.Unmarshal(b, &probe); err != nil || probe["member"] != "alice" {
		t.Fatalf("probe: %v %v", probe, err)
	}
}

func TestNewNormalisesMember(t *testing.T) {
	e := New(now.In(time.FixedZone("CEST", 7200)), "a", "p", "d", "", StatusCreated, "")
	if e.Member != MemberMaster || e.MemberOrMaster() != MemberMaster || e.ReceivedAt.Location() != time.UTC || e.V != Version || e.Format != FormatTagtogID {
		t.Fatalf("New = %+v", e)
	}
	if len(e.ID) != 32 {
		t.Fatalf("id %q", e.ID)
	}
	var z Envelope
	if z.MemberOrMaster() != MemberMaster {
		t.Fatal("zero member is not master")
	}
}

// TestMsgIDPinned pins created-event MsgIDs: they are deduplication keys
// stored in JetStream, so their value must never change between releases.
func TestMsgIDPinned(t *testing.T) {
	tests := []struct {
		name string
		e    Envelope
		want string
	}{
		{"plain", Envelope{Owner: "acme", Project: "ner", DocID: "doc1", Status: StatusCreated},
			"c:2eb3bff411881822e718eaa1539a301a84c05d013dcbcc70e6cce63510cc27b8"},
		{"member", Envelope{Owner: "acme", Project: "ner", DocID: "aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt", Member: "alice", Status: StatusCreated},
			"c:4cd80e19e8c66c99e4ebe0b8bcaa2691eb7312ef776f3e0267a2698f7b64aae1"},
		{"empty fields", Envelope{Status: StatusCreated},
			"c:6a2e26bfee3a54f9967389bd03724b0f6a43ee3fa43dc3fb1fb110061c749b91"},
		{"separators and unicode", Envelope{Owner: "é/😀|1:", Project: "p|q", DocID: "3:x|", Member: "m", Status: StatusCreated},
			"c:f08ea2e3b86b423ed045245b499c83a3a1e102692266fc2d8196dfda3bd9acba"},
		{"updated", Envelope{ID: "01HX", Owner: "acme", Project: "ner", DocID: "doc1", Status: StatusUpdated}, "u:01HX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.MsgID(); got != tt.want {
				t.Errorf("MsgID() = %q, want %q", got, tt.want)
			}
		})
	}
}

func BenchmarkMsgID(b *testing.B) {
	e := Envelope{Owner: "acme", Project: "ner-demo", DocID: "aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt", Status: StatusCreated}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.MsgID()
	}
}

// FuzzUnmarshal feeds arbitrary bytes to Unmarshal: it never panics, every
// error wraps ErrInvalid, and an accepted envelope is valid and survives
// Marshal and Unmarshal unchanged.
func FuzzUnmarshal(f *testing.F) {
	e := New(now, "acme", "ner-demo", "aQm3xT0bV1-memo.txt", "alice", StatusCreated, SourceGUI)
	valid, err := e.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte(`{"v":1,"id":"x","received_at":"2024-05-06T07:08:09+02:00","owner":"a","project":"p","doc_id":"d","status":"updated","format":"tagtogID"}`))
	f.Add([]byte(`{"V":1,"ID":"x","RECEIVED_AT":"2024-05-06T07:08:09.5Z","Owner":"\u00e9","project":"p","doc_id":"d","status":"created","source":"api","format":"tagtogID"}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Unmarshal(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("accepted an invalid envelope: %v", err)
		}
		out, err := e.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("Unmarshal of own output: %v\n%s", err, out)
		}
		if !sameEnvelope(e, again) {
			t.Fatalf("round trip changed the envelope:\n%+v\n%+v", e, again)
		}
	})
}

// sameEnvelope compares envelopes field by field, times as instants with
// the same UTC offset (time.Location pointers differ between decodes).
func sameEnvelope(a, b Envelope) bool {
	_, offA := a.ReceivedAt.Zone()
	_, offB := b.ReceivedAt.Zone()
	if !a.ReceivedAt.Equal(b.ReceivedAt) || offA != offB {
		return false
	}
	a.ReceivedAt, b.ReceivedAt = time.Time{}, time.Time{}
	return a == b
}
