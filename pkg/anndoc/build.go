package anndoc

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// AnndocVersion is the data-anndoc-version written by VerbatimHTML and StructuredHTML.
const AnndocVersion = "3.6"

// VerbatimGenerator is the generator tagtog writes for plain-text imports.
const VerbatimGenerator = "net.tagtog.anndoc.v3.parsers.general.VerbatimParser_v1_0_1"

// StructuredGenerator is the generator StructuredHTML writes.
const StructuredGenerator = "github.com/tagflow/tagflow/pkg/anndoc.StructuredHTML"

// VerbatimPart is the id of the only part of a verbatim document.
const VerbatimPart = "s1v1"

// VerbatimHTML returns the plain.html tagtog makes of a plain-text document:
// the text in one <pre id="s1v1">, in tagtog's layout. Parse gives back text
// exactly, with these documented replacements, which no HTML5 document can
// avoid: invalid UTF-8 sequences and NUL characters become U+FFFD (raw NULs
// are dropped by HTML5 parsers, and &#0; decodes to U+FFFD). To survive
// parsing, & < > " are written as character references, CR as &#13; (raw CR
// and CRLF become LF), and a text starting with a newline gets one more
// (HTML5 drops the newline right after <pre>).
func VerbatimHTML(id, origID, text string) []byte {
	var b bytes.Buffer
	b.Grow(len(text) + 640 + 3*len(id) + len(origID))
	writeHead(&b, id, origID, VerbatimGenerator)
	b.WriteString("          <pre id=\"" + VerbatimPart + "\">")
	if strings.HasPrefix(text, "\n") || strings.HasPrefix(text, "\r") {
		b.WriteByte('\n')
	}
	writeEscaped(&b, text)
	b.WriteString("</pre>\n        </div>\n")
	b.WriteString("      </section>\n    </article>\n  </body>\n</html>\n")
	return b.Bytes()
}

func writeHead(b *bytes.Buffer, id, origID, generator string) {
	b.WriteString("<!DOCTYPE html >\n<html id=\"")
	writeEscaped(b, id)
	b.WriteString(`" data-origid="`)
	writeEscaped(b, origID)
	b.WriteString(`" class="anndoc" data-anndoc-version="` + AnndocVersion + `" lang="" xml:lang="" xmlns="http://www.w3.org/1999/xhtml">` + "\n")
	b.WriteString("  <head>\n    <meta charset=\"UTF-8\"/>\n    <meta name=\"generator\" content=\"")
	writeEscaped(b, generator)
	b.WriteString("\"/>\n    <title>")
	writeEscaped(b, id)
	b.WriteString("</title>\n  </head>\n  <body>\n    <article>\n")
	if generator == VerbatimGenerator {
		b.WriteString("      <section data-type=\"\">\n        <div class=\"content\">\n")
	}
}

// writeEscaped writes s as HTML text or attribute value (in double quotes)
// that HTML5 parsing turns back into s; see VerbatimHTML for the replacements.
func writeEscaped(b *bytes.Buffer, s string) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		size := 1
		if c < utf8.RuneSelf {
			switch c {
			case '&':
				esc = "&amp;"
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '"':
				esc = "&quot;"
			case '\r':
				esc = "&#13;"
			case 0:
				esc = "\uFFFD"
			}
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				// Skip the whole invalid run, as strings.ToValidUTF8 does.
				for size < len(s)-i {
					if r, n := utf8.DecodeRuneInString(s[i+size:]); r != utf8.RuneError || n != 1 {
						break
					}
					size++
				}
				esc = "\uFFFD"
			}
		}
		if esc != "" {
			b.WriteString(s[start:i])
			b.WriteString(esc)
			start = i + size
		}
		i += size
	}
	b.WriteString(s[start:])
}

// Section is one section of a structured document for StructuredHTML.
type Section struct {
	// Type is the section's data-type: "title", "abstract" or "".
	Type string
	// Header is the section header (h2, h3 in subsections); empty for none.
	Header string
	// Paragraphs are the section's paragraphs, each a part.
	Paragraphs []string
	// Figures follow the paragraphs; figures and tables share one counter.
	Figures []Figure
	// Subsections are nested sections, written after paragraphs and figures.
	Subsections []Section
}

// Figure is a figure or table with a caption.
type Figure struct {
	Header  string // caption header, an h5 part; empty for none
	Caption string // caption text, a p part; empty for none
	Table   bool   // written as figure class="table"
}

// StructuredHTML returns a plain.html laid out like tagtog's structured
// (article) documents, for fixtures and tests. Part ids follow tagtog's
// grammar (s<n>)+ (f<n>)? (h|p)<n>: the header of the first section is
// s1h1, its second paragraph s1p2, the first paragraph of its first
// subsection s1s1p1, the caption header and text of its first figure s1f1h1
// and s1f1p1. Text is escaped as in VerbatimHTML; no newline is added
// because only <pre> drops one.
func StructuredHTML(id, origID string, sections []Section) []byte {
	var b bytes.Buffer
	writeHead(&b, id, origID, StructuredGenerator)
	for i := range sections {
		writeSection(&b, &sections[i], "s"+strconv.Itoa(i+1), 1)
	}
	b.WriteString("    </article>\n  </body>\n</html>\n")
	return b.Bytes()
}

func writeSection(b *bytes.Buffer, s *Section, prefix string, depth int) {
	ind := strings.Repeat("  ", 2+3*(depth-1)+1)
	b.WriteString(ind + "<section data-type=\"")
	writeEscaped(b, s.Type)
	b.WriteString("\">\n")
	if s.Header != "" {
		tag := "h2"
		if depth > 1 {
			tag = "h3"
		}
		writeElement(b, ind+"  ", tag, prefix+"h1", s.Header)
	}
	if len(s.Paragraphs) > 0 || len(s.Figures) > 0 {
		b.WriteString(ind + "  <div class=\"content\">\n")
		for i, p := range s.Paragraphs {
			writeElement(b, ind+"    ", "p", prefix+"p"+strconv.Itoa(i+1), p)
		}
		for i, f := range s.Figures {
			n := strconv.Itoa(i + 1)
			fid := prefix + "f" + n
			class := ""
			label := "Figure "
			if f.Table {
				class, label = ` class="table"`, "Table "
			}
			b.WriteString(ind + "    <figure" + class + ` data-origid="F` + n + "\">\n")
			b.WriteString(ind + "      <a href=\"#" + fid + "\">" + label + n + "</a>\n")
			b.WriteString(ind + "      <figcaption>\n")
			if f.Header != "" {
				writeElement(b, ind+"        ", "h5", fid+"h1", f.Header)
			}
			if f.Caption != "" {
				writeElement(b, ind+"        ", "p", fid+"p1", f.Caption)
			}
			b.WriteString(ind + "      </figcaption>\n" + ind + "    </figure>\n")
		}
		b.WriteString(ind + "  </div>\n")
	}
	if len(s.Subsections) > 0 {
		b.WriteString(ind + "  <div class=\"subsections\">\n")
		for i := range s.Subsections {
			writeSection(b, &s.Subsections[i], prefix+"s"+strconv.Itoa(i+1), depth+1)
		}
		b.WriteString(ind + "  </div>\n")
	}
	b.WriteString(ind + "</section>\n")
}

func writeElement(b *bytes.Buffer, ind, tag, id, text string) {
	b.WriteString(ind + "<" + tag + " id=\"" + id + "\">")
	writeEscaped(b, text)
	b.WriteString("</" + tag + ">\n")
}
