package core

import (
	"context"
	"errors"
	"fmt"
)

// outbound stores a message we send to the customer (bot, agent or system)
// as queued and schedules its delivery.
func (s *Service) outbound(ctx context.Context, tx Tx, a *after, conv Conversation, author Author, agentID, text string) (Message, error) {
	m := Message{ID: NewID(), ConversationID: conv.ID, ChannelID: conv.ChannelID, Author: author,
		AgentID: agentID, Text: text, CreatedAt: s.clock(), Delivery: DeliveryQueued}
	if err := tx.InsertMessage(ctx, m); err != nil {
		return Message{}, fmt.Errorf("store %s message in conversation %s: %w", author, conv.ID, err)
	}
	a.deliver(conv, m)
	s.messageEvents(a, conv, EventMessageCreated, m)
	return m, nil
}

// Deliver is the msg:deliver worker: it sends a queued outbound message on
// its channel and records the provider id, or the permanent failure.
// Anything else is returned so the queue retries it.
func (s *Service) Deliver(ctx context.Context, messageID string) error {
	msg, conv, err := s.store.MessageWithConversation(ctx, messageID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deliver: read message %s: %w", messageID, err)
	}
	if msg.Delivery != DeliveryQueued {
		return nil // sent already, or failed for good
	}
	snd, ok := s.sender(conv.ChannelID)
	if !ok {
		return s.store.UpdateDelivery(ctx, msg.ID, DeliveryFailed, "", "no sender for channel "+conv.ChannelID)
	}
	return s.send(ctx, snd, conv, msg)
}

// errNoSender: the channel has no sender in this process.
var errNoSender = errors.New("no sender for the channel")

// transmitNow sends msg, queued in conv, from the worker that stored it
// (see transmit).
func (s *Service) transmitNow(ctx context.Context, conv Conversation, msg Message) (Message, error) {
	snd, ok := s.sender(conv.ChannelID)
	if !ok {
		return Message{}, errNoSender // msg:deliver records it
	}
	return s.transmit(ctx, snd, conv, msg)
}

// send sends msg, queued in conv, with snd, and records the provider id or
// the permanent failure; anything else is returned for a retry.
func (s *Service) send(ctx context.Context, snd Sender, conv Conversation, msg Message) error {
	sent, err := s.transmit(ctx, snd, conv, msg)
	if errors.Is(err, errRefused) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.recordSent(ctx, []queuedOut{{conv: conv, msg: sent}})
}

// errRefused: the provider refused a message for good; transmit recorded it.
var errRefused = errors.New("refused by the provider for good")

// transmit hands msg, queued in conv, to snd and returns it as sent, with
// the provider's id, for recordSent. A permanent refusal is recorded here
// (the agent sees the failure and its reason) and reported as errRefused;
// anything else is returned for a retry.
func (s *Service) transmit(ctx context.Context, snd Sender, conv Conversation, msg Message) (Message, error) {
	ch := s.channelOf(conv.ChannelID)
	pid, err := snd.Send(ctx, Outbound{MessageID: msg.ID, Channel: ch, Customer: conv.Customer, Text: msg.Text, Author: msg.Author,
		File: s.outboundFile(msg)})
	var de *DeliveryError
	if errors.As(err, &de) && de.Permanent {
		s.log.WarnContext(ctx, "delivery failed for good", "message_id", msg.ID, "channel", ch.ID, "err", err)
		if err := s.store.UpdateDelivery(ctx, msg.ID, DeliveryFailed, "", de.Error()); err != nil {
			return Message{}, fmt.Errorf("deliver: record failure of %s: %w", msg.ID, err)
		}
		msg.Delivery, msg.Error = DeliveryFailed, de.Error()
		s.deliveryEvent(ctx, conv, msg)
		return Message{}, errRefused
	}
	if err != nil {
		return Message{}, fmt.Errorf("deliver message %s on %s: %w", msg.ID, ch.ID, err)
	}
	msg.Delivery, msg.Error = DeliverySent, ""
	if pid != "" {
		msg.ProviderID = pid
	}
	return msg, nil
}

// recordSent records messages transmit sent, in one statement, then
// applies the status callbacks that came before the record, and publishes
// the messages' new state in one batch.
func (s *Service) recordSent(ctx context.Context, sent []queuedOut) error {
	if len(sent) == 0 {
		return nil
	}
	recs := make([]SentMessage, len(sent))
	var keys []ChannelKey
	for i, o := range sent {
		recs[i] = SentMessage{ID: o.msg.ID, ProviderID: o.msg.ProviderID}
		if o.msg.ProviderID != "" {
			keys = append(keys, ChannelKey{ChannelID: o.msg.ChannelID, ID: o.msg.ProviderID})
		}
	}
	if err := s.store.RecordSent(ctx, s.clock(), recs); err != nil {
		return fmt.Errorf("deliver: record %d sends (first %s): %w", len(sent), sent[0].msg.ID, err)
	}
	if len(keys) > 0 {
		// A status callback that came before this record waits in the early
		// deliveries. The callback keeps its status and then looks for the
		// message; we record the message and then look for the status: one
		// of the two sees the other.
		if err := s.applyEarly(ctx, keys, sent); err != nil {
			s.log.WarnContext(ctx, "apply early delivery statuses after the sends were recorded", "first_message_id", sent[0].msg.ID, "err", err)
		}
	}
	var a after
	for _, o := range sent {
		s.messageEvents(&a, o.conv, EventMessageUpdated, o.msg)
	}
	a.run(ctx, s)
	return nil
}

// deliveryEvent publishes a message whose delivery state changed.
func (s *Service) deliveryEvent(ctx context.Context, conv Conversation, msg Message) {
	var a after
	s.messageEvents(&a, conv, EventMessageUpdated, msg)
	a.run(ctx, s)
}

// applyEarly takes the early statuses kept for keys, the provider ids
// recordSent just recorded on sent, and applies each to its message, which
// it updates in sent.
func (s *Service) applyEarly(ctx context.Context, keys []ChannelKey, sent []queuedOut) error {
	early, err := s.store.TakeEarlyDeliveries(ctx, keys)
	if err != nil {
		return err
	}
	for _, e := range early {
		from, err := deliveryFrom(e.Delivery)
		if err != nil {
			continue // not a status we keep; it is gone now
		}
		moved, err := s.store.AdvanceDelivery(ctx, e.ChannelID, e.ProviderID, from, e.Delivery, e.Error)
		if err != nil {
			return fmt.Errorf("apply early delivery status %s of %s/%s: %w", e.Delivery, e.ChannelID, e.ProviderID, err)
		}
		if len(moved) == 0 {
			continue
		}
		for i := range sent {
			if m := &sent[i].msg; m.ChannelID == e.ChannelID && m.ProviderID == e.ProviderID {
				m.Delivery, m.Error = e.Delivery, e.Error
			}
		}
	}
	return nil
}

// FailDelivery gives up on an outbound message whose retries are spent:
// it is marked failed with the last error, so it is not sent again.
func (s *Service) FailDelivery(ctx context.Context, messageID, reason string) error {
	msg, err := s.store.MessageByID(ctx, messageID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fail delivery: read message %s: %w", messageID, err)
	}
	if msg.Delivery != DeliveryQueued {
		return nil
	}
	if reason == "" {
		reason = "delivery failed after every retry"
	}
	s.log.WarnContext(ctx, "delivery failed after every retry", "message_id", messageID, "err", reason)
	if err := s.store.UpdateDelivery(ctx, messageID, DeliveryFailed, "", reason); err != nil {
		return fmt.Errorf("fail delivery of %s: %w", messageID, err)
	}
	if conv, err := s.store.ConversationByID(ctx, msg.ConversationID); err == nil {
		msg.Delivery, msg.Error = DeliveryFailed, reason
		s.deliveryEvent(ctx, conv, msg)
	}
	return nil
}
