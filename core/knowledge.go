package core

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// DefaultMinConfidence is the confidence a knowledge-base entry must reach
// before the bot answers with it (bot.min_confidence).
const DefaultMinConfidence = 0.4

// The matcher's weights, tuned on the tuning part of
// testdata/kb_eval.tsv (TestKnowledgeEval measures them).
const (
	functionWeight = 0.3 // a function word of a question ("where", "is", "my")
	unknownWeight  = 0.7 // a message word in no question (nor answer)
	answerField    = 1.0 // an entry's answer counts as this many more questions
	bm25K1         = 1.2 // saturation of a stem's frequency within an entry
	typoMatch      = 0.8 // a word one edit from a knowledge-base word
	typo2Match     = 0.6 // two edits (words of 8 letters or more)
	minTypoLen     = 4   // shorter words are never typos
	derivedMatch   = 0.7 // another form of a knowledge-base stem (deliver, delivery)
	orderShare     = 0.4 // share of coverage that rewards a question's word order
	orderGap       = 2   // at most this many words between two neighbours of a question
	evidenceHalf   = 4.0 // evidence E gives E/(E+evidenceHalf)
	focusExp       = 0.7 // confidence = max(coverage, evidence) × focus^focusExp
)

// Knowledge is the bot's knowledge base, indexed for matching.
//
// Text (questions, answers and messages alike) is split into words,
// contractions are expanded ("where's" → where is, "didnt" → did not),
// words with digits (order numbers) are dropped, function words ("where",
// "is", "my", "hi", "please", "yesterday") are kept apart and every other
// word is stemmed with the Snowball English stemmer ("orders", "ordered" →
// order; "cancellation" → cancel). A message word that is no question's
// stem is mapped to one when it is a typo of a question word (one edit,
// two from 8 letters: "adress", "recieved"), another form of a question
// stem (deliver for delivery), or two words glued ("login"); else it is an
// answer's word, or unknown.
//
// Each stem weighs its inverse entry frequency over the entries' questions,
// ln(1 + (N − df + 0.5)/(df + 0.5)), so a word of one entry counts more
// than a word of many. Its topic in an entry is its frequency there (the
// number of the entry's questions holding it, plus one for its answer),
// saturated as in BM25 (k1 = 1.2) and scaled so one question gives 1.
//
// A message is scored as a whole, clause by clause and two clauses at a
// time (clauses end at . ! ? ; : , and dashes), so a greeting or an extra
// clause does not dilute a question. For each entry and span:
//
//   - coverage is the best share of one of its questions found in the span,
//     by weight (function words weigh 0.3), 40 % of it given for the
//     question's neighbouring words found in order, at most two words apart:
//     "where is my order" is covered by "Hi, where is my order? I ordered
//     last week" but not by "can I order a notebook";
//   - evidence E is the weight of the span's stems on the entry's topic,
//     E/(E+4), for messages that take their words from several questions;
//   - focus is the share of the span's stem weight on the entry's topic
//     (an unknown word, or one of answers only, weighs 0.7): a message about
//     something else is not answered because one of its words is in a
//     question.
//
// confidence = max(coverage, evidence) × focus^0.7, in [0, 1]; the entry
// with the highest confidence answers when it reaches the threshold.
type Knowledge struct {
	entries   []KnowledgeEntry
	questions []kbQuestion
	byStem    map[string][]int   // content stem → the questions holding it
	terms     map[string]*kbTerm // content stem of a question or an answer
	vocab     map[string]string  // question word or stem → stem (for typos)
	byFirst   map[rune][]kbWord  // vocab keys by first letter, sorted
	stems     map[string]string  // every knowledge-base word → its stem
	min       float64
}

// kbTerm is a content stem of the knowledge base.
type kbTerm struct {
	weight   float64
	question bool // in a question, not only in answers
	topic    []kbTopic
}

type kbTopic struct {
	entry int
	topic float64
}

// kbWord is a vocab key and its runes.
type kbWord struct {
	word  string
	runes []rune
}

// kbQuestion is one question, as terms in their order.
type kbQuestion struct {
	entry int
	terms []kbQTerm
	total float64 // sum of the weights
	pairs float64 // sum of the mean weights of neighbouring pairs
}

type kbQTerm struct {
	stem     string
	weight   float64
	function bool
}

// NewKnowledge indexes the entries (an entry without an answer, or a
// question of function words only, is left out); minConfidence ≤ 0 means
// DefaultMinConfidence.
func NewKnowledge(entries []KnowledgeEntry, minConfidence float64) *Knowledge {
	if minConfidence <= 0 {
		minConfidence = DefaultMinConfidence
	}
	k := &Knowledge{entries: entries, byStem: map[string][]int{}, terms: map[string]*kbTerm{},
		vocab: map[string]string{}, byFirst: map[rune][]kbWord{}, stems: map[string]string{}, min: minConfidence}
	inQuestions := map[string]map[int]int{} // stem → entry → questions holding it
	inAnswer := map[string]map[int]bool{}
	var qtoks [][]kbToken
	for e, entry := range entries {
		if strings.TrimSpace(entry.Answer) == "" {
			continue
		}
		for _, q := range entry.Questions {
			toks := kbTokens(q, nil)
			seen := map[string]bool{}
			for _, t := range toks {
				if t.function || seen[t.stem] {
					continue
				}
				seen[t.stem] = true
				if inQuestions[t.stem] == nil {
					inQuestions[t.stem] = map[int]int{}
				}
				inQuestions[t.stem][e]++
				k.vocab[t.word], k.vocab[t.stem] = t.stem, t.stem
				k.stems[t.word] = t.stem
			}
			if len(seen) > 0 {
				k.questions = append(k.questions, kbQuestion{entry: e})
				qtoks = append(qtoks, toks)
			}
		}
		for _, t := range kbTokens(entry.Answer, nil) {
			if !t.function {
				k.stems[t.word] = t.stem
				if inAnswer[t.stem] == nil {
					inAnswer[t.stem] = map[int]bool{}
				}
				inAnswer[t.stem][e] = true
			}
		}
	}
	n := float64(len(entries))
	tf := func(x float64) float64 { return x * (1 + bm25K1) / (x + bm25K1) }
	for stem, es := range inQuestions {
		df := float64(len(es))
		t := &kbTerm{weight: math.Log(1 + (n-df+0.5)/(df+0.5)), question: true}
		for e, nq := range es {
			x := float64(nq)
			if inAnswer[stem][e] {
				x += answerField
			}
			t.topic = append(t.topic, kbTopic{e, tf(x)})
		}
		k.terms[stem] = t
	}
	for stem, es := range inAnswer {
		t := k.terms[stem]
		if t == nil {
			t = &kbTerm{weight: unknownWeight}
			k.terms[stem] = t
		}
		for e := range es {
			if _, ok := inQuestions[stem][e]; !ok {
				t.topic = append(t.topic, kbTopic{e, tf(answerField)})
			}
		}
	}
	for _, t := range k.terms {
		slices.SortFunc(t.topic, func(a, b kbTopic) int { return a.entry - b.entry })
	}
	for i, toks := range qtoks {
		q := &k.questions[i]
		for _, t := range toks {
			w := functionWeight
			if !t.function {
				w = k.terms[t.stem].weight
				if ix := k.byStem[t.stem]; len(ix) == 0 || ix[len(ix)-1] != i {
					k.byStem[t.stem] = append(ix, i)
				}
			}
			q.terms = append(q.terms, kbQTerm{stem: t.stem, weight: w, function: t.function})
			q.total += w
		}
		for j := 1; j < len(q.terms); j++ {
			q.pairs += (q.terms[j-1].weight + q.terms[j].weight) / 2
		}
	}
	for w := range k.vocab {
		r, _ := utf8.DecodeRuneInString(w)
		k.byFirst[r] = append(k.byFirst[r], kbWord{w, []rune(w)})
	}
	for _, ws := range k.byFirst {
		slices.SortFunc(ws, func(a, b kbWord) int { return strings.Compare(a.word, b.word) })
	}
	return k
}

// msgTerm is a word of a customer message as the matcher sees it.
type msgTerm struct {
	stem     string  // the knowledge-base stem it stands for, or its own
	match    float64 // 1 the same stem, less for a typo or another form, 0 unknown
	weight   float64 // its weight in the message's focus
	function bool
	clause   int
	id       int // of its stem among the message's content stems
}

// Answer returns the answer to text and its confidence when the best
// matching entry reaches the threshold.
func (k *Knowledge) Answer(text string) (answer string, confidence float64, ok bool) {
	if k == nil || len(k.questions) == 0 {
		return "", 0, false
	}
	terms := k.resolve(kbTokens(text, k.stems))
	var cands []int // questions sharing a stem with the message
	ids := map[string]int{}
	for i, t := range terms {
		if t.function {
			continue
		}
		id, ok := ids[t.stem]
		if !ok {
			id = len(ids)
			ids[t.stem] = id
		}
		terms[i].id = id
		if t.match > 0 && !ok {
			cands = append(cands, k.byStem[t.stem]...)
		}
	}
	if len(cands) == 0 {
		return "", 0, false
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	s := kbScratch{conf: make([]float64, len(k.entries)), evidence: make([]float64, len(k.entries)),
		onTopic: make([]float64, len(k.entries)), cover: make([]float64, len(k.entries)), seen: make([]bool, len(ids))}
	for _, w := range clauseWindows(terms) {
		k.scoreSpan(terms[w[0]:w[1]], cands, &s)
	}
	best, bestE := 0.0, -1
	for e, c := range s.conf {
		if c > best {
			best, bestE = c, e
		}
	}
	if bestE < 0 || best+1e-9 < k.min {
		return "", best, false
	}
	return k.entries[bestE].Answer, math.Min(best, 1), true
}

// kbScratch holds Answer's per-entry sums.
type kbScratch struct {
	conf, evidence, onTopic, cover []float64
	seen                           []bool // by msgTerm.id
}

// scoreSpan raises s.conf[e] to the confidence that span asks entry e.
func (k *Knowledge) scoreSpan(span []msgTerm, cands []int, s *kbScratch) {
	clear(s.evidence)
	clear(s.onTopic)
	clear(s.cover)
	clear(s.seen)
	var all float64
	for _, t := range span {
		if t.function || s.seen[t.id] {
			continue // each stem counts once
		}
		s.seen[t.id] = true
		all += t.weight
		if t.match == 0 {
			continue
		}
		for _, tp := range k.terms[t.stem].topic {
			s.evidence[tp.entry] += t.weight * tp.topic
			s.onTopic[tp.entry] += t.weight * min(tp.topic, 1)
		}
	}
	if all == 0 {
		return
	}
	for _, qi := range cands {
		q := &k.questions[qi]
		if s.evidence[q.entry] > 0 {
			s.cover[q.entry] = max(s.cover[q.entry], coverage(q, span))
		}
	}
	for e, ev := range s.evidence {
		if ev > 0 {
			c := max(s.cover[e], ev/(ev+evidenceHalf)) * math.Pow(s.onTopic[e]/all, focusExp)
			s.conf[e] = max(s.conf[e], c)
		}
	}
}

// coverage is the share of q's weight found in span, 40 % of it for its
// neighbouring pairs found in order, close together.
func coverage(q *kbQuestion, span []msgTerm) float64 {
	var covered, inOrder float64
	content := false
	prev := -1 // position in span of the previous question term, -1 if absent
	for j, qt := range q.terms {
		m, pos := 0.0, -1
		for i, t := range span {
			if t.stem != qt.stem || t.function != qt.function {
				continue
			}
			f := 1.0
			if !t.function {
				f = t.match
			}
			// The best match; of equal ones, the first after the previous term.
			if f > m || (f == m && pos < prev && i > prev) {
				m, pos = f, i
			}
		}
		if m > 0 && !qt.function {
			content = true
		}
		covered += qt.weight * m
		if j > 0 && prev >= 0 && pos > prev && pos-prev-1 <= orderGap {
			inOrder += (q.terms[j-1].weight + qt.weight) / 2
		}
		prev = pos
	}
	if !content {
		return 0
	}
	cover := covered / q.total
	if q.pairs > 0 {
		cover = (1-orderShare)*cover + orderShare*inOrder/q.pairs
	}
	return cover
}

// clauseWindows are the spans [from, to) of terms to score: the whole
// message, and when it has several clauses each clause and each two
// neighbouring ones.
func clauseWindows(terms []msgTerm) [][2]int {
	var starts []int
	for i := range terms {
		if i == 0 || terms[i].clause != terms[i-1].clause {
			starts = append(starts, i)
		}
	}
	starts = append(starts, len(terms))
	wins := [][2]int{{0, len(terms)}}
	if len(starts) <= 2 {
		return wins
	}
	for i := 0; i+1 < len(starts); i++ {
		wins = append(wins, [2]int{starts[i], starts[i+1]})
		if i+2 < len(starts) && len(starts) > 3 {
			wins = append(wins, [2]int{starts[i], starts[i+2]})
		}
	}
	return wins
}

// resolve maps the words of a message onto the knowledge base's stems: the
// same question stem; else a typo of a question word; else another form of
// a question stem (one starts the other: "deliv" of deliver, "deliveri" of
// delivery); else an answer's stem; else two words written as one
// ("login"); else unknown.
func (k *Knowledge) resolve(toks []kbToken) []msgTerm {
	terms := make([]msgTerm, 0, len(toks))
	for _, t := range toks {
		m := msgTerm{stem: t.stem, function: t.function, clause: t.clause}
		if t.function {
			terms = append(terms, m)
			continue
		}
		m.weight = unknownWeight
		kt := k.terms[t.stem]
		if kt != nil && kt.question {
			m.match, m.weight = 1, kt.weight
		} else if stem, sim := k.typo(t.word); sim > 0 {
			m.stem, m.match, m.weight = stem, sim, k.terms[stem].weight*sim
		} else if stem := k.derived(t.stem); stem != "" {
			m.stem, m.match, m.weight = stem, derivedMatch, k.terms[stem].weight*derivedMatch
		} else if kt != nil {
			m.match, m.weight = 1, kt.weight
		} else if a, b, ok := k.compound(t.word); ok {
			a.clause, b.clause = t.clause, t.clause
			terms = append(terms, a, b)
			continue
		}
		terms = append(terms, m)
	}
	return terms
}

// typo finds the question stem whose word w misspells: one edit away (two
// for words of 8 letters or more), with the same first letter.
func (k *Knowledge) typo(w string) (stem string, match float64) {
	rw := []rune(w)
	n := len(rw)
	if n < minTypoLen {
		return "", 0
	}
	maxEdits := 1
	if n >= 8 {
		maxEdits = 2
	}
	r, _ := utf8.DecodeRuneInString(w)
	bestD := maxEdits + 1
	for _, v := range k.byFirst[r] { // sorted: of equal distances the first wins
		if d := len(v.runes) - n; d > maxEdits || -d > maxEdits {
			continue
		}
		if d := editDistance(rw, v.runes, bestD); d < bestD {
			bestD, stem = d, k.vocab[v.word]
		}
	}
	switch {
	case bestD > maxEdits:
		return "", 0
	case bestD == 1:
		return stem, typoMatch
	}
	return stem, typo2Match
}

// derived is the question stem that stem extends, or is extended by, by at
// most four letters, the shorter having at least four ("" if none).
func (k *Knowledge) derived(stem string) string {
	if utf8.RuneCountInString(stem) < 4 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(stem)
	for _, kw := range k.byFirst[r] {
		v := kw.word
		if k.vocab[v] != v { // a question word, not a stem
			continue
		}
		short, long := v, stem
		if len(short) > len(long) {
			short, long = long, short
		}
		if d := utf8.RuneCountInString(long) - utf8.RuneCountInString(short); d > 0 && d <= 4 &&
			utf8.RuneCountInString(short) >= 4 && strings.HasPrefix(long, short) {
			return v
		}
	}
	return ""
}

// compound splits a word written as two ("login", "signup"): a question
// word of three letters or more, then a function word or another question
// word.
func (k *Knowledge) compound(word string) (first, second msgTerm, ok bool) {
	if len(word) > 40 {
		return msgTerm{}, msgTerm{}, false // no two words of a question
	}
	for i := 3; i <= len(word)-2; i++ {
		a, b := word[:i], word[i:]
		stemA, okA := k.vocab[a]
		if !okA {
			continue
		}
		first = msgTerm{stem: stemA, match: 1, weight: k.terms[stemA].weight}
		if functionWords[b] {
			return first, msgTerm{stem: b, function: true}, true
		}
		if stemB, okB := k.vocab[b]; okB {
			return first, msgTerm{stem: stemB, match: 1, weight: k.terms[stemB].weight}, true
		}
	}
	return msgTerm{}, msgTerm{}, false
}

// editDistance is the optimal string alignment distance of a and b
// (insertions, deletions, substitutions and swaps of neighbours), or limit
// when it is limit or more.
func editDistance(ra, rb []rune, limit int) int {
	if d := len(ra) - len(rb); d >= limit || -d >= limit {
		return limit
	}
	rows := make([]int, 3*(len(rb)+1))
	prev2, prev, cur := rows[:len(rb)+1], rows[len(rb)+1:2*(len(rb)+1)], rows[2*(len(rb)+1):]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			c := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				c = min(c, prev2[j-2]+1)
			}
			cur[j] = c
			rowMin = min(rowMin, c)
		}
		if rowMin >= limit {
			return limit
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(rb)], limit)
}

// kbToken is a word of a question, an answer or a message.
type kbToken struct {
	word     string // lower case, without apostrophes
	stem     string // the word itself for a function word
	function bool
	clause   int
}

// kbTokens splits text into words: runs of letters and digits, an
// apostrophe kept for expand ("don't" → do not), a hyphen after one letter
// joining ("e-mail" → email); words with digits are dropped. stems holds
// stems already known.
func kbTokens(text string, stems map[string]string) []kbToken {
	var out []kbToken
	clause := 0
	var word strings.Builder
	digits := false
	flush := func() {
		w := strings.Trim(word.String(), "'-")
		word.Reset()
		if w == "" || digits {
			digits = false
			return
		}
		for _, part := range expand(w) {
			t := kbToken{word: part, stem: part, function: functionWords[part], clause: clause}
			if !t.function {
				if st, ok := stems[part]; ok {
					t.stem = st
				} else {
					t.stem = english.Stem(part, true)
				}
			}
			out = append(out, t)
		}
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.IsLetter(r) || unicode.IsMark(r):
			word.WriteRune(r)
		case unicode.IsDigit(r):
			word.WriteRune(r)
			digits = true
		case r == '\'' || r == '’':
			word.WriteByte('\'')
		case r == '-' && utf8.RuneCountInString(word.String()) == 1:
			// e-mail, e-book: one word
		default:
			flush()
			if strings.ContainsRune(".!?;:,\n—–()", r) {
				clause++
			}
		}
	}
	flush()
	return out
}

// expand splits a contraction into its words and drops apostrophes.
func expand(w string) []string {
	if base, tail, ok := strings.Cut(w, "'"); ok {
		switch tail {
		case "t":
			if v, ok := strings.CutSuffix(base, "n"); ok { // don't, can't, won't
				switch v {
				case "ca":
					v = "can"
				case "wo":
					v = "will"
				}
				return []string{v, "not"}
			}
		case "s": // where's; a possessive keeps its word
			if isWords[base] {
				return []string{base, "is"}
			}
			return []string{base}
		case "re":
			return []string{base, "are"}
		case "m":
			return []string{base, "am"}
		case "ve":
			return []string{base, "have"}
		case "ll":
			return []string{base, "will"}
		case "d":
			return []string{base, "would"}
		}
		w = strings.ReplaceAll(w, "'", "")
	}
	if e, ok := contractions[w]; ok {
		return e
	}
	return []string{w}
}

// isWords take 's for is.
var isWords = map[string]bool{"where": true, "what": true, "how": true, "when": true, "who": true,
	"that": true, "there": true, "here": true, "it": true, "he": true, "she": true}

// contractions as customers type them, without the apostrophe.
var contractions = func() map[string][]string {
	m := map[string][]string{
		"cant": {"can", "not"}, "cannot": {"can", "not"}, "wont": {"will", "not"}, "im": {"i", "am"},
		"ive": {"i", "have"}, "youre": {"you", "are"}, "theyre": {"they", "are"},
		"wheres": {"where", "is"}, "whats": {"what", "is"}, "hows": {"how", "is"}, "whens": {"when", "is"},
		"whos": {"who", "is"}, "thats": {"that", "is"}, "theres": {"there", "is"},
	}
	for _, w := range strings.Fields("do does did is are was were has have had could would should must need") {
		m[w+"nt"] = []string{w, "not"}
	}
	return m
}()

// functionWords carry no topic: in a question they tell "where is my
// order" from "can I order"; in a message they count for nothing. Besides
// the grammatical ones: greetings, politeness, time words and the words of
// asking for help.
var functionWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but if so of to in on at by for from with without about as into onto
		over than then too up out off after before since until during while because through between
		is are was were be been being am do does did done doing have has had having
		can could would should will shall may might must
		i me my mine myself we us our ours you your yours u ur he him his she her hers it its they them their theirs
		this that these those there here what which who whom whose when where why how
		please pls plz hi hello hey hiya yo dear thanks thank thx ty cheers ok okay yes yeah no not
		just also very really still yet already even only some any anything something
		want wanted wanna need needs needed like tell know let get got gonna
		good morning afternoon evening sorry sure great nice maybe actually honestly guys thing things stuff
		today tomorrow yesterday tonight now soon ago last next week weeks month months year years
		come came go went say said see look think tried try
		help question questions problem problems issue issues possible able wondering wonder ask asking info information`) {
		m[w] = true
	}
	return m
}()
