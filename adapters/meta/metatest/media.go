package metatest

import (
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/core"
)

// attachmentKinds are the kinds of the contract's Attachment.
var attachmentKinds = map[core.AttachmentKind]bool{
	core.AttachmentImage: true, core.AttachmentAudio: true, core.AttachmentVoice: true,
	core.AttachmentVideo: true, core.AttachmentDocument: true, core.AttachmentSticker: true,
}

// CheckAttachments fails on attachments the media:fetch worker could not
// take: a kind outside the contract's, no reference and no http(s) URL to
// fetch, a negative size, text that is not UTF-8. Only messages carry
// attachments.
func CheckAttachments(t testing.TB, events []core.InboundEvent) {
	t.Helper()
	for i, ev := range events {
		if ev.Kind != core.InboundMessage && len(ev.Attachments) > 0 {
			t.Errorf("event %d: %s with attachments", i, ev.Kind)
		}
		for j, a := range ev.Attachments {
			if !attachmentKinds[a.Kind] {
				t.Errorf("event %d: attachment %d of kind %q", i, j, a.Kind)
			}
			if a.Ref == "" && !httpURL(a.URL) {
				t.Errorf("event %d: attachment %d has neither a reference nor an http(s) URL: %+v", i, j, a)
			}
			if a.Size < 0 {
				t.Errorf("event %d: attachment %d of size %d", i, j, a.Size)
			}
			for _, s := range []string{a.Ref, a.URL, a.MIME, a.Name, a.Caption} {
				if !utf8.ValidString(s) {
					t.Errorf("event %d: attachment %d with text that is not UTF-8: %+v", i, j, a)
				}
			}
		}
	}
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
