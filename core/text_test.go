package core_test

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestFoldText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"I want a HUMAN!", "i want a human"},
		{"  Talk   to a person, please. ", "talk to a person please"},
		{"Don't do that", "dont do that"},
		{"Talk-to-a-person", "talk to a person"},
		{"¿Dónde está mi pedido?", "dónde está mi pedido"},
		{"order #42", "order 42"},
		{"?!…", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := core.FoldText(tt.in); got != tt.want {
			t.Errorf("FoldText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsHandoff(t *testing.T) {
	phrases := core.DefaultSettings().Bot.HandoffPhrases
	tests := []struct {
		in   string
		want bool
	}{
		{"I want a HUMAN!", true},
		{"humane", false},
		{"talk to a person please", true},
		{"Can I TALK TO A PERSON?", true},
		{"talk to a personal trainer", false},
		{"Agent, please", true},
		{"my agents are broken", false},
		{"representative!!!", true},
		{"person", false},
		{"I want to speak to someone about my refund", true},
		{"is there a real person I can chat with?", true},
		{"Operator!", true},
		{"someone stole my parcel", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := core.IsHandoff(tt.in, phrases); got != tt.want {
			t.Errorf("IsHandoff(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if core.IsHandoff("hello there", []string{"", " !? "}) {
		t.Error("an empty phrase matched")
	}
	if !core.IsHandoff("I need a Supervisor.", []string{"SUPERVISOR!"}) {
		t.Error("phrase punctuation and case should not matter")
	}
}

func TestSLALevel(t *testing.T) {
	sla := core.DefaultSettings().SLA
	tests := []struct {
		wait time.Duration
		want core.WaitLevel
	}{
		{0, core.WaitNormal},
		{time.Minute + 59*time.Second, core.WaitNormal},
		{2 * time.Minute, core.WaitAmber},
		{4*time.Minute + 59*time.Second, core.WaitAmber},
		{5 * time.Minute, core.WaitRed},
		{time.Hour, core.WaitRed},
	}
	for _, tt := range tests {
		if got := sla.Level(tt.wait); got != tt.want {
			t.Errorf("Level(%v) = %s, want %s", tt.wait, got, tt.want)
		}
	}
	if got := (core.SLA{}).Level(time.Hour); got != core.WaitNormal {
		t.Errorf("zero SLA: Level = %s, want normal", got)
	}
}

func TestFillTemplate(t *testing.T) {
	body := "Hi [Name]! [FullName] talks to [Agent] on [Channel]."
	agent := core.Agent{Name: "Grace"}
	ch := core.Channel{ID: "wa", Type: "whatsapp"}
	tests := []struct{ name, want string }{
		{"Ada Lovelace", "Hi Ada! Ada Lovelace talks to Grace on whatsapp."},
		{"Ada", "Hi Ada! Ada talks to Grace on whatsapp."},
		{"", "Hi there! Anonymous Visitor talks to Grace on whatsapp."},
	}
	for _, tt := range tests {
		if got := core.FillTemplate(body, core.Customer{Name: tt.name}, agent, ch); got != tt.want {
			t.Errorf("FillTemplate(name %q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := core.FillTemplate("[Unknown] stays", core.Customer{}, agent, ch); got != "[Unknown] stays" {
		t.Errorf("unknown placeholder changed: %q", got)
	}
}

func TestReadingOf(t *testing.T) {
	th := core.ReadingThresholds{ActiveHigh: 0.8, PendingHigh: 1, ResolvedHigh: 20}
	tests := []struct {
		name                                        string
		active, pending, resolved, online, capacity int
		want                                        string
	}{
		{"all low", 1, 0, 3, 2, 8, "normal"},
		{"at capacity", 8, 1, 3, 2, 10, "at_capacity"},
		{"active boundary", 4, 0, 0, 1, 5, "at_capacity"},
		{"just under active", 3, 0, 0, 1, 5, "normal"},
		{"understaffed", 1, 5, 3, 2, 10, "understaffed"},
		{"pending equal to threshold is not high", 0, 2, 0, 2, 8, "normal"},
		{"nobody online, two waiting", 0, 2, 0, 0, 0, "understaffed"},
		{"nobody online, one waiting", 0, 1, 0, 0, 0, "normal"},
		{"efficient", 1, 0, 25, 2, 10, "efficient"},
		{"peak demand", 9, 5, 20, 2, 10, "peak_demand"},
		{"busy and queued but few resolved", 9, 5, 3, 2, 10, "peak_demand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := core.ReadingOf(th, tt.active, tt.pending, tt.resolved, tt.online, tt.capacity)
			if got.Code != tt.want || got.Message == "" {
				t.Fatalf("ReadingOf = %+v, want code %s with a message", got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{7}, 7},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 2}, 1.5},
		{[]float64{1.04, 1.06}, 1.1},
		{[]float64{10.26}, 10.3},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.in)
		if got := core.Median(in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
		if !slices.Equal(in, tt.in) {
			t.Errorf("median reordered its input: %v", in)
		}
	}
}

func TestFilters(t *testing.T) {
	if st, err := core.RequestFilter(""); err != nil || !slices.Equal(st, []core.RequestStatus{core.ReqWaiting, core.ReqDeclined}) {
		t.Errorf("RequestFilter(\"\") = %v, %v", st, err)
	}
	if st, err := core.RequestFilter("all"); err != nil || st != nil {
		t.Errorf("RequestFilter(all) = %v, %v", st, err)
	}
	wantField(t, func() error { _, err := core.RequestFilter("pending"); return err }(), "status")
	if st, err := core.ConversationFilter(""); err != nil || !slices.Equal(st, []core.ConversationStatus{core.ConvActive}) {
		t.Errorf("ConversationFilter(\"\") = %v, %v", st, err)
	}
	wantField(t, func() error { _, err := core.ConversationFilter("open"); return err }(), "status")
}
