package memstore

import (
	"slices"
	"strings"

	"github.com/switchboard-chat/switchboard/core"
)

// searchTerm is a word or quoted phrase of a full-text query as normalised
// tokens, which must occur in a message one after another; not: in none
// of the conversation's messages.
type searchTerm struct {
	tokens []string
	not    bool
}

// parseSearch reads the query as every store does (core.ParseSearch)
// and turns each term into normalised tokens.
func parseSearch(s string) []searchTerm {
	var out []searchTerm
	for _, t := range core.ParseSearch(s) {
		if tokens := strings.Fields(core.FoldText(t.Text)); len(tokens) > 0 {
			out = append(out, searchTerm{tokens: tokens, not: t.Not})
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
