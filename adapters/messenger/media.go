package messenger

import "github.com/switchboard-chat/switchboard/core"

// Limits are what the Send API takes in an uploaded attachment: images
// (JPEG, PNG, GIF), audio, video and files up to 25 MB. Messenger has no
// sticker upload.
var Limits = core.MediaLimits{
	Channel: "Messenger",
	MaxBytes: map[core.AttachmentKind]int64{
		core.AttachmentImage:    25 * core.MB,
		core.AttachmentAudio:    25 * core.MB,
		core.AttachmentVoice:    25 * core.MB,
		core.AttachmentVideo:    25 * core.MB,
		core.AttachmentDocument: 25 * core.MB,
	},
	Types: map[core.AttachmentKind][]string{
		core.AttachmentImage: {"image/jpeg", "image/png", "image/gif"},
	},
}
