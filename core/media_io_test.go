package core_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

func TestMediaLimitsCheck(t *testing.T) {
	lim := core.MediaLimits{
		Channel: "WhatsApp",
		MaxBytes: map[core.AttachmentKind]int64{
			core.AttachmentImage:    5 * core.MB,
			core.AttachmentDocument: 100 * core.MB,
		},
		Types: map[core.AttachmentKind][]string{
			core.AttachmentImage: {"image/jpeg", "image/png"},
		},
	}
	tests := []struct {
		name    string
		kind    core.AttachmentKind
		mime    string
		size    int64
		want    error
		message string
	}{
		{"image at the limit", core.AttachmentImage, "image/jpeg", 5 * core.MB, nil, ""},
		{"image with parameters", core.AttachmentImage, "image/PNG; q=1", 10, nil, ""},
		{"image one byte over", core.AttachmentImage, "image/jpeg", 5*core.MB + 1, core.ErrPayloadTooLarge, "WhatsApp accepts images up to 5 MB"},
		{"image of a refused type", core.AttachmentImage, "image/gif", 10, core.ErrUnsupportedMediaType, "WhatsApp does not take image/gif as images (it takes image/jpeg, image/png)"},
		{"image of no type", core.AttachmentImage, "", 10, core.ErrUnsupportedMediaType, "WhatsApp does not take files of unknown type as images (it takes image/jpeg, image/png)"},
		{"document of any type", core.AttachmentDocument, "application/zip", 100 * core.MB, nil, ""},
		{"document over", core.AttachmentDocument, "application/pdf", 100*core.MB + 1, core.ErrPayloadTooLarge, "WhatsApp accepts documents up to 100 MB"},
		{"kind the channel does not send", core.AttachmentSticker, "image/webp", 10, core.ErrUnsupportedMediaType, "WhatsApp does not take stickers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := lim.Check(tt.kind, tt.mime, tt.size)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
			if got := err.Error(); got != tt.message {
				t.Errorf("message = %q, want %q", got, tt.message)
			}
			if _, ok := errors.AsType[*core.MediaLimitError](fmt.Errorf("send: %w", err)); !ok {
				t.Errorf("wrapped %T is not a *MediaLimitError", err)
			}
		})
	}
}

func TestMediaLimitsCheckFile(t *testing.T) {
	lim := core.MediaLimits{Channel: "Telegram", MaxBytes: map[core.AttachmentKind]int64{core.AttachmentImage: 10 * core.MB}}
	if err := lim.CheckFile(&core.OutboundFile{Kind: core.AttachmentImage, MIME: "image/png", Size: 10 * core.MB}); err != nil {
		t.Fatalf("CheckFile = %v", err)
	}
	for _, c := range []struct {
		f    core.OutboundFile
		code string
	}{
		{core.OutboundFile{Kind: core.AttachmentImage, MIME: "image/png", Size: 10*core.MB + 1}, "payload_too_large"},
		{core.OutboundFile{Kind: core.AttachmentVideo, MIME: "video/mp4", Size: 1}, "unsupported_media_type"},
	} {
		err := lim.CheckFile(&c.f)
		de, ok := errors.AsType[*core.DeliveryError](err)
		if !ok || !de.Permanent || de.Code != c.code || de.Reason == "" {
			t.Errorf("CheckFile(%+v) = %#v, want a permanent %s", c.f, err, c.code)
		}
	}
	if got := core.BaseMIME("Audio/OGG; codecs=opus"); got != "audio/ogg" {
		t.Errorf("BaseMIME = %q", got)
	}
}

func TestMediaLimitsZeroTakesAll(t *testing.T) {
	var none core.MediaLimits
	if err := none.Check(core.AttachmentSticker, "application/x-anything", 1<<40); err != nil {
		t.Errorf("the zero MediaLimits refused: %v", err)
	}
}

func TestMediaErrorPermanence(t *testing.T) {
	cause := errors.New("http 404")
	tests := []struct {
		name       string
		err        error
		wantReason string
		permanent  bool
	}{
		{"permanent", core.PermanentMedia(core.MediaExpired, cause), core.MediaExpired, true},
		{"permanent wrapped", fmt.Errorf("fetch wa: %w", core.PermanentMedia(core.MediaTooLarge, nil)), core.MediaTooLarge, true},
		{"transient media error", &core.MediaError{Reason: "http 503", Err: cause}, "", false},
		{"plain error", cause, "", false},
		{"nil", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, ok := core.IsPermanentMedia(tt.err)
			if ok != tt.permanent || reason != tt.wantReason {
				t.Errorf("IsPermanentMedia = %q, %v; want %q, %v", reason, ok, tt.wantReason, tt.permanent)
			}
		})
	}
	if err := core.PermanentMedia(core.MediaNotFound, cause); !errors.Is(err, cause) {
		t.Errorf("%v does not unwrap to its cause", err)
	}
	if got := core.PermanentMedia(core.MediaExpired, cause).Error(); got != "media fetch (permanent): expired: http 404" {
		t.Errorf("Error() = %q", got)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 bytes", 100: "100 bytes", 512 * core.KB: "512 KB", 1536: "1.5 KB",
		5 * core.MB: "5 MB", 25 * core.MB: "25 MB", 3 * core.MB / 2: "1.5 MB",
	} {
		if got := core.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
