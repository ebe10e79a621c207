package storetest

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// testMissedRequests builds a shift [from, to) and checks which requests
// the report names: open at `to` or declined inside the window, and never
// answered by an agent.
func testMissedRequests(t *testing.T, f *fx) {
	s, ctx := f.s, f.ctx
	from, to := at(time.Hour), at(9*time.Hour)
	agent := f.agent(nil)
	mk := func(name string, created time.Duration, mod func(*core.Request)) core.Request {
		t.Helper()
		cv := f.conversation(f.customer("web", name), nil)
		return f.request(cv, func(r *core.Request) {
			r.CreatedAt, r.UpdatedAt = at(created), at(created)
			if mod != nil {
				mod(r)
			}
		})
	}
	decline := func(r core.Request, when time.Duration) {
		t.Helper()
		ok(t, "decline", s.AddDecline(ctx, r.ID, core.Decline{AgentID: agent.ID, Reason: "busy", At: at(when)}))
	}
	stillWaiting := mk("still waiting", 2*time.Hour, nil)
	fromBefore := mk("waiting since before the shift", 0, nil)
	declinedIn := mk("declined in the shift, accepted later", 3*time.Hour, func(r *core.Request) {
		r.Status, r.AcceptedBy, r.AcceptedAt = core.ReqAccepted, agent.ID, at(10*time.Hour)
	})
	decline(declinedIn, 4*time.Hour)
	acceptedIn := mk("accepted in the shift", 2*time.Hour, func(r *core.Request) {
		r.Status, r.AcceptedBy, r.AcceptedAt = core.ReqAccepted, agent.ID, at(3*time.Hour)
	})
	abandonedIn := mk("abandoned in the shift", 2*time.Hour, func(r *core.Request) {
		r.Status, r.ClosedAt = core.ReqAbandoned, at(5*time.Hour)
	})
	declinedBefore := mk("declined before the shift, accepted in it", 0, func(r *core.Request) {
		r.Status, r.AcceptedBy, r.AcceptedAt = core.ReqAccepted, agent.ID, at(2*time.Hour)
	})
	decline(declinedBefore, 30*time.Minute)
	afterShift := mk("created after the shift", 10*time.Hour, nil)
	answered := mk("waiting but answered", 2*time.Hour, nil)
	convAnswered, err := s.ConversationByID(ctx, answered.ConversationID)
	ok(t, "read conversation", err)
	f.message(convAnswered, core.AuthorAgent, "we are on it", func(m *core.Message) { m.AgentID = agent.ID })

	got, err := s.MissedRequests(ctx, from, to, 0)
	ok(t, "missed requests", err)
	equal(t, "missed, oldest first", ids(got), []string{fromBefore.ID, stillWaiting.ID, declinedIn.ID})
	for _, r := range got {
		if r.Customer.ID == "" || (r.ID == declinedIn.ID && len(r.Declines) != 1) {
			t.Errorf("request %s read without its customer or declines: %+v", r.ID, r)
		}
	}
	_ = []core.Request{acceptedIn, abandonedIn, afterShift} // not missed: accepted or abandoned in the shift, created after it
	limited, err := s.MissedRequests(ctx, from, to, 2)
	ok(t, "missed requests with a limit", err)
	equal(t, "first two", ids(limited), []string{fromBefore.ID, stillWaiting.ID})
}
