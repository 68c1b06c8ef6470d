package builtin

import "strings"

// Lower-case text (news exported with its capitals and punctuation stripped)
// gives the rules in rules.go nothing to hold on to. When a text's casing is
// uninformative it is lowered to ASCII lower case and run through the rules
// below, which lean on word lists instead: known first names followed by a
// word that is no common English word, titles and roles before a name, known
// people and organisations, and company suffixes. Runs of two or more spaces,
// which such exports leave where a comma or quote stood, end a name.

// Word classes in lower-case text, one bit each; lowClass holds them for
// every word of the lists so that a token costs one map lookup.
const (
	cFirst       uint32 = 1 << iota // a first name
	cAmbigFirst                     // a first name that is also an ordinary word
	cTitle                          // mr, mrs, ms, dr: any non-function word after it is a name
	cWeakTitle                      // sir, lord, ...: a name after it must not be a common word
	cRole                           // president, striker, ...
	cFunc                           // function words: never part of a name
	cCommon                         // frequent English words
	cSurname                        // a known surname
	cOrgSuffix                      // plc, inc, group, ...
	cOrgInner                       // common words allowed inside a company name
	cGaz                            // starts an entry of lowGaz
	cMonth                          // month name
	cWeekday                        // weekday name
	cCue                            // follows a surname mentioned alone
	cUSContext                      // follows "us" meaning the United States
	cLabourNon                      // follows "labour" as an ordinary word
	cParticle                       // van, de, o, ...
	cNonPerson                      // single-word place or organisation of the gazetteer
	cOrgOfHead                      // ministry, university, ...: "ministry of defence"
	cOrgOfDomain                    // defence, health, ...: the domain of a ministry
)

var (
	lowGaz   = buildGazetteer(lowerGazetteer())
	lowClass = buildLowClass()
)

// lowerGazetteer returns the cased gazetteer in lower case, minus the names
// that are ordinary words in lower case, with the lower-case lists added.
func lowerGazetteer() map[string]string {
	skip := set(`us christian democratic democrat republican`)
	g := make(map[string]string, len(gazetteer)+512)
	for name, label := range gazetteer {
		l := strings.ToLower(name)
		if skip[l] || strings.ContainsRune(l, '.') {
			continue
		}
		g[l] = label
	}
	for _, name := range splitNames(lowerPeople) {
		if name = strings.Join(strings.Fields(name), " "); name != "" {
			g[name] = LabelPerson
		}
	}
	for _, name := range splitNames(lowerOrgs) {
		if name = strings.Join(strings.Fields(name), " "); name != "" {
			g[name] = LabelOrg
		}
	}
	return g
}

// splitNames splits a list of names separated by "|" or line breaks.
func splitNames(list string) []string {
	return strings.FieldsFunc(list, func(r rune) bool { return r == '|' || r == '\n' })
}

func buildLowClass() map[string]uint32 {
	m := make(map[string]uint32, 8192)
	mark := func(words string, c uint32) {
		for _, w := range strings.Fields(words) {
			m[w] |= c
		}
	}
	mark(strings.ToLower(firstNames), cFirst)
	mark(lowerFirstNames, cFirst)
	mark(commonWords, cCommon)
	for w, c := range m {
		if c&(cFirst|cCommon) == cFirst|cCommon {
			m[w] |= cAmbigFirst
		}
	}
	mark(`mr mrs ms dr`, cTitle)
	mark(lowerTitles, cWeakTitle)
	mark(lowerRoles, cRole)
	mark(lowerFunctionWords, cFunc)
	mark(lowerSurnames, cSurname)
	mark(lowerOrgSuffixes, cOrgSuffix)
	mark(lowerOrgInner, cOrgInner)
	mark(strings.ToLower(standaloneMonths)+" march may", cMonth)
	mark(strings.ToLower(weekdays), cWeekday)
	mark(lowerSurnameCues, cCue)
	mark(lowerUSContext, cUSContext)
	mark(lowerLabourNonOrg, cLabourNon)
	mark(particles+" o mc", cParticle)
	mark(strings.ToLower(orgOfHeads), cOrgOfHead)
	mark(lowerOrgOfDomains, cOrgOfDomain)
	for first := range lowGaz {
		m[first] |= cGaz
	}
	for name, label := range lowerGazetteer() {
		if label != LabelPerson && !strings.Contains(name, " ") {
			m[name] |= cNonPerson
		}
	}
	return m
}

// uncased reports whether the casing of the text says nothing about names:
// almost no word inside a sentence is capitalised and most sentences start
// in lower case, or nearly every word is in capitals.
func uncased(toks []token) bool {
	var inner, innerCap, initial, initialCap, long, upper int
	for _, t := range toks {
		if t.kind != kWord {
			continue
		}
		if t.e-t.s >= 2 {
			long++
			if t.flags&fUpper != 0 {
				upper++
			}
		}
		if t.flags&fSent != 0 {
			initial++
			if t.flags&fCap != 0 {
				initialCap++
			}
			continue
		}
		inner++
		if t.flags&fCap != 0 {
			innerCap++
		}
	}
	if long >= 3 && upper*10 >= long*9 {
		return true
	}
	return inner > 0 && innerCap*50 <= inner && initialCap*2 <= initial
}

// asciiLower returns text with ASCII letters in lower case; byte offsets are
// unchanged. It allocates only when there is an upper-case letter.
func asciiLower(text string) string {
	i := 0
	for i < len(text) && !(text[i] >= 'A' && text[i] <= 'Z') {
		i++
	}
	if i == len(text) {
		return text
	}
	b := []byte(text)
	for ; i < len(b); i++ {
		if b[i] >= 'A' && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// Scores in lower-case text.
const (
	scoreLowCap     = 0.8 // no rule scores higher in lower-case text
	scoreLowKnown   = 0.8
	scoreLowTitle   = 0.75
	scoreLowFull    = 0.7
	scoreLowSurname = 0.7
	scoreLowRole    = 0.65
	scoreLowSuffix  = 0.65
	scoreLowCoref   = 0.6
)

// cls returns the word classes of token j, 0 past the end or for non-words.
func (r *recognizer) cls(j int) uint32 {
	if j < 0 || j >= len(r.cl) {
		return 0
	}
	return r.cl[j]
}

// gap reports whether two or more white-space bytes precede token j.
func (r *recognizer) gap(j int) bool {
	s := r.toks[j].s
	return s >= 2 && r.text[s-1] < 0x80 && asciiSpace[r.text[s-1]] && r.text[s-2] < 0x80 && asciiSpace[r.text[s-2]]
}

// next reports whether token j continues a name begun at j-1: same sentence,
// a word, no gap.
func (r *recognizer) next(j int) bool {
	return r.same(j) && r.toks[j].kind == kWord && !r.gap(j)
}

// alpha reports whether token j is made of letters (and inner hyphens).
func (r *recognizer) alpha(j int) bool {
	w := r.word(j)
	for i := 0; i < len(w); i++ {
		if isDigit(w[i]) || w[i] == '\'' {
			return false
		}
	}
	return true
}

// surnameWord reports whether token j can be the surname after a first
// name: a known surname, or a word of two letters or more that is no common
// word, function word, title, role, date or non-person name.
func (r *recognizer) surnameWord(j int) bool {
	if !r.next(j) || !r.alpha(j) {
		return false
	}
	c := r.cls(j)
	if c&cSurname != 0 {
		return true
	}
	return r.toks[j].e-r.toks[j].s >= 2 && c&(cCommon|cFunc|cTitle|cWeakTitle|cRole|cMonth|cWeekday|cNonPerson|cOrgSuffix) == 0
}

// surnameChain returns the end of the surname that starts at token j, or j
// when there is none: "o neill", "van nistelrooy", one or two name words.
func (r *recognizer) surnameChain(j int) int {
	if r.cls(j)&cParticle != 0 && r.next(j) && r.surnameWord(j+1) {
		return j + 2
	}
	if !r.surnameWord(j) {
		return j
	}
	b := j + 1
	if r.surnameWord(b) && (r.cls(j)&cFirst != 0 || r.cls(b)&cSurname != 0) && r.cls(b)&cFirst == 0 {
		b++ // "sven goran eriksson", "john paul jones"
	}
	return b
}

func (r *recognizer) runLower() {
	r.cl = r.cl[:0]
	for i := range r.toks {
		var c uint32
		if r.toks[i].kind == kWord {
			c = lowClass[r.word(i)]
		}
		r.cl = append(r.cl, c)
	}
	for i := range r.toks {
		t := r.toks[i]
		switch t.kind {
		case kNum:
			r.number(i)
		case kPunct:
			if setCurrencySym[r.word(i)] {
				r.money(i, i)
			}
		case kWord:
			c := r.cl[i]
			if c == 0 {
				continue
			}
			w := r.word(i)
			if c&cGaz != 0 {
				r.lowGazetteer(i, lowGaz[w])
			}
			if c&(cTitle|cWeakTitle) != 0 {
				r.lowTitle(i)
			}
			if c&cRole != 0 {
				r.lowRole(i)
			}
			if c&cOrgSuffix != 0 {
				r.lowOrgSuffix(i)
			}
			if c&cOrgOfHead != 0 {
				r.lowOrgOf(i)
			}
			if c&cFirst != 0 {
				r.lowFirstName(i)
			}
			if c&cSurname != 0 {
				r.lowSurname(i)
			}
			if c&cMonth != 0 {
				r.lowMonth(i)
			}
			if c&cWeekday != 0 {
				r.add(i, i+1, LabelDate, scoreDate)
			}
		}
		if t.kind == kWord && r.word(i) == "us" {
			r.lowUS(i)
		}
	}
	for k := range r.cands {
		if r.cands[k].score > scoreLowCap {
			r.cands[k].score = scoreLowCap
		}
	}
}

// lowGazetteer matches known lower-case names starting at token i.
func (r *recognizer) lowGazetteer(i int, es []gazEntry) {
	for _, e := range es {
		ok := true
		for k := 1; k < len(e.words); k++ {
			j := i + k
			if !r.same(j) || r.gap(j) || r.word(j) != e.words[k] {
				ok = false
				break
			}
		}
		end := i + len(e.words)
		if !ok || (end < len(r.toks) && r.attached(end) && r.toks[end].kind == kWord) {
			continue
		}
		if e.label == LabelOrg && len(e.words) == 1 && e.words[0] == "labour" && r.next(end) && r.cls(end)&cLabourNon != 0 {
			continue // "labour market"
		}
		if e.label == LabelPerson && len(e.words) == 1 && r.cls(i)&cCommon != 0 {
			continue // "madonna" is safe, a common word is not
		}
		score := scoreLowKnown
		r.add(i, end, e.label, score)
		return
	}
}

// lowUS marks "us" as the United States after "the" or before a word such
// as "president" or "firms".
func (r *recognizer) lowUS(i int) {
	if (i > 0 && r.same(i) && r.word(i-1) == "the") || (r.next(i+1) && r.cls(i+1)&cUSContext != 0) {
		r.add(i, i+1, LabelGPE, scoreLowKnown)
	}
}

// lowFirstName handles "gareth thomas" and "martin o neill".
func (r *recognizer) lowFirstName(i int) {
	if i > 0 && r.same(i) && !r.gap(i) {
		switch r.word(i - 1) {
		case "the", "a", "an":
			return
		}
	}
	b := r.surnameChain(i + 1)
	if b == i+1 {
		return
	}
	if r.cls(i)&cAmbigFirst != 0 && r.cls(b-1)&cSurname == 0 {
		return // "will smith" only as a known name
	}
	r.add(i, b, LabelPerson, scoreLowFull)
}

// lowTitle handles "mr blair", "mr o brien", "sir alex ferguson".
func (r *recognizer) lowTitle(i int) {
	j := i + 1
	if r.attached(j) && r.word(j) == "." {
		j++
	}
	if !r.next(j) || !r.alpha(j) {
		return
	}
	c := r.cls(j)
	if c&(cFunc|cRole|cTitle|cWeakTitle) != 0 {
		return
	}
	strong := r.cls(i)&cTitle != 0
	var b int
	switch {
	case c&cFirst != 0 && r.surnameChain(j+1) > j+1:
		b = r.surnameChain(j + 1)
	case c&cParticle != 0 && r.next(j+1) && r.alpha(j+1) && r.cls(j+1)&cFunc == 0:
		b = j + 2 // "mr o brien"
	case strong || c&(cCommon|cMonth|cWeekday|cNonPerson) == 0 || c&(cFirst|cSurname) != 0:
		b = j + 1
	default:
		return
	}
	r.add(j, b, LabelPerson, scoreLowTitle)
}

// lowRole handles "president bush" and "striker thierry henry"; a first
// name after the role is left to lowFirstName.
func (r *recognizer) lowRole(i int) {
	j := i + 1
	for r.next(j) && r.cls(j)&cRole != 0 {
		j++
	}
	if !r.next(j) || r.cls(j)&cFirst != 0 {
		return
	}
	switch {
	case r.cls(j)&cSurname != 0:
		r.add(j, j+1, LabelPerson, scoreLowRole)
	case r.surnameWord(j) && r.surnameWord(j+1):
		r.add(j, j+2, LabelPerson, scoreLowRole)
	}
}

// lowSurname marks a known surname alone: always when it is no common word,
// otherwise only before a cue ("straw said", "brown s budget").
func (r *recognizer) lowSurname(i int) {
	if !r.alpha(i) {
		return
	}
	if r.cls(i)&cCommon == 0 || (r.same(i+1) && r.cls(i+1)&cCue != 0) {
		r.add(i, i+1, LabelPerson, scoreLowSurname)
	}
}

// lowOrgSuffix handles "paypal holdings inc" and "yukos oil company": the
// words before the suffix must include one that is not a common word.
func (r *recognizer) lowOrgSuffix(i int) {
	a, head := i, false
	for k := i - 1; k >= 0 && i-k <= 4; k-- {
		if !r.next(k+1) || r.toks[k].kind != kWord || !r.alpha(k) || r.toks[k].e-r.toks[k].s < 2 {
			break
		}
		c := r.cls(k)
		if c&(cFunc|cRole|cTitle|cWeakTitle|cMonth|cWeekday) != 0 {
			break
		}
		if c&cCommon != 0 && c&(cOrgInner|cOrgSuffix) == 0 {
			break
		}
		if c&(cCommon|cOrgSuffix|cOrgInner) == 0 {
			head = true
		}
		a = k
	}
	if a == i || !head {
		return
	}
	for a < i && r.cls(a)&(cOrgInner|cOrgSuffix) != 0 && r.cls(a)&cCommon != 0 {
		a++ // a name does not start with "new" or "group"
	}
	if a == i {
		return
	}
	b := i + 1
	if r.attached(b) && r.word(b) == "." {
		b++
	}
	r.add(a, b, LabelOrg, scoreLowSuffix)
}

// lowOrgOf handles "ministry of communications" and "university of
// sussex": after "of" come domain words or words that are no common words.
func (r *recognizer) lowOrgOf(i int) {
	if !r.next(i+1) || r.word(i+1) != "of" {
		return
	}
	b := i + 2
	for b < i+5 && r.next(b) && r.alpha(b) && r.cls(b)&cFunc == 0 && (r.cls(b)&(cCommon|cMonth|cWeekday|cRole) == 0 || r.cls(b)&(cOrgOfDomain|cOrgSuffix) != 0) {
		b++
		if b < len(r.toks) && r.word(b) == "and" && r.next(b+1) && r.cls(b+1)&cOrgOfDomain != 0 {
			b++ // "trade and industry"
		}
	}
	if b == i+2 {
		return
	}
	r.add(i, b, LabelOrg, scoreLowSuffix)
}

// lowMonth marks "5 january 2005", "january 2005", "march 3" and a month
// name alone other than "may" and "march".
func (r *recognizer) lowMonth(i int) {
	a, b := i, i+1
	if i > 0 && r.same(i) {
		if end, ok := r.dayNumber(i - 1); ok && end == i {
			a = i - 1
		}
	}
	if a == i && r.same(b) {
		if end, ok := r.dayNumber(b); ok {
			b = end
		}
	}
	if r.same(b) && r.isYear(b) {
		b++
	}
	if a == i && b == i+1 {
		if w := r.word(i); w == "may" || w == "march" {
			return
		}
	}
	r.add(a, b, LabelDate, scoreDate)
}

// corefLower marks later and earlier mentions of a surname found in a full
// name ("thomas" after "gareth thomas"): always when the surname is no
// common word, otherwise only before a cue.
func (r *recognizer) corefLower(chosen []cand) []cand {
	var surnames map[string]bool
	for _, c := range chosen {
		if c.label == LabelPerson && c.b-c.a >= 2 && r.toks[c.b-1].e-r.toks[c.b-1].s >= 3 {
			if surnames == nil {
				surnames = make(map[string]bool)
			}
			surnames[r.word(c.b-1)] = true
		}
	}
	if surnames == nil {
		return chosen
	}
	chosen = r.addMentions(chosen, func(i int) bool {
		if r.toks[i].kind != kWord || !surnames[r.word(i)] {
			return false
		}
		if r.cls(i)&cCommon != 0 && !(r.same(i+1) && r.cls(i+1)&cCue != 0) {
			return false
		}
		return !(r.next(i+1) && r.surnameWord(i+1) && r.cls(i+1)&cCue == 0)
	}, scoreLowCoref)
	// "van persie" after "robin van persie": the particle belongs to the name
	for k := range chosen {
		if c := &chosen[k]; c.score == scoreLowCoref && c.b == c.a+1 && c.a > 0 && r.cls(c.a-1)&cParticle != 0 && r.next(c.a) && (k == 0 || chosen[k-1].b < c.a) {
			c.a--
		}
	}
	return chosen
}
