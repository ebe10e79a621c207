package messenger

import (
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// Normalize turns a Messenger webhook body into events: text (a quick
// reply's payload when there is no text), attachments as "[type] url",
// postbacks as their title, deliveries per mid, reads as a watermark
// (core.InboundReadUpTo), edits; echoes of the page's own messages, reactions,
// opt-ins and referrals are ignored. Only malformed JSON is an error.
func Normalize(body []byte) ([]core.InboundEvent, error) {
	return meta.NormalizeMessaging(body, Object)
}
