package instagram

import "github.com/switchboard-chat/switchboard/core"

// Limits are what Instagram messaging takes in an attachment: images
// (PNG, JPEG) up to 8 MB; audio (AAC, M4A, WAV, MP4) and video (MP4, OGG,
// AVI, MOV, WebM) up to 25 MB; PDF documents up to 25 MB.
var Limits = core.MediaLimits{
	Channel: "Instagram",
	MaxBytes: map[core.AttachmentKind]int64{
		core.AttachmentImage:    8 * core.MB,
		core.AttachmentAudio:    25 * core.MB,
		core.AttachmentVoice:    25 * core.MB,
		core.AttachmentVideo:    25 * core.MB,
		core.AttachmentDocument: 25 * core.MB,
	},
	Types: map[core.AttachmentKind][]string{
		core.AttachmentImage:    {"image/png", "image/jpeg"},
		core.AttachmentAudio:    igAudio,
		core.AttachmentVoice:    igAudio,
		core.AttachmentVideo:    {"video/mp4", "video/ogg", "video/x-msvideo", "video/quicktime", "video/webm"},
		core.AttachmentDocument: {"application/pdf"},
	},
}

var igAudio = []string{"audio/aac", "audio/mp4", "audio/x-m4a", "audio/wav", "audio/x-wav", "audio/wave"}
