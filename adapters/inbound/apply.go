package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// Ingester is the part of core.Service that inbound events reach.
type Ingester interface {
	Ingest(ctx context.Context, in core.Inbound) (core.Message, error)
	DeliveryStatus(ctx context.Context, channelID, providerID string, to core.Delivery, errText string) error
	ReadUpTo(ctx context.Context, channelID, userID string, at time.Time) error
	EditInbound(ctx context.Context, channelID, providerID, text string) error
	RevokeInbound(ctx context.Context, channelID, providerID string) error
	KnownCustomer(ctx context.Context, channelID, userID string) (core.Customer, bool, error)
}

var _ Ingester = (*core.Service)(nil)

// Options are the channel's parts of applying its events; all may be zero.
type Options struct {
	// Profile, when set, looks up the display name of a customer whose
	// message carries none (Messenger's and Instagram's User Profile API).
	// It is asked only while the stored customer has no name; a failed
	// look-up leaves the customer Anonymous Visitor.
	Profile func(ctx context.Context, userID string) (string, error)
	// ProfileTimeout bounds one profile look-up (default 5 s).
	ProfileTimeout time.Duration
	// Acknowledge, when set, answers an event's CallbackID once the event
	// is applied (Telegram's answerCallbackQuery, so the customer's button
	// stops spinning). It is best effort: it reports nothing.
	Acknowledge func(ctx context.Context, callbackID string)
	Log         *slog.Logger
}

// Applier applies one channel's events to core.
type Applier struct {
	svc       Ingester
	channelID string
	o         Options
	named     namedUsers
}

// NewApplier returns the applier of channel channelID.
func NewApplier(svc Ingester, channelID string, o Options) *Applier {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.ProfileTimeout <= 0 {
		o.ProfileTimeout = 5 * time.Second
	}
	return &Applier{svc: svc, channelID: channelID, o: o}
}

// Apply hands every event to core, in order. This is the outcome policy
// of every channel: a redelivered message (core.ErrDuplicate) is a
// success; an event core refuses as invalid (core.ErrInvalid) is logged
// and skipped, since a retry would not fix it; an ignored event is
// skipped. Anything else (storage down) stops and is returned, so that the
// provider delivers the whole body again and its stored part is then
// recognised as duplicates. An event's callback is acknowledged once the
// event is through, whether it was stored, a duplicate, skipped or
// ignored.
func (a *Applier) Apply(ctx context.Context, events []core.InboundEvent) error {
	names := map[string]string{}
	for _, ev := range events {
		if err := a.apply(ctx, ev, names); err != nil {
			return fmt.Errorf("channel %s: %s %s: %w", a.channelID, ev.Kind, ev.ProviderID, err)
		}
		if ev.CallbackID != "" && a.o.Acknowledge != nil {
			a.o.Acknowledge(ctx, ev.CallbackID)
		}
	}
	return nil
}

// apply applies one event; only errors that must stop the body remain.
func (a *Applier) apply(ctx context.Context, ev core.InboundEvent, names map[string]string) error {
	ch := a.channelID
	var err error
	switch ev.Kind {
	case core.InboundMessage:
		name := ev.Name
		if name == "" {
			if name, err = a.name(ctx, ev.UserID, names); err != nil {
				return err
			}
		}
		_, err = a.svc.Ingest(ctx, core.Inbound{ChannelID: ch, ChannelUserID: ev.UserID, Name: name,
			ProviderID: ev.ProviderID, Text: ev.Text, At: ev.At, Attachments: ev.Attachments})
		if errors.Is(err, core.ErrDuplicate) {
			err = nil
		}
	case core.InboundStatus:
		err = a.svc.DeliveryStatus(ctx, ch, ev.ProviderID, ev.Status, ev.Error)
	case core.InboundReadUpTo:
		err = a.svc.ReadUpTo(ctx, ch, ev.UserID, ev.At)
	case core.InboundEdit:
		err = a.svc.EditInbound(ctx, ch, ev.ProviderID, ev.Text)
	case core.InboundRevoke:
		err = a.svc.RevokeInbound(ctx, ch, ev.ProviderID)
	default:
		a.o.Log.DebugContext(ctx, "inbound event ignored", a.attrs(ev, "reason", ev.Why)...)
		return nil
	}
	if errors.Is(err, core.ErrInvalid) {
		a.o.Log.WarnContext(ctx, "inbound event skipped", a.attrs(ev, "err", err)...)
		return nil
	}
	return err
}

// attrs are the log attributes of ev, then more.
func (a *Applier) attrs(ev core.InboundEvent, more ...any) []any {
	out := []any{"channel", a.channelID, "kind", ev.Kind, "provider_id", ev.ProviderID}
	if ev.UpdateID != 0 {
		out = append(out, "update_id", ev.UpdateID)
	}
	return append(out, more...)
}

// name looks up the display name of a customer we have no name for. A
// failed look-up is "" (Anonymous Visitor), never an error; only a failed
// read of our own store is.
func (a *Applier) name(ctx context.Context, userID string, cache map[string]string) (string, error) {
	if a.o.Profile == nil || userID == "" {
		return "", nil
	}
	if n, ok := cache[userID]; ok {
		return n, nil
	}
	if a.named.has(userID) {
		return "", nil // core keeps the stored name
	}
	cust, known, err := a.svc.KnownCustomer(ctx, a.channelID, userID)
	if err != nil {
		return "", err
	}
	if known && cust.Name != "" {
		a.named.add(userID)
		cache[userID] = ""
		return "", nil
	}
	pctx, cancel := context.WithTimeout(ctx, a.o.ProfileTimeout)
	defer cancel()
	n, err := a.o.Profile(pctx, userID)
	if err != nil {
		a.o.Log.WarnContext(ctx, "profile look-up failed; the customer stays anonymous", "channel", a.channelID,
			"user_id", userID, "err", err)
		n = ""
	}
	cache[userID] = n
	return n, nil
}

// namedUsers remembers the users whose stored customer has a name, so
// that their later messages skip the store read before ingest. A stored
// name is never cleared (core keeps it when a message carries none), so
// the fact cannot go stale. The set starts over when it holds
// namedUsersMax users, which bounds its memory.
type namedUsers struct {
	mu    sync.Mutex
	users map[string]struct{}
}

const namedUsersMax = 100_000

func (n *namedUsers) has(userID string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.users[userID]
	return ok
}

func (n *namedUsers) add(userID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.users == nil || len(n.users) >= namedUsersMax {
		n.users = make(map[string]struct{})
	}
	n.users[userID] = struct{}{}
}
