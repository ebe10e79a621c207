package core

import (
	"reflect"
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"recieve", "receive", 3, 1}, // swapped neighbours
		{"adress", "address", 3, 1},
		{"refnd", "refund", 3, 1},
		{"warrenty", "warranty", 3, 1},
		{"cancelation", "cancellation", 3, 1},
		{"passwort", "password", 3, 1},
		{"order", "order", 3, 0},
		{"ordr", "older", 3, 2},
		{"shop", "ship", 3, 1},
		{"kitten", "sitting", 5, 3},
		{"kitten", "sitting", 2, 2}, // capped at the limit
		{"a", "abcdef", 3, 3},
		{"", "abc", 5, 3},
		{"größe", "grösse", 3, 2}, // runes, not bytes
	}
	for _, tt := range tests {
		if got := editDistance([]rune(tt.a), []rune(tt.b), tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

func TestKBTokens(t *testing.T) {
	tests := []struct{ in, want string }{
		// word/stem, * for a function word, | between clauses
		{"Where's my order?", "where* is* my* order/order"},
		{"Hi, I didn't receive my orders", "hi* | i* did* not* receive/receiv my* orders/order"},
		{"I cant log in, dont know why", "i* can* not* log/log in* | do* not* know* why*"},
		{"I won’t pay", "i* will* not* pay/pay"},
		{"my daughter's e-mail", "my* daughter/daughter email/email"},
		{"Order #4711 — A5 notebook", "order/order | notebook/notebook"},
		{"Cancellation!!! Shipping; opening-hours", "cancellation/cancel | shipping/ship | opening/open hours/hour"},
		{"  ", ""},
	}
	for _, tt := range tests {
		var parts []string
		clause := -1
		for _, tk := range kbTokens(tt.in, nil) {
			if clause >= 0 && tk.clause != clause {
				parts = append(parts, "|")
			}
			clause = tk.clause
			if tk.function {
				parts = append(parts, tk.word+"*")
			} else {
				parts = append(parts, tk.word+"/"+tk.stem)
			}
		}
		if got := strings.Join(parts, " "); got != tt.want {
			t.Errorf("kbTokens(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func TestKnowledgeResolve(t *testing.T) {
	k := NewKnowledge([]KnowledgeEntry{
		{Questions: []string{"delivery time", "tracking number", "I can't log in", "where is my invoice"}, Answer: "Two days; log in at shop.example."},
	}, 0)
	tests := []struct {
		word      string
		wantStems []string
		wantMatch float64
	}{
		{"deliveries", []string{"deliveri"}, 1},
		{"deliver", []string{"deliveri"}, typoMatch}, // the same stem
		{"invoce", []string{"invoic"}, typoMatch},    // a typo of a question word
		{"tracker", []string{"track"}, derivedMatch}, // another form
		{"login", []string{"log", "in"}, 1},          // glued
		{"shop", []string{"shop"}, 1},                // an answer's word
		{"notebook", []string{"notebook"}, 0},        // unknown
		{"ship", []string{"ship"}, 0},                // typos are of question words only ("shop" is the answer's)
	}
	for _, tt := range tests {
		terms := k.resolve(kbTokens(tt.word, k.stems))
		var stems []string
		for _, m := range terms {
			stems = append(stems, m.stem)
		}
		if !reflect.DeepEqual(stems, tt.wantStems) || terms[0].match != tt.wantMatch {
			t.Errorf("resolve(%q) = %v match %.2f, want %v match %.2f", tt.word, stems, terms[0].match, tt.wantStems, tt.wantMatch)
		}
	}
}
