package core

import (
	"slices"
	"testing"
)

// TestWaitingViewers: who gets a file's message.updated when its
// conversation was read with no agent — the agents an open request is
// offered to, or the agent who accepted it meanwhile; nobody once it
// ended unaccepted.
func TestWaitingViewers(t *testing.T) {
	cases := []struct {
		name string
		req  Request
		want []string
	}{
		{"waiting", Request{Status: ReqWaiting, OfferedTo: []string{"alice", "bob"}}, []string{"alice", "bob"}},
		{"declined, re-offered", Request{Status: ReqDeclined, OfferedTo: []string{"bob"}}, []string{"bob"}},
		{"waiting, offered to nobody", Request{Status: ReqWaiting}, nil},
		{"accepted between the reads", Request{Status: ReqAccepted, AcceptedBy: "alice", OfferedTo: []string{"alice", "bob"}}, []string{"alice"}},
		{"accepted and resolved between the reads", Request{Status: ReqResolved, AcceptedBy: "alice"}, []string{"alice"}},
		{"abandoned", Request{Status: ReqAbandoned, OfferedTo: []string{"alice"}}, nil},
		{"resolved unaccepted", Request{Status: ReqResolved}, nil},
	}
	for _, c := range cases {
		if got := waitingViewers(c.req); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
