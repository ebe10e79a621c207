package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// InsertMessage implements core.MessageStore.
func (t *tx) InsertMessage(_ context.Context, m core.Message) error {
	defer t.write()()
	d, pk := t.d(), key{m.ChannelID, m.ProviderID}
	if _, ok := d.messages[m.ID]; ok {
		return duplicate("message", m.ID)
	}
	inbound := m.Author == core.AuthorCustomer && m.ProviderID != ""
	if _, ok := d.providerKey[pk]; ok && inbound {
		return duplicate("provider message", m.ChannelID+"/"+m.ProviderID)
	}
	conv, ok := d.convs[m.ConversationID]
	if !ok {
		return notFound("conversation", m.ConversationID)
	}
	for _, a := range m.Attachments {
		if _, ok := d.files[a.ID]; ok {
			return duplicate("attachment", a.ID)
		}
		put(t, d.files, a.ID, a)
		put(t, d.msgFiles, m.ID, append(d.msgFiles[m.ID], a.ID))
	}
	m.Attachments = nil // kept in files
	put(t, d.messages, m.ID, message{m: m, seq: t.next()})
	put(t, d.convMsgs, m.ConversationID, append(d.convMsgs[m.ConversationID], m.ID))
	if inbound {
		put(t, d.providerKey, pk, m.ID)
	}
	if m.CreatedAt.After(conv.LastMessageAt) {
		conv.LastMessageAt = m.CreatedAt
		put(t, d.convs, conv.ID, conv)
	}
	return nil
}

// MessageWithConversation implements core.MessageStore.
func (t *tx) MessageWithConversation(_ context.Context, id string) (core.Message, core.Conversation, error) {
	defer t.read()()
	rec, ok := t.d().messages[id]
	if !ok {
		return core.Message{}, core.Conversation{}, notFound("message", id)
	}
	conv, err := t.conversation(rec.m.ConversationID)
	if err != nil {
		return core.Message{}, core.Conversation{}, err
	}
	return t.filled(rec.m), conv, nil
}

// MessageByID implements core.MessageStore.
func (t *tx) MessageByID(_ context.Context, id string) (core.Message, error) {
	defer t.read()()
	rec, ok := t.d().messages[id]
	if !ok {
		return core.Message{}, notFound("message", id)
	}
	return t.filled(rec.m), nil
}

// ListMessages implements core.MessageStore. An afterID that is not in the
// conversation compares as an id (UUIDv7 ids sort by time).
func (t *tx) ListMessages(_ context.Context, conversationID, afterID string, limit int) ([]core.Message, error) {
	defer t.read()()
	d := t.d()
	ids := d.convMsgs[conversationID]
	if afterID != "" {
		if i := slices.Index(ids, afterID); i >= 0 {
			ids = ids[i+1:]
		} else {
			ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id <= afterID })
		}
	}
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]core.Message, 0, len(ids))
	for _, id := range ids {
		out = append(out, t.filled(d.messages[id].m))
	}
	return out, nil
}

// FirstCustomerMessage implements core.MessageStore.
func (t *tx) FirstCustomerMessage(_ context.Context, conversationID string) (core.Message, error) {
	defer t.read()()
	for _, id := range t.d().convMsgs[conversationID] {
		if m := t.d().messages[id].m; m.Author == core.AuthorCustomer {
			return t.filled(m), nil
		}
	}
	return core.Message{}, notFound("customer message in conversation", conversationID)
}

// UpdateDelivery implements core.MessageStore. An empty providerID keeps
// the one stored; outbound provider ids are not unique keys.
func (t *tx) UpdateDelivery(_ context.Context, id string, dl core.Delivery, providerID, errText string) error {
	defer t.write()()
	d := t.d()
	rec, ok := d.messages[id]
	if !ok {
		return notFound("message", id)
	}
	if providerID != "" {
		rec.m.ProviderID = providerID
	}
	rec.m.Delivery, rec.m.Error = dl, errText
	put(t, d.messages, id, rec)
	return nil
}

// RecordSent implements core.MessageStore.
func (t *tx) RecordSent(_ context.Context, at time.Time, sent []core.SentMessage) error {
	defer t.write()()
	d := t.d()
	for _, sm := range sent {
		rec, ok := d.messages[sm.ID]
		if !ok {
			continue
		}
		if sm.ProviderID != "" {
			rec.m.ProviderID = sm.ProviderID
		}
		rec.m.Delivery, rec.m.Error, rec.m.SentAt = core.DeliverySent, "", at
		put(t, d.messages, sm.ID, rec)
	}
	return nil
}

// AdvanceDelivery implements core.MessageStore.
func (t *tx) AdvanceDelivery(_ context.Context, channelID, providerID string, from []core.Delivery, to core.Delivery, errText string) ([]core.MovedMessage, error) {
	defer t.write()()
	d := t.d()
	var moved []core.MovedMessage
	for id, rec := range d.messages {
		m := rec.m
		if m.ChannelID != channelID || m.ProviderID != providerID || m.Author == core.AuthorCustomer || !slices.Contains(from, m.Delivery) {
			continue
		}
		rec.m.Delivery, rec.m.Error = to, errText
		put(t, d.messages, id, rec)
		moved = append(moved, core.MovedMessage{Message: t.filled(rec.m), AgentID: d.convs[m.ConversationID].AgentID})
	}
	return moved, nil
}

// ReadUpTo implements core.MessageStore.
func (t *tx) ReadUpTo(_ context.Context, channelID, channelUserID string, at time.Time) ([]core.MovedMessage, error) {
	defer t.write()()
	d := t.d()
	custID, ok := d.customerKey[key{channelID, channelUserID}]
	if !ok {
		return nil, nil
	}
	var moved []core.MovedMessage
	for _, convID := range d.custConvs[custID] {
		conv := d.convs[convID]
		for _, id := range d.convMsgs[convID] {
			rec := d.messages[id]
			m := rec.m
			sentAt := m.SentAt
			if sentAt.IsZero() {
				sentAt = m.CreatedAt
			}
			if m.ChannelID != channelID || m.Author == core.AuthorCustomer ||
				(m.Delivery != core.DeliverySent && m.Delivery != core.DeliveryDelivered) || sentAt.After(at) {
				continue
			}
			rec.m.Delivery, rec.m.Error = core.DeliveryRead, ""
			put(t, d.messages, id, rec)
			moved = append(moved, core.MovedMessage{Message: t.filled(rec.m), AgentID: conv.AgentID})
		}
	}
	return moved, nil
}

// KeepEarlyDelivery implements core.MessageStore. Nothing is kept when an
// outbound message already carries the provider id.
func (t *tx) KeepEarlyDelivery(_ context.Context, e core.EarlyDelivery, from []core.Delivery) error {
	defer t.write()()
	d, k := t.d(), key{e.ChannelID, e.ProviderID}
	for _, rec := range d.messages {
		if m := rec.m; m.ChannelID == e.ChannelID && m.ProviderID == e.ProviderID && m.Author != core.AuthorCustomer {
			return nil
		}
	}
	if old, ok := d.early[k]; ok && !slices.Contains(from, old.Delivery) {
		return nil
	}
	put(t, d.early, k, e)
	return nil
}

// TakeEarlyDeliveries implements core.MessageStore.
func (t *tx) TakeEarlyDeliveries(_ context.Context, keys []core.ChannelKey) ([]core.EarlyDelivery, error) {
	defer t.write()()
	d := t.d()
	var out []core.EarlyDelivery
	for _, ck := range keys {
		k := key{ck.ChannelID, ck.ID}
		if e, ok := d.early[k]; ok {
			del(t, d.early, k)
			out = append(out, e)
		}
	}
	return out, nil
}

// PurgeEarlyDeliveries implements core.MessageStore.
func (t *tx) PurgeEarlyDeliveries(_ context.Context, before time.Time) (int, error) {
	defer t.write()()
	d, n := t.d(), 0
	for k, e := range d.early {
		if e.At.Before(before) {
			del(t, d.early, k)
			n++
		}
	}
	return n, nil
}

// EditInbound implements core.MessageStore.
func (t *tx) EditInbound(_ context.Context, channelID, providerID, text string) error {
	defer t.write()()
	d := t.d()
	id, ok := d.providerKey[key{channelID, providerID}]
	if !ok {
		return notFound("customer message", channelID+"/"+providerID)
	}
	rec := d.messages[id]
	rec.m.Text = text
	put(t, d.messages, id, rec)
	return nil
}

// ClaimUnprocessed implements core.MessageStore.
func (t *tx) ClaimUnprocessed(_ context.Context, ids []string, at time.Time) ([]core.Message, error) {
	defer t.write()()
	var out []core.Message
	for _, id := range ids {
		rec, ok := t.d().messages[id]
		if !ok || rec.m.Author != core.AuthorCustomer || !rec.m.ProcessedAt.IsZero() {
			continue
		}
		rec.m.ProcessedAt = at
		put(t, t.d().messages, id, rec)
		out = append(out, t.filled(rec.m))
	}
	return out, nil
}

// Due implements core.MessageStore, oldest first; limit applies to each
// list (0: no limit). An open request counts as touched when it was
// updated or offered.
func (t *tx) Due(_ context.Context, olderThan time.Time, limit int) (core.DueWork, error) {
	defer t.read()()
	d := t.d()
	msgs := make([]message, 0, len(d.messages))
	for _, rec := range d.messages {
		msgs = append(msgs, rec)
	}
	slices.SortFunc(msgs, func(a, b message) int { return cmp.Compare(a.seq, b.seq) })
	reqs := make([]request, 0, len(d.requests))
	for _, rec := range d.requests {
		reqs = append(reqs, rec)
	}
	slices.SortFunc(reqs, func(a, b request) int { return cmp.Compare(a.seq, b.seq) })

	var w core.DueWork
	add := func(list *[]string, id string) {
		if limit <= 0 || len(*list) < limit {
			*list = append(*list, id)
		}
	}
	for _, rec := range msgs {
		m := rec.m
		if !m.CreatedAt.Before(olderThan) {
			continue
		}
		if m.Author == core.AuthorCustomer && m.ProcessedAt.IsZero() {
			add(&w.Unprocessed, m.ID)
		}
		if m.Delivery == core.DeliveryQueued {
			add(&w.Undelivered, m.ID)
		}
	}
	for _, rec := range reqs {
		if rec.r.Status.Open() && rec.r.UpdatedAt.Before(olderThan) && rec.offeredAt.Before(olderThan) {
			add(&w.OpenRequests, rec.r.ID)
		}
	}
	return w, nil
}

// StatsData implements core.StatsStore.
func (t *tx) StatsData(_ context.Context, now time.Time) (core.StatsData, error) {
	defer t.read()()
	d := t.d()
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // Monday of this ISO week
	first := week.AddDate(0, 0, -7*11)
	weeks := make([]int, 12)

	var st core.StatsData
	for _, c := range d.convs {
		switch c.Status {
		case core.ConvActive:
			st.Active++
		case core.ConvResolved:
			st.ResolvedTotal++
			if !c.ResolvedAt.Before(day) {
				st.ResolvedDay++
			}
			if r := c.ResolvedAt.UTC(); !r.Before(first) && r.Before(week.AddDate(0, 0, 7)) {
				weeks[int(r.Sub(first)/(7*24*time.Hour))]++
			}
		}
	}
	for i, n := range weeks {
		y, w := first.AddDate(0, 0, 7*i).ISOWeek()
		st.ResolvedByWeek = append(st.ResolvedByWeek, core.WeekCount{Week: fmt.Sprintf("%04d-W%02d", y, w), Resolved: n})
	}

	reqs := make([]request, 0, len(d.requests))
	for _, rec := range d.requests {
		reqs = append(reqs, rec)
	}
	slices.SortFunc(reqs, func(a, b request) int { return cmp.Compare(a.seq, b.seq) })
	since := now.Add(-7 * 24 * time.Hour)
	for _, rec := range reqs {
		r := rec.r
		switch r.Status {
		case core.ReqWaiting:
			st.Waiting++
		case core.ReqDeclined:
			st.Declined++
		}
		if r.AcceptedAt.IsZero() || r.AcceptedAt.Before(since) {
			continue
		}
		st.WaitSeconds = append(st.WaitSeconds, r.AcceptedAt.Sub(r.CreatedAt).Seconds())
		for _, id := range d.convMsgs[r.ConversationID] {
			if m := d.messages[id].m; m.Author == core.AuthorAgent && !m.CreatedAt.Before(r.AcceptedAt) {
				st.FirstResponseSeconds = append(st.FirstResponseSeconds, m.CreatedAt.Sub(r.AcceptedAt).Seconds())
				break
			}
		}
	}
	return st, nil
}
