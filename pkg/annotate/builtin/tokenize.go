package builtin

import (
	"unicode"
	"unicode/utf8"
)

// Token kinds.
const (
	kWord  uint8 = iota + 1 // letters, with inner apostrophes and hyphens
	kNum                    // digits with inner "," or "."
	kPunct                  // any other single character
)

// Token flags.
const (
	fCap   uint8 = 1 << iota // first letter is upper case
	fUpper                   // every letter upper case, two letters or more
	fSpace                   // preceded by white space or the start of the text
	fSent                    // first token of a sentence
	fHyph                    // word contains a hyphen
)

// token is a run of text between byte offsets s and e.
type token struct {
	s, e  int
	kind  uint8
	flags uint8
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isDigit(c byte) bool       { return c >= '0' && c <= '9' }

// asciiSpace marks the ASCII white-space bytes, as unicode.IsSpace does.
var asciiSpace = [128]bool{' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

// spaceAt reports whether a white-space character starts at text[i] and its size.
func spaceAt(text string, i int) (bool, int) {
	c := text[i]
	if c < utf8.RuneSelf {
		return asciiSpace[c], 1
	}
	r, size := utf8.DecodeRuneInString(text[i:])
	return unicode.IsSpace(r), size
}

// letterAt reports whether a letter (or a combining mark) starts at text[i],
// whether it is upper case, and its size.
func letterAt(text string, i int) (letter, upper bool, size int) {
	c := text[i]
	if c < utf8.RuneSelf {
		return isASCIILetter(c), c >= 'A' && c <= 'Z', 1
	}
	r, size := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r) || unicode.Is(unicode.Mn, r), unicode.IsUpper(r), size
}

// apostropheAt returns the size of an apostrophe (' or U+2019) at text[i], or 0.
func apostropheAt(text string, i int) int {
	if text[i] == '\'' {
		return 1
	}
	if text[i] == 0xE2 && i+2 < len(text) && text[i+1] == 0x80 && text[i+2] == 0x99 {
		return 3
	}
	return 0
}

// tokenize appends the tokens of text to toks. starts holds the byte offsets
// where sentences begin, ascending; the first token at or after each gets fSent.
func tokenize(text string, starts []int, toks []token) []token {
	n := len(text)
	space := true
	si := 0
	for i := 0; i < n; {
		c := text[i]
		if c < utf8.RuneSelf && asciiSpace[c] {
			space = true
			i++
			continue
		}
		var t token
		t.s = i
		if space {
			t.flags |= fSpace
		}
		space = false
		switch {
		case isDigit(c):
			t.kind = kNum
			i++
			for i < n {
				if isDigit(text[i]) {
					i++
				} else if (text[i] == ',' || text[i] == '.') && i+1 < n && isDigit(text[i+1]) {
					i += 2
				} else {
					break
				}
			}
		case c < utf8.RuneSelf && !isASCIILetter(c):
			t.kind = kPunct
			i++
		default:
			letter, upper, size := letterAt(text, i)
			if !letter {
				if sp, _ := spaceAt(text, i); sp {
					space = true
					i += size
					continue
				}
				t.kind = kPunct
				i += size
				break
			}
			t.kind = kWord
			if upper {
				t.flags |= fCap
			}
			i = scanWord(text, i, &t)
		}
		t.e = i
		for si < len(starts) && starts[si] <= t.s {
			si++
			t.flags |= fSent
		}
		if len(toks) == 0 {
			t.flags |= fSent
		}
		toks = append(toks, t)
	}
	return toks
}

// scanWord scans the word starting at text[i] and returns its end. It keeps
// inner apostrophes (O'Brien, don't) and hyphens (Jean-Paul) but leaves a
// possessive 's to a token of its own, and reads acronyms such as U.S.
// including their final full stop.
func scanWord(text string, i int, t *token) int {
	n := len(text)
	start := i
	letters, lower := 0, false
	for i < n {
		letter, upper, size := letterAt(text, i)
		if letter {
			letters++
			if !upper {
				lower = true
			}
			i += size
			continue
		}
		if isDigit(text[i]) {
			i++
			continue
		}
		if a := apostropheAt(text, i); a > 0 && i+a < n {
			next, _, nsize := letterAt(text, i+a)
			if !next {
				break
			}
			// possessive: 's or ’s followed by a non-letter
			if (text[i+a] == 's' || text[i+a] == 'S') && (i+a+nsize == n || !isLetterStart(text, i+a+nsize)) {
				break
			}
			i += a
			continue
		}
		if text[i] == '-' && i+1 < n && isLetterStart(text, i+1) {
			t.flags |= fHyph
			i++
			continue
		}
		if text[i] == '.' && i-start == 1 && letters == 1 && !lower && i+2 < n && text[i+1] >= 'A' && text[i+1] <= 'Z' && text[i+2] == '.' {
			// acronym: (L.)+
			j := i
			for j+2 < n && text[j] == '.' && text[j+1] >= 'A' && text[j+1] <= 'Z' && text[j+2] == '.' {
				j += 2
				letters++
			}
			if j+1 >= n || !isLetterStart(text, j+1) {
				t.flags |= fUpper
				return j + 1
			}
		}
		break
	}
	if letters >= 2 && !lower && t.flags&fCap != 0 {
		t.flags |= fUpper
	}
	return i
}

func isLetterStart(text string, i int) bool {
	l, _, _ := letterAt(text, i)
	return l
}
