// Package anndoc reads and writes tagtog's anndoc format: the plain.html that
// holds a document's text split into parts, and the ann.json that holds its
// annotations. It converts offsets between the byte offsets annotators produce
// and the units tagtog counts in, merges a model's entities into existing
// annotations without touching anything people made, and checks that every
// entity's text is found at its offsets.
//
// # Parts
//
// A part is every element with a non-empty id attribute inside <body>, in
// document order (the order of their start tags). Its text is the
// concatenation of all text nodes below the element after HTML5 parsing
// (golang.org/x/net/html): character references are decoded once, whitespace
// and newlines are kept as they are. An element with an id nested inside
// another element with an id is a part of its own, and its text is also part
// of the enclosing part's text. When two elements share an id both are listed
// in Document.Parts; Document.Part returns the first.
//
// HTML5 parsing has consequences a naive extractor would miss: the first
// newline right after <pre> is dropped, raw CR and CRLF become LF, and raw NUL
// characters are removed. VerbatimHTML and StructuredHTML write text so that
// Parse gives it back exactly.
//
// # Offsets
//
// Entity offsets in ann.json are relative to the part text. tagtog does not
// document the unit; this package counts UTF-16 code units by default (tagtog
// runs on the JVM and its editor in a browser) and code points on request.
// Both agree for text without characters outside the Basic Multilingual Plane.
package anndoc
