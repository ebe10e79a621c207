package core_test

import (
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

// TestNotes: who may add a note, where it is published, and that the
// visitor's thread, the read mark they hear of and the deliveries never
// carry one.
func TestNotes(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.online("Alice"), e.online("Bob")
	v, conv := widgetActive(t, e, "Dana", alice)
	waiting := e.routed("Fox", "hello?") // offered to Alice and Bob
	e.events.reset()
	deliveries := len(e.jobs.Waits())

	tests := []struct {
		name   string
		actor  core.Agent
		convID string
		text   string
		want   error
	}{
		{"assigned agent", alice, conv.ID, "VIP customer", nil},
		{"admin", e.admin, conv.ID, "refund approved", nil},
		{"offered the waiting request", bob, waiting.ConversationID, "I know this one", nil},
		{"not Bob's active conversation", bob, conv.ID, "sneaky", core.ErrForbidden},
		{"unknown conversation", alice, "nope", "x", core.ErrNotFound},
		{"empty", alice, conv.ID, "  ", core.ErrInvalid},
		{"too long", alice, conv.ID, strings.Repeat("x", core.MaxTextLen+1), core.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.messages(tt.convID))
			n, err := e.svc.AddNote(e.ctx, tt.actor, tt.convID, tt.text)
			if tt.want != nil {
				wantErr(t, err, tt.want)
				mustEqual(t, "messages after a refused note", len(e.messages(tt.convID)), before)
				return
			}
			ok(t, err)
			mustEqual(t, "author", n.Author, core.AuthorNote)
			mustEqual(t, "agent", n.AgentID, tt.actor.ID)
			mustEqual(t, "delivery", n.Delivery, core.DeliveryNone)
			if got, _ := e.events.last(core.AgentStream(tt.actor.ID), core.EventMessageCreated).(core.Message); got.ID != n.ID {
				t.Fatalf("the note's author did not hear it: %+v", got)
			}
		})
	}
	if got, _ := e.events.last(core.AgentStream(alice.ID), core.EventMessageCreated).(core.Message); got.Text != "refund approved" {
		t.Fatalf("Alice did not hear the admin's note: %+v", got)
	}
	mustEqual(t, "deliveries queued for notes", len(e.jobs.Waits()), deliveries)
	for _, stream := range []string{core.VisitorStream(conv.CustomerID), core.VisitorStream(waiting.CustomerID)} {
		if got := e.events.take(stream); len(got) != 0 {
			t.Fatalf("a visitor heard of a note: %v", got)
		}
	}

	// The thread ends with a note: the visitor's poll leaves it out, and
	// the read mark (their "Seen") stops at the message before it.
	th, err := e.svc.VisitorMessages(e.ctx, v, "")
	ok(t, err)
	for _, m := range th.Messages {
		if m.Author == core.AuthorNote {
			t.Fatalf("the visitor's poll has a note: %+v", m)
		}
	}
	_, msgs, err := e.svc.GetConversation(e.ctx, alice, conv.ID)
	ok(t, err)
	th, err = e.svc.VisitorMessages(e.ctx, v, "")
	ok(t, err)
	last := th.Messages[len(th.Messages)-1]
	if msgs[len(msgs)-1].Author != core.AuthorNote || th.SeenUpTo != last.ID {
		t.Fatalf("seen up to %q, want the last message the visitor has, %q", th.SeenUpTo, last.ID)
	}
	if seen, _ := e.events.last(core.VisitorStream(conv.CustomerID), core.EventRead).(core.SeenByAgent); seen.UpTo != last.ID {
		t.Fatalf("the visitor's read event %+v", seen)
	}
	wantField(t, e.svc.VisitorRead(e.ctx, v, msgs[len(msgs)-1].ID), "up_to")
}
