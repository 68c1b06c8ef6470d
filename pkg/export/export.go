// Package export keeps the documents people save in tagtog as training data.
//
// tagtog fires an "updated" webhook when someone saves a document. tagflow
// never annotates those events again (that would overwrite the person's work
// and loop on its own pushes); when the exporter is enabled it fetches the
// saved document instead and appends it, text and annotations, to a JSON Lines
// file per project: <dir>/<owner>/<project>.jsonl (names escaped with
// event.Token). Delivery is at least once, so a line may repeat after a crash;
// every line carries the event id for consumers that deduplicate.
package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tagflow/tagflow/pkg/anndoc"
	"github.com/tagflow/tagflow/pkg/event"
	"github.com/tagflow/tagflow/pkg/pipeline"
	"github.com/tagflow/tagflow/pkg/queue"
	"github.com/tagflow/tagflow/pkg/tagtog"
)

// Part is one part of a saved document.
type Part struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Record is one line of the training-data store.
type Record struct {
	EventID string          `json:"event_id"`
	SavedAt time.Time       `json:"saved_at"`
	Owner   string          `json:"owner"`
	Project string          `json:"project"`
	DocID   string          `json:"doc_id"`
	Member  string          `json:"member"`
	Source  string          `json:"source,omitempty"`
	Parts   []Part          `json:"parts"`
	AnnJSON json.RawMessage `json:"ann_json"`
}

// Store appends records to one JSON Lines file per project. It is safe for
// concurrent use within a process; give each worker process its own
// directory (a failed write is cut back out of the file, which another
// process appending at the same moment could not expect).
type Store struct {
	dir string
	mu  sync.Mutex
}

// Open returns a store writing below dir, creating dir when needed.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("export: empty directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Path returns the file the records of owner/project are appended to.
func (s *Store) Path(owner, project string) string {
	return filepath.Join(s.dir, event.Token(owner), event.Token(project)+".jsonl")
}

// Append writes rec as one line and syncs it to disk before returning, so an
// acknowledged event is never lost with the machine.
func (s *Store) Append(rec Record) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("export: encode %s: %w", rec.DocID, err)
	}
	line = append(line, '\n')
	path := s.Path(rec.Owner, rec.Project)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		// A short write (disk full) would leave half a line that the retry
		// appends after: cut the file back to where it was.
		if terr := f.Truncate(info.Size()); terr != nil {
			err = errors.Join(err, terr)
		}
		f.Close()
		return fmt.Errorf("export: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("export: sync %s: %w", path, err)
	}
	return f.Close()
}

// Documents reads a saved document.
type Documents interface {
	PlainHTML(ctx context.Context, ref tagtog.DocRef) ([]byte, error)
	AnnJSON(ctx context.Context, ref tagtog.DocRef) ([]byte, error)
}

// Exporter is the exporter consumer's handler.
type Exporter struct {
	docs  Documents
	store *Store
	// IncludeAPI also exports saves made through the API (tagflow's own
	// pushes among them); by default only saves made in tagtog's editor
	// (source GUI) are people's work worth training on.
	IncludeAPI bool
}

// NewExporter returns an exporter reading documents from docs into store.
func NewExporter(docs Documents, store *Store) *Exporter {
	return &Exporter{docs: docs, store: store}
}

// Handle exports one updated event and says what to do with it.
func (x *Exporter) Handle(ctx context.Context, d *queue.Delivery) queue.Outcome {
	env := &d.Envelope
	if env.Status != event.StatusUpdated {
		return queue.Skip("only updated events are exported")
	}
	if env.Source == event.SourceAPI && !x.IncludeAPI {
		return queue.Skip("saves made through the API are not exported")
	}
	ref := tagtog.DocRef{Owner: env.Owner, Project: env.Project, ID: env.DocID, Member: env.MemberOrMaster()}
	html, err := x.docs.PlainHTML(ctx, ref)
	if err != nil {
		return pipeline.Classify(err)
	}
	ann, err := x.docs.AnnJSON(ctx, ref)
	if err != nil {
		return pipeline.Classify(err)
	}
	doc, err := anndoc.Parse(html)
	if err != nil {
		return pipeline.Classify(err)
	}
	if _, err := anndoc.DecodeAnnJSON(ann); err != nil {
		return pipeline.Classify(err)
	}
	rec := Record{
		EventID: env.ID, SavedAt: env.ReceivedAt, Owner: env.Owner, Project: env.Project,
		DocID: env.DocID, Member: env.MemberOrMaster(), Source: string(env.Source),
		Parts: make([]Part, len(doc.Parts)), AnnJSON: compact(ann),
	}
	for i, p := range doc.Parts {
		rec.Parts[i] = Part{ID: p.ID, Text: p.Text}
	}
	if err := x.store.Append(rec); err != nil {
		return queue.Retry(err, 0)
	}
	return queue.AckAs(queue.OutcomeAnnotated)
}

// compact returns the ann.json on one line, as JSON Lines needs.
func compact(b []byte) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return json.RawMessage("{}")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return json.RawMessage("{}")
	}
	return buf.Bytes()
}
