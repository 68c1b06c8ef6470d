package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

// upload is one uploaded file.
type upload struct {
	name string
	data []byte
}

// report is tagtog's output=null response (notes §3.8).
type report struct {
	OK       int          `json:"ok"`
	Errors   int          `json:"errors"`
	Items    []reportItem `json:"items"`
	Warnings []string     `json:"warnings"`
}

type reportItem struct {
	OrigID                string   `json:"origid"`
	Names                 []string `json:"names"`
	Filenames             []string `json:"filenames"`
	RawInputSizeInBytes   int      `json:"rawInputSizeInBytes"`
	DocID                 string   `json:"docid"`
	TagtogID              string   `json:"tagtogID"`
	Result                string   `json:"result"`
	ParsedTextSizeInBytes int      `json:"parsedTextSizeInBytes"`
}

// Results of an imported or pushed document.
const (
	ResultCreated = "created"
	ResultUpdated = "updated"
)

// maxFiles bounds the files of one request ("too many files at once").
const maxFiles = 1000

// textFormats are the input formats of plain-text imports. The emulator
// parses all of them verbatim (formatted and markdown included), which is
// documented in the README of cmd/tagtog-emulator.
var textFormats = map[string]bool{"": true, "verbatim": true, "formatted": true, "markdown": true}

// unsupportedExt are content types the emulator does not convert.
var unsupportedExt = map[string]bool{
	".pdf": true, ".html": true, ".htm": true, ".xml": true, ".csv": true, ".tsv": true, ".json": true,
	".doc": true, ".docx": true, ".odt": true, ".png": true, ".jpg": true, ".jpeg": true, ".zip": true,
}

func (s *Server) handlePost(w http.ResponseWriter, r *http.Request, p *project, _ string) {
	q := r.URL.Query()
	output := q.Get("output")
	if output == "" {
		output = "visualize"
	}
	if !outputs[output] {
		httpError(w, http.StatusBadRequest, "unsupported output: "+output)
		return
	}
	if q.Get("url") != "" {
		httpError(w, http.StatusBadRequest, "url imports are not supported by the emulator")
		return
	}
	if t := q.Get("idType"); t != "" && t != "tagtogID" {
		httpError(w, http.StatusBadRequest, "idType "+t+" imports are not supported by the emulator")
		return
	}
	rep, last, member, err := s.post(w, r, p)
	if err != nil {
		var he *httpErr
		if errors.As(err, &he) && he.reason != "" {
			s.reject(he.reason)
		}
		httpError(w, statusOf(err), err.Error())
		return
	}
	if output == "null" {
		b, err := json.Marshal(rep)
		if err != nil {
			httpError(w, http.StatusInternalServerError, "encode report")
			return
		}
		writeBody(w, http.StatusOK, ctJSON, b)
		return
	}
	p.mu.RLock()
	ann, fallback := last.annFor(member)
	p.mu.RUnlock()
	s.writeDoc(w, r, p, last, output, ann, fallback)
}

// post runs an import or push and returns the report, the last document and the member written.
func (s *Server) post(w http.ResponseWriter, r *http.Request, p *project) (*report, *document, string, error) {
	q := r.URL.Query()
	format := q.Get("format")
	member := memberParam(q)
	folder := q.Get("folder")
	if folder == "" {
		folder = "pool"
	}
	forced := q.Get("filename")

	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		files, text, err := s.readMultipart(w, r)
		if err != nil {
			return nil, nil, "", err
		}
		if len(files) == 0 {
			if text == nil {
				return nil, nil, "", badRequest(RejectBadRequest, "no files and no text in the request")
			}
			return s.postText(p, *text, forced, format, folder)
		}
		if isPreAnnotated(format) {
			return s.postPairs(p, files, format, member, folder)
		}
		return s.postFiles(p, files, forced, format, folder)
	}
	if isPreAnnotated(format) {
		return nil, nil, "", badRequest(RejectUnpaired, "format %s needs pairs of files (content + ann.json) in a multipart/form-data body", format)
	}
	text, err := s.readText(w, r, mt)
	if err != nil {
		return nil, nil, "", err
	}
	return s.postText(p, text, forced, format, folder)
}

func (s *Server) postText(p *project, text, forced, format, folder string) (*report, *document, string, error) {
	if !textFormats[format] {
		return nil, nil, "", badRequest(RejectFormat, "unknown or unsupported format for a text: %s", format)
	}
	if text == "" {
		return nil, nil, "", badRequest(RejectBadRequest, "missing or empty parameter text")
	}
	name := "text.txt"
	if forced != "" {
		name = withExt(forced, ".txt")
	}
	d, err := s.importText(p, name, text, folder, SourceAPI)
	if err != nil {
		return nil, nil, "", err
	}
	rep := &report{OK: 1, Items: []reportItem{item(d.filename, []string{name}, len(text), d, ResultCreated)}, Warnings: []string{}}
	return rep, d, Master, nil
}

func (s *Server) postFiles(p *project, files []upload, forced, format, folder string) (*report, *document, string, error) {
	if !textFormats[format] {
		return nil, nil, "", badRequest(RejectFormat, "unknown or unsupported format: %s", format)
	}
	for _, f := range files {
		if strings.HasSuffix(f.name, ".ann.json") {
			return nil, nil, "", badRequest(RejectFormat, "%s: uploading annotations needs format=anndoc or a *-plus-annjson format", f.name)
		}
		if err := checkTextFile(f); err != nil {
			return nil, nil, "", err
		}
	}
	rep := &report{Items: []reportItem{}, Warnings: []string{}}
	var last *document
	for _, f := range files {
		name := f.name
		if forced != "" {
			name = withExt(forced, path.Ext(f.name))
		}
		d, err := s.importText(p, name, string(f.data), folder, SourceAPI)
		if err != nil {
			return nil, nil, "", err
		}
		rep.OK++
		rep.Items = append(rep.Items, item(d.filename, []string{f.name}, len(f.data), d, ResultCreated))
		last = d
	}
	return rep, last, Master, nil
}

// checkTextFile accepts files the emulator imports verbatim.
func checkTextFile(f upload) error {
	ext := strings.ToLower(path.Ext(f.name))
	if strings.HasSuffix(strings.ToLower(f.name), ".plain.html") || unsupportedExt[ext] {
		return badRequest(RejectFormat, "%s: file type %s is not supported by the emulator (text files only)", f.name, ext)
	}
	if !utf8.Valid(f.data) {
		return badRequest(RejectBadRequest, "%s: not UTF-8 text", f.name)
	}
	return nil
}

// withExt appends ext to name unless name already ends with it.
func withExt(name, ext string) string {
	if ext == "" || strings.HasSuffix(name, ext) {
		return name
	}
	return name + ext
}

func item(origID string, names []string, raw int, d *document, result string) reportItem {
	names = append([]string(nil), names...)
	sort.Strings(names)
	return reportItem{
		OrigID: origID, Names: names, Filenames: names, RawInputSizeInBytes: raw,
		DocID: d.id, TagtogID: d.id, Result: result, ParsedTextSizeInBytes: textBytes(d.parsed),
	}
}

// importText stores a new verbatim document and fires the created webhook.
func (s *Server) importText(p *project, name, text, folder string, source Source) (*document, error) {
	now := s.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.newIDLocked(name)
	h := anndoc.VerbatimHTML(id, name, text)
	parsed, err := anndoc.Parse(h)
	if err != nil {
		return nil, fmt.Errorf("emulator: parse generated plain.html: %w", err)
	}
	d := &document{
		id: id, filename: name, folder: folder, html: h, parsed: parsed, text: joinText(parsed),
		orig: []byte(text), versions: map[string]version{}, created: now, updated: now,
	}
	p.insertLocked(d)
	s.stats.add(func(c *counters) { c.imports++ })
	s.fireLocked(p, d, Master, StatusCreated, source)
	return d, nil
}

// ImportText imports a plain text as tagtog does (verbatim, filename rules of
// notes §3.1: default "text.txt", ".txt" appended when missing) and fires the
// created webhook with the given source. It returns the new tagtogID.
func (s *Server) ImportText(owner, projectName, filename, text string, source Source) (string, error) {
	p, err := s.project(owner, projectName)
	if err != nil {
		return "", err
	}
	name := "text.txt"
	if filename != "" {
		name = withExt(filename, ".txt")
	}
	d, err := s.importText(p, name, text, "pool", source)
	if err != nil {
		return "", err
	}
	return d.id, nil
}

// readText reads the text parameter from a form-urlencoded or JSON body, or
// from the query string.
func (s *Server) readText(w http.ResponseWriter, r *http.Request, mt string) (string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes*2)
	switch mt {
	case "application/json":
		var v struct {
			Text *string `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			return "", bodyError(err, "decode JSON body")
		}
		if v.Text != nil {
			return *v.Text, nil
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return "", bodyError(err, "parse form body")
		}
		if r.PostForm.Has("text") {
			return r.PostForm.Get("text"), nil
		}
	}
	return r.URL.Query().Get("text"), nil
}

func bodyError(err error, what string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &httpErr{code: http.StatusRequestEntityTooLarge, reason: RejectTooLarge, msg: "request body too large"}
	}
	return badRequest(RejectBadRequest, "%s: %v", what, err)
}

// readMultipart reads every file part (any field name, named by its filename)
// and an optional "text" form field.
func (s *Server) readMultipart(w http.ResponseWriter, r *http.Request) ([]upload, *string, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, badRequest(RejectBadRequest, "read multipart body: %v", err)
	}
	var files []upload
	var text *string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, badRequest(RejectBadRequest, "read multipart body: %v", err)
		}
		field, name := partNames(part.Header.Get("Content-Disposition"))
		data, err := io.ReadAll(io.LimitReader(part, s.cfg.MaxUploadBytes+1))
		_ = part.Close()
		if err != nil {
			return nil, nil, badRequest(RejectBadRequest, "read multipart part: %v", err)
		}
		if int64(len(data)) > s.cfg.MaxUploadBytes {
			return nil, nil, &httpErr{code: http.StatusRequestEntityTooLarge, reason: RejectTooLarge,
				msg: fmt.Sprintf("file %s exceeds %d bytes", name, s.cfg.MaxUploadBytes)}
		}
		if name == "" {
			if field == "text" {
				t := string(data)
				text = &t
			}
			continue
		}
		if len(files) == maxFiles {
			return nil, nil, badRequest(RejectBadRequest, "too many files at once (at most %d)", maxFiles)
		}
		files = append(files, upload{name: name, data: data})
	}
	return files, text, nil
}

// partNames returns the field name and file name of a multipart part. The file
// name is taken as sent, without dropping directories, and with the
// percent-encoding of '"', CR and LF that browsers and urllib3 apply undone
// (Go's mime/multipart backslash-escapes instead; both are accepted).
func partNames(disposition string) (field, filename string) {
	_, params, err := mime.ParseMediaType(disposition)
	if err != nil {
		return "", ""
	}
	filename = params["filename"]
	if strings.Contains(filename, "%") {
		filename = strings.NewReplacer("%22", `"`, "%0D", "\r", "%0A", "\n").Replace(filename)
	}
	return params["name"], filename
}

// pair is a content file with its ann.json.
type pair struct {
	base         string
	content, ann upload
	parsed       *anndoc.Document
	annJSON      []byte // normalised ann.json to store
	anndoc       bool
	origID       string // data-origid of a pushed plain.html
}

// contentBase is the base name a content file pairs on: the name without
// ".plain.html", else without its last extension.
func contentBase(name string) string {
	if b, ok := strings.CutSuffix(name, ".plain.html"); ok {
		return b
	}
	if ext := path.Ext(name); ext != "" && ext != name {
		return strings.TrimSuffix(name, ext)
	}
	return name
}

// postPairs handles pre-annotated uploads: every pair is validated before any is stored.
func (s *Server) postPairs(p *project, files []upload, format, member, folder string) (*report, *document, string, error) {
	switch format {
	case "anndoc", "default-plus-annjson", "verbatim-plus-annjson", "formatted-plus-annjson":
	case "nativepdfv1-plus-annjson":
		return nil, nil, "", badRequest(RejectFormat, "format %s is not supported by the emulator", format)
	default:
		return nil, nil, "", badRequest(RejectFormat, "unknown format: %s", format)
	}
	pairs, err := pairFiles(files)
	if err != nil {
		return nil, nil, "", err
	}
	for i := range pairs {
		if err := s.preparePair(&pairs[i], format == "anndoc"); err != nil {
			return nil, nil, "", err
		}
	}
	now := s.cfg.Now()
	rep := &report{Items: []reportItem{}, Warnings: []string{}}
	var last *document
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range pairs {
		pr := &pairs[i]
		d, result := s.storePairLocked(p, pr, member, folder, now)
		rep.OK++
		origID := d.filename
		rep.Items = append(rep.Items, item(origID, []string{pr.content.name, pr.ann.name},
			len(pr.content.data)+len(pr.ann.data), d, result))
		last = d
	}
	return rep, last, member, nil
}

// pairFiles pairs content files with their ann.json files by base name.
func pairFiles(files []upload) ([]pair, error) {
	anns := map[string]upload{}
	var contents []upload
	for _, f := range files {
		if b, ok := strings.CutSuffix(f.name, ".ann.json"); ok {
			if _, dup := anns[b]; dup {
				return nil, badRequest(RejectUnpaired, "file %s uploaded twice", f.name)
			}
			anns[b] = f
			continue
		}
		contents = append(contents, f)
	}
	var pairs []pair
	seen := map[string]bool{}
	for _, c := range contents {
		b := contentBase(c.name)
		a, ok := anns[b]
		if !ok {
			return nil, badRequest(RejectUnpaired, "file %s has no matching %s.ann.json (incomplete pair)", c.name, b)
		}
		if seen[b] {
			return nil, badRequest(RejectUnpaired, "two content files pair with %s", a.name)
		}
		seen[b] = true
		pairs = append(pairs, pair{base: b, content: c, ann: a})
	}
	for b, a := range anns {
		if !seen[b] {
			return nil, badRequest(RejectUnpaired, "file %s has no matching content file (incomplete pair)", a.name)
		}
	}
	if len(pairs) == 0 {
		return nil, badRequest(RejectUnpaired, "no files")
	}
	return pairs, nil
}

// preparePair parses and validates one pair.
func (s *Server) preparePair(pr *pair, isAnndoc bool) error {
	pr.anndoc = isAnndoc
	if isAnndoc {
		doc, err := anndoc.Parse(pr.content.data)
		if err != nil {
			return badRequest(RejectPlainHTML, "%s: %v", pr.content.name, err)
		}
		pr.parsed = doc
		pr.origID = htmlAttr(pr.content.data, "data-origid")
	} else {
		if err := checkTextFile(pr.content); err != nil {
			return err
		}
		// Parts of the verbatim document the content becomes; VerbatimHTML
		// guarantees Parse gives back exactly this text.
		pr.parsed = &anndoc.Document{Parts: []anndoc.Part{{ID: anndoc.VerbatimPart, Text: string(pr.content.data)}}}
	}
	a, err := anndoc.DecodeAnnJSON(pr.ann.data)
	if err != nil {
		return badRequest(RejectAnnJSON, "%s: %v", pr.ann.name, err)
	}
	if err := anndoc.CheckEntities(pr.parsed, a, s.cfg.Unit); err != nil {
		return badRequest(RejectOffsets, "%s: %v", pr.ann.name, err)
	}
	if len(a.Annotatable.Parts) == 0 {
		// tagtog fills annotatable.parts when the upload leaves it empty.
		for _, part := range pr.parsed.Parts {
			a.Annotatable.Parts = append(a.Annotatable.Parts, part.ID)
		}
	}
	b, err := a.Marshal()
	if err != nil {
		return badRequest(RejectAnnJSON, "%s: %v", pr.ann.name, err)
	}
	pr.annJSON = b
	return nil
}

// storePairLocked updates the document a pair identifies or imports the pair
// as a new document, and fires the webhook. p.mu must be held for writing.
func (s *Server) storePairLocked(p *project, pr *pair, member, folder string, now time.Time) (*document, string) {
	var existing *document
	if pr.anndoc {
		// tagtog identifies the original by the <html id>; a pair named
		// after the tagtogID identifies it too.
		for _, id := range []string{pr.parsed.ID, pr.base} {
			if d, ok := p.docs[id]; ok && sameText(d.parsed, pr.parsed) {
				existing = d
				break
			}
		}
	} else {
		// *-plus-annjson: by the original file name, the newest first.
		for i := len(p.order) - 1; i >= 0; i-- {
			if d := p.order[i]; d.filename == pr.content.name && sameText(d.parsed, pr.parsed) {
				existing = d
				break
			}
		}
	}
	v := version{ann: pr.annJSON, complete: annComplete(pr.annJSON)}
	if existing != nil {
		existing.versions[member] = v
		existing.pushes++
		existing.updates++
		existing.updated = now
		s.stats.add(func(c *counters) { c.pushes++ })
		s.fireLocked(p, existing, member, StatusUpdated, SourceAPI)
		return existing, ResultUpdated
	}
	name := pr.content.name
	if pr.anndoc && pr.origID != "" {
		name = pr.origID
	}
	id := p.newIDLocked(name)
	var h []byte
	var parsed *anndoc.Document
	if pr.anndoc {
		h = replaceHTMLID(pr.content.data, id)
		parsed = &anndoc.Document{ID: id, Parts: pr.parsed.Parts}
	} else {
		h = anndoc.VerbatimHTML(id, name, string(pr.content.data))
		parsed = &anndoc.Document{ID: id, Parts: pr.parsed.Parts}
	}
	d := &document{
		id: id, filename: name, folder: folder, html: h, parsed: parsed, text: joinText(parsed),
		orig: pr.content.data, versions: map[string]version{member: v}, created: now, updated: now, pushes: 1,
	}
	p.insertLocked(d)
	s.stats.add(func(c *counters) { c.pushes++; c.pushesCreated++; c.imports++ })
	s.fireLocked(p, d, member, StatusCreated, SourceAPI)
	return d, ResultCreated
}

// htmlAttr returns an attribute of the <html> start tag of a plain.html.
func htmlAttr(b []byte, name string) string {
	z := html.NewTokenizer(bytes.NewReader(b))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tn, hasAttr := z.TagName()
			if string(tn) != "html" {
				if string(tn) == "head" || string(tn) == "body" {
					return ""
				}
				continue
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == name {
					return string(v)
				}
			}
			return ""
		}
	}
}

// replaceHTMLID rewrites the id attribute of the <html> start tag.
func replaceHTMLID(b []byte, id string) []byte {
	start := bytes.Index(b, []byte("<html"))
	if start < 0 {
		return b
	}
	end := bytes.IndexByte(b[start:], '>')
	if end < 0 {
		return b
	}
	tag := b[start : start+end]
	i := bytes.Index(tag, []byte(` id="`))
	if i < 0 {
		return b
	}
	vs := start + i + len(` id="`)
	ve := bytes.IndexByte(b[vs:], '"')
	if ve < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+len(id))
	out = append(out, b[:vs]...)
	out = append(out, html.EscapeString(id)...)
	out = append(out, b[vs+ve:]...)
	return out
}
