package core_test

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestNextWaitNotice(t *testing.T) {
	const offline = "No agent is available right now. Expected reply within [ETA]."
	queued := func(pos int, eta time.Duration) core.WaitNotice {
		return core.WaitNotice{Situation: core.WaitQueued, Position: pos, ETA: eta}
	}
	away := func(eta time.Duration) core.WaitNotice {
		return core.WaitNotice{Situation: core.WaitUnavailable, Position: 1, ETA: eta}
	}
	none := core.WaitNotice{}
	tests := []struct {
		name      string
		told, now core.WaitNotice
		offline   string
		want      string
	}{
		{"first routing, agents offered it: the queue message", none, queued(1, 2*time.Minute), offline,
			"You're next in line. An agent will be with you in about 2 minutes."},
		{"first routing, further back in the queue", none, queued(3, 90*time.Minute), offline,
			"You're number 3 in line. An agent will be with you in about 1 hour 30 minutes."},
		{"first routing, nobody can take it: only the acknowledgment", none, away(15 * time.Minute), offline,
			"No agent is available right now. Expected reply within 15 minutes."},
		{"nobody can take it and no acknowledgment configured: nothing", none, away(15 * time.Minute), "", ""},
		{"a decline leaves others, same wait: nothing", queued(2, 4*time.Minute), queued(2, 4*time.Minute), offline, ""},
		{"a place gained: nothing", queued(3, 8*time.Minute), queued(2, 4*time.Minute), offline, ""},
		{"a shorter wait: nothing", queued(1, 10*time.Minute), queued(1, 3*time.Minute), offline, ""},
		{"the same minutes in words: nothing", queued(1, 150*time.Second), queued(1, 170*time.Second), offline, ""},
		{"a longer wait: told once more", queued(2, 4*time.Minute), queued(2, 8*time.Minute), offline,
			"Sorry for the wait: it is now about 8 minutes. You're number 2 in line."},
		{"a wait not known before (an old request): nothing", queued(1, 0), queued(1, 8*time.Minute), offline, ""},
		{"the only agent declined: the acknowledgment, once", queued(1, 2*time.Minute), away(15 * time.Minute), offline,
			"No agent is available right now. Expected reply within 15 minutes."},
		{"still nobody: nothing", away(15 * time.Minute), away(15 * time.Minute), offline, ""},
		{"still nobody, a shorter wait (business hours near): nothing", away(3 * time.Hour), away(2 * time.Hour), offline, ""},
		{"still nobody, a longer wait: the acknowledgment with it", away(15 * time.Minute), away(45 * time.Minute), offline,
			"No agent is available right now. Expected reply within 45 minutes."},
		{"an agent came online: the queue message", away(15 * time.Minute), queued(1, 15*time.Minute), offline,
			"You're next in line. An agent will be with you in about 15 minutes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := core.NextWaitNotice(tt.told, tt.now, tt.offline); got != tt.want {
				t.Errorf("NextWaitNotice(%+v, %+v) = %q, want %q", tt.told, tt.now, got, tt.want)
			}
		})
	}
}

// The customer's thread through the Service: one system message per
// change of situation.
func TestWaitNoticesInTheThread(t *testing.T) {
	t.Run("nobody online: one acknowledgment with the ETA, however often routed", func(t *testing.T) {
		e := newEnv(t, withOffline)
		r := e.routed("Ada", "help")
		ok(t, e.svc.Route(e.ctx, r.ID)) // a sweep, an agent going offline: routed again
		e.clock.Advance(time.Minute)
		ok(t, e.svc.Route(e.ctx, r.ID))
		mustSlice(t, "system messages", e.systemTexts(r.ConversationID), []string{offlineAck})
	})
	t.Run("everyone online is full: the same acknowledgment, which holds", func(t *testing.T) {
		e := newEnv(t, withOffline)
		amy := e.addAgent("Amy", 1, false, true)
		e.active("Ben", amy) // Amy's one chat
		r := e.routed("Ada", "help")
		mustSlice(t, "system messages", e.systemTexts(r.ConversationID), []string{offlineAck})
	})
	t.Run("agents online: one queue message with position and wait", func(t *testing.T) {
		e := newEnv(t, withOffline)
		e.online("Amy")
		first := e.routed("Ada", "help")
		second := e.routed("Ben", "help")
		ok(t, e.svc.Route(e.ctx, second.ID))
		mustSlice(t, "first in line", e.systemTexts(first.ConversationID), []string{queuedFirst})
		mustSlice(t, "second in line", e.systemTexts(second.ConversationID),
			[]string{"You're number 2 in line. An agent will be with you in about 15 minutes."})
	})
	t.Run("a decline that leaves others: nothing new; the last one: the acknowledgment once", func(t *testing.T) {
		e := newEnv(t, withOffline)
		amy, bob := e.online("Amy"), e.online("Bob")
		r := e.routed("Ada", "help")
		_, err := e.svc.Decline(e.ctx, amy, r.ID, "")
		ok(t, err)
		mustSlice(t, "after Amy's decline", e.systemTexts(r.ConversationID), []string{queuedFirst})
		_, err = e.svc.Decline(e.ctx, bob, r.ID, "")
		ok(t, err)
		ok(t, e.svc.Route(e.ctx, r.ID))
		mustSlice(t, "after Bob's", e.systemTexts(r.ConversationID), []string{queuedFirst, offlineAck})
	})
	t.Run("the only agent declines: told once, not three messages", func(t *testing.T) {
		e := newEnv(t, withOffline)
		amy := e.online("Amy")
		r := e.routed("Ada", "help")
		_, err := e.svc.Decline(e.ctx, amy, r.ID, "")
		ok(t, err)
		mustSlice(t, "system messages", e.systemTexts(r.ConversationID), []string{queuedFirst, offlineAck})
	})
	t.Run("the wait grows while others have it: told once more", func(t *testing.T) {
		e := newEnv(t, withOffline)
		amy, bob := e.online("Amy"), e.online("Bob")
		// An accept after 4 minutes makes the median wait 4 minutes.
		done := e.routed("Old", "help")
		e.clock.Advance(4 * time.Minute)
		_, _, err := e.svc.Accept(e.ctx, amy, done.ID)
		ok(t, err)
		e.clock.Advance(2 * time.Minute) // past the minute the median is kept
		first := e.routed("Ada", "help")
		r := e.routed("Ben", "help") // second in line, two agents free: 4 minutes
		mustSlice(t, "queue message", e.systemTexts(r.ConversationID),
			[]string{"You're number 2 in line. An agent will be with you in about 4 minutes."})
		_, err = e.svc.Decline(e.ctx, bob, r.ID, "") // Amy still has it; the wait holds
		ok(t, err)
		mustSlice(t, "after the decline", e.systemTexts(r.ConversationID),
			[]string{"You're number 2 in line. An agent will be with you in about 4 minutes."})
		// Bob leaves: one agent free, the queue drains at half the pace.
		_, err = e.svc.SetOnline(e.ctx, bob, false)
		ok(t, err)
		ok(t, e.svc.Route(e.ctx, r.ID))
		ok(t, e.svc.Route(e.ctx, first.ID))
		mustSlice(t, "after Bob left", e.systemTexts(r.ConversationID), []string{
			"You're number 2 in line. An agent will be with you in about 4 minutes.",
			"Sorry for the wait: it is now about 8 minutes. You're number 2 in line."})
		mustSlice(t, "first in line: one free agent, still 4 minutes", e.systemTexts(first.ConversationID),
			[]string{"You're next in line. An agent will be with you in about 4 minutes."})
	})
}
