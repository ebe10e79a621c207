package memstore

import (
	"context"

	"github.com/switchboard-chat/switchboard/core"
)

// MarkRead implements core.ReadStore.
func (t *tx) MarkRead(_ context.Context, m core.ReadMark) (bool, error) {
	defer t.write()()
	d := t.d()
	if _, ok := d.convs[m.ConversationID]; !ok {
		return false, notFound("conversation", m.ConversationID)
	}
	if _, ok := d.agents[m.AgentID]; !ok {
		return false, notFound("agent", m.AgentID)
	}
	k := key{m.ConversationID, m.AgentID}
	if old, ok := d.reads[k]; ok && !later(m, old) {
		return false, nil
	}
	m.At = m.At.UTC()
	put(t, d.reads, k, m)
	return true, nil
}

// later reports whether read mark m is past old.
func later(m, old core.ReadMark) bool {
	return m.At.After(old.At) || (m.At.Equal(old.At) && m.UpToID > old.UpToID)
}

// ReadMarkOf implements core.ReadStore.
func (t *tx) ReadMarkOf(_ context.Context, conversationID, agentID string) (core.ReadMark, error) {
	defer t.read()()
	m, ok := t.d().reads[key{conversationID, agentID}]
	if !ok {
		return core.ReadMark{}, notFound("read mark of conversation", conversationID)
	}
	return m, nil
}

// ConversationSummaries implements core.ReadStore.
func (t *tx) ConversationSummaries(_ context.Context, ids []string) (map[string]core.ConversationSummary, error) {
	defer t.read()()
	d := t.d()
	out := make(map[string]core.ConversationSummary, len(ids))
	for _, id := range ids {
		conv, ok := d.convs[id]
		if !ok {
			continue
		}
		var sum core.ConversationSummary
		mark, marked := d.reads[key{id, conv.AgentID}]
		for _, mid := range d.convMsgs[id] {
			m := d.messages[mid].m
			if m.Author == core.AuthorCustomer && conv.AgentID != "" && (!marked || later(core.ReadMark{At: m.CreatedAt, UpToID: m.ID}, mark)) {
				sum.Unread++
			}
			if m.Author != core.AuthorNote && newer(m, sum.Last) {
				sum.Last = m
			}
		}
		out[id] = sum
	}
	return out, nil
}

// newer orders messages by id, as ListMessages does (UUIDv7 ids sort by
// creation; the zero Message is oldest).
func newer(m, than core.Message) bool { return m.ID > than.ID }

// LastCustomerMessage implements core.ReadStore.
func (t *tx) LastCustomerMessage(_ context.Context, conversationID string) (core.Message, error) {
	defer t.read()()
	var last core.Message
	for _, id := range t.d().convMsgs[conversationID] {
		if m := t.d().messages[id].m; m.Author == core.AuthorCustomer && newer(m, last) {
			last = m
		}
	}
	if last.ID == "" {
		return core.Message{}, notFound("customer message in conversation", conversationID)
	}
	return last, nil
}
