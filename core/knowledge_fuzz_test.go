package core_test

import (
	"math"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

// FuzzKnowledgeAnswer: any message is answered without panicking, with a
// confidence in [0, 1], by one of the knowledge base's answers at or above
// the threshold or not at all, the same each time; and a greeting before a
// message of one clause never lowers its confidence. Seeds:
// testdata/fuzz/FuzzKnowledgeAnswer.
func FuzzKnowledgeAnswer(f *testing.F) {
	kb := loadEvalKB(f)
	for _, c := range loadEvalCases(f, kb)[:40] {
		f.Add(c.text)
	}
	for _, s := range []string{"", "'", "-", "''s n't", "e-", "a-b-c-d", "don't'", "x'y'z", "\xff\xfe order", "ORDER\u0301",
		"where is my order " + strings.Repeat("very ", 500), "日本語の注文", "🎉🎉 refund 🎉", "\u200b\u00a0order"} {
		f.Add(s)
	}
	k := core.NewKnowledge(kb.entries, 0)
	f.Fuzz(func(t *testing.T, s string) {
		answer, conf, ok := k.Answer(s)
		if math.IsNaN(conf) || conf < 0 || conf > 1 {
			t.Fatalf("confidence %v", conf)
		}
		switch {
		case ok && (kb.nameOf[answer] == "" || conf < core.DefaultMinConfidence):
			t.Fatalf("answered %q at %.3f", answer, conf)
		case !ok && answer != "":
			t.Fatalf("not ok, yet answered %q", answer)
		}
		if a2, c2, ok2 := k.Answer(s); a2 != answer || c2 != conf || ok2 != ok {
			t.Fatalf("second answer %q %v %v differs from %q %v %v", a2, c2, ok2, answer, conf, ok)
		}
		if !strings.ContainsAny(s, ".!?;:,\n—–()") {
			if _, c2, _ := k.Answer("Hi! " + s); c2 < conf-1e-12 {
				t.Fatalf("a greeting lowered the confidence from %.3f to %.3f", conf, c2)
			}
		}
	})
}
