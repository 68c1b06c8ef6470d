package emulator

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/tagflow/tagflow/pkg/anndoc"
)

// uiRoutes registers the web page, a minimal stand-in for tagtog's web
// editor: list documents, upload a text (an import with source GUI), view a
// document with its entities highlighted, and save its ann.json (a save with
// source GUI). It is protected like the /-emulator/ endpoints.
//
//	GET  /  and /-emulator/ui       projects, documents (?owner=&project=&page=), upload form
//	POST /-emulator/ui/upload       form owner, project, filename, text
//	GET  /-emulator/ui/doc          ?owner=&project=&id=[&member=]
//	POST /-emulator/ui/save         form owner, project, id, member, annjson
func (s *Server) uiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/", s.admin(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			httpError(w, http.StatusNotFound, "not found: "+r.URL.Path)
			return
		}
		s.handleIndex(w, r)
	}))
	mux.HandleFunc("/-emulator/ui", s.admin(s.handleIndex))
	mux.HandleFunc("/-emulator/ui/doc", s.admin(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p, err := s.project(q.Get("owner"), q.Get("project"))
		if err != nil {
			httpError(w, http.StatusNotFound, err.Error())
			return
		}
		s.serveDocPage(w, r, p, q.Get("id"))
	}))
	mux.HandleFunc("/-emulator/ui/upload", s.admin(s.handleUpload))
	mux.HandleFunc("/-emulator/ui/save", s.admin(s.handleSave))
}

var uiTemplates = template.Must(template.New("ui").Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>{{.}} · tagtog emulator</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
a{color:#0a58ca} table{border-collapse:collapse} td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}
textarea{width:100%;font-family:monospace} pre.part{white-space:pre-wrap;background:#fafafa;border:1px solid #ddd;padding:.6em}
mark{padding:0 .1em;border-radius:.2em} .legend span{margin-right:1em;padding:0 .3em;border-radius:.2em}
.err{color:#b00020;white-space:pre-wrap} small{color:#666}
</style></head><body><p><a href="/-emulator/ui">tagtog emulator</a></p>{{end}}

{{define "index"}}{{template "head" "documents"}}
<h1>Projects</h1>
<ul>{{range .Projects}}<li><a href="/-emulator/ui?owner={{.Owner}}&amp;project={{.Name}}">{{.Owner}}/{{.Name}}</a> <small>{{.Docs}} documents</small></li>{{end}}</ul>
{{with .Current}}
<h2>{{.Owner}}/{{.Name}}</h2>
<form method="post" action="/-emulator/ui/upload">
<input type="hidden" name="owner" value="{{.Owner}}"><input type="hidden" name="project" value="{{.Name}}">
<p><label>File name <input name="filename" value="text.txt"></label></p>
<p><textarea name="text" rows="6" placeholder="Paste a text to import (as from the web editor: source GUI)"></textarea></p>
<p><button>Upload</button></p></form>
<p>{{.Total}} documents{{if gt .Pages 1}}, page {{.PageNo}} of {{.Pages}}{{end}}
{{if .Prev}} <a href="{{.Prev}}">previous</a>{{end}}{{if .Next}} <a href="{{.Next}}">next</a>{{end}}</p>
<table><tr><th>document</th><th>folder</th><th>entities</th><th>updated</th></tr>
{{range .Rows}}<tr><td><a href="{{.Link}}">{{.ID}}</a></td><td>{{.Folder}}</td><td>{{.Entities}}</td><td>{{.Updated}}</td></tr>{{end}}
</table>{{end}}
</body></html>{{end}}

{{define "doc"}}{{template "head" .ID}}
<h1>{{.Filename}}</h1>
<p><small>{{.Owner}}/{{.Project}} · {{.ID}} · member {{.Member}}{{if .Fallback}} (no own version: showing master){{end}} · pushes {{.Pushes}}, saves in the editor {{.Saves}}</small></p>
<p class="legend">{{range .Legend}}<span style="background:{{.Color}}">{{.ID}} {{.Name}}</span>{{end}}</p>
{{range .Parts}}<p><small>{{.ID}}</small></p><pre class="part">{{.HTML}}</pre>{{end}}
{{with .Problem}}<p class="err">{{.}}</p>{{end}}
<h2>ann.json</h2>
<form method="post" action="/-emulator/ui/save">
<input type="hidden" name="owner" value="{{.Owner}}"><input type="hidden" name="project" value="{{.Project}}">
<input type="hidden" name="id" value="{{.ID}}">
<p><label>Member <input name="member" value="{{.Member}}"></label></p>
<p><textarea name="annjson" rows="14">{{.AnnJSON}}</textarea></p>
<p><button>Save</button> <small>(a save in the web editor: fires the webhook with status updated, source GUI)</small></p>
</form>
<p><a href="{{.Raw}}&amp;output=plain.html">plain.html</a> · <a href="{{.Raw}}&amp;output=ann.json">ann.json</a> <small>(API, needs credentials)</small></p>
</body></html>{{end}}
`))

var palette = []string{"#ffd54f", "#81d4fa", "#a5d6a7", "#f48fb1", "#ce93d8", "#ffab91", "#b0bec5", "#e6ee9c", "#80cbc4", "#bcaaa4"}

func colorOf(classID string) string {
	n, err := strconv.Atoi(strings.TrimPrefix(classID, "e_"))
	if err != nil || n < 1 {
		return "#e0e0e0"
	}
	return palette[(n-1)%len(palette)]
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	type projRow struct {
		Owner, Name string
		Docs        int
	}
	type docRow struct {
		ID, Folder, Updated string
		Link                string
		Entities            int
	}
	type current struct {
		Owner, Name          string
		Total, PageNo, Pages int
		Prev, Next           string
		Rows                 []docRow
	}
	s.mu.RLock()
	ps := make([]*project, 0, len(s.projects))
	for _, p := range s.projects {
		ps = append(ps, p)
	}
	s.mu.RUnlock()
	sort.Slice(ps, func(i, j int) bool { return ps[i].owner+"/"+ps[i].name < ps[j].owner+"/"+ps[j].name })
	data := struct {
		Projects []projRow
		Current  *current
	}{}
	q := r.URL.Query()
	var sel *project
	for _, p := range ps {
		p.mu.RLock()
		data.Projects = append(data.Projects, projRow{p.owner, p.name, len(p.docs)})
		p.mu.RUnlock()
		if (p.owner == q.Get("owner") && p.name == q.Get("project")) || (sel == nil && len(ps) == 1) {
			sel = p
		}
	}
	if sel != nil {
		page, _ := strconv.Atoi(q.Get("page"))
		page = max(page, 0)
		c := &current{Owner: sel.owner, Name: sel.name}
		link := func(pg int) string {
			return "/-emulator/ui?" + url.Values{"owner": {sel.owner}, "project": {sel.name}, "page": {strconv.Itoa(pg)}}.Encode()
		}
		sel.mu.RLock()
		c.Total = len(sel.order)
		c.Pages = max(1, (c.Total+PageSize-1)/PageSize)
		c.PageNo = page + 1
		if page > 0 {
			c.Prev = link(page - 1)
		}
		if page < c.Pages-1 {
			c.Next = link(page + 1)
		}
		// Newest first, as people expect after an upload.
		for i := c.Total - 1 - page*PageSize; i >= 0 && i > c.Total-1-(page+1)*PageSize; i-- {
			d := sel.order[i]
			ann, _ := d.annFor(Master)
			c.Rows = append(c.Rows, docRow{
				ID: d.id, Folder: d.folder, Updated: isoTime(d.updated), Entities: countEntities(ann),
				Link: "/-emulator/ui/doc?" + url.Values{"owner": {sel.owner}, "project": {sel.name}, "id": {d.id}}.Encode(),
			})
		}
		sel.mu.RUnlock()
		data.Current = c
	}
	s.render(w, http.StatusOK, "index", data)
}

func countEntities(ann []byte) int {
	a, err := anndoc.DecodeAnnJSON(ann)
	if err != nil {
		return 0
	}
	return len(a.Entities)
}

func (s *Server) render(w http.ResponseWriter, code int, name string, data any) {
	var b strings.Builder
	if err := uiTemplates.ExecuteTemplate(&b, name, data); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		httpError(w, http.StatusInternalServerError, "render page")
		return
	}
	writeBody(w, code, ctHTML, []byte(b.String()))
}

// serveDocPage renders one document with its entities highlighted.
func (s *Server) serveDocPage(w http.ResponseWriter, r *http.Request, p *project, id string) {
	s.renderDoc(w, r, p, id, r.URL.Query().Get("member"), "", "", http.StatusOK)
}

// renderDoc renders the document page; edited, when not empty, is shown in
// the ann.json editor instead of the stored version (after a rejected save).
func (s *Server) renderDoc(w http.ResponseWriter, r *http.Request, p *project, id, member, problem, edited string, code int) {
	if member == "" {
		member = Master
	}
	p.mu.RLock()
	d, ok := p.docs[id]
	var ann []byte
	var fallback bool
	legend := map[string]string{}
	if ok {
		ann, fallback = d.annFor(member)
		for k, v := range p.legend {
			legend[k] = v
		}
	}
	p.mu.RUnlock()
	if !ok {
		httpError(w, http.StatusNotFound, "document not found: "+id)
		return
	}
	type legendRow struct{ ID, Name, Color string }
	type partView struct {
		ID   string
		HTML template.HTML
	}
	data := struct {
		Owner, Project, ID, Filename, Member string
		Fallback                             bool
		Pushes, Saves                        int
		Legend                               []legendRow
		Parts                                []partView
		AnnJSON, Problem, Raw                string
	}{
		Owner: p.owner, Project: p.name, ID: d.id, Filename: d.filename, Member: member, Fallback: fallback,
		AnnJSON: cmp.Or(edited, string(ann)), Problem: problem,
		Raw: "/-api/documents/v1?" + url.Values{"owner": {p.owner}, "project": {p.name}, "ids": {d.id}, "member": {member}}.Encode(),
	}
	p.mu.RLock()
	data.Pushes, data.Saves = d.pushes, d.updates-d.pushes
	p.mu.RUnlock()
	ids := make([]string, 0, len(legend))
	for k := range legend {
		if strings.HasPrefix(k, "e_") {
			ids = append(ids, k)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, _ := strconv.Atoi(ids[i][2:])
		b, _ := strconv.Atoi(ids[j][2:])
		return a < b
	})
	for _, k := range ids {
		data.Legend = append(data.Legend, legendRow{k, legend[k], colorOf(k)})
	}
	a, err := anndoc.DecodeAnnJSON(ann)
	if err != nil {
		a = &anndoc.AnnJSON{}
	}
	for _, part := range d.parsed.Parts {
		data.Parts = append(data.Parts, partView{ID: part.ID, HTML: highlight(part, a.Entities, legend, s.cfg.Unit)})
	}
	s.render(w, code, "doc", data)
}

// highlight renders a part's text as HTML with its entities in <mark>s;
// entities overlapping an earlier one are left out.
func highlight(part anndoc.Part, ents []anndoc.Entity, legend map[string]string, u anndoc.Unit) template.HTML {
	type span struct {
		start, end int
		classID    string
	}
	off := anndoc.NewOffsets(part.Text)
	var spans []span
	for _, e := range ents {
		if e.Part != part.ID {
			continue
		}
		for _, o := range e.Offsets {
			start, ok1 := off.ToByte(o.Start, u)
			end, ok2 := off.ToByte(o.Start+anndoc.UnitLen(o.Text, u), u)
			if ok1 && ok2 && end >= start {
				spans = append(spans, span{start, end, e.ClassID})
			}
		}
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	at := 0
	for _, sp := range spans {
		if sp.start < at {
			continue
		}
		b.WriteString(template.HTMLEscapeString(part.Text[at:sp.start]))
		fmt.Fprintf(&b, `<mark style="background:%s" title="%s">`, colorOf(sp.classID),
			template.HTMLEscapeString(sp.classID+" "+legend[sp.classID]))
		b.WriteString(template.HTMLEscapeString(part.Text[sp.start:sp.end]))
		b.WriteString("</mark>")
		at = sp.end
	}
	b.WriteString(template.HTMLEscapeString(part.Text[at:]))
	return template.HTML(b.String()) // every piece of text above is escaped
}

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes*2)
	if err := r.ParseForm(); err != nil {
		httpError(w, http.StatusBadRequest, "parse form: "+err.Error())
		return
	}
	p, err := s.project(r.PostForm.Get("owner"), r.PostForm.Get("project"))
	if err != nil {
		httpError(w, http.StatusNotFound, err.Error())
		return
	}
	text := r.PostForm.Get("text")
	if text == "" {
		httpError(w, http.StatusBadRequest, "empty text")
		return
	}
	name := withExt(strings.TrimSpace(r.PostForm.Get("filename")), ".txt")
	if name == ".txt" {
		name = "text.txt"
	}
	d, err := s.importText(p, name, text, "pool", SourceGUI)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	http.Redirect(w, r, "/-emulator/ui/doc?"+url.Values{"owner": {p.owner}, "project": {p.name}, "id": {d.id}}.Encode(), http.StatusSeeOther)
}

// Save stores ann.json as a save in the web editor: it replaces the member's
// version, counts as an update and fires the webhook with status updated and
// source GUI. Offsets are checked as for API pushes; errors wrap
// ErrNoProject, ErrNoDocument, anndoc.ErrBadAnnJSON or anndoc.ErrOffsetMismatch.
func (s *Server) Save(owner, projectName, id, member string, annJSON []byte) error {
	if member == "" {
		member = Master
	}
	p, err := s.project(owner, projectName)
	if err != nil {
		return err
	}
	a, err := anndoc.DecodeAnnJSON(annJSON)
	if err != nil {
		return fmt.Errorf("emulator: save: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.docs[id]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoDocument, id)
	}
	if err := anndoc.CheckEntities(d.parsed, a, s.cfg.Unit); err != nil {
		return fmt.Errorf("emulator: save: %w", err)
	}
	if len(a.Annotatable.Parts) == 0 {
		for _, part := range d.parsed.Parts {
			a.Annotatable.Parts = append(a.Annotatable.Parts, part.ID)
		}
	}
	b, err := a.Marshal()
	if err != nil {
		return fmt.Errorf("emulator: save: %w", err)
	}
	d.versions[member] = version{ann: b, complete: a.AnnComplete}
	d.updates++
	d.updated = s.cfg.Now()
	s.stats.add(func(c *counters) { c.guiSaves++ })
	s.fireLocked(p, d, member, StatusUpdated, SourceGUI)
	return nil
}

func (s *Server) handleSave(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes*2)
	if err := r.ParseForm(); err != nil {
		httpError(w, http.StatusBadRequest, "parse form: "+err.Error())
		return
	}
	f := r.PostForm
	p, err := s.project(f.Get("owner"), f.Get("project"))
	if err != nil {
		httpError(w, http.StatusNotFound, err.Error())
		return
	}
	err = s.Save(p.owner, p.name, f.Get("id"), f.Get("member"), []byte(f.Get("annjson")))
	switch {
	case errors.Is(err, ErrNoDocument):
		httpError(w, http.StatusNotFound, err.Error())
	case err != nil:
		s.renderDoc(w, r, p, f.Get("id"), f.Get("member"), err.Error(), f.Get("annjson"), http.StatusBadRequest)
	default:
		http.Redirect(w, r, "/-emulator/ui/doc?"+url.Values{"owner": {p.owner}, "project": {p.name}, "id": {f.Get("id")}, "member": {f.Get("member")}}.Encode(), http.StatusSeeOther)
	}
}
