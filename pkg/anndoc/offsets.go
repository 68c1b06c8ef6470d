package anndoc

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Unit is what an ann.json offset counts.
type Unit int

const (
	// UTF16 counts UTF-16 code units: characters outside the Basic
	// Multilingual Plane (most emoji) count two. This is the default.
	UTF16 Unit = iota
	// CodePoint counts Unicode code points, as Python string indices do.
	CodePoint
)

// ParseUnit reads a unit name: "utf16" (also "utf-16" and "", the default) or
// "codepoint" (also "code-point", "codepoints"), case-insensitively.
func ParseUnit(s string) (Unit, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "utf16", "utf-16":
		return UTF16, nil
	case "codepoint", "code-point", "codepoints", "code-points":
		return CodePoint, nil
	}
	return 0, fmt.Errorf("anndoc: unknown offset unit %q (want utf16 or codepoint)", s)
}

// String returns "utf16" or "codepoint", the names ParseUnit reads.
func (u Unit) String() string {
	switch u {
	case UTF16:
		return "utf16"
	case CodePoint:
		return "codepoint"
	}
	return fmt.Sprintf("Unit(%d)", int(u))
}

// runeUnits is the length of r in unit u. Invalid bytes decode as U+FFFD and
// count one, as they would after conversion to UTF-16.
func runeUnits(r rune, u Unit) int {
	if u == UTF16 && r >= 0x10000 {
		return 2
	}
	return 1
}

// UnitLen returns the length of s in unit u.
func UnitLen(s string, u Unit) int {
	n := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n += runeUnits(r, u)
		i += size
	}
	return n
}

// Slice returns text[start, start+length) where start and length count unit u.
// It reports false when the range is negative, runs past the end of text, or
// cuts a character in two (the middle of a surrogate pair in UTF-16).
func Slice(text string, start, length int, u Unit) (string, bool) {
	if start < 0 || length < 0 {
		return "", false
	}
	from, ok := byteAt(text, 0, 0, start, u)
	if !ok {
		return "", false
	}
	to, ok := byteAt(text, from, start, start+length, u)
	if !ok {
		return "", false
	}
	return text[from:to], true
}

// byteAt scans text from byte offset b, which is at unit offset at, and
// returns the byte offset of unit offset want.
func byteAt(text string, b, at, want int, u Unit) (int, bool) {
	for at < want {
		if b >= len(text) {
			return 0, false
		}
		if c := text[b]; c < utf8.RuneSelf {
			b++
			at++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[b:])
		b += size
		at += runeUnits(r, u)
	}
	return b, at == want
}

// Offsets converts byte offsets into one text to unit offsets and back. Build
// it once per part with NewOffsets; conversions then cost O(log n) in the
// number of non-ASCII characters, and nothing for ASCII text. An Offsets is
// safe for concurrent use.
type Offsets struct {
	n int // length of the text in bytes
	// For every non-ASCII character k, in order: its byte offset, the bytes
	// taken by characters 0..k, and the UTF-16 units taken by characters 0..k.
	// The code points taken by characters 0..k are k+1.
	starts   []int
	cumBytes []int
	cumU16   []int
}

// NewOffsets precomputes the conversion tables for text.
func NewOffsets(text string) *Offsets {
	o := &Offsets{n: len(text)}
	for i := 0; i < len(text); {
		if text[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		bytesSoFar, u16SoFar := 0, 0
		if k := len(o.starts); k > 0 {
			bytesSoFar, u16SoFar = o.cumBytes[k-1], o.cumU16[k-1]
		}
		o.starts = append(o.starts, i)
		o.cumBytes = append(o.cumBytes, bytesSoFar+size)
		o.cumU16 = append(o.cumU16, u16SoFar+runeUnits(r, UTF16))
		i += size
	}
	return o
}

// before returns the bytes and units taken by the first k non-ASCII characters.
func (o *Offsets) before(k int, u Unit) (bytes, units int) {
	if k == 0 {
		return 0, 0
	}
	if u == UTF16 {
		return o.cumBytes[k-1], o.cumU16[k-1]
	}
	return o.cumBytes[k-1], k
}

// FromByte converts byte offset b into unit u. Offsets below 0 or past the end
// are clamped to the text; an offset inside a multi-byte character counts as
// the start of that character.
func (o *Offsets) FromByte(b int, u Unit) int {
	b = min(max(b, 0), o.n)
	if len(o.starts) == 0 {
		return b
	}
	// k = number of non-ASCII characters starting before b.
	k, _ := slices.BinarySearch(o.starts, b)
	if k > 0 {
		size := o.cumBytes[k-1]
		if k > 1 {
			size -= o.cumBytes[k-2]
		}
		if b < o.starts[k-1]+size {
			k--
			b = o.starts[k]
		}
	}
	bytes, units := o.before(k, u)
	return b - bytes + units
}

// ToByte converts offset n in unit u into a byte offset. It reports false when
// n is negative, past the end of the text, or inside a character (the second
// half of a surrogate pair in UTF-16).
func (o *Offsets) ToByte(n int, u Unit) (int, bool) {
	if n < 0 {
		return 0, false
	}
	// unitStart(k) is the unit offset where non-ASCII character k starts; it
	// grows with k, so search for the characters starting before n.
	unitStart := func(k int) int {
		bytes, units := o.before(k, u)
		return o.starts[k] - bytes + units
	}
	lo, hi := 0, len(o.starts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if unitStart(mid) < n {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	// lo characters start before n; the last of them may contain n.
	bytes, units := o.before(lo, u)
	if lo > 0 {
		last := lo - 1
		prevBytes, _ := o.before(last, u)
		end := o.starts[last] + o.cumBytes[last] - prevBytes // byte just past it
		if n < end-bytes+units {
			return 0, false
		}
	}
	b := n - units + bytes
	if b > o.n {
		return 0, false
	}
	return b, true
}
