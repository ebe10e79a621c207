package core

import (
	"strings"
	"unicode"
)

// SearchTerm is one part of a history search: a word or a quoted phrase
// that a conversation must contain (in one of its messages) or, with Not,
// must not contain in any message. Stores match it as the sequence of its
// tokens.
type SearchTerm struct {
	Text string // the word or phrase, without quotes
	Not  bool   // -word or -"a phrase"
}

// ParseSearch splits web-search style input, the syntax every store
// implements: white space separates words, "double quotes" group a phrase
// (an unbalanced quote runs to the end), a leading - excludes the word or
// phrase after it. Every other character is text: OR, AND, NOT, *, : and
// ( ) are no operators. Terms with no letter or digit are dropped.
func ParseSearch(s string) []SearchTerm {
	var out []SearchTerm
	rs := []rune(strings.Map(func(r rune) rune { // control characters separate words
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		var t SearchTerm
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			t.Not = true
			i++
		}
		start := i
		if rs[i] == '"' {
			i++
			start = i
			for i < len(rs) && rs[i] != '"' {
				i++
			}
			t.Text = string(rs[start:i])
			i++ // the closing quote, if any
		} else {
			for i < len(rs) && !unicode.IsSpace(rs[i]) {
				i++
			}
			t.Text = string(rs[start:i])
		}
		t.Text = strings.Join(strings.Fields(strings.ReplaceAll(t.Text, `"`, " ")), " ")
		if strings.IndexFunc(t.Text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			out = append(out, t)
		}
	}
	return out
}
