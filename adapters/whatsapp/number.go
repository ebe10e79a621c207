package whatsapp

import (
	"log/slog"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// forNumber is Normalize for the channel of one business phone number.
// One Meta app (one app secret) may serve several numbers, and a body
// signed with its secret is genuine whichever number it is about; a
// change about another number (value.metadata.phone_number_id) belongs to
// another channel, or to none, so it is logged and ignored, never stored
// under this one.
func forNumber(channelID, phoneNumberID string, log *slog.Logger) func([]byte) ([]core.InboundEvent, error) {
	return func(body []byte) ([]core.InboundEvent, error) {
		var p payload
		if err := meta.Decode(body, &p); err != nil {
			return nil, err
		}
		var skipped []core.InboundEvent
		for i := range p.Entry {
			kept := p.Entry[i].Changes[:0]
			for _, ch := range p.Entry[i].Changes {
				if got := string(ch.Value.Metadata.PhoneNumberID); ch.Field == "messages" && got != phoneNumberID {
					log.Warn("whatsapp change for another phone number ignored", "channel", channelID,
						"phone_number_id", got, "want", phoneNumberID,
						"messages", len(ch.Value.Messages), "statuses", len(ch.Value.Statuses))
					skipped = append(skipped, core.IgnoredEvent("phone_number_id "+got+" is not this channel's"))
					continue
				}
				kept = append(kept, ch)
			}
			p.Entry[i].Changes = kept
		}
		return append(skipped, normalize(p)...), nil
	}
}
