package anndoc

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// ErrNotAnndoc is wrapped by Parse when the input is not a tagtog plain.html:
// empty, not valid UTF-8, no id on <html>, or no element with an id in <body>.
var ErrNotAnndoc = errors.New("not a tagtog anndoc plain.html")

// Part is one annotatable piece of a document: an element with an id and its
// decoded text.
type Part struct {
	ID   string
	Text string
}

// Document is a parsed plain.html.
type Document struct {
	// ID is the id attribute of <html>, tagtog's document id.
	ID string
	// Parts lists the elements with an id inside <body>, in document order.
	Parts []Part

	// index maps a part id to its first position in Parts; nil for small
	// documents, where a scan is cheaper than a map.
	index map[string]int
}

// indexThreshold is the number of parts above which Parse builds a map for Part.
const indexThreshold = 8

// Part returns the first part with the given id.
func (d *Document) Part(id string) (Part, bool) {
	if i, ok := d.partIndex(id); ok {
		return d.Parts[i], true
	}
	return Part{}, false
}

// partIndex returns the position in d.Parts of the first part with the given id.
func (d *Document) partIndex(id string) (int, bool) {
	if d == nil {
		return 0, false
	}
	// Parts is exported and may have changed since Parse; trust the map only
	// when it still agrees, and fall back to a scan otherwise.
	if i, ok := d.index[id]; ok && i < len(d.Parts) && d.Parts[i].ID == id {
		return i, true
	}
	for i := range d.Parts {
		if d.Parts[i].ID == id {
			return i, true
		}
	}
	return 0, false
}

// Parse parses a tagtog plain.html. It returns an error wrapping ErrNotAnndoc
// when the bytes are not one. See the package documentation for what a part
// and its text are.
func Parse(plainHTML []byte) (*Document, error) {
	if len(bytes.TrimSpace(plainHTML)) == 0 {
		return nil, fmt.Errorf("anndoc: parse: %w: empty input", ErrNotAnndoc)
	}
	if !utf8.Valid(plainHTML) {
		return nil, fmt.Errorf("anndoc: parse: %w: input is not valid UTF-8", ErrNotAnndoc)
	}
	root, err := html.Parse(bytes.NewReader(plainHTML))
	if err != nil {
		return nil, fmt.Errorf("anndoc: parse: %w: %v", ErrNotAnndoc, err)
	}
	htmlEl := child(root, atom.Html)
	if htmlEl == nil {
		return nil, fmt.Errorf("anndoc: parse: %w: no <html> element", ErrNotAnndoc)
	}
	id, ok := idAttr(htmlEl)
	if !ok {
		return nil, fmt.Errorf("anndoc: parse: %w: <html> has no id attribute", ErrNotAnndoc)
	}
	body := child(htmlEl, atom.Body)
	if body == nil {
		return nil, fmt.Errorf("anndoc: parse: %w: no <body>", ErrNotAnndoc)
	}
	doc := &Document{ID: id}
	collectParts(body, &doc.Parts)
	if len(doc.Parts) == 0 {
		return nil, fmt.Errorf("anndoc: parse: %w: no element with an id inside <body>", ErrNotAnndoc)
	}
	if len(doc.Parts) > indexThreshold {
		doc.index = make(map[string]int, len(doc.Parts))
		for i := range doc.Parts {
			if _, dup := doc.index[doc.Parts[i].ID]; !dup {
				doc.index[doc.Parts[i].ID] = i
			}
		}
	}
	return doc, nil
}

// child returns the first element child of n with the given tag.
func child(n *html.Node, a atom.Atom) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == a {
			return c
		}
	}
	return nil
}

// idAttr returns the non-empty id attribute of n.
func idAttr(n *html.Node) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == "id" && a.Namespace == "" {
			return a.Val, a.Val != ""
		}
	}
	return "", false
}

// collectParts appends, in pre-order, every descendant element of n that has an id.
func collectParts(n *html.Node, parts *[]Part) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if id, ok := idAttr(c); ok {
			*parts = append(*parts, Part{ID: id, Text: textOf(c)})
		}
		collectParts(c, parts)
	}
}

// textOf concatenates the text nodes below n. The common case of an element
// holding a single text node shares that node's string instead of copying it.
func textOf(n *html.Node) string {
	if c := n.FirstChild; c != nil && c == n.LastChild && c.Type == html.TextNode {
		return c.Data
	}
	size := textLen(n)
	if size == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(size)
	appendText(&b, n)
	return b.String()
}

func textLen(n *html.Node) int {
	size := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			size += len(c.Data)
		case html.ElementNode:
			size += textLen(c)
		}
	}
	return size
}

func appendText(b *strings.Builder, n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			b.WriteString(c.Data)
		case html.ElementNode:
			appendText(b, c)
		}
	}
}
