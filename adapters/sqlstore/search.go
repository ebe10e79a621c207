package sqlstore

import (
	"strings"
	"unicode"
)

// searchTerm is one part of a full-text query: a word or a quoted phrase,
// which a conversation must contain (in one of its messages) or, negated,
// must not contain in any message. A term is matched as the sequence of its
// tokens, so "col:umn" and "e-mail" need their parts adjacent.
type searchTerm struct {
	text string // the word or phrase, without quotes
	not  bool   // -word or -"a phrase"
}

// parseSearch splits web-search style input: white space separates words,
// "double quotes" group a phrase (an unbalanced quote runs to the end), a
// leading - excludes the word or phrase after it. Every other character is
// text: OR, AND, NOT, *, : and ( ) are no operators. Terms with no letter
// or digit are dropped; they match nothing in either index.
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
		if rs[i] == '"' {
			i++
			start = i
			for i < len(rs) && rs[i] != '"' {
				i++
			}
			t.text = string(rs[start:i])
			i++ // the closing quote, if any
		} else {
			for i < len(rs) && !unicode.IsSpace(rs[i]) {
				i++
			}
			t.text = string(rs[start:i])
		}
		t.text = strings.Join(strings.Fields(strings.ReplaceAll(t.text, `"`, " ")), " ")
		if strings.IndexFunc(t.text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			out = append(out, t)
		}
	}
	return out
}

// ftsQuery is a term as the dialect's query text. PostgreSQL gets it for
// websearch_to_tsquery inside double quotes, so it is one phrase (adjacent
// lexemes) and or/- inside are plain words; FTS5 gets it as one
// double-quoted string, which FTS5 also matches as a phrase of its tokens
// and never parses as FTS5 syntax.
func ftsQuery(t searchTerm) string {
	return `"` + t.text + `"`
}
