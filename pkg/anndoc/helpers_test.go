package anndoc_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

// readFile returns testdata/name.
func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustParse parses plainHTML or fails.
func mustParse(tb testing.TB, plainHTML []byte) *anndoc.Document {
	tb.Helper()
	d, err := anndoc.Parse(plainHTML)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return d
}

// mustDecode decodes an ann.json or fails.
func mustDecode(tb testing.TB, b []byte) *anndoc.AnnJSON {
	tb.Helper()
	a, err := anndoc.DecodeAnnJSON(b)
	if err != nil {
		tb.Fatalf("DecodeAnnJSON: %v", err)
	}
	return a
}

// mustMarshal marshals a or fails.
func mustMarshal(tb testing.TB, a *anndoc.AnnJSON) []byte {
	tb.Helper()
	b, err := a.Marshal()
	if err != nil {
		tb.Fatalf("Marshal: %v", err)
	}
	return b
}

// verbatim wraps a <pre id="s1v1"> body written as raw HTML source.
func verbatim(preSource string) []byte {
	return []byte(`<!DOCTYPE html >
<html id="doc-1" data-origid="doc.txt" class="anndoc">
  <head><meta charset="UTF-8"/><title>doc-1</title></head>
  <body><article><section data-type=""><div class="content"><pre id="s1v1">` + preSource + `</pre></div></section></article></body>
</html>
`)
}

// partsOf returns the ids and texts of d's parts as pairs.
func partsOf(d *anndoc.Document) [][2]string {
	out := make([][2]string, len(d.Parts))
	for i, p := range d.Parts {
		out[i] = [2]string{p.ID, p.Text}
	}
	return out
}
