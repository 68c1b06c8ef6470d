package webhook

import (
	"errors"
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
