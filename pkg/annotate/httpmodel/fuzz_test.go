package httpmodel_test

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/tagflow/tagflow/pkg/annotate"
	"github.com/tagflow/tagflow/pkg/annotate/httpmodel"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"results":[{"ents":[{"start":0,"end":3,"label":"PERSON"}]}]}`), "Zoë 😀")
	f.Add([]byte(`[[{"entity":"B-PER","start":0,"end":1,"score":0.5},{"entity":"I-PER","start":2,"end":3}]]`), "a b c")
	f.Add([]byte(`[{"entity_group":"LOC","start":0,"end":2,"score":0.5}]`), "東京")
	f.Fuzz(func(t *testing.T, body []byte, text string) {
		if !utf8.ValidString(text) {
			return
		}
		spans, err := httpmodel.Decode(body, []string{text})
		if err != nil {
			if !errors.Is(err, annotate.ErrBadResponse) || !errors.Is(err, httpmodel.ErrPermanent) {
				t.Fatalf("error not marked: %v", err)
			}
			return
		}
		last := 0
		for _, s := range spans[0] {
			if s.Start < last || s.End <= s.Start || s.End > len(text) || !utf8.ValidString(text[s.Start:s.End]) {
				t.Fatalf("bad span %+v in %q", s, text)
			}
			if s.Score <= 0 || s.Score > 1 {
				t.Fatalf("bad score %+v", s)
			}
			last = s.End
		}
	})
}
