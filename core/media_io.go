package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
)

// This file is the channel-neutral contract of files moving between the
// gateway and a provider: how a channel downloads a customer's file
// (MediaFetcher), how a download fails (MediaError), what a channel
// accepts (MediaLimits), and the file of an outbound message (OutboundFile,
// carried by Outbound to the channel's one Sender).

// RemoteFile is a file being downloaded from a provider. The caller reads
// Body and closes it. MIME and Size are what the provider said (Size 0 or
// -1 when it did not say); the bytes are the truth, judged by the caller.
type RemoteFile struct {
	Body io.ReadCloser
	MIME string
	Size int64
	Name string
}

// MediaFetcher downloads the files customers send on one channel, with the
// channel's credentials, from what the webhook announced (Ref or URL). A
// *MediaError with Permanent set means the file can never be fetched
// (expired, gone, too large); any other error is transient and retried.
// An error never shows a credential, even inside a URL.
type MediaFetcher interface {
	FetchMedia(ctx context.Context, a InboundAttachment) (RemoteFile, error)
}

// Reasons of a permanent MediaError: the attachment's error as agents see it.
const (
	MediaExpired  = "expired"   // the provider's reference or URL expired
	MediaNotFound = "not_found" // the provider has no such file
	MediaTooLarge = "too_large" // over the provider's download limit or ours
	MediaRefused  = "refused"   // the provider refuses to hand it over
)

// MediaError is a failed download. Permanent errors mark the attachment
// failed with Reason; others (timeouts, 5xx, 429) are retried.
type MediaError struct {
	Permanent bool
	// Reason is one of MediaExpired, MediaNotFound, MediaTooLarge,
	// MediaRefused when Permanent; a short word otherwise.
	Reason string
	Err    error
}

func (e *MediaError) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	if e.Err == nil {
		return fmt.Sprintf("media fetch (%s): %s", kind, e.Reason)
	}
	return fmt.Sprintf("media fetch (%s): %s: %v", kind, e.Reason, e.Err)
}

func (e *MediaError) Unwrap() error { return e.Err }

// PermanentMedia returns a permanent *MediaError with reason and cause.
func PermanentMedia(reason string, err error) error {
	return &MediaError{Permanent: true, Reason: reason, Err: err}
}

// IsPermanentMedia reports whether err is, or wraps, a permanent
// *MediaError, and returns its reason.
func IsPermanentMedia(err error) (reason string, ok bool) {
	me, found := errors.AsType[*MediaError](err)
	if !found || !me.Permanent {
		return "", false
	}
	return me.Reason, true
}

// ChannelMedia is what one channel does with files: how the files its
// customers send are fetched, and what its provider takes in an outbound
// file.
type ChannelMedia struct {
	// Fetcher downloads inbound files; nil when the channel's files come
	// by upload (the widget).
	Fetcher MediaFetcher
	Limits  MediaLimits
}

// RegisterMedia sets the ChannelMedia of a channel (the composition root
// does, next to RegisterSender).
func (s *Service) RegisterMedia(channelID string, m ChannelMedia) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[channelID] = m
}

// channelMedia is the ChannelMedia of a channel; false when none was
// registered.
func (s *Service) channelMedia(channelID string) (ChannelMedia, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.media[channelID]
	return m, ok
}

// OutboundFile is the file of an outbound message. Open is called once per
// attempt to send and the caller closes what it returns; a send that is
// retried opens the file again. The message's Text is the caption.
type OutboundFile struct {
	Kind AttachmentKind
	MIME string // judged from the bytes when the file was stored
	Name string
	Size int64
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// MediaLimitError is a file a channel (or the gateway) refuses before
// anything is stored or sent; its message, written for people, names the
// limit ("WhatsApp accepts images up to 5 MB"). errors.Is matches Err:
// ErrPayloadTooLarge or ErrUnsupportedMediaType.
type MediaLimitError struct {
	Err     error
	Message string
}

func (e *MediaLimitError) Error() string { return e.Message }

func (e *MediaLimitError) Unwrap() error { return e.Err }

// MediaLimits is what one channel's provider accepts in an outbound file:
// per kind the largest size and the content types it takes. A kind missing
// from MaxBytes is not sent on the channel at all; a kind without Types
// takes any content type. The zero MediaLimits (MaxBytes nil) has no limit
// of its own: only the gateway's media.max_bytes applies (the widget).
type MediaLimits struct {
	// Channel names the provider in messages ("WhatsApp").
	Channel  string
	MaxBytes map[AttachmentKind]int64
	Types    map[AttachmentKind][]string
}

// Check returns nil when the provider takes a file of kind, content type
// mimeType and size bytes, else a *MediaLimitError that wraps
// ErrUnsupportedMediaType (the kind or type is refused) or
// ErrPayloadTooLarge (over the kind's limit), the limit named. Parameters of
// mimeType ("audio/ogg; codecs=opus") do not matter.
func (l MediaLimits) Check(kind AttachmentKind, mimeType string, size int64) error {
	if l.MaxBytes == nil {
		return nil
	}
	max, ok := l.MaxBytes[kind]
	if !ok {
		return &MediaLimitError{ErrUnsupportedMediaType, fmt.Sprintf("%s does not take %s", l.Channel, kindPlural(kind))}
	}
	if types := l.Types[kind]; len(types) > 0 {
		base := baseMIME(mimeType)
		if !slices.Contains(types, base) {
			return &MediaLimitError{ErrUnsupportedMediaType, fmt.Sprintf("%s does not take %s as %s (it takes %s)",
				l.Channel, orUnknown(base), kindPlural(kind), strings.Join(types, ", "))}
		}
	}
	if size > max {
		return &MediaLimitError{ErrPayloadTooLarge, fmt.Sprintf("%s accepts %s up to %s", l.Channel, kindPlural(kind), FormatBytes(max))}
	}
	return nil
}

// CheckFile is Check of an outbound file, for a Sender: nil when the
// provider takes it, else a permanent *DeliveryError (code
// payload_too_large or unsupported_media_type) whose reason names the
// limit, so the message fails at once instead of being retried.
func (l MediaLimits) CheckFile(f *OutboundFile) error {
	err := l.Check(f.Kind, f.MIME, f.Size)
	if err == nil {
		return nil
	}
	code := "unsupported_media_type"
	if errors.Is(err, ErrPayloadTooLarge) {
		code = "payload_too_large"
	}
	return &DeliveryError{Permanent: true, Code: code, Reason: err.Error()}
}

// BaseMIME is a media type without its parameters, lower case
// ("audio/ogg; codecs=opus" → "audio/ogg").
func BaseMIME(t string) string { return baseMIME(t) }

// baseMIME is the media type without parameters, lower case.
func baseMIME(t string) string {
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		return mt
	}
	return strings.ToLower(strings.TrimSpace(t))
}

func orUnknown(t string) string {
	if t == "" {
		return "files of unknown type"
	}
	return t
}

func kindPlural(k AttachmentKind) string {
	switch k {
	case AttachmentImage:
		return "images"
	case AttachmentAudio:
		return "audio files"
	case AttachmentVoice:
		return "voice notes"
	case AttachmentVideo:
		return "videos"
	case AttachmentDocument:
		return "documents"
	case AttachmentSticker:
		return "stickers"
	}
	return string(k) + " files"
}

// Sizes in bytes, as providers count their limits.
const (
	KB int64 = 1 << 10
	MB int64 = 1 << 20
)

// FormatBytes writes a size for people: "5 MB", "512 KB", "1.5 MB", "100 bytes".
func FormatBytes(n int64) string {
	switch {
	case n >= MB && n%MB == 0:
		return fmt.Sprintf("%d MB", n/MB)
	case n >= MB:
		return fmt.Sprintf("%.1f MB", float64(n)/float64(MB))
	case n >= KB && n%KB == 0:
		return fmt.Sprintf("%d KB", n/KB)
	case n >= KB:
		return fmt.Sprintf("%.1f KB", float64(n)/float64(KB))
	}
	return fmt.Sprintf("%d bytes", n)
}
