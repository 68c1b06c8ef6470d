package builtin

import (
	"sync"

	"github.com/neurosnap/sentences"
	"github.com/neurosnap/sentences/english"
)

// loadPunkt builds the English punkt tokenizer once per process; its training
// data ships inside the sentences module.
var loadPunkt = sync.OnceValues(func() (*sentences.DefaultSentenceTokenizer, error) {
	return english.NewSentenceTokenizer(nil)
})

// closerAt returns the size of a character that may follow sentence-final
// punctuation inside the same chunk (more punctuation, closing quotes and
// brackets), or 0.
func closerAt(text string, i int) int {
	switch text[i] {
	case '.', '!', '?', '"', '\'', ')', ']', '}':
		return 1
	case 0xE2: // ’ ” (U+2019, U+201D)
		if i+2 < len(text) && text[i+1] == 0x80 && (text[i+2] == 0x99 || text[i+2] == 0x9D) {
			return 3
		}
	case 0xC2: // » (U+00BB)
		if i+1 < len(text) && text[i+1] == 0xBB {
			return 2
		}
	}
	return 0
}

// sentenceStarts appends to out the byte offsets where a sentence other than
// the first begins, ascending. A line break always ends a sentence. Whether a
// full stop, question or exclamation mark at the end of a white-space
// delimited chunk ends one is decided by the punkt tokenizer, run only on the
// chunk, its predecessor and its successor: punkt's decisions look no further
// than the neighbouring tokens, so this gives the answer punkt would give on
// the whole text, at a fraction of the cost.
func sentenceStarts(pk *sentences.DefaultSentenceTokenizer, text string, out []int) []int {
	n := len(text)
	for i := 0; i < n; i++ {
		c := text[i]
		if c == '\n' {
			out = appendStart(out, i+1)
			continue
		}
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		// Is this punctuation the end of its chunk (only closers follow)?
		j := i + 1
		for j < n {
			if sz := closerAt(text, j); sz > 0 {
				j += sz
				continue
			}
			break
		}
		if j < n {
			if sp, _ := spaceAt(text, j); !sp {
				i = j - 1 // the chunk goes on; resume after the closers
				continue
			}
		} else {
			break // end of text: nothing follows
		}
		chunkEnd := j
		// Skip the white space to the next chunk; a line break decides alone.
		k, newline := chunkEnd, false
		for k < n {
			sp, sz := spaceAt(text, k)
			if !sp {
				break
			}
			if text[k] == '\n' {
				newline = true
			}
			k += sz
		}
		if newline || k >= n {
			i = chunkEnd - 1
			continue
		}
		nextStart := k
		nextEnd := k
		for nextEnd < n {
			sp, sz := spaceAt(text, nextEnd)
			if sp {
				// punkt's word splitter needs a white-space character after the last word
				nextEnd += sz
				break
			}
			nextEnd += sz
		}
		chunkStart := chunkStartBefore(text, i)
		winStart := chunkStart
		if p := prevChunkStart(text, chunkStart); p >= 0 {
			winStart = p
		}
		if punktBreak(pk, text[winStart:nextEnd], chunkEnd-winStart) {
			out = appendStart(out, nextStart)
		}
		i = chunkEnd - 1
	}
	return out
}

func appendStart(out []int, s int) []int {
	if len(out) > 0 && out[len(out)-1] >= s {
		return out
	}
	return append(out, s)
}

// chunkStartBefore returns the start of the white-space delimited chunk that
// contains text[i].
func chunkStartBefore(text string, i int) int {
	for i > 0 {
		c := text[i-1]
		if c < 0x80 {
			if asciiSpace[c] {
				return i
			}
			i--
			continue
		}
		// step back over one UTF-8 sequence
		j := i - 1
		for j > 0 && text[j]&0xC0 == 0x80 {
			j--
		}
		if sp, _ := spaceAt(text, j); sp {
			return i
		}
		i = j
	}
	return 0
}

// prevChunkStart returns the start of the chunk before the one starting at
// s, or -1 when there is none.
func prevChunkStart(text string, s int) int {
	i := s
	for i > 0 {
		j := i - 1
		for j > 0 && text[j]&0xC0 == 0x80 {
			j--
		}
		if sp, _ := spaceAt(text, j); !sp {
			return chunkStartBefore(text, i)
		}
		i = j
	}
	return -1
}

// punktBreak runs punkt on a small window and reports whether the token that
// ends at byte offset end (relative to the window) is a sentence break.
func punktBreak(pk *sentences.DefaultSentenceTokenizer, window string, end int) bool {
	for _, t := range pk.AnnotatedTokens(window) {
		if t.Position == end {
			return t.SentBreak
		}
	}
	return false
}
