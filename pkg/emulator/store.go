package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

// version is one member's annotations of a document.
type version struct {
	ann      []byte // stored ann.json bytes, never modified after storing
	complete bool   // anncomplete of ann
}

// document is one stored document. Its byte slices are never modified after
// storing, so readers may keep references after releasing the project lock.
type document struct {
	id       string
	filename string // original name (data-origid)
	folder   string
	html     []byte
	parsed   *anndoc.Document
	text     string // part texts joined by "\n"
	orig     []byte
	versions map[string]version
	created  time.Time
	updated  time.Time
	pushes   int
	updates  int
}

type project struct {
	owner, name string

	mu     sync.RWMutex
	legend map[string]string
	docs   map[string]*document
	order  []*document // creation order; search pages follow it
	hook   *Webhook
}

func newProject(owner, name string) *project {
	return &project{owner: owner, name: name, legend: map[string]string{}, docs: map[string]*document{}}
}

// Document is a snapshot of a stored document for tests and tools.
type Document struct {
	ID        string
	Filename  string // original name, as in data-origid
	Folder    string
	PlainHTML []byte
	Parts     []anndoc.Part
	Text      string            // part texts joined by "\n"
	AnnJSON   map[string][]byte // member ("master" or user) -> ann.json
	Pushes    int               // accepted pre-annotated pushes (format anndoc or *-plus-annjson)
	Updates   int               // saves: pushes plus saves in the web page
	Created   time.Time
	Updated   time.Time
}

func (d *document) snapshot() Document {
	out := Document{
		ID: d.id, Filename: d.filename, Folder: d.folder, PlainHTML: d.html, Text: d.text,
		AnnJSON: make(map[string][]byte, len(d.versions)),
		Pushes:  d.pushes, Updates: d.updates, Created: d.created, Updated: d.updated,
	}
	if d.parsed != nil {
		out.Parts = append([]anndoc.Part(nil), d.parsed.Parts...)
	}
	for m, v := range d.versions {
		out.AnnJSON[m] = v.ann
	}
	return out
}

// Document returns a snapshot of one document; errors wrap ErrNoProject or ErrNoDocument.
func (s *Server) Document(owner, projectName, id string) (Document, error) {
	p, err := s.project(owner, projectName)
	if err != nil {
		return Document{}, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	d, ok := p.docs[id]
	if !ok {
		return Document{}, fmt.Errorf("%w: %s", ErrNoDocument, id)
	}
	return d.snapshot(), nil
}

// DocumentIDs returns the ids of a project's documents in creation order.
func (s *Server) DocumentIDs(owner, projectName string) ([]string, error) {
	p, err := s.project(owner, projectName)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	ids := make([]string, len(p.order))
	for i, d := range p.order {
		ids[i] = d.id
	}
	return ids, nil
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._"

// newIDLocked returns an unused tagtogID for name: "a" + 27 random characters
// of [A-Za-z0-9._], "-", the name. p.mu must be held.
func (p *project) newIDLocked(name string) string {
	for {
		var b strings.Builder
		b.Grow(29 + len(name))
		b.WriteByte('a')
		for range 27 {
			b.WriteByte(idAlphabet[rand.N(len(idAlphabet))])
		}
		b.WriteByte('-')
		b.WriteString(name)
		if _, taken := p.docs[b.String()]; !taken {
			return b.String()
		}
	}
}

// insertLocked stores a new document (or replaces one with the same id). p.mu must be held.
func (p *project) insertLocked(d *document) {
	if old, ok := p.docs[d.id]; ok {
		for i, o := range p.order {
			if o == old {
				p.order[i] = d
				break
			}
		}
	} else {
		p.order = append(p.order, d)
	}
	p.docs[d.id] = d
}

// deleteLocked removes the documents whose ids are in ids. p.mu must be held.
func (p *project) deleteLocked(ids map[string]bool) int {
	n := 0
	kept := p.order[:0]
	for _, d := range p.order {
		if ids[d.id] {
			delete(p.docs, d.id)
			n++
			continue
		}
		kept = append(kept, d)
	}
	clear(p.order[len(kept):])
	p.order = kept
	return n
}

// joinText returns the text of a parsed document as one string (parts joined by "\n").
func joinText(d *anndoc.Document) string {
	if d == nil {
		return ""
	}
	if len(d.Parts) == 1 {
		return d.Parts[0].Text
	}
	texts := make([]string, len(d.Parts))
	for i, p := range d.Parts {
		texts[i] = p.Text
	}
	return strings.Join(texts, "\n")
}

func textBytes(d *anndoc.Document) int {
	n := 0
	for _, p := range d.Parts {
		n += len(p.Text)
	}
	return n
}

// sameText reports whether two parsed documents have the same parts and texts.
func sameText(a, b *anndoc.Document) bool {
	if len(a.Parts) != len(b.Parts) {
		return false
	}
	for i := range a.Parts {
		if a.Parts[i] != b.Parts[i] {
			return false
		}
	}
	return true
}

// annComplete reads the anncomplete flag of ann.json bytes (false when absent or invalid).
func annComplete(b []byte) bool {
	var v struct {
		AnnComplete bool `json:"anncomplete"`
	}
	_ = json.Unmarshal(b, &v)
	return v.AnnComplete
}

// defaultAnnJSON is the empty ann.json tagtog returns for a version without annotations.
func defaultAnnJSON(d *anndoc.Document) []byte {
	parts := []string{}
	if d != nil {
		for _, p := range d.Parts {
			parts = append(parts, p.ID)
		}
	}
	b, _ := json.Marshal(parts)
	return []byte(`{"annotatable":{"parts":` + string(b) + `},"anncomplete":false,"sources":[],"metas":{},"entities":[],"relations":[]}`)
}

// membersComplete returns the sorted non-master members whose version is confirmed.
func (d *document) membersComplete() []string {
	out := []string{}
	for m, v := range d.versions {
		if m != Master && v.complete {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// annFor returns the ann.json of member with tagtog's fallback to master and
// then to the default ann.json; fallback reports whether member had no own version.
func (d *document) annFor(member string) (ann []byte, fallback bool) {
	if v, ok := d.versions[member]; ok {
		return v.ann, false
	}
	fallback = member != Master
	if v, ok := d.versions[Master]; ok {
		return v.ann, fallback
	}
	return defaultAnnJSON(d.parsed), fallback
}
