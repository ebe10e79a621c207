package core_test

import (
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

func TestParseSearchDropsRepeats(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []core.SearchTerm
	}{
		{strings.Repeat("refund ", 99), []core.SearchTerm{{Text: "refund"}}},
		{"Refund refund REFUND -refund", []core.SearchTerm{{Text: "Refund"}, {Text: "refund", Not: true}}},
		{`"late order" late "Late Order" order`, []core.SearchTerm{{Text: "late order"}, {Text: "late"}, {Text: "order"}}},
	} {
		got := core.ParseSearch(c.in)
		if len(got) != len(c.want) {
			t.Errorf("ParseSearch(%.40q) = %+v, want %+v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("ParseSearch(%.40q)[%d] = %+v, want %+v", c.in, i, got[i], c.want[i])
			}
		}
	}
}

// TestHostileSearchIsCapped: the probe's search (one word 99 times) is one
// term; more distinct terms than a search may have, or a phrase longer
// than one may be, are refused with a message naming q.
func TestHostileSearchIsCapped(t *testing.T) {
	e := newEnv(t)
	alice := e.online("Alice")
	words := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("w" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + " ")
		}
		return b.String()
	}
	for _, c := range []struct {
		name string
		q    string
		ok   bool
	}{
		{"one word 99 times", strings.Repeat("late ", 99), true},
		{"16 distinct words", words(16), true},
		{"17 distinct words", words(17), false},
		{"a phrase of 100 characters", `"` + strings.Repeat("a", 100) + `"`, true},
		{"a phrase of 101 characters", `"` + strings.Repeat("a ", 50) + `a"`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := e.svc.SearchConversations(e.ctx, alice, core.ConversationQuery{Text: c.q})
			if c.ok {
				ok(t, err)
				return
			}
			wantField(t, err, "q")
		})
	}
}
