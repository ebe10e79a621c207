package core

import (
	"math"
	"strings"
)

// DefaultMinConfidence is the similarity a knowledge-base question must
// reach before the bot answers with it.
const DefaultMinConfidence = 0.5

// Knowledge is the bot's knowledge base, indexed for matching. Matching is
// TF-IDF cosine similarity over the questions:
//
//   - text is normalised (FoldText: lower case, no punctuation), split into
//     words, stop words dropped, and every word lightly stemmed ("orders",
//     "ordered", "ordering" → "order");
//   - every question is a document; a term's weight is its BM25-style
//     inverse document frequency ln(1 + (N − df + 0.5)/(df + 0.5)) over the
//     N questions, so rare words count more than common ones;
//   - a query word not in any question is mapped to the question word with
//     the most similar character trigrams (Jaccard ≥ 0.5, for typos such as
//     "pasword"), its weight scaled by that similarity; a word with no such
//     neighbour keeps the weight of a word seen once, counting against the
//     match;
//   - confidence = cosine of the query's and the question's weight vectors
//     (binary term frequency), in [0, 1]; the best question wins, and the
//     bot answers only at or above the threshold.
type Knowledge struct {
	entries []KnowledgeEntry
	docs    []kbDoc
	idf     map[string]float64
	unseen  float64 // weight of a word in no question
	grams   map[string][]string
	min     float64
}

type kbDoc struct {
	entry int
	terms map[string]bool
	norm  float64
}

// NewKnowledge indexes the entries; minConfidence ≤ 0 means
// DefaultMinConfidence.
func NewKnowledge(entries []KnowledgeEntry, minConfidence float64) *Knowledge {
	if minConfidence <= 0 {
		minConfidence = DefaultMinConfidence
	}
	k := &Knowledge{entries: entries, idf: map[string]float64{}, grams: map[string][]string{}, min: minConfidence}
	df := map[string]int{}
	for i, e := range entries {
		if strings.TrimSpace(e.Answer) == "" {
			continue
		}
		for _, q := range e.Questions {
			terms := map[string]bool{}
			for _, t := range kbTerms(q) {
				terms[t] = true
			}
			if len(terms) == 0 {
				continue
			}
			for t := range terms {
				df[t]++
			}
			k.docs = append(k.docs, kbDoc{entry: i, terms: terms})
		}
	}
	n := float64(len(k.docs))
	idf := func(df float64) float64 { return math.Log(1 + (n-df+0.5)/(df+0.5)) }
	for t, d := range df {
		k.idf[t] = idf(float64(d))
		for _, g := range trigrams(t) {
			k.grams[g] = append(k.grams[g], t)
		}
	}
	k.unseen = idf(1)
	for i := range k.docs {
		var sum float64
		for t := range k.docs[i].terms {
			sum += k.idf[t] * k.idf[t]
		}
		k.docs[i].norm = math.Sqrt(sum)
	}
	return k
}

// Answer returns the answer to text and its confidence when the best
// matching question reaches the threshold.
func (k *Knowledge) Answer(text string) (answer string, confidence float64, ok bool) {
	if k == nil || len(k.docs) == 0 {
		return "", 0, false
	}
	// Query weights: known words by idf; unknown words mapped to their
	// nearest known word, or kept as an unmatched weight.
	q := map[string]float64{}
	var qnorm float64
	for _, t := range kbTerms(text) {
		if _, seen := q[t]; seen {
			continue
		}
		w, known := k.idf[t]
		term := t
		if !known {
			if near, sim := k.nearest(t); sim >= 0.5 {
				term, w = near, k.idf[near]*sim
			} else {
				w = k.unseen
			}
		}
		if _, dup := q[term]; dup {
			continue
		}
		q[term] = w
		qnorm += w * w
	}
	if qnorm == 0 {
		return "", 0, false
	}
	qnorm = math.Sqrt(qnorm)
	best, bestDoc := 0.0, -1
	for i, d := range k.docs {
		var dot float64
		for t, w := range q {
			if d.terms[t] {
				dot += w * k.idf[t]
			}
		}
		if c := dot / (qnorm * d.norm); c > best {
			best, bestDoc = c, i
		}
	}
	if bestDoc < 0 || best+1e-9 < k.min {
		return "", best, false
	}
	return k.entries[k.docs[bestDoc].entry].Answer, math.Min(best, 1), true
}

// nearest is the known term with the most similar trigrams.
func (k *Knowledge) nearest(t string) (string, float64) {
	mine := trigrams(t)
	if len(mine) == 0 {
		return "", 0
	}
	shared := map[string]int{}
	for _, g := range mine {
		for _, cand := range k.grams[g] {
			shared[cand]++
		}
	}
	best, bestSim := "", 0.0
	for cand, n := range shared {
		union := len(mine) + len(trigrams(cand)) - n
		sim := float64(n) / float64(union)
		if sim > bestSim || (sim == bestSim && cand < best) {
			best, bestSim = cand, sim
		}
	}
	return best, bestSim
}

// trigrams are the distinct character trigrams of " word ".
func trigrams(t string) []string {
	r := []rune(" " + t + " ")
	seen := map[string]bool{}
	var out []string
	for i := 0; i+3 <= len(r); i++ {
		g := string(r[i : i+3])
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// kbTerms normalises, tokenises, drops stop words and stems.
func kbTerms(text string) []string {
	var out []string
	for _, w := range strings.Fields(FoldText(text)) {
		if stopWords[w] {
			continue
		}
		s := Stem(w)
		if s == "" || stopWords[s] {
			continue
		}
		out = append(out, s)
	}
	return out
}

// Stem strips common English inflections: plural and possessive -s, -es,
// -ies, -ing, -ed, -ly, and a final -e, undoubling a final consonant
// ("shipping" → "ship"). It is deliberately light: the same word in
// different forms meets at one stem; different words seldom do.
func Stem(w string) string {
	if len([]rune(w)) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s") && len(w) > 3:
		w = w[:len(w)-1]
	}
	for _, suf := range []string{"ing", "ed", "ly"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			w = w[:len(w)-len(suf)]
			if n := len(w); n >= 2 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouls", rune(w[n-1])) {
				w = w[:n-1]
			}
			break
		}
	}
	if strings.HasSuffix(w, "e") && len(w) > 4 {
		w = w[:len(w)-1]
	}
	return w
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but if so of to in on at by for from with about as into
		is are was were be been being am do does did done have has had having can could would should will shall may might must
		i me my mine we us our ours you your yours he him his she her hers it its they them their theirs this that these those
		what which who whom whose when where why how there here
		please pls hi hello hey thanks thank thx ok okay yes no not just also very really some any
		want wanted need needs like get got tell know let s im ive id youre dont cant wont wheres whats hows`) {
		m[w] = true
	}
	return m
}()
