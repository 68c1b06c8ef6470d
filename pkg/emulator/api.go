package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// routes builds the HTTP handler.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/-api/settings/v1/annotationsLegend",
		s.withFaults(func(*http.Request) Op { return OpLegend }, s.api(s.handleLegend)))
	mux.HandleFunc("/-api/documents/v1", s.withFaults(documentsOp, s.api(s.handleDocuments)))
	mux.HandleFunc("/-api/", func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusNotFound, "API endpoint not emulated: "+r.URL.Path)
	})
	s.adminRoutes(mux)
	s.uiRoutes(mux)
	return mux
}

// documentsOp classifies a documents API request for fault injection.
func documentsOp(r *http.Request) Op {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if q.Has("search") {
			return OpSearch
		}
		return OpGet
	case http.MethodPost, http.MethodPut:
		if isPreAnnotated(q.Get("format")) {
			return OpPush
		}
		return OpImport
	case http.MethodDelete:
		return OpDelete
	}
	return OpGet
}

func isPreAnnotated(format string) bool {
	return format == "anndoc" || strings.HasSuffix(format, "-plus-annjson")
}

type apiHandler func(w http.ResponseWriter, r *http.Request, p *project, user string)

// api authenticates the request, checks owner and project and finds the project.
func (s *Server) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		q := r.URL.Query()
		owner, name := q.Get("owner"), q.Get("project")
		if owner == "" || name == "" {
			httpError(w, http.StatusBadRequest, "missing parameter owner or project")
			return
		}
		p, err := s.project(owner, name)
		if err != nil {
			httpError(w, http.StatusNotFound, "project not found: "+owner+"/"+name)
			return
		}
		h(w, r, p, user)
	}
}

func (s *Server) handleLegend(w http.ResponseWriter, r *http.Request, p *project, _ string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET")
		return
	}
	p.mu.RLock()
	b, err := json.Marshal(p.legend)
	p.mu.RUnlock()
	if err != nil {
		httpError(w, http.StatusInternalServerError, "encode legend")
		return
	}
	writeBody(w, http.StatusOK, "application/json", b)
}

func (s *Server) handleDocuments(w http.ResponseWriter, r *http.Request, p *project, user string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if r.URL.Query().Has("search") {
			s.handleSearch(w, r, p)
			return
		}
		s.handleGet(w, r, p)
	case http.MethodPost, http.MethodPut:
		s.handlePost(w, r, p, user)
	case http.MethodDelete:
		s.handleDelete(w, r, p)
	default:
		methodNotAllowed(w, "GET, POST, PUT, DELETE")
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	httpError(w, http.StatusMethodNotAllowed, "method not allowed")
}

func writeBody(w http.ResponseWriter, code int, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// memberParam returns the annotation version named by the member parameter.
func memberParam(q url.Values) string {
	m := q.Get("member")
	if m == "" {
		return Master
	}
	return m
}

// Content types of document outputs.
const (
	ctHTML = "text/html; charset=UTF-8"
	ctJSON = "application/json"
	ctText = "text/plain; charset=UTF-8"
)

// fallbackWarning is the Warning header of a member read answered with master's version.
const fallbackWarning = `299 tagtog "member has no annotation version of its own; master returned"`

// outputs accepted by GET by id and by POST.
var outputs = map[string]bool{
	"plain.html": true, "html": true, "xml": true, "ann.json": true, "text": true, "txt": true,
	"orig": true, "original": true, "null": true, "weburl": true, "visualize": true, "visualization": true,
	"web": true, "web-editor-only": true,
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, p *project) {
	q := r.URL.Query()
	id := q.Get("ids")
	if id == "" {
		httpError(w, http.StatusBadRequest, "missing parameter ids (or search)")
		return
	}
	if t := q.Get("idType"); t != "" && t != "tagtogID" {
		httpError(w, http.StatusBadRequest, "idType "+t+" imports are not supported by the emulator")
		return
	}
	output := q.Get("output")
	if output == "" {
		output = "visualize"
	}
	if !outputs[output] {
		httpError(w, http.StatusBadRequest, "unsupported output: "+output)
		return
	}
	member := memberParam(q)
	p.mu.RLock()
	d, ok := p.docs[id]
	var ann []byte
	var fallback bool
	if ok {
		ann, fallback = d.annFor(member)
	}
	p.mu.RUnlock()
	if !ok {
		httpError(w, http.StatusNotFound, "document not found: "+id)
		return
	}
	s.writeDoc(w, r, p, d, output, ann, fallback)
}

// writeDoc answers with one output of a document. d's immutable fields may be
// read without the lock; ann is the member's ann.json read under the lock.
func (s *Server) writeDoc(w http.ResponseWriter, r *http.Request, p *project, d *document, output string, ann []byte, fallback bool) {
	switch output {
	case "plain.html", "html", "xml":
		writeBody(w, http.StatusOK, ctHTML, d.html)
	case "ann.json":
		if fallback {
			w.Header().Set("Warning", fallbackWarning)
		}
		writeBody(w, http.StatusOK, ctJSON, ann)
	case "text", "txt":
		writeBody(w, http.StatusOK, ctText, []byte(d.text))
	case "orig", "original":
		w.Header().Set("Content-Disposition", contentDisposition(d.filename))
		ct := ctText
		if !strings.HasSuffix(d.filename, ".txt") {
			ct = "application/octet-stream"
		}
		writeBody(w, http.StatusOK, ct, d.orig)
	case "null":
		writeBody(w, http.StatusOK, ctJSON, []byte("{}"))
	case "web", "web-editor-only":
		s.serveDocPage(w, r, p, d.id)
	case "visualize", "visualization":
		if isBrowser(r) {
			s.serveDocPage(w, r, p, d.id)
			return
		}
		writeBody(w, http.StatusOK, ctText, []byte(s.webURL(r, p, d.id)))
	default: // weburl
		writeBody(w, http.StatusOK, ctText, []byte(s.webURL(r, p, d.id)))
	}
}

func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return `inline; filename="` + ascii + `"; filename*=utf-8''` + url.PathEscape(name)
}

func isBrowser(r *http.Request) bool {
	return strings.Contains(r.Header.Get("User-Agent"), "Mozilla/")
}

// webURL is the emulator's answer to output=weburl: its own document page.
func (s *Server) webURL(r *http.Request, p *project, id string) string {
	base := s.cfg.BaseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	v := url.Values{"owner": {p.owner}, "project": {p.name}, "id": {id}}
	return strings.TrimRight(base, "/") + "/-emulator/ui/doc?" + v.Encode()
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request, p *project) {
	q := r.URL.Query()
	query := q.Get("search")
	m, err := parseQuery(query)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch out := q.Get("output"); out {
	case "", "search":
		page := 0
		if v := q.Get("page"); v != "" {
			page, err = strconv.Atoi(v)
			if err != nil || page < 0 {
				httpError(w, http.StatusBadRequest, "page must be a non-negative integer")
				return
			}
		}
		b, err := json.Marshal(p.searchPage(query, m, page))
		if err != nil {
			httpError(w, http.StatusInternalServerError, "encode search result")
			return
		}
		writeBody(w, http.StatusOK, ctJSON, b)
	case "csv":
		var b strings.Builder
		b.WriteString("docid,anncomplete\n")
		docs := p.search(m)
		p.mu.RLock()
		for _, d := range docs {
			b.WriteString(csvField(d.id))
			b.WriteString(",")
			b.WriteString(strconv.FormatBool(d.versions[Master].complete))
			b.WriteString("\n")
		}
		p.mu.RUnlock()
		writeBody(w, http.StatusOK, "text/csv; charset=UTF-8", []byte(b.String()))
	default:
		httpError(w, http.StatusBadRequest, "unsupported output for a search: "+out)
	}
}

func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, p *project) {
	q := r.URL.Query()
	ids := map[string]bool{}
	switch {
	case q.Has("ids"):
		if t := q.Get("idType"); t != "" && t != "tagtogID" {
			httpError(w, http.StatusBadRequest, "idType "+t+" is not supported by the emulator")
			return
		}
		ids[q.Get("ids")] = true
	case q.Has("search"):
		m, err := parseQuery(q.Get("search"))
		if err != nil {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		for _, d := range p.search(m) {
			ids[d.id] = true
		}
	default:
		httpError(w, http.StatusBadRequest, "missing parameter ids or search")
		return
	}
	p.mu.Lock()
	n := p.deleteLocked(ids)
	p.mu.Unlock()
	s.stats.add(func(c *counters) { c.deleted += n })
	writeBody(w, http.StatusOK, ctText, []byte(strconv.Itoa(n)))
}

// statusOf maps programmatic errors to HTTP statuses.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrNoProject), errors.Is(err, ErrNoDocument):
		return http.StatusNotFound
	case errors.Is(err, ErrNoWebhook):
		return http.StatusConflict
	}
	var he *httpErr
	if errors.As(err, &he) {
		return he.code
	}
	return http.StatusInternalServerError
}

// httpErr is an error with the HTTP status it is answered with and the
// rejection reason counted in Stats ("" = not counted).
type httpErr struct {
	code   int
	reason string
	msg    string
}

func (e *httpErr) Error() string { return e.msg }

func badRequest(reason, format string, args ...any) error {
	return &httpErr{code: http.StatusBadRequest, reason: reason, msg: fmt.Sprintf(format, args...)}
}
