package memstore

import (
	"slices"
	"strings"
	"unicode"

	"github.com/switchboard-chat/switchboard/core"
)

// searchTerm is a word or quoted phrase of a full-text query as normalised
// tokens, which must occur in a message one after another; not: in none
// of the conversation's messages.
type searchTerm struct {
	tokens []string
	not    bool
}

// parseSearch reads web-search style input as the SQL stores do: white
// space separates words, "double quotes" group a phrase (an unbalanced
// quote runs to the end), a leading - excludes; no other operators.
func parseSearch(s string) []searchTerm {
	var out []searchTerm
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		var t searchTerm
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			t.not = true
			i++
		}
		start := i
		var text string
		if rs[i] == '"' {
			i++
			start = i
			for i < len(rs) && rs[i] != '"' {
				i++
			}
			text = string(rs[start:i])
			i++
		} else {
			for i < len(rs) && !unicode.IsSpace(rs[i]) {
				i++
			}
			text = string(rs[start:i])
		}
		if t.tokens = strings.Fields(core.Normalize(text)); len(t.tokens) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// matchTerms reports whether the conversation's messages (as token lists)
// satisfy every term.
func matchTerms(msgs [][]string, terms []searchTerm) bool {
	for _, t := range terms {
		found := slices.ContainsFunc(msgs, func(m []string) bool { return containsSeq(m, t.tokens) })
		if found == t.not {
			return false
		}
	}
	return true
}

func containsSeq(m, seq []string) bool {
	for i := 0; i+len(seq) <= len(m); i++ {
		if slices.Equal(m[i:i+len(seq)], seq) {
			return true
		}
	}
	return false
}
