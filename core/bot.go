package core

import (
	"strings"
	"unicode"
)

// Bot replies used by the first-line bot.
const (
	botFallback   = "I'm the virtual assistant and I can't answer that one yet. Type \"talk to a person\" or press \"Talk to a person\" and an agent will take over."
	botHandingOff = "Let me connect you with a person who can help."
)

// FoldText folds text to the form phrases are matched in: lower case,
// punctuation turned into spaces, white space collapsed, so that phrases
// match regardless of case and punctuation.
func FoldText(text string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(text) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
			continue
		}
		if r == '\'' || r == '’' { // "don't" → "dont"
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// IsHandoff reports whether text asks for a person: one of phrases appears
// in it as whole words, ignoring case and punctuation.
func IsHandoff(text string, phrases []string) bool {
	t := " " + FoldText(text) + " "
	for _, p := range phrases {
		p = FoldText(p)
		if p != "" && strings.Contains(t, " "+p+" ") {
			return true
		}
	}
	return false
}

// DefaultHandoffPhrases are the bot.handoff_phrases of the default
// configuration: the ways customers most often ask for a person.
func DefaultHandoffPhrases() []string {
	return []string{"talk to a person", "speak to a person", "talk to someone", "speak to someone", "real person",
		"human", "agent", "representative", "operator", "customer service"}
}
