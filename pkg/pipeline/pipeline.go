// Package pipeline handles one tagtog event: it fetches the project legend and
// the document, runs the annotator on every part, merges the model's entities
// with the annotations people already made and pushes the result back. It also
// turns the result of that work into the fate of the queued message (ack,
// retry later, dead-letter or skip).
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/annotate"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/tagtog"
)

// Legends reads a project's annotationsLegend (id -> name).
type Legends interface {
	Legend(ctx context.Context, owner, project string) (map[string]string, error)
}

// Documents reads a document's content and annotations.
type Documents interface {
	PlainHTML(ctx context.Context, ref tagtog.DocRef) ([]byte, error)
	AnnJSON(ctx context.Context, ref tagtog.DocRef) ([]byte, error)
}

// Pusher replaces a document's annotations.
type Pusher interface {
	PushAnndoc(ctx context.Context, ref tagtog.DocRef, plainHTML, annJSON []byte) (*tagtog.PushResult, error)
}

// Tagtog is everything the pipeline needs from tagtog's API.
type Tagtog interface {
	Legends
	Documents
	Pusher
}

var _ Tagtog = (*tagtog.Client)(nil)

// Defaults for Config.
const (
	DefaultLegendTTL = 5 * time.Minute
	DefaultModel     = "tagflow-builtin-v1"
)

// Config configures a Pipeline.
type Config struct {
	// Model is the model name recorded as "ml:<Model>" in every entity the
	// pipeline pushes, and the owner of the entities it replaces.
	Model string
	// Unit is the unit entity offsets are counted in (default UTF-16).
	Unit anndoc.Unit
	// Member is the annotation version read and written; "" means master.
	Member string
	// LabelMapping maps model labels to entity-type names or ids (PER=PERSON),
	// before the legend's case-insensitive name match.
	LabelMapping map[string]string
	// LegendTTL is how long a project's legend is cached (default 5m).
	LegendTTL time.Duration
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

func (c *Config) setDefaults() {
	if c.Model == "" {
		c.Model = DefaultModel
	}
	if c.LegendTTL <= 0 {
		c.LegendTTL = DefaultLegendTTL
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Member == "" {
		c.Member = event.MemberMaster
	}
}

// Pipeline annotates documents. It is safe for concurrent use.
type Pipeline struct {
	cfg     Config
	tagtog  Tagtog
	model   annotate.Annotator
	metrics *Metrics
	log     *slog.Logger

	mu      sync.Mutex
	legends map[string]*legendEntry
}

type legendEntry struct {
	ready   chan struct{} // closed when the fetch finished
	labels  *annotate.LabelMap
	err     error
	expires time.Time
}

// New returns a Pipeline. metrics and log may be nil.
func New(cfg Config, tt Tagtog, model annotate.Annotator, metrics *Metrics, log *slog.Logger) *Pipeline {
	cfg.setDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{
		cfg:     cfg,
		tagtog:  tt,
		model:   model,
		metrics: metrics,
		log:     log,
		legends: make(map[string]*legendEntry),
	}
}

// Result describes what Annotate did with one document.
type Result struct {
	// Entities is the number of the model's entities in the pushed ann.json.
	Entities int
	// Pushed is false when the merged annotations equal the stored ones, so
	// nothing was sent (a repeated event pushes nothing).
	Pushed bool
	// Labels counts the pushed entities per model label.
	Labels map[string]int
	// Dropped counts model entities dropped because their label maps to no
	// entity type of the project.
	Dropped int
}

// Annotate processes one created event: legend, fetch, annotate, merge, push.
// Errors wrap the cause; permanent ones are recognised by Classify.
func (p *Pipeline) Annotate(ctx context.Context, env *event.Envelope) (Result, error) {
	ref := tagtog.DocRef{Owner: env.Owner, Project: env.Project, ID: env.DocID, Member: p.cfg.Member}

	start := p.cfg.Clock()
	labels, err := p.labelMap(ctx, env.Owner, env.Project)
	p.metrics.observeStage("legend", start, p.cfg.Clock())
	if err != nil {
		return Result{}, fmt.Errorf("legend: %w", err)
	}

	start = p.cfg.Clock()
	html, existing, err := p.fetch(ctx, ref)
	p.metrics.observeStage("fetch", start, p.cfg.Clock())
	if err != nil {
		return Result{}, err
	}
	doc, err := anndoc.Parse(html)
	if err != nil {
		return Result{}, fmt.Errorf("document %s: %w", env.DocID, err)
	}
	ann, err := anndoc.DecodeAnnJSON(existing)
	if err != nil {
		return Result{}, fmt.Errorf("document %s: %w", env.DocID, err)
	}

	start = p.cfg.Clock()
	add, addLabels, res, err := p.entities(ctx, doc, labels)
	p.metrics.observeStage("annotate", start, p.cfg.Clock())
	if err != nil {
		return Result{}, fmt.Errorf("annotate %s: %w", env.DocID, err)
	}

	start = p.cfg.Clock()
	merged, out, err := merge(ann, doc, p.cfg.Model, add)
	p.metrics.observeStage("merge", start, p.cfg.Clock())
	if err != nil {
		return Result{}, fmt.Errorf("merge %s: %w", env.DocID, err)
	}
	res.Entities, res.Labels = countModel(merged, p.cfg.Model, add, addLabels)
	if out == nil {
		return res, nil
	}

	start = p.cfg.Clock()
	_, err = p.tagtog.PushAnndoc(ctx, ref, html, out)
	p.metrics.observeStage("push", start, p.cfg.Clock())
	if err != nil {
		return Result{}, err
	}
	res.Pushed = true
	p.metrics.observeLatency(env.ReceivedAt, p.cfg.Clock())
	p.metrics.countEntities(res.Labels)
	return res, nil
}

// merge merges the model's entities add into the existing annotations and
// returns the merged ann.json and its encoding, or a nil encoding when it
// equals existing re-marshalled, so that there is nothing to push.
//
// Merge changes only the annotatable parts (filled in when existing has
// none) and the entities, and Marshal writes both as JSON lists whose length
// the bytes show, so a different number of parts or entities means different
// bytes and existing need not be marshalled to know it. (existing came from
// DecodeAnnJSON, so its Marshal cannot fail where the merged one succeeds.)
func merge(existing *anndoc.AnnJSON, doc *anndoc.Document, model string, add []anndoc.Entity) (*anndoc.AnnJSON, []byte, error) {
	merged := anndoc.Merge(existing, doc, model, add)
	out, err := merged.Marshal()
	if err != nil {
		return nil, nil, err
	}
	if len(merged.Entities) != len(existing.Entities) || len(merged.Annotatable.Parts) != len(existing.Annotatable.Parts) {
		return merged, out, nil
	}
	before, err := existing.Marshal()
	if err != nil {
		return nil, nil, err
	}
	if string(before) == string(out) {
		return merged, nil, nil
	}
	return merged, out, nil
}

// fetch gets the plain.html and the ann.json of a document concurrently.
func (p *Pipeline) fetch(ctx context.Context, ref tagtog.DocRef) (html, ann []byte, err error) {
	var annErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		ann, annErr = p.tagtog.AnnJSON(ctx, ref)
	}()
	html, err = p.tagtog.PlainHTML(ctx, ref)
	<-done
	if err != nil {
		return nil, nil, fmt.Errorf("get plain.html: %w", err)
	}
	if annErr != nil {
		return nil, nil, fmt.Errorf("get ann.json: %w", annErr)
	}
	return html, ann, nil
}

// entities runs the model on every part and turns its spans into entities
// whose offsets are counted in the configured unit.
// The second result holds the model label of each entity.
func (p *Pipeline) entities(ctx context.Context, doc *anndoc.Document, labels *annotate.LabelMap) ([]anndoc.Entity, []string, Result, error) {
	var res Result
	texts := make([]string, len(doc.Parts))
	for i, part := range doc.Parts {
		texts[i] = part.Text
	}
	spans, err := p.model.Annotate(ctx, texts)
	if err != nil {
		return nil, nil, res, err
	}
	if len(spans) != len(texts) {
		return nil, nil, res, annotate.Permanent(fmt.Errorf("%w: %d results for %d parts", annotate.ErrBadResponse, len(spans), len(texts)))
	}
	var (
		out       []anndoc.Entity
		outLabels []string
	)
	for i, part := range doc.Parts {
		if len(spans[i]) == 0 {
			continue
		}
		offs := anndoc.NewOffsets(part.Text)
		for _, s := range spans[i] {
			classID, ok := labels.ClassID(s.Label)
			if !ok {
				res.Dropped++
				p.metrics.countDropped(s.Label)
				continue
			}
			if s.Start < 0 || s.End > len(part.Text) || s.Start >= s.End {
				return nil, nil, res, annotate.Permanent(fmt.Errorf("%w: span [%d,%d) outside part %s of %d bytes", annotate.ErrBadResponse, s.Start, s.End, part.ID, len(part.Text)))
			}
			text := part.Text[s.Start:s.End]
			start := offs.FromByte(s.Start, p.cfg.Unit)
			// The invariant tagtog checks: the part text at [start, start+len)
			// in the configured unit is the entity text. A span cutting a
			// character in two would break it, so such a span is dropped.
			if got, ok := anndoc.Slice(part.Text, start, anndoc.UnitLen(text, p.cfg.Unit), p.cfg.Unit); !ok || got != text {
				res.Dropped++
				p.log.Warn("dropping entity whose offsets cannot be expressed", "part", part.ID, "start", s.Start, "end", s.End, "label", s.Label)
				continue
			}
			prob := s.Score
			if prob <= 0 || prob > 1 {
				prob = 1
			}
			out = append(out, anndoc.NewModelEntity(classID, part.ID, start, text, p.cfg.Model, prob))
			outLabels = append(outLabels, s.Label)
		}
	}
	return out, outLabels, res, nil
}

// countModel counts the model's entities in the merged annotations, in all
// and per model label: an entity of add that the merge dropped (a person had
// already marked the same span) is not counted.
func countModel(a *anndoc.AnnJSON, model string, add []anndoc.Entity, addLabels []string) (int, map[string]int) {
	who := anndoc.ModelWho(model)
	kept := make(map[string]int)
	n := 0
	for _, e := range a.Entities {
		if e.Confidence == nil {
			continue
		}
		for _, w := range e.Confidence.Who {
			if w == who {
				n++
				kept[entityKey(e)]++
				break
			}
		}
	}
	labels := make(map[string]int)
	for i, e := range add {
		if k := entityKey(e); kept[k] > 0 {
			kept[k]--
			labels[addLabels[i]]++
		}
	}
	return n, labels
}

func entityKey(e anndoc.Entity) string {
	var b strings.Builder
	b.WriteString(e.ClassID)
	b.WriteByte('|')
	b.WriteString(e.Part)
	for _, o := range e.Offsets {
		b.WriteByte('|')
		b.WriteString(strconv.Itoa(o.Start))
		b.WriteByte('|')
		b.WriteString(o.Text)
	}
	return b.String()
}

// labelMap returns the project's label map, fetching the legend at most once
// per TTL however many events of the project arrive together.
func (p *Pipeline) labelMap(ctx context.Context, owner, project string) (*annotate.LabelMap, error) {
	key := owner + "\x00" + project
	for {
		p.mu.Lock()
		e := p.legends[key]
		now := p.cfg.Clock()
		if e != nil {
			select {
			case <-e.ready:
				if e.err == nil && now.Before(e.expires) {
					p.mu.Unlock()
					return e.labels, nil
				}
				// Expired or failed: fetch again below.
			default:
				p.mu.Unlock()
				select {
				case <-e.ready:
					continue
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
		}
		e = &legendEntry{ready: make(chan struct{})}
		p.legends[key] = e
		p.mu.Unlock()

		legend, err := p.tagtog.Legend(ctx, owner, project)
		if err == nil {
			e.labels = annotate.NewLabelMap(legend, p.cfg.LabelMapping)
			e.expires = p.cfg.Clock().Add(p.cfg.LegendTTL)
		}
		e.err = err
		close(e.ready)
		if err != nil {
			p.mu.Lock()
			if p.legends[key] == e {
				delete(p.legends, key)
			}
			p.mu.Unlock()
			return nil, err
		}
		return e.labels, nil
	}
}

// ErrUpdatedEvent is returned by Annotate's callers for events of status
// updated, which are never annotated: a person saved the document, and
// annotating it again would overwrite their work and loop on our own pushes.
var ErrUpdatedEvent = errors.New("updated events are not annotated")
