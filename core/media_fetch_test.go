package core_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

// bytesFetcher is a channel's MediaFetcher that hands over data.
type bytesFetcher []byte

func (f bytesFetcher) FetchMedia(context.Context, core.InboundAttachment) (core.RemoteFile, error) {
	return core.RemoteFile{Body: io.NopCloser(bytes.NewReader(f)), Size: int64(len(f))}, nil
}

// updatedOn lists the ids of the messages published as message.updated on
// stream, and forgets every event of it.
func (e *env) updatedOn(stream string) []string {
	e.t.Helper()
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	var ids []string
	for _, p := range e.events.got[stream] {
		if p.typ == core.EventMessageUpdated {
			ids = append(ids, p.data.(core.Message).ID)
		}
	}
	delete(e.events.got, stream)
	return ids
}

// TestFetchedFileReachesWhoSeesTheConversation: the message.updated of a
// file that became ready reaches the agents who see its conversation, as
// the contract says. While the conversation waits, those are the agents
// its request is offered to (the request panel's preview; one of them
// may be accepting it as the file lands), not an agent it is not offered
// to; once accepted, its agent alone; the visitor in every case.
func TestFetchedFileReachesWhoSeesTheConversation(t *testing.T) {
	photo := pngOf(t, 40, 30)
	cases := []struct {
		name   string
		accept bool // Alice accepts before the file is fetched
	}{
		{"waiting", false},
		{"accepted", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, _ := newFileEnv(t, 1<<20)
			e.svc.RegisterMedia("web", core.ChannelMedia{Fetcher: bytesFetcher(photo)})
			alice, bob := e.online("Alice"), e.online("Bob")
			dave := e.addAgent("Dave", 4, false, false) // offline: offered nothing
			v, _ := e.visitor("Vera")
			r, err := e.svc.VisitorHandoff(e.ctx, v, "my screen cracked")
			ok(t, err)
			ok(t, e.svc.Route(e.ctx, r.ID))
			r = e.req(r.ID)
			if !r.IsOfferedTo(alice.ID) || !r.IsOfferedTo(bob.ID) || r.IsOfferedTo(dave.ID) {
				t.Fatalf("offered to %v, want Alice and Bob", r.OfferedTo)
			}
			if c.accept {
				_, _, err := e.svc.Accept(e.ctx, alice, r.ID)
				ok(t, err)
			}
			m, err := e.svc.Ingest(e.ctx, core.Inbound{ChannelID: "web", ChannelUserID: v.Customer.ChannelUserID, Text: "[image]",
				Attachments: []core.InboundAttachment{{Kind: core.AttachmentImage, URL: "https://cdn.example/p.png"}}})
			ok(t, err)
			if len(m.Attachments) != 1 || m.Attachments[0].Status != core.AttachmentPending {
				t.Fatalf("ingested %+v, want one pending attachment", m.Attachments)
			}
			for _, a := range []core.Agent{alice, bob, dave} {
				e.updatedOn(core.AgentStream(a.ID))
			}
			e.updatedOn(core.VisitorStream(v.Customer.ID))

			ok(t, e.svc.FetchMedia(e.ctx, m.Attachments[0].ID))
			if got := e.msg(m.ID).Attachments; len(got) != 1 || got[0].Status != core.AttachmentReady {
				t.Fatalf("after the fetch: %+v", got)
			}
			want := map[string][]string{
				"Alice": {m.ID},
				"Bob":   {m.ID},
				"Dave":  nil,
				"Vera":  {m.ID},
			}
			if c.accept {
				want["Bob"] = nil
			}
			got := map[string][]string{
				"Alice": e.updatedOn(core.AgentStream(alice.ID)),
				"Bob":   e.updatedOn(core.AgentStream(bob.ID)),
				"Dave":  e.updatedOn(core.AgentStream(dave.ID)),
				"Vera":  e.updatedOn(core.VisitorStream(v.Customer.ID)),
			}
			for who, ids := range want {
				if !slices.Equal(got[who], ids) {
					t.Errorf("%s got message.updated for %v, want %v", who, got[who], ids)
				}
			}
		})
	}
}
