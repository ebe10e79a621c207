package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
)

// Fetcher downloads the files customers send, in the Cloud API's two
// steps: GET {graph_url}/{media-id} with the access token answers the
// file's short-lived URL, its type and size; GET that URL with the same
// token answers the bytes. Media ids in webhooks live 7 days.
type Fetcher struct {
	client *meta.Client
}

var _ core.MediaFetcher = (*Fetcher)(nil)

// NewFetcher returns the fetcher of one phone number's media. hc should
// have no overall timeout: the caller's context bounds each download.
func NewFetcher(graphURL, accessToken string, hc *http.Client) *Fetcher {
	return &Fetcher{client: meta.NewClient(graphURL, accessToken, hc)}
}

// mediaInfo is the answer of GET /{media-id}.
type mediaInfo struct {
	URL      string  `json:"url"`
	MIMEType string  `json:"mime_type"`
	FileSize meta.ID `json:"file_size"` // a number, sometimes sent as a string
}

// FetchMedia looks a.Ref up and downloads the file. A media id the Graph
// API no longer knows (HTTP 404, or error code 100 "does not exist") has
// expired: permanent. Throttling, 5xx and timeouts are retried, and so is
// a refused token (fixing the configuration brings the file back while
// the id lives).
func (f *Fetcher) FetchMedia(ctx context.Context, a core.InboundAttachment) (core.RemoteFile, error) {
	if a.Ref == "" {
		if a.URL != "" {
			return f.client.Download(ctx, a.URL)
		}
		return core.RemoteFile{}, core.PermanentMedia(core.MediaNotFound, errors.New("whatsapp attachment without media id"))
	}
	var info mediaInfo
	if err := f.client.Do(ctx, http.MethodGet, url.PathEscape(a.Ref), nil, nil, &info); err != nil {
		return core.RemoteFile{}, lookupError(a.Ref, err)
	}
	if info.URL == "" {
		return core.RemoteFile{}, core.PermanentMedia(core.MediaNotFound, fmt.Errorf("whatsapp media %s: the lookup answered no url", a.Ref))
	}
	rf, err := f.client.Download(ctx, info.URL)
	if err != nil {
		return core.RemoteFile{}, fmt.Errorf("whatsapp media %s: %w", a.Ref, err)
	}
	if info.MIMEType != "" {
		rf.MIME = info.MIMEType
	}
	if n, err := strconv.ParseInt(string(info.FileSize), 10, 64); err == nil && n > 0 && rf.Size <= 0 {
		rf.Size = n
	}
	if rf.Name == "" {
		rf.Name = a.Name
	}
	return rf, nil
}

// lookupError classifies a failed GET /{media-id}.
func lookupError(ref string, err error) error {
	var ge *meta.GraphError
	if !errors.As(err, &ge) {
		return fmt.Errorf("whatsapp media %s: %w", ref, err) // transport: retried
	}
	switch {
	case ge.Status == http.StatusNotFound || ge.Status == http.StatusGone,
		ge.Status == http.StatusBadRequest && ge.Code == 100:
		return core.PermanentMedia(core.MediaExpired, fmt.Errorf("whatsapp media %s: %w", ref, err))
	case ge.Status == http.StatusBadRequest && !ge.Transient:
		return core.PermanentMedia(core.MediaRefused, fmt.Errorf("whatsapp media %s: %w", ref, err))
	}
	return &core.MediaError{Reason: "http_" + strconv.Itoa(ge.Status), Err: fmt.Errorf("whatsapp media %s: %w", ref, err)}
}

// Limits are what the Cloud API takes in an outbound file (its supported
// media types): images up to 5 MB, audio (voice notes too) and video up
// to 16 MB, documents of any type up to 100 MB, stickers (WebP) up to
// 500 KB.
var Limits = core.MediaLimits{
	Channel: "WhatsApp",
	MaxBytes: map[core.AttachmentKind]int64{
		core.AttachmentImage:    5 * core.MB,
		core.AttachmentAudio:    16 * core.MB,
		core.AttachmentVoice:    16 * core.MB,
		core.AttachmentVideo:    16 * core.MB,
		core.AttachmentDocument: 100 * core.MB,
		core.AttachmentSticker:  500 * core.KB,
	},
	Types: map[core.AttachmentKind][]string{
		core.AttachmentImage:   {"image/jpeg", "image/png"},
		core.AttachmentAudio:   audioTypes,
		core.AttachmentVoice:   audioTypes,
		core.AttachmentVideo:   {"video/mp4", "video/3gpp"},
		core.AttachmentSticker: {"image/webp"},
	},
}

var audioTypes = []string{"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}
