package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func TestHousekeeping(t *testing.T) {
	e := newEnv(t, func(s *core.Settings) {
		s.Conversations = core.ConversationSettings{AbandonAfter: 15 * time.Minute, IdleResolveAfter: time.Hour}
	})
	a := e.online("Alice")
	gone := e.routed("Gone", "hello?")
	v, _ := e.visitor("Stays")
	stays, err := e.svc.VisitorHandoff(e.ctx, v, "hi")
	ok(t, err)
	idle := e.active("Idle", a)

	e.clock.Advance(10 * time.Minute)
	_, err = e.svc.VisitorMessages(e.ctx, v, "") // a poll counts as seen
	ok(t, err)
	e.clock.Advance(6 * time.Minute)
	rep, err := e.svc.Sweep(e.ctx)
	ok(t, err)
	mustEqual(t, "abandoned", rep.Abandoned, 1)
	mustEqual(t, "gone", e.req(gone.ID).Status, core.ReqAbandoned)
	mustEqual(t, "gone conversation", e.conv(gone.ConversationID).Status, core.ConvResolved)
	mustEqual(t, "stays", e.req(stays.ID).Status, core.ReqWaiting)
	mustEqual(t, "idle not yet", e.conv(idle.ID).Status, core.ConvActive)

	e.clock.Advance(time.Hour)
	rep, err = e.svc.Sweep(e.ctx)
	ok(t, err)
	mustEqual(t, "resolved", rep.Resolved, 1)
	mustEqual(t, "idle", e.conv(idle.ID).Status, core.ConvResolved)
	if m := e.last(idle.ID); m.Author != core.AuthorSystem || !strings.Contains(m.Text, "automatically") {
		t.Fatalf("last message = %+v, want the system note", m)
	}
	mustEqual(t, "agent freed", e.agent(a.ID).ActiveChats, 0)
}
