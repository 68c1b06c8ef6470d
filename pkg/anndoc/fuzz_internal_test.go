package anndoc

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecodeAnnJSONFast checks the single-pass decoder against the general
// one: whenever decodeFast accepts an input, the general decoder accepts it
// too and gives the same AnnJSON, the same Marshal bytes (or Marshal error),
// and DecodeAnnJSON returns that result.
func FuzzDecodeAnnJSONFast(f *testing.F) {
	for _, name := range []string{"existing.ann.json", "existing.golden.json", "merged.golden.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"annotatable":{"parts":["s1p1"],"x":1},"anncomplete":true,"sources":[],"metas":{"m_1":{"value":true}},` +
		`"entities":[{"classId":"e_1","part":"s1p1","offsets":[{"start":0,"text":"Zo\u00eb"}],"coordinates":null,` +
		`"confidence":{"state":"pre-added","who":["ml:m"],"prob":0.5,"k":[1]},"fields":{},"normalizations":{},"z":null}],"relations":[]}`))
	f.Add([]byte(`{"entities":[{"offsets":[{"start":-0,"text":"\ud83d\ude00\ud800x"}],"confidence":{"state":null,"who":null,"prob":1e-7}}]}`))
	f.Add([]byte(`{"entities":null,"annotatable":null,"anncomplete":null,"sources":null,"metas":null,"relations":null}`))
	f.Add([]byte(`{"\u0065ntities":[],"entities":[]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(bytes.TrimSpace(in)) == 0 {
			return
		}
		var fast AnnJSON
		if !decodeFast(&fast, in) {
			return // the general decoder decides (FuzzDecodeAnnJSON covers it)
		}
		var general AnnJSON
		if err := general.decode(in); err != nil {
			t.Fatalf("fast decoder accepted what the general one rejects (%v):\n%q", err, in)
		}
		if !reflect.DeepEqual(fast, general) {
			t.Fatalf("decoders disagree on %q:\nfast    %#v\ngeneral %#v", in, fast, general)
		}
		fb, ferr := fast.Marshal()
		gb, gerr := general.Marshal()
		if !bytes.Equal(fb, gb) || errText(ferr) != errText(gerr) {
			t.Fatalf("Marshal differs on %q:\nfast    %s (%v)\ngeneral %s (%v)", in, fb, ferr, gb, gerr)
		}
		a, err := DecodeAnnJSON(in)
		if err != nil || !reflect.DeepEqual(*a, fast) {
			t.Fatalf("DecodeAnnJSON = %#v, %v; want the fast result", a, err)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
