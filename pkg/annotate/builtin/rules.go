package builtin

import "strings"

// Word lists turned into sets once.
var (
	setFirst        = set(firstNames)
	setAmbigFirst   = set(ambiguousFirstNames)
	setTitles       = set(titles)
	setRoles        = set(roles)
	setOrgSuffix    = set(orgSuffixes)
	setOrgAbbrev    = set(orgAbbrevSuffixes)
	setOrgOfHead    = set(orgOfHeads)
	setStop         = set(stopCaps)
	setParticles    = set(particles)
	setCurrencySym  = set(currencySymbols)
	setDollarPrefix = set(dollarPrefixes)
	setCurrencyWord = set(currencyWords)
	setCurrencyCode = set(currencyCodes)
	setMagnitude    = set(magnitudes)
	setAttachedMag  = set(attachedMagnitudes)
	setPercentWord  = set(percentWords)
	setMonths       = set(months)
	setMonthAlone   = set(standaloneMonths)
	setWeekdays     = set(weekdays)
	setYearPrep     = set(yearPrepositions)
	gazIndex        = buildGazetteer(gazetteer)
	gazSingle       = singleWordNames(gazetteer)
	setMonthAbbrev  = set(monthAbbrevs)
)

// singleWordNames returns the one-word names of the gazetteer with their label.
func singleWordNames(g map[string]string) map[string]string {
	m := make(map[string]string)
	for name, label := range g {
		if !strings.Contains(name, " ") {
			m[name] = label
		}
	}
	return m
}

// gazEntry is a known name split into tokens.
type gazEntry struct {
	words []string
	label string
}

// buildGazetteer indexes names by their first token, longest first.
func buildGazetteer(g map[string]string) map[string][]gazEntry {
	idx := make(map[string][]gazEntry)
	for name, label := range g {
		var words []string
		for _, t := range tokenize(name, nil, nil) {
			words = append(words, name[t.s:t.e])
		}
		idx[words[0]] = append(idx[words[0]], gazEntry{words: words, label: label})
	}
	for k, es := range idx {
		// longest first, then by text, so matching is deterministic
		for i := 1; i < len(es); i++ {
			for j := i; j > 0 && less(es[j], es[j-1]); j-- {
				es[j], es[j-1] = es[j-1], es[j]
			}
		}
		idx[k] = es
	}
	return idx
}

func less(x, y gazEntry) bool {
	if len(x.words) != len(y.words) {
		return len(x.words) > len(y.words)
	}
	return strings.Join(x.words, " ") < strings.Join(y.words, " ")
}

// recognizer applies the rules to the tokens of one text.
type recognizer struct {
	text  string // in lower-case mode, the text in ASCII lower case
	toks  []token
	cands []cand
	lower bool     // the text's casing is uninformative: see lower.go
	cl    []uint32 // word classes of the tokens, lower-case mode only
}

func (r *recognizer) word(i int) string { return r.text[r.toks[i].s:r.toks[i].e] }

// is reports whether token i exists, has the kind and, for words, the text.
func (r *recognizer) isPunct(i int, p string) bool {
	return i < len(r.toks) && r.toks[i].kind == kPunct && r.word(i) == p
}

// same reports whether token j is in the same sentence as token j-1.
func (r *recognizer) same(j int) bool { return j < len(r.toks) && r.toks[j].flags&fSent == 0 }

// attached reports whether token j directly follows token j-1 in the same sentence.
func (r *recognizer) attached(j int) bool { return r.same(j) && r.toks[j].flags&fSpace == 0 }

func (r *recognizer) capWord(i int) bool {
	return i < len(r.toks) && r.toks[i].kind == kWord && r.toks[i].flags&fCap != 0
}

func (r *recognizer) add(a, b int, label string, score float64) {
	r.cands = append(r.cands, cand{a: a, b: b, end: r.toks[b-1].e, label: label, score: score})
}

func (r *recognizer) run() {
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
			w := r.word(i)
			if t.flags&fCap == 0 {
				if setRoles[w] {
					r.role(i)
				}
				continue
			}
			if es, ok := gazIndex[w]; ok {
				r.gazetteer(i, es)
			}
			if setDollarPrefix[w] && r.attached(i+1) && r.word(i+1) == "$" {
				r.money(i, i+1)
			}
			if setCurrencyCode[w] && r.same(i+1) && r.toks[i+1].kind == kNum {
				r.money(i, i)
			}
			if setOrgSuffix[w] {
				r.orgSuffix(i)
			}
			if setOrgOfHead[w] {
				r.orgOf(i)
			}
			if setTitles[w] {
				r.title(i)
			}
			if setRoles[w] {
				r.role(i)
			}
			if setMonths[w] {
				r.month(i)
			}
			if setWeekdays[w] {
				r.add(i, i+1, LabelDate, scoreDate)
			}
			if r.isFirstName(w) {
				r.firstName(i, w)
			}
		}
	}
}

func (r *recognizer) isFirstName(w string) bool {
	if setFirst[w] {
		return true
	}
	if h := strings.IndexByte(w, '-'); h > 0 {
		return setFirst[w[:h]]
	}
	return false
}

// amount reads a number at i with an optional magnitude ("2.7 million",
// "1.2bn") and returns the token after it.
func (r *recognizer) amount(i int) int {
	j := i + 1
	if r.lower && r.toks[i].e-r.toks[i].s <= 3 {
		// thousands separated by a space where a comma was stripped: "£535 000"
		for r.same(j) && r.toks[j].kind == kNum && r.toks[j].e-r.toks[j].s == 3 && r.toks[j].s == r.toks[j-1].e+1 && r.text[r.toks[j-1].e] == ' ' && !strings.ContainsAny(r.word(j-1), ".,") {
			j++
		}
	}
	if r.attached(j) && r.toks[j].kind == kWord && setAttachedMag[r.word(j)] {
		return j + 1
	}
	if r.same(j) && r.toks[j].kind == kWord && setMagnitude[r.word(j)] {
		return j + 1
	}
	return j
}

// money handles an amount after a currency symbol or code: sym is the
// symbol's token, a the entity's first token.
func (r *recognizer) money(a, sym int) {
	j := sym + 1
	if !r.same(j) || r.toks[j].kind != kNum {
		return
	}
	if r.toks[sym].kind == kPunct && !r.attached(j) {
		return // "$ 5" is rarely money in running text
	}
	r.add(a, r.amount(j), LabelMoney, scoreMoney)
}

// number handles amounts followed by a currency word, percentages and years.
func (r *recognizer) number(i int) {
	if i > 0 && r.same(i) {
		prev := r.word(i - 1)
		if setCurrencySym[prev] || setCurrencyCode[prev] {
			return // handled from the symbol
		}
	}
	j := r.amount(i)
	if r.same(j) {
		w := r.word(j)
		switch {
		case r.toks[j].kind == kWord && (setCurrencyWord[w] || setCurrencyCode[w]):
			r.add(i, j+1, LabelMoney, scoreMoney)
			return
		case r.toks[j].kind == kWord && (w == "US" || r.lower && w == "us") && r.same(j+1) && setCurrencyWord[r.word(j+1)]:
			r.add(i, j+2, LabelMoney, scoreMoney)
			return
		case w == "%" && j == i+1:
			r.add(i, j+1, LabelPercent, scorePercent)
			return
		case setPercentWord[w]:
			r.add(i, j+1, LabelPercent, scorePercent)
			return
		case w == "per" && r.same(j+1) && r.word(j+1) == "cent":
			r.add(i, j+2, LabelPercent, scorePercent)
			return
		}
	}
	// a year after a preposition: "in 2004"
	if t := r.toks[i]; t.e-t.s == 4 && i > 0 && r.same(i) && setYearPrep[r.word(i-1)] && !(r.attached(i+1) && r.toks[i+1].kind != kPunct) {
		w := r.word(i)
		if (w[:2] == "19" || w[:2] == "20") && !(i > 1 && r.same(i-1) && setMonths[r.word(i-2)]) {
			r.add(i, i+1, LabelDate, scoreDate)
		}
	}
}

// dayNumber reports whether token i is a day of the month, with an optional
// attached ordinal suffix, and returns the token after it.
func (r *recognizer) dayNumber(i int) (int, bool) {
	if i >= len(r.toks) || r.toks[i].kind != kNum {
		return i, false
	}
	w := r.word(i)
	if len(w) > 2 || w == "0" || w == "00" || (len(w) == 2 && w > "31") {
		return i, false
	}
	j := i + 1
	if r.attached(j) {
		switch r.word(j) {
		case "st", "nd", "rd", "th":
			j++
		}
	}
	return j, true
}

func (r *recognizer) isYear(i int) bool {
	if i >= len(r.toks) || r.toks[i].kind != kNum {
		return false
	}
	w := r.word(i)
	return len(w) == 4 && (w[:2] == "19" || w[:2] == "20")
}

// month handles "5 January 2005", "January 5, 2005", "January 2005" and a
// month name alone.
func (r *recognizer) month(i int) {
	a, b := i, i+1
	if setMonthAbbrev[r.word(i)] && r.attached(b) && r.word(b) == "." {
		b++
	}
	extended := false
	// day before: "5 January", "5th January"
	if i > 0 && r.same(i) {
		k := i - 1
		if k > 0 && r.toks[k].kind == kWord && r.attached(k) {
			k-- // ordinal suffix
		}
		if end, ok := r.dayNumber(k); ok && end == i {
			a, extended = k, true
		}
	}
	if !extended && r.same(b) {
		if end, ok := r.dayNumber(b); ok {
			b, extended = end, true
			if r.isPunct(b, ",") && r.same(b) && r.same(b+1) && r.isYear(b+1) {
				b += 2
			}
		}
	}
	if r.same(b) && r.isYear(b) {
		b, extended = b+1, true
	}
	if !extended && (!setMonthAlone[r.word(i)] || r.toks[i].flags&fSent != 0) {
		return // "May", "March" or a sentence-initial month alone are too often no date
	}
	r.add(a, b, LabelDate, scoreDate)
}

// gazetteer matches known names starting at token i.
func (r *recognizer) gazetteer(i int, es []gazEntry) {
	for _, e := range es {
		ok := true
		for k := 1; k < len(e.words); k++ {
			j := i + k
			if !r.same(j) || r.word(j) != e.words[k] {
				ok = false
				break
			}
		}
		if ok && i+len(e.words) < len(r.toks) && r.attached(i+len(e.words)) && r.toks[i+len(e.words)].kind == kWord {
			ok = false // "Apple-like" and similar
		}
		if ok {
			r.add(i, i+len(e.words), e.label, scoreGazetteer)
			return
		}
	}
}

// nameWord reports whether token j can be part of a proper name.
func (r *recognizer) nameWord(j int) bool {
	return r.same(j) && r.capWord(j) && !setStop[r.word(j)]
}

// orgSuffix handles "Paypal Holdings Inc" and "Microsoft Corp.".
func (r *recognizer) orgSuffix(i int) {
	a := i
	for k := i - 1; k >= 0 && i-k <= 5; k-- {
		if r.toks[k+1].flags&fSent != 0 {
			break
		}
		w := r.word(k)
		t := r.toks[k]
		if t.kind == kWord && t.flags&fCap != 0 && !setRoles[w] && !setTitles[w] && !setMonths[w] && !setWeekdays[w] && !setStop[w] {
			a = k
			continue
		}
		if w == "&" && k > 0 && r.capWord(k-1) && r.toks[k].flags&fSent == 0 && a == k+1 {
			continue // "Marks & Spencer Group"; kept only if a name precedes
		}
		break
	}
	for a < i && r.word(a) == "&" {
		a++
	}
	if a == i {
		return // a bare suffix ("Bank", "Group") is no name
	}
	b := i + 1
	if setOrgAbbrev[r.word(i)] && r.attached(b) && r.word(b) == "." {
		b++
	}
	r.add(a, b, LabelOrg, scoreOrgSuffix)
}

// orgOf handles "Bank of England", "University of Oxford", also with names
// before the head ("Royal Bank of Scotland").
func (r *recognizer) orgOf(i int) {
	if !r.same(i+1) || r.word(i+1) != "of" || !r.nameWord(i+2) {
		return
	}
	b := i + 3
	for b < len(r.toks) && b-i < 6 && r.nameWord(b) && !setOrgSuffix[r.word(b)] {
		b++
	}
	if r.nameWord(b) && setOrgSuffix[r.word(b)] {
		b++ // "Royal Bank of Scotland Group"
	}
	a := i
	for k := i - 1; k >= 0 && i-k <= 3 && r.toks[k+1].flags&fSent == 0 && r.nameWord(k) && !setRoles[r.word(k)]; k-- {
		a = k
	}
	r.add(a, b, LabelOrg, scoreOrgSuffix)
}

// nameChain returns the end of a personal name whose first word is token i,
// taking up to max more words: capitalised words, initials ("W."), and
// particles followed by a capitalised word.
//
// A known name other than an organisation ends the chain ("Tony Blair
// London"); an organisation name does too, except as the surname right after
// an unambiguous first name ("Henry Ford").
func (r *recognizer) nameChain(i, max int, orgSurname bool) int {
	b := i + 1
	for n := 0; n < max; n++ {
		switch {
		case r.nameWord(b) && !setOrgSuffix[r.word(b)] && !setRoles[r.word(b)] && !setMonths[r.word(b)] && !setWeekdays[r.word(b)]:
			if r.toks[b].e-r.toks[b].s == 1 && r.attached(b+1) && r.word(b+1) == "." {
				if !r.nameWord(b + 2) {
					return b // "W." must be followed by a name
				}
				b += 2
				continue
			}
			if label, known := gazSingle[r.word(b)]; known && !r.isFirstName(r.word(b)) && (label != LabelOrg || !orgSurname || b != i+1) {
				return b
			}
			b++
		case r.same(b) && r.toks[b].kind == kWord && setParticles[r.word(b)] && r.nameWord(b+1):
			b += 2
		default:
			return b
		}
	}
	return b
}

// firstName handles "Tony Blair", "Daniel Schulman", "José Müller".
func (r *recognizer) firstName(i int, w string) {
	b := r.nameChain(i, 3, !setAmbigFirst[w])
	if b > i+1 {
		r.add(i, b, LabelPerson, scoreFullName)
		return
	}
	if r.toks[i].flags&fSent != 0 || setAmbigFirst[w] || setStop[w] {
		return
	}
	r.add(i, i+1, LabelPerson, scoreFirstAlone)
}

// title handles "Mr Blair", "Dr. Jane Smith": the title is not part of the name.
func (r *recognizer) title(i int) {
	j := i + 1
	if r.attached(j) && r.word(j) == "." {
		j++ // "Dr."; the name may follow even where punkt saw a sentence end
	} else if !r.same(j) {
		return
	}
	if !r.capWord(j) || setStop[r.word(j)] {
		return
	}
	b := r.nameChain(j, 3, true)
	r.add(j, b, LabelPerson, scoreTitle)
}

// role handles "President Bush", "chief executive Jeff Bezos".
func (r *recognizer) role(i int) {
	j := i + 1
	if r.attached(j) && r.word(j) == "." {
		j++ // "Gen."
	}
	for r.same(j) && r.toks[j].kind == kWord && setRoles[r.word(j)] {
		j++
	}
	if !r.nameWord(j) || setOrgSuffix[r.word(j)] || setMonths[r.word(j)] || setWeekdays[r.word(j)] {
		return
	}
	if _, known := gazSingle[r.word(j)]; known && !r.isFirstName(r.word(j)) {
		return
	}
	b := r.nameChain(j, 3, true)
	r.add(j, b, LabelPerson, scoreRole)
}

// coref marks later and earlier mentions of a person's surname ("Blair"
// after "Tony Blair"), where no other entity covers them.
func (r *recognizer) coref(chosen []cand) []cand {
	var surnames map[string]bool
	for _, c := range chosen {
		if c.label == LabelPerson && c.b-c.a >= 2 {
			if surnames == nil {
				surnames = make(map[string]bool)
			}
			surnames[r.word(c.b-1)] = true
		}
	}
	if surnames == nil {
		return chosen
	}
	return r.addMentions(chosen, func(i int) bool {
		return r.capWord(i) && surnames[r.word(i)] && !(i > 0 && r.same(i) && r.capWord(i-1) && r.toks[i-1].flags&fSent == 0) && !(r.same(i+1) && r.capWord(i+1))
	}, scoreCoref)
}

// addMentions appends a one-token PERSON for every token not covered by a
// chosen entity for which mention is true, keeping chosen sorted.
func (r *recognizer) addMentions(chosen []cand, mention func(i int) bool, score float64) []cand {
	n := len(chosen)
	ci := 0
	for i := range r.toks {
		for ci < n && chosen[ci].b <= i {
			ci++
		}
		if ci < n && chosen[ci].a <= i {
			continue // covered
		}
		if mention(i) {
			chosen = append(chosen, cand{a: i, b: i + 1, end: r.toks[i].e, label: LabelPerson, score: score})
		}
	}
	if len(chosen) > n {
		// merge the two sorted runs
		merged := make([]cand, 0, len(chosen))
		x, y := chosen[:n], chosen[n:]
		for len(x) > 0 && len(y) > 0 {
			if x[0].a < y[0].a {
				merged = append(merged, x[0])
				x = x[1:]
			} else {
				merged = append(merged, y[0])
				y = y[1:]
			}
		}
		merged = append(merged, x...)
		merged = append(merged, y...)
		copy(chosen, merged)
	}
	return chosen
}
