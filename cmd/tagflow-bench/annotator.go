package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/annotate/builtin"
)

// corpusResult is the builtin model's speed on one corpus, one goroutine.
type corpusResult struct {
	Corpus         string  `json:"corpus"`
	Documents      int     `json:"documents"`
	WordsPerDoc    float64 `json:"words_per_doc"`
	WordsPerSecond float64 `json:"words_per_second"`
	DocsPerSecond  float64 `json:"docs_per_second"`
	AllocsPerDoc   float64 `json:"allocs_per_doc"`
	BytesPerDoc    float64 `json:"bytes_per_doc"`
	Entities       int     `json:"entities_per_pass"`
	// Parse* measure anndoc.Parse of the plain.html (export corpus only).
	ParseWordsPerSecond float64 `json:"parse_words_per_second,omitempty"`
	ParseAllocsPerDoc   float64 `json:"parse_allocs_per_doc,omitempty"`
}

// measure runs pass repeatedly on one goroutine for at least d (and at least
// once) and returns passes, elapsed time and allocations per pass.
func measure(d time.Duration, pass func()) (n int, el time.Duration, allocs, bytes float64) {
	pass() // warm caches and pools
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for n == 0 || time.Since(start) < d {
		pass()
		n++
	}
	el = time.Since(start)
	runtime.ReadMemStats(&after)
	return n, el, float64(after.Mallocs-before.Mallocs) / float64(n), float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
}

// benchCorpus measures the builtin model on docs (each a list of part texts).
func benchCorpus(ctx context.Context, name string, docs [][]string, d time.Duration) (corpusResult, error) {
	m := builtin.New()
	words, entities := 0, 0
	for _, texts := range docs {
		words += wordCount(texts)
		spans, err := m.Annotate(ctx, texts)
		if err != nil {
			return corpusResult{}, err
		}
		for _, s := range spans {
			entities += len(s)
		}
	}
	var err error
	passes, el, allocs, bytes := measure(d, func() {
		for _, texts := range docs {
			if _, e := m.Annotate(ctx, texts); e != nil {
				err = e
			}
		}
	})
	if err != nil {
		return corpusResult{}, err
	}
	nd := float64(len(docs))
	return corpusResult{
		Corpus: name, Documents: len(docs), WordsPerDoc: round(float64(words)/nd, 1),
		WordsPerSecond: round(float64(words*passes)/el.Seconds(), 0),
		DocsPerSecond:  round(nd*float64(passes)/el.Seconds(), 0),
		AllocsPerDoc:   round(allocs/nd, 1), BytesPerDoc: round(bytes/nd, 0), Entities: entities,
	}, nil
}

// benchAnnotator measures the builtin model on the export folder's real
// news texts (when given) and on the generated corpus. GOMAXPROCS stays as
// it is, but everything runs on one goroutine: the figures are per core.
func benchAnnotator(ctx context.Context, o *options) ([]corpusResult, error) {
	if o.profile != "" {
		stop, err := startProfile(filepath.Join(o.profile, "annotator.cpu.pprof"))
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	var out []corpusResult
	if o.export != "" {
		raw, err := readExport(o.export)
		if err != nil {
			return nil, err
		}
		docs, err := partTexts(raw)
		if err != nil {
			return nil, err
		}
		r, err := benchCorpus(ctx, "export", docs, o.annTime)
		if err != nil {
			return nil, err
		}
		words := 0
		for _, t := range docs {
			words += wordCount(t)
		}
		passes, el, allocs, _ := measure(o.annTime/2, func() {
			for _, d := range raw {
				_, _ = anndoc.Parse(d.html)
			}
		})
		r.ParseWordsPerSecond = round(float64(words*passes)/el.Seconds(), 0)
		r.ParseAllocsPerDoc = round(allocs/float64(len(raw)), 1)
		fmt.Fprintf(o.log, "  export: %d docs, %.0f words/s/core, %.0f allocs/doc; anndoc.Parse %.0f words/s, %.0f allocs/doc\n",
			r.Documents, r.WordsPerSecond, r.AllocsPerDoc, r.ParseWordsPerSecond, r.ParseAllocsPerDoc)
		out = append(out, r)
	}
	gen := generatedCorpus(o.annDocs, 400)
	docs := make([][]string, len(gen))
	for i, t := range gen {
		docs[i] = []string{t}
	}
	r, err := benchCorpus(ctx, "generated", docs, o.annTime)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.log, "  generated: %d docs, %.0f words/s/core, %.0f allocs/doc\n", r.Documents, r.WordsPerSecond, r.AllocsPerDoc)
	return append(out, r), nil
}
