package memstore

import (
	"context"

	"github.com/switchboard-chat/switchboard/core"
)

// The set-based methods of core.Tx (group commit, and the answers of a
// group of bot turns). Outside Atomic each is all or nothing, as one SQL
// statement is.

// batch runs fn inside the caller's transaction, or else in one of its
// own under the write lock, undone when fn fails.
func (t *tx) batch(fn func(u *tx) error) error {
	if t.inTx {
		t.check()
		return fn(t)
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	u := &tx{s: t.s, inTx: true}
	if err := fn(u); err != nil {
		u.rollback()
		return err
	}
	return nil
}

// CustomersByChannelUsers implements core.CustomerStore; the store-wide
// lock covers the row locks.
func (t *tx) CustomersByChannelUsers(_ context.Context, keys []core.ChannelKey) (map[core.ChannelKey]core.Customer, error) {
	defer t.read()()
	out := map[core.ChannelKey]core.Customer{}
	for _, k := range keys {
		if id, ok := t.d().customerKey[key{k.ChannelID, k.ID}]; ok {
			out[k] = t.d().customers[id]
		}
	}
	return out, nil
}

// OpenConversationsOf implements core.ConversationStore.
func (t *tx) OpenConversationsOf(_ context.Context, customerIDs []string) (map[string]core.Conversation, error) {
	defer t.read()()
	out := map[string]core.Conversation{}
	for _, id := range customerIDs {
		ids := t.d().custConvs[id]
		for i := len(ids) - 1; i >= 0; i-- {
			if t.d().convs[ids[i]].Status != core.ConvResolved {
				c, err := t.conversation(ids[i])
				if err != nil {
					return nil, err
				}
				out[id] = c
				break
			}
		}
	}
	return out, nil
}

// SaveCustomers implements core.CustomerStore: a customer whose id is
// stored gets its name, e-mail, visits and last seen time written; any
// other is created.
func (t *tx) SaveCustomers(ctx context.Context, cs []core.Customer) error {
	return t.batch(func(u *tx) error {
		for _, c := range cs {
			old, ok := u.d().customers[c.ID]
			if !ok {
				if err := u.CreateCustomer(ctx, c); err != nil {
					return err
				}
				continue
			}
			old.Name, old.Email, old.Visits, old.LastSeenAt = c.Name, c.Email, c.Visits, c.LastSeenAt
			if err := u.UpdateCustomer(ctx, old); err != nil {
				return err
			}
		}
		return nil
	})
}

// CreateConversations implements core.ConversationStore.
func (t *tx) CreateConversations(ctx context.Context, cs []core.Conversation) error {
	return t.batch(func(u *tx) error {
		for _, c := range cs {
			if err := u.CreateConversation(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// InsertMessages implements core.MessageStore: the customer messages
// whose provider id is stored (or repeated in ms) are a
// *core.DuplicateMessagesError naming them all, as the SQL stores' insert
// reports them.
func (t *tx) InsertMessages(ctx context.Context, ms []core.Message) error {
	return t.batch(func(u *tx) error {
		var dup []core.ChannelKey
		for _, m := range ms {
			if _, ok := u.d().providerKey[key{m.ChannelID, m.ProviderID}]; ok && m.Author == core.AuthorCustomer && m.ProviderID != "" {
				dup = append(dup, core.ChannelKey{ChannelID: m.ChannelID, ID: m.ProviderID})
				continue
			}
			if err := u.InsertMessage(ctx, m); err != nil {
				return err
			}
		}
		if len(dup) > 0 {
			return &core.DuplicateMessagesError{Keys: dup}
		}
		return nil
	})
}
