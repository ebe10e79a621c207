package core_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

// The labelled evaluation of the knowledge-base matcher: testdata/kb.json
// is the shop's knowledge base (the one config ships as its default),
// testdata/kb_eval.tsv the customer messages with the entry that must answer
// each, "none" or "handoff".

// Thresholds the whole set must meet.
const (
	minInKnowledgeRight = 0.90 // in-knowledge questions answered with the right entry
	maxOutAnswered      = 0.05 // out-of-knowledge messages answered at all
)

const (
	labelNone    = "none"
	labelHandoff = "handoff"
)

// evalKB is the knowledge base of testdata/kb.json with its entries' names.
type evalKB struct {
	entries []core.KnowledgeEntry
	names   []string
	byName  map[string]bool
	nameOf  map[string]string // answer → entry name
}

func loadEvalKB(t testing.TB) evalKB {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "kb.json"))
	evalMust(t, err)
	var file []struct {
		Name      string   `json:"name"`
		Questions []string `json:"questions"`
		Answer    string   `json:"answer"`
	}
	evalMust(t, json.Unmarshal(raw, &file))
	kb := evalKB{byName: map[string]bool{}, nameOf: map[string]string{}}
	for _, e := range file {
		if e.Name == "" || kb.byName[e.Name] || kb.nameOf[e.Answer] != "" {
			t.Fatalf("kb.json: entry %q: names and answers must be unique and set", e.Name)
		}
		kb.entries = append(kb.entries, core.KnowledgeEntry{Questions: e.Questions, Answer: e.Answer})
		kb.names = append(kb.names, e.Name)
		kb.byName[e.Name] = true
		kb.nameOf[e.Answer] = e.Name
	}
	if len(kb.entries) != 10 {
		t.Fatalf("kb.json has %d entries, want 10", len(kb.entries))
	}
	return kb
}

type evalCase struct {
	line         int
	split, label string
	text         string
}

func loadEvalCases(t testing.TB, kb evalKB) []evalCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "kb_eval.tsv"))
	evalMust(t, err)
	defer f.Close()
	var cases []evalCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 || (cols[0] != "tune" && cols[0] != "holdout") ||
			!(kb.byName[cols[1]] || cols[1] == labelNone || cols[1] == labelHandoff) || cols[2] == "" {
			t.Fatalf("kb_eval.tsv:%d: want split<TAB>entry|none|handoff<TAB>message, got %q", n, line)
		}
		cases = append(cases, evalCase{line: n, split: cols[0], label: cols[1], text: cols[2]})
	}
	evalMust(t, sc.Err())
	if len(cases) < 150 {
		t.Fatalf("kb_eval.tsv has %d messages, want at least 150", len(cases))
	}
	return cases
}

// evalTally counts one part of the set.
type evalTally struct {
	in, inRight, inWrong     int // in-knowledge messages; answered right; answered with another entry
	out, outAnswered         int // out-of-knowledge messages; answered at all
	handoff, handoffDetected int // handoff messages; caught by IsHandoff
	handoffAnswered, kbAlone int // handoff messages answered by the bot's turn; by the knowledge base alone
	answered, answeredRight  int // every knowledge-base answer of the bot's turn; with the right entry
	confusion                map[[2]string]int
	misses                   []string
}

func (s *evalTally) add(c evalCase, got, kbOnly string) {
	if s.confusion == nil {
		s.confusion = map[[2]string]int{}
	}
	s.confusion[[2]string{c.label, got}]++
	answered := got != labelNone && got != labelHandoff
	if answered {
		s.answered++
		if got == c.label {
			s.answeredRight++
		}
	}
	switch c.label {
	case labelNone:
		s.out++
		if answered {
			s.outAnswered++
		}
	case labelHandoff:
		s.handoff++
		if got == labelHandoff {
			s.handoffDetected++
		}
		if answered {
			s.handoffAnswered++
		}
		if kbOnly != labelNone {
			s.kbAlone++
		}
	default:
		s.in++
		switch {
		case got == c.label:
			s.inRight++
		case answered:
			s.inWrong++
		}
	}
	if got != c.label && !(c.label == labelHandoff && !answered) {
		s.misses = append(s.misses, fmt.Sprintf("kb_eval.tsv:%d %-7s want %-14s got %-14s %q", c.line, c.split, c.label, got, c.text))
	}
}

// evalMust stops t (a test or a benchmark) on err.
func evalMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func (s *evalTally) summary() string {
	return fmt.Sprintf("in-knowledge right %d/%d = %.1f%% (wrong entry %d, unanswered %d); precision %d/%d = %.1f%%; "+
		"out-of-knowledge answered %d/%d = %.1f%%; handoff: caught %d/%d, answered %d (knowledge base alone %d)",
		s.inRight, s.in, 100*ratio(s.inRight, s.in), s.inWrong, s.in-s.inRight-s.inWrong,
		s.answeredRight, s.answered, 100*ratio(s.answeredRight, s.answered),
		s.outAnswered, s.out, 100*ratio(s.outAnswered, s.out),
		s.handoffDetected, s.handoff, s.handoffAnswered, s.kbAlone)
}

// botDecision is what the bot's turn does with text: "handoff" when it asks
// for a person, else the name of the entry that answers, or "none".
func botDecision(k *core.Knowledge, kb evalKB, phrases []string, text string) (decision, kbOnly string) {
	kbOnly = labelNone
	if answer, _, ok := k.Answer(text); ok {
		kbOnly = kb.nameOf[answer]
	}
	if core.IsHandoff(text, phrases) {
		return labelHandoff, kbOnly
	}
	return kbOnly, kbOnly
}

// TestKnowledgeEval measures the matcher on the labelled set and enforces
// the thresholds on the whole of it; -v prints the confusion matrix and
// every message decided wrongly.
func TestKnowledgeEval(t *testing.T) {
	kb := loadEvalKB(t)
	cases := loadEvalCases(t, kb)
	k := core.NewKnowledge(kb.entries, 0)
	phrases := core.DefaultSettings().Bot.HandoffPhrases
	parts := map[string]*evalTally{"tune": {}, "holdout": {}, "all": {}}
	for _, c := range cases {
		got, kbOnly := botDecision(k, kb, phrases, c.text)
		parts[c.split].add(c, got, kbOnly)
		parts["all"].add(c, got, kbOnly)
	}
	for _, p := range []string{"tune", "holdout", "all"} {
		t.Logf("%-7s %s", p, parts[p].summary())
	}
	all := parts["all"]
	labels := append(append([]string{}, kb.names...), labelNone, labelHandoff)
	var b strings.Builder
	fmt.Fprintf(&b, "confusion (rows: label, columns: decision; all %d messages)\n%16s", len(cases), "")
	for i := range labels {
		fmt.Fprintf(&b, "%4d", i+1)
	}
	for i, l := range labels {
		fmt.Fprintf(&b, "\n%2d %-13s", i+1, l)
		for _, g := range labels {
			if n := all.confusion[[2]string{l, g}]; n > 0 {
				fmt.Fprintf(&b, "%4d", n)
			} else {
				fmt.Fprintf(&b, "%4s", ".")
			}
		}
	}
	t.Log(b.String())
	for _, m := range all.misses {
		t.Log(m)
	}

	if r := ratio(all.inRight, all.in); r < minInKnowledgeRight {
		t.Errorf("in-knowledge questions answered with the right entry: %.1f%%, want at least %.0f%%", 100*r, 100*minInKnowledgeRight)
	}
	if r := ratio(all.outAnswered, all.out); r > maxOutAnswered {
		t.Errorf("out-of-knowledge messages answered: %.1f%%, want at most %.0f%%", 100*r, 100*maxOutAnswered)
	}
	if all.handoffAnswered > 0 {
		t.Errorf("%d of %d messages asking for a person were answered from the knowledge base", all.handoffAnswered, all.handoff)
	}
}

// BenchmarkKnowledgeAnswer answers every message of the evaluation set once
// per iteration; ns/msg is the mean time of one Answer.
func BenchmarkKnowledgeAnswer(b *testing.B) {
	kb := loadEvalKB(b)
	cases := loadEvalCases(b, kb)
	k := core.NewKnowledge(kb.entries, 0)
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range cases {
			k.Answer(c.text)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cases)), "ns/msg")
}
