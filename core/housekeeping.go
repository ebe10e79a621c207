package core

import (
	"context"
	"fmt"
	"time"
)

// Housekeeping notes.
const (
	sysAbandoned = "This request was closed because you left. Write again any time."
)

// housekeep abandons widget requests whose visitor has gone and resolves
// idle active conversations (conversations.abandon_after and
// idle_resolve_after; zero switches either off). Each item is checked again
// in its own transaction, so a visitor who came back or a message that
// just arrived wins. Early delivery statuses nobody claimed within
// EarlyDeliveryTTL are purged.
func (s *Service) housekeep(ctx context.Context, now time.Time) (abandoned, resolved int, err error) {
	c := s.set().Conversations
	if c.AbandonAfter > 0 {
		cutoff := now.Add(-c.AbandonAfter)
		open, err := s.store.ListRequests(ctx, RequestQuery{Statuses: []RequestStatus{ReqWaiting, ReqDeclined}})
		if err != nil {
			return abandoned, resolved, fmt.Errorf("list open requests: %w", err)
		}
		for _, r := range open {
			if s.channelOf(r.ChannelID).Type != ChannelWidget || !r.Customer.LastSeenAt.Before(cutoff) {
				continue
			}
			done, err := s.abandon(ctx, r.ID, cutoff)
			if err != nil {
				return abandoned, resolved, err
			}
			if done {
				abandoned++
			}
		}
	}
	if c.IdleResolveAfter > 0 {
		cutoff := now.Add(-c.IdleResolveAfter)
		ids, err := s.store.IdleConversations(ctx, cutoff, 1000)
		if err != nil {
			return abandoned, resolved, fmt.Errorf("list idle conversations: %w", err)
		}
		for _, id := range ids {
			done, err := s.resolveIdle(ctx, id, cutoff, c.IdleResolveAfter)
			if err != nil {
				return abandoned, resolved, err
			}
			if done {
				resolved++
			}
		}
		if resolved > 0 {
			s.rerouteOpen(ctx, fmt.Sprintf("idle:%d", now.UnixNano()))
		}
	}
	if _, err := s.store.PurgeEarlyDeliveries(ctx, now.Add(-EarlyDeliveryTTL)); err != nil {
		return abandoned, resolved, fmt.Errorf("purge early delivery statuses: %w", err)
	}
	return abandoned, resolved, nil
}

// abandon closes an open widget request whose visitor was last seen before
// cutoff: the request becomes abandoned and its conversation resolved.
func (s *Service) abandon(ctx context.Context, requestID string, cutoff time.Time) (bool, error) {
	var a after
	done := false
	err := s.store.Atomic(ctx, func(tx Tx) error {
		req, err := tx.LockRequest(ctx, requestID)
		if err != nil {
			return fmt.Errorf("abandon: read request %s: %w", requestID, err)
		}
		if !req.Status.Open() || !req.Customer.LastSeenAt.Before(cutoff) {
			return nil
		}
		now := s.clock()
		req.Status, req.ClosedAt, req.UpdatedAt = ReqAbandoned, now, now
		if err := tx.UpdateRequest(ctx, req); err != nil {
			return fmt.Errorf("abandon request %s: %w", req.ID, err)
		}
		if err := tx.SetOffers(ctx, req.ID, nil, now); err != nil {
			return fmt.Errorf("abandon: withdraw offers of %s: %w", req.ID, err)
		}
		conv, err := tx.LockConversation(ctx, req.ConversationID)
		if err != nil {
			return fmt.Errorf("abandon: read conversation %s: %w", req.ConversationID, err)
		}
		if conv.Status == ConvWaiting {
			conv.Status, conv.ResolvedAt = ConvResolved, now
			if err := tx.UpdateConversation(ctx, conv); err != nil {
				return fmt.Errorf("abandon: resolve conversation %s: %w", conv.ID, err)
			}
			if _, err := s.outbound(ctx, tx, &a, conv, AuthorSystem, "", sysAbandoned); err != nil {
				return err
			}
		}
		done = true
		return nil
	})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	a.run(ctx, s)
	return done, nil
}

// resolveIdle resolves an active conversation whose last message is before
// cutoff, with a system note.
func (s *Service) resolveIdle(ctx context.Context, convID string, cutoff time.Time, idle time.Duration) (bool, error) {
	var a after
	done := false
	err := s.store.Atomic(ctx, func(tx Tx) error {
		conv, req, err := lockWithRequest(ctx, tx, convID)
		if err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		if conv.Status != ConvActive || !conv.LastMessageAt.Before(cutoff) {
			return nil
		}
		done = true
		return s.resolveTx(ctx, tx, &a, &conv, req, "This conversation was resolved automatically after "+
			HumanDuration(idle)+" without messages. Write again any time.")
	})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	a.run(ctx, s)
	return done, nil
}
