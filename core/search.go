package core

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search input limits: each term is a subquery over the history, so a
// query of many terms (or one term repeated) made one search take every
// other agent's database time.
const (
	// MaxSearchTerms is how many distinct words or phrases q may have.
	MaxSearchTerms = 16
	// MaxSearchTermLength is the longest word or phrase, in characters.
	MaxSearchTermLength = 100
)

// checkSearch refuses a q with more terms, or longer ones, than a search
// may have.
func checkSearch(q string) error {
	terms := ParseSearch(q)
	if len(terms) > MaxSearchTerms {
		return Invalid("q", "has %d different words or phrases; at most %d are allowed", len(terms), MaxSearchTerms)
	}
	for _, t := range terms {
		if utf8.RuneCountInString(t.Text) > MaxSearchTermLength {
			return Invalid("q", "has a word or phrase of %d characters; at most %d are allowed", utf8.RuneCountInString(t.Text), MaxSearchTermLength)
		}
	}
	return nil
}

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
// ( ) are no operators. Terms with no letter or digit are dropped, and so
// are repeats: a term given twice (in any case) is searched once.
func ParseSearch(s string) []SearchTerm {
	var out []SearchTerm
	seen := map[SearchTerm]bool{}
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
		key := SearchTerm{Text: strings.ToLower(t.Text), Not: t.Not}
		if !seen[key] && strings.IndexFunc(t.Text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			seen[key] = true
			out = append(out, t)
		}
	}
	return out
}
