package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RevokedText replaces a message the customer deleted.
const RevokedText = "(message deleted by the customer)"

// deliveryRank orders the delivery states a message moves through.
var deliveryRank = map[Delivery]int{DeliveryQueued: 0, DeliverySent: 1, DeliveryDelivered: 2, DeliveryRead: 3}

// EarlyDeliveryTTL is how long a status callback for a provider id none of
// our messages carries is kept for Deliver to claim; the housekeeping sweep
// removes older ones (another system's messages, or a send whose record was
// lost and sent again under a new id).
const EarlyDeliveryTTL = 24 * time.Hour

// DeliveryStatus applies a provider's status callback (sent, delivered,
// read, failed) to our outbound message with that provider id. States only
// move forward: a late "delivered" leaves "read" alone, and "failed" is
// taken only before the customer's device confirmed the message.
//
// A callback can outrun the provider's own answer to the send, so a
// provider id no message carries yet is kept as an early status that
// Deliver applies when it records the id (unknown ids of another system's
// messages are kept too, and purged after EarlyDeliveryTTL). After keeping
// it the message is looked up once more: Deliver may have recorded the id
// and looked for early statuses in between, and it looks again after its
// commit, so whichever comes last sees the other.
func (s *Service) DeliveryStatus(ctx context.Context, channelID, providerID string, to Delivery, errText string) error {
	if providerID == "" {
		return Invalid("provider_id", "is required")
	}
	from, err := deliveryFrom(to)
	if err != nil {
		return err
	}
	moved, err := s.store.AdvanceDelivery(ctx, channelID, providerID, from, to, errText)
	if err != nil {
		return fmt.Errorf("delivery status %s of %s/%s: %w", to, channelID, providerID, err)
	}
	if len(moved) > 0 || to == DeliverySent { // Deliver records "sent" itself
		s.movedEvents(ctx, moved)
		return nil
	}
	e := EarlyDelivery{ChannelID: channelID, ProviderID: providerID, Delivery: to, Error: errText, At: s.clock()}
	if err := s.store.KeepEarlyDelivery(ctx, e, from); err != nil {
		return fmt.Errorf("keep early delivery status %s of %s/%s: %w", to, channelID, providerID, err)
	}
	if moved, err = s.store.AdvanceDelivery(ctx, channelID, providerID, from, to, errText); err != nil {
		return fmt.Errorf("delivery status %s of %s/%s: %w", to, channelID, providerID, err)
	}
	s.movedEvents(ctx, moved)
	return nil
}

// ReadUpTo applies a read watermark, a read receipt that names no message
// (Messenger's): the customer has read everything we sent them on the
// channel up to `at`. The messages are found in the database, so it works
// in whichever process takes the webhook.
func (s *Service) ReadUpTo(ctx context.Context, channelID, userID string, at time.Time) error {
	if userID == "" || at.IsZero() {
		return Invalid("watermark", "needs a user and a time")
	}
	moved, err := s.store.ReadUpTo(ctx, channelID, userID, at)
	if err != nil {
		return fmt.Errorf("read watermark of %s/%s at %s: %w", channelID, userID, at.Format(time.RFC3339), err)
	}
	s.movedEvents(ctx, moved)
	return nil
}

// movedEvents tells the handling agents about messages whose delivery a
// provider's status moved (message.updated), in one batch. Statuses come
// from providers' channels only, so there is no widget visitor to tell.
func (s *Service) movedEvents(ctx context.Context, moved []MovedMessage) {
	var a after
	for _, mv := range moved {
		if mv.AgentID != "" {
			s.publish(&a, AgentStream(mv.AgentID), EventMessageUpdated, mv.Message)
		}
	}
	a.run(ctx, s)
}

// deliveryFrom lists the delivery states a callback may move a message
// from to reach `to`.
func deliveryFrom(to Delivery) ([]Delivery, error) {
	var from []Delivery
	switch to {
	case DeliveryFailed:
		from = []Delivery{DeliveryQueued, DeliverySent}
	case DeliverySent, DeliveryDelivered, DeliveryRead:
		for d, r := range deliveryRank {
			if r < deliveryRank[to] {
				from = append(from, d)
			}
		}
	default:
		return nil, Invalid("status", "unknown delivery status %q", to)
	}
	return from, nil
}

// EditInbound records the customer's edit of a message they sent. An edit
// of a message we never stored is ignored.
func (s *Service) EditInbound(ctx context.Context, channelID, providerID, text string) error {
	if err := checkText("text", text); err != nil {
		return err
	}
	err := s.store.EditInbound(ctx, channelID, providerID, strings.TrimSpace(text))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("edit message %s/%s: %w", channelID, providerID, err)
	}
	return nil
}

// RevokeInbound blanks a message the customer deleted (its text leaves the
// history and the search index). A revoke of an unknown message is ignored.
func (s *Service) RevokeInbound(ctx context.Context, channelID, providerID string) error {
	err := s.store.EditInbound(ctx, channelID, providerID, RevokedText)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("revoke message %s/%s: %w", channelID, providerID, err)
	}
	return nil
}

// KnownCustomer returns the stored customer of a channel user, if any, so
// a channel adapter can skip a profile look-up when it knows the name.
func (s *Service) KnownCustomer(ctx context.Context, channelID, userID string) (Customer, bool, error) {
	c, err := s.store.CustomerByChannelUser(ctx, channelID, userID)
	if isNotFound(err) {
		return Customer{}, false, nil
	}
	if err != nil {
		return Customer{}, false, fmt.Errorf("read customer %s/%s: %w", channelID, userID, err)
	}
	return c, true, nil
}
