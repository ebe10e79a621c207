package instagram

import (
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// Normalize turns an Instagram webhook body into events: text, attachments
// ("[image] url", "[story_mention] url", "[share] url"), story replies,
// quick-reply payloads, postbacks, unsends (is_deleted → revoke), reads by
// mid; echoes of our own messages and reactions are ignored. Only
// malformed JSON is an error.
func Normalize(body []byte) ([]core.InboundEvent, error) {
	return meta.NormalizeMessaging(body, Object)
}
