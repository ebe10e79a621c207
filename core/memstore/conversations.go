package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/switchboard-chat/switchboard/core"
)

// CreateConversation implements core.ConversationStore.
func (t *tx) CreateConversation(_ context.Context, c core.Conversation) error {
	defer t.write()()
	d := t.d()
	if _, ok := d.convs[c.ID]; ok {
		return duplicate("conversation", c.ID)
	}
	if _, ok := d.customers[c.CustomerID]; !ok {
		return notFound("customer", c.CustomerID)
	}
	c.Customer, c.Channel = core.Customer{}, core.Channel{}
	put(t, d.convs, c.ID, c)
	put(t, d.custConvs, c.CustomerID, append(d.custConvs[c.CustomerID], c.ID))
	t.countActive(core.Conversation{}, c)
	return nil
}

// UpdateConversation implements core.ConversationStore. The id, customer,
// channel and created_at stay as stored; last_message_at never moves back.
func (t *tx) UpdateConversation(_ context.Context, c core.Conversation) error {
	defer t.write()()
	d := t.d()
	old, ok := d.convs[c.ID]
	if !ok {
		return notFound("conversation", c.ID)
	}
	c.Customer, c.Channel = core.Customer{}, core.Channel{}
	c.CustomerID, c.ChannelID, c.CreatedAt = old.CustomerID, old.ChannelID, old.CreatedAt
	if c.LastMessageAt.Before(old.LastMessageAt) {
		c.LastMessageAt = old.LastMessageAt
	}
	put(t, d.convs, c.ID, c)
	t.countActive(old, c)
	return nil
}

// countActive keeps the per-agent count of active conversations.
func (t *tx) countActive(old, c core.Conversation) {
	d := t.d()
	if old.Status == core.ConvActive && old.AgentID != "" {
		put(t, d.active, old.AgentID, d.active[old.AgentID]-1)
	}
	if c.Status == core.ConvActive && c.AgentID != "" {
		put(t, d.active, c.AgentID, d.active[c.AgentID]+1)
	}
}

func (t *tx) conversation(id string) (core.Conversation, error) {
	c, ok := t.d().convs[id]
	if !ok {
		return core.Conversation{}, notFound("conversation", id)
	}
	c.Customer = t.d().customers[c.CustomerID]
	return c, nil
}

// ConversationByID implements core.ConversationStore.
func (t *tx) ConversationByID(_ context.Context, id string) (core.Conversation, error) {
	defer t.read()()
	return t.conversation(id)
}

// LockConversation implements core.ConversationStore; the store-wide lock
// covers it.
func (t *tx) LockConversation(ctx context.Context, id string) (core.Conversation, error) {
	return t.ConversationByID(ctx, id)
}

// LockConversations implements core.ConversationStore; the store-wide
// lock covers them.
func (t *tx) LockConversations(_ context.Context, ids []string) ([]core.Conversation, error) {
	defer t.read()()
	ids = slices.Clone(ids)
	slices.Sort(ids)
	var out []core.Conversation
	for _, id := range slices.Compact(ids) {
		if c, err := t.conversation(id); err == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// OpenConversation implements core.ConversationStore.
func (t *tx) OpenConversation(_ context.Context, customerID, channelID string) (core.Conversation, error) {
	defer t.read()()
	return t.newest(customerID, channelID, true)
}

// LatestConversation implements core.ConversationStore.
func (t *tx) LatestConversation(_ context.Context, customerID, channelID string) (core.Conversation, error) {
	defer t.read()()
	return t.newest(customerID, channelID, false)
}

func (t *tx) newest(customerID, channelID string, open bool) (core.Conversation, error) {
	ids := t.d().custConvs[customerID]
	for i := len(ids) - 1; i >= 0; i-- {
		c := t.d().convs[ids[i]]
		if c.ChannelID == channelID && (!open || c.Status != core.ConvResolved) {
			return t.conversation(c.ID)
		}
	}
	return core.Conversation{}, notFound("conversation of customer", customerID+" on "+channelID)
}

// SearchConversations implements core.ConversationStore: newest first by
// id; the cursor is the id of the previous page's last row.
func (t *tx) SearchConversations(_ context.Context, q core.ConversationQuery) ([]core.Conversation, string, error) {
	defer t.read()()
	if q.Cursor != "" {
		if _, err := uuid.Parse(q.Cursor); err != nil {
			return nil, "", core.Invalid("cursor", "is not a cursor this store issued")
		}
	}
	terms := parseSearch(q.Text)
	name := strings.ToLower(q.Customer)
	var hits []core.Conversation
	for _, c := range t.d().convs {
		switch {
		case len(q.Statuses) > 0 && !slices.Contains(q.Statuses, c.Status),
			q.Channel != "" && c.ChannelID != q.Channel,
			q.AgentID != "" && c.AgentID != q.AgentID,
			!q.From.IsZero() && c.CreatedAt.Before(q.From),
			!q.To.IsZero() && !c.CreatedAt.Before(q.To),
			q.Cursor != "" && c.ID >= q.Cursor,
			name != "" && !strings.Contains(strings.ToLower(t.d().customers[c.CustomerID].DisplayName()), name),
			q.VisibleTo != "" && !t.visible(c, q.VisibleTo),
			len(terms) > 0 && !t.hasTerms(c.ID, terms):
			continue
		}
		hits = append(hits, c)
	}
	slices.SortFunc(hits, func(a, b core.Conversation) int { return strings.Compare(b.ID, a.ID) })
	next := ""
	if q.Limit > 0 && len(hits) > q.Limit {
		hits = hits[:q.Limit]
		next = hits[len(hits)-1].ID
	}
	for i := range hits {
		hits[i].Customer = t.d().customers[hits[i].CustomerID]
	}
	return hits, next, nil
}

// visible: the agent's own conversations, resolved ones, and those of open
// requests offered to the agent.
func (t *tx) visible(c core.Conversation, agentID string) bool {
	if c.AgentID == agentID || c.Status == core.ConvResolved {
		return true
	}
	r, ok := t.d().requests[c.RequestID]
	return ok && r.r.Status.Open() && slices.Contains(r.r.OfferedTo, agentID)
}

// hasTerms reports whether the conversation's messages satisfy every
// full-text term.
func (t *tx) hasTerms(convID string, terms []searchTerm) bool {
	var msgs [][]string
	for _, id := range t.d().convMsgs[convID] {
		msgs = append(msgs, strings.Fields(core.FoldText(t.d().messages[id].m.Text)))
	}
	return matchTerms(msgs, terms)
}

// IdleConversations implements core.ConversationStore.
func (t *tx) IdleConversations(_ context.Context, before time.Time, limit int) ([]string, error) {
	defer t.read()()
	var list []core.Conversation
	for _, c := range t.d().convs {
		if c.Status == core.ConvActive && c.LastMessageAt.Before(before) {
			list = append(list, c)
		}
	}
	slices.SortFunc(list, func(a, b core.Conversation) int {
		return cmp.Or(a.LastMessageAt.Compare(b.LastMessageAt), cmp.Compare(a.ID, b.ID))
	})
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return ids, nil
}
