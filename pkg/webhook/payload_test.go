package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDecodePayload(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Payload
		err  error
	}{
		{"tagtogID", `{"owner":"acme","project":"ner","tagtogID":"a.b-c.txt"}`, Payload{"acme", "ner", "a.b-c.txt", ""}, nil},
		{"docid", `{"owner":"acme","project":"ner","docid":"x"}`, Payload{"acme", "ner", "x", ""}, nil},
		{"both agree", `{"owner":"acme","project":"ner","docid":"x","tagtogID":"x","member":"alice"}`, Payload{"acme", "ner", "x", "alice"}, nil},
		{"master member", `{"owner":"acme","project":"ner","docid":"x","member":"master"}`, Payload{"acme", "ner", "x", ""}, nil},
		{"empty member", `{"owner":"acme","project":"ner","docid":"x","member":""}`, Payload{"acme", "ner", "x", ""}, nil},
		{"null member", `{"owner":"acme","project":"ner","docid":"x","member":null}`, Payload{"acme", "ner", "x", ""}, nil},
		{"extra keys", `{"owner":"acme","project":"ner","tagtogID":"x","foo":[1,2]}`, Payload{"acme", "ner", "x", ""}, nil},
		{"whitespace", " \n{\"owner\":\"a\",\"project\":\"p\",\"tagtogID\":\"x\"}\n", Payload{"a", "p", "x", ""}, nil},
		{"both differ", `{"owner":"acme","project":"ner","docid":"x","tagtogID":"y"}`, Payload{}, ErrBadPayload},
		{"array", `[1]`, Payload{}, ErrBadPayload},
		{"two objects", `{"owner":"a","project":"p","tagtogID":"x"}{}`, Payload{}, ErrBadPayload},
		{"blank owner", `{"owner":" ","project":"p","tagtogID":"x"}`, Payload{}, ErrBadPayload},
		{"ann.json", `{"annotatable":{"parts":[]},"entities":[]}`, Payload{}, ErrAnnJSONFormat},
		{"ann.json with owner is not ann.json", `{"owner":"a","entities":[]}`, Payload{}, ErrBadPayload},
		{"empty object", `{}`, Payload{}, ErrBadPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePayload([]byte(tt.in))
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{
		`{"owner":"acme","project":"ner-demo","tagtogID":"aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt"}`,
		`{"owner":"acme","project":"ner","docid":"x","member":"alice"}`,
		`{"annotatable":{"parts":["s1v1"]},"entities":[]}`,
		`{"owner":1}`, ``, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePayload(b)
		if err != nil {
			if !errors.Is(err, ErrBadPayload) && !errors.Is(err, ErrAnnJSONFormat) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if strings.TrimSpace(p.Owner) == "" || strings.TrimSpace(p.Project) == "" || strings.TrimSpace(p.DocID) == "" {
			t.Fatalf("accepted payload with empty field: %+v", p)
		}
		if p.Member == "master" {
			t.Fatal("member master not normalised")
		}
	})
}

// FuzzScanPayload checks the one-pass scanner against the general decoder:
// whenever scanPayload accepts a body, decodePayloadFields accepts it too and
// reads the same fields, so DecodePayload's payload and error text do not
// depend on which of the two read the body.
func FuzzScanPayload(f *testing.F) {
	for _, s := range []string{
		`{"owner":"acme","project":"ner-demo","tagtogID":"aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt"}`,
		`{"owner":"acme","project":"ner","docid":"x","tagtogID":"y","member":"master"}`,
		` {"owner":null,"project":"p","docid":"d","extra":{"a":[1,-2.5e+3,true,false,null,{"b":"c"}]}} `,
		`{"annotatable":{"parts":["s1v1"]},"entities":[],"owner":null}`,
		`{"annotatable":{"parts":["s1v1"]},"entities":[]}`,
		`{"owner":"Zoë","project":"東京","tagtogID":"😀"}`,
		`{"owner":"a","owner":"b"}`,
		`{"owner":"a\u0062","project":"p","docid":"d"}`,
		`{"OWNER":"a","project":"p","docid":"d"}`,
		`{"owner":1}`, `{}`, `{"a":01}`,
	} {
		f.Add([]byte(s))
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadPayload, fmt.Sprintf(format, args...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		trimmed := bytes.TrimSpace(b)
		if len(trimmed) == 0 || trimmed[0] != '{' {
			return // DecodePayload answers these before either decoder runs
		}
		fast, ok := scanPayload(trimmed)
		if !ok {
			return // the general decoder decides
		}
		general, err := decodePayloadFields(trimmed, bad)
		if err != nil {
			t.Fatalf("scanner accepted what the general decoder rejects (%v):\n%q", err, trimmed)
		}
		if fast != general {
			t.Fatalf("decoders disagree on %q:\nscanner %+v\ngeneral %+v", trimmed, fast, general)
		}
	})
}

func BenchmarkDecodePayload(b *testing.B) {
	for _, tc := range []struct{ name, in string }{
		{"tagtogID", `{"owner":"acme","project":"ner-demo","tagtogID":"aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt"}`},
		{"all fields", `{"owner":"acme","project":"ner-demo","tagtogID":"aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt","docid":"aQm3xT0bV1.kLp9sR_2wYz7uHcE4-memo.txt","member":"alice","extra":{"a":[1,2]}}`},
		{"ann.json", `{"annotatable":{"parts":["s1v1"]},"anncomplete":false,"sources":[],"metas":{},"entities":[],"relations":[]}`},
	} {
		body := []byte(tc.in)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = DecodePayload(body)
			}
		})
	}
}
