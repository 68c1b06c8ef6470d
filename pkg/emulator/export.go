package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

// LoadExport loads a tagtog project export folder into a project, creating
// the project when needed, and returns the number of documents loaded. The
// layout is that of tagtog's downloads:
//
//	annotations-legend.json                       merged into the legend, ids kept as in the file
//	plain.html/<folder>/<id>.plain.html           one document each (its <html id> is the tagtogID)
//	ann.json/master/<folder>/<id>.ann.json        master annotations
//	ann.json/<folder>/<id>.ann.json               master annotations (older exports)
//	ann.json/members/<user>/<folder>/<id>.ann.json a member's annotations
//
// Files are stored byte for byte; ann.json files must decode. A document with
// an id already in the project replaces it. No webhook fires (see FireAll).
func (s *Server) LoadExport(owner, projectName, dir string) (int, error) {
	legend, err := readLegend(filepath.Join(dir, "annotations-legend.json"))
	if err != nil {
		return 0, err
	}
	htmlRoot := filepath.Join(dir, "plain.html")
	var paths []string
	err = filepath.WalkDir(htmlRoot, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".plain.html") {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("emulator: load export %s: %w", dir, err)
	}
	sort.Strings(paths)
	members, err := exportMembers(filepath.Join(dir, "ann.json", "members"))
	if err != nil {
		return 0, err
	}
	now := s.cfg.Now()
	docs := make([]*document, 0, len(paths))
	for _, path := range paths {
		d, err := loadExportDoc(dir, htmlRoot, path, members)
		if err != nil {
			return 0, err
		}
		d.created, d.updated = now, now
		docs = append(docs, d)
	}
	p := s.ensureProject(owner, projectName)
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range legend {
		p.legend[k] = v
	}
	for _, d := range docs {
		p.insertLocked(d)
	}
	return len(docs), nil
}

func readLegend(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("emulator: load export legend: %w", err)
	}
	var legend map[string]string
	if err := json.Unmarshal(b, &legend); err != nil {
		return nil, fmt.Errorf("emulator: load export legend %s: %w", path, err)
	}
	return legend, nil
}

// exportMembers lists the user folders under ann.json/members.
func exportMembers(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("emulator: load export members: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func loadExportDoc(dir, htmlRoot, path string, members []string) (*document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("emulator: load export: %w", err)
	}
	parsed, err := anndoc.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("emulator: load export %s: %w", path, err)
	}
	rel, err := filepath.Rel(htmlRoot, path)
	if err != nil {
		return nil, fmt.Errorf("emulator: load export: %w", err)
	}
	folder := filepath.ToSlash(filepath.Dir(rel))
	if folder == "." {
		folder = "pool"
	}
	base := strings.TrimSuffix(filepath.Base(path), ".plain.html")
	d := &document{
		id: parsed.ID, filename: htmlAttr(b, "data-origid"), folder: folder, html: b, parsed: parsed,
		text: joinText(parsed), versions: map[string]version{},
	}
	if d.filename == "" {
		d.filename = base
	}
	d.orig = []byte(d.text)
	annRoot := filepath.Join(dir, "ann.json")
	sub := filepath.FromSlash(filepath.Dir(rel))
	for _, cand := range []string{
		filepath.Join(annRoot, "master", sub, base+".ann.json"),
		filepath.Join(annRoot, sub, base+".ann.json"),
	} {
		ann, ok, err := readAnnJSON(cand)
		if err != nil {
			return nil, err
		}
		if ok {
			d.versions[Master] = version{ann: ann, complete: annComplete(ann)}
			break
		}
	}
	for _, m := range members {
		ann, ok, err := readAnnJSON(filepath.Join(annRoot, "members", m, sub, base+".ann.json"))
		if err != nil {
			return nil, err
		}
		if ok {
			d.versions[m] = version{ann: ann, complete: annComplete(ann)}
		}
	}
	return d, nil
}

// readAnnJSON reads an ann.json file if it exists and checks that it decodes.
func readAnnJSON(path string) ([]byte, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("emulator: load export: %w", err)
	}
	if _, err := anndoc.DecodeAnnJSON(b); err != nil {
		return nil, false, fmt.Errorf("emulator: load export %s: %w", path, err)
	}
	return b, true, nil
}

// AddDocument stores a tagtog plain.html as it is (any layout, e.g. a
// structured article made with anndoc.StructuredHTML), under the id of its
// <html> element, with annJSON (nil for none) as master's version. It fires
// no webhook and replaces a document with the same id. Errors wrap
// ErrNoProject, anndoc.ErrNotAnndoc or anndoc.ErrBadAnnJSON.
func (s *Server) AddDocument(owner, projectName string, plainHTML, annJSON []byte) (string, error) {
	p, err := s.project(owner, projectName)
	if err != nil {
		return "", err
	}
	parsed, err := anndoc.Parse(plainHTML)
	if err != nil {
		return "", fmt.Errorf("emulator: add document: %w", err)
	}
	d := &document{
		id: parsed.ID, filename: htmlAttr(plainHTML, "data-origid"), folder: "pool", html: plainHTML, parsed: parsed,
		text: joinText(parsed), versions: map[string]version{},
	}
	if d.filename == "" {
		d.filename = parsed.ID
	}
	d.orig = []byte(d.text)
	if annJSON != nil {
		if _, err := anndoc.DecodeAnnJSON(annJSON); err != nil {
			return "", fmt.Errorf("emulator: add document: %w", err)
		}
		d.versions[Master] = version{ann: annJSON, complete: annComplete(annJSON)}
	}
	d.created = s.cfg.Now()
	d.updated = d.created
	p.mu.Lock()
	defer p.mu.Unlock()
	p.insertLocked(d)
	return d.id, nil
}
