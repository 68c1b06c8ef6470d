package emulator

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// errBadQuery is wrapped by query parse errors (answered with 400).
var errBadQuery = errors.New("unsupported search query")

// matcher tells whether a document matches a search query.
type matcher func(d *document) bool

// parseQuery compiles the subset of tagtog's Lucene-like query language the
// emulator understands: "*" (or empty), docid:<id>, filename:<name> or
// filename:"<name>", folder:<name|path|0>, anncomplete:true|false,
// members_anncomplete:<user>|*, and terms joined by " AND ". Values may use
// the wildcards * and ?. Anything else is an error wrapping errBadQuery, so a
// client relying on an unsupported query fails loudly instead of reading all
// documents.
func parseQuery(q string) (matcher, error) {
	q = strings.TrimSpace(q)
	if q == "" || q == "*" || q == "*:*" {
		return func(*document) bool { return true }, nil
	}
	terms := strings.Split(q, " AND ")
	ms := make([]matcher, 0, len(terms))
	for _, t := range terms {
		m, err := parseTerm(strings.TrimSpace(t))
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	if len(ms) == 1 {
		return ms[0], nil
	}
	return func(d *document) bool {
		for _, m := range ms {
			if !m(d) {
				return false
			}
		}
		return true
	}, nil
}

func parseTerm(t string) (matcher, error) {
	if t == "*" {
		return func(*document) bool { return true }, nil
	}
	field, val, ok := strings.Cut(t, ":")
	if !ok || val == "" {
		return nil, fmt.Errorf("%w: %q", errBadQuery, t)
	}
	if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
		val = strings.ReplaceAll(val[1:len(val)-1], `\"`, `"`)
	}
	switch field {
	case "docid":
		return func(d *document) bool { return wildcard(val, d.id) }, nil
	case "filename":
		return func(d *document) bool { return wildcard(val, d.filename) }, nil
	case "folder":
		return func(d *document) bool {
			if val == "0" || val == "pool" {
				return true
			}
			f := strings.TrimPrefix(d.folder, "pool/")
			v := strings.TrimPrefix(val, "pool/")
			return f == v || strings.HasPrefix(f, v+"/") || wildcard(v, f[strings.LastIndexByte(f, '/')+1:])
		}, nil
	case "anncomplete":
		switch val {
		case "true", "false":
			want := val == "true"
			return func(d *document) bool { return d.versions[Master].complete == want }, nil
		}
	case "members_anncomplete":
		return func(d *document) bool {
			for _, m := range d.membersComplete() {
				if wildcard(val, m) {
					return true
				}
			}
			return false
		}, nil
	}
	return nil, fmt.Errorf("%w: %q", errBadQuery, t)
}

// wildcard matches s against pattern where * matches any run and ? one rune.
func wildcard(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	// Iterative matcher with backtracking to the last star.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		if p < len(pattern) && pattern[p] == '?' {
			_, n := utf8.DecodeRuneInString(s[i:])
			p++
			i += n
			continue
		}
		if p < len(pattern) && pattern[p] == '*' {
			star, mark = p, i
			p++
			continue
		}
		if p < len(pattern) && pattern[p] == s[i] {
			p++
			i++
			continue
		}
		if star >= 0 {
			p = star + 1
			_, n := utf8.DecodeRuneInString(s[mark:])
			mark += n
			i = mark
			continue
		}
		return false
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// searchResult is tagtog's output=search response (notes §2.4).
type searchResult struct {
	Version    string      `json:"version"`
	Search     string      `json:"search"`
	TotalFound int         `json:"totalFound"`
	Pages      searchPages `json:"pages"`
	Docs       []searchDoc `json:"docs"`
}

type searchPages struct {
	Current  int `json:"current"`
	Previous int `json:"previous"`
	Next     int `json:"next"`
	NumPages int `json:"numPages"`
	PageSize int `json:"pageSize"`
}

type searchDoc struct {
	ID                 string   `json:"id"`
	Filename           string   `json:"filename"`
	Header             string   `json:"header"`
	Created            string   `json:"created"`
	Updated            string   `json:"updated"`
	AnnComplete        bool     `json:"anncomplete"`
	MembersAnnComplete []string `json:"members_anncomplete"`
	MembersAssigned    []string `json:"members_assigned"`
	Folder             string   `json:"folder"`
}

const isoMillis = "2006-01-02T15:04:05.000Z07:00"

func isoTime(t time.Time) string { return t.UTC().Format(isoMillis) }

// header is the start of the text as tagtog shows it in search results: the
// first line, at most 100 characters.
func header(text string) string {
	text = strings.TrimLeft(text, " \t\r\n")
	if i := strings.IndexAny(text, "\r\n"); i >= 0 {
		text = text[:i]
	}
	n := 0
	for i := range text {
		if n == 100 {
			return text[:i]
		}
		n++
	}
	return text
}

// search returns the matching documents in creation order.
func (p *project) search(m matcher) []*document {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []*document
	for _, d := range p.order {
		if m(d) {
			out = append(out, d)
		}
	}
	return out
}

// searchPage builds the page-th (0-based) page of matches.
func (p *project) searchPage(query string, m matcher, page int) searchResult {
	all := p.search(m)
	numPages := max(1, (len(all)+PageSize-1)/PageSize)
	res := searchResult{
		Version: "0.7.0", Search: query, TotalFound: len(all),
		Pages: searchPages{Current: page, Previous: page - 1, Next: page + 1, NumPages: numPages, PageSize: PageSize},
		Docs:  []searchDoc{},
	}
	if page <= 0 {
		res.Pages.Previous = -1
	}
	if page >= numPages-1 {
		res.Pages.Next = -1
	}
	lo := min(page*PageSize, len(all))
	hi := min(lo+PageSize, len(all))
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, d := range all[lo:hi] {
		res.Docs = append(res.Docs, searchDoc{
			ID: d.id, Filename: d.filename, Header: header(d.text),
			Created: isoTime(d.created), Updated: isoTime(d.updated),
			AnnComplete: d.versions[Master].complete, MembersAnnComplete: d.membersComplete(),
			MembersAssigned: []string{}, Folder: d.folder,
		})
	}
	return res
}
