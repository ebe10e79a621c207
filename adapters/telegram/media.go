package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/switchboard-chat/switchboard/core"
)

// MaxDownload is the largest file a bot can download: getFile serves
// files up to 20 MB.
const MaxDownload = 20 * core.MB

// Fetcher downloads the files customers send to the bot: getFile turns
// the file_id into a file_path, then GET {api_url}/file/bot<token>/<path>
// answers the bytes. The token is in that URL, so no error shows the URL.
type Fetcher struct {
	client *Client
}

var _ core.MediaFetcher = (*Fetcher)(nil)

// NewFetcher returns the fetcher of the bot behind client (whose HTTP
// client should have no overall timeout: ctx bounds each download).
func NewFetcher(client *Client) *Fetcher { return &Fetcher{client: client} }

// FetchMedia downloads a.Ref. A file over MaxDownload (told by the
// update's file_size or by getFile) fails for good with "too_large"
// without a download; a file_id Telegram does not know, or a file gone
// from its servers, is "not_found". Throttling, 5xx, timeouts and a
// refused token (a configuration to fix) are retried.
func (f *Fetcher) FetchMedia(ctx context.Context, a core.InboundAttachment) (core.RemoteFile, error) {
	if a.Size > MaxDownload {
		return core.RemoteFile{}, tooLarge(a.Size)
	}
	if a.Ref == "" {
		return core.RemoteFile{}, core.PermanentMedia(core.MediaNotFound, errors.New("telegram attachment without file_id"))
	}
	resp, err := f.client.Call(ctx, "getFile", tgbotapi.Params{"file_id": a.Ref})
	if err != nil {
		return core.RemoteFile{}, getFileError(err)
	}
	var file tgbotapi.File
	if err := json.Unmarshal(resp.Result, &file); err != nil {
		return core.RemoteFile{}, fmt.Errorf("telegram getFile: decode answer: %w", err)
	}
	if int64(file.FileSize) > MaxDownload {
		return core.RemoteFile{}, tooLarge(int64(file.FileSize))
	}
	if file.FilePath == "" {
		// Telegram answers no path for a file it cannot hand out.
		return core.RemoteFile{}, core.PermanentMedia(core.MediaTooLarge, errors.New("telegram getFile: no file_path (the file is over the bot's download limit)"))
	}
	rf, err := f.client.download(ctx, file.FilePath)
	if err != nil {
		return core.RemoteFile{}, err
	}
	if rf.Size <= 0 && file.FileSize > 0 {
		rf.Size = int64(file.FileSize)
	}
	if a.MIME != "" && (rf.MIME == "" || rf.MIME == "application/octet-stream") {
		rf.MIME = a.MIME
	}
	rf.Name = a.Name
	return rf, nil
}

func tooLarge(size int64) error {
	return core.PermanentMedia(core.MediaTooLarge, fmt.Errorf("telegram file of %s: bots download files up to %s",
		core.FormatBytes(size), core.FormatBytes(MaxDownload)))
}

// getFileError classifies a failed getFile (already scrubbed by Call).
func getFileError(err error) error {
	var te *tgbotapi.Error
	if !errors.As(err, &te) {
		return err // transport, or 5xx without a body: retried
	}
	desc := strings.ToLower(te.Message)
	switch {
	case te.Code == http.StatusBadRequest && strings.Contains(desc, "too big"):
		return core.PermanentMedia(core.MediaTooLarge, err)
	case te.Code == http.StatusBadRequest:
		return core.PermanentMedia(core.MediaNotFound, err) // wrong or expired file_id
	}
	return &core.MediaError{Reason: "telegram_" + strconv.Itoa(te.Code), Err: err}
}

// fileURL is where the file at path is downloaded: it holds the token.
func (c *Client) fileURL(path string) string {
	base := strings.TrimSuffix(c.endpoint, "/bot%s/%s")
	return base + "/file/bot" + c.token + "/" + strings.TrimLeft(path, "/")
}

// download GETs the file at path; errors name the path, never the URL.
func (c *Client) download(ctx context.Context, path string) (core.RemoteFile, error) {
	what := "telegram download of " + c.scrubText(path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.fileURL(path), nil)
	if err != nil {
		return core.RemoteFile{}, core.PermanentMedia(core.MediaNotFound, fmt.Errorf("%s: bad file_path", what))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error names the URL, and so the token
		}
		return core.RemoteFile{}, fmt.Errorf("%s: %w", what, c.scrub(err))
	}
	if resp.StatusCode/100 != 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		err := fmt.Errorf("%s: HTTP %d", what, resp.StatusCode)
		switch {
		case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
			return core.RemoteFile{}, core.PermanentMedia(core.MediaNotFound, err)
		case resp.StatusCode == http.StatusBadRequest:
			return core.RemoteFile{}, core.PermanentMedia(core.MediaRefused, err)
		}
		return core.RemoteFile{}, &core.MediaError{Reason: "http_" + strconv.Itoa(resp.StatusCode), Err: err}
	}
	return core.RemoteFile{Body: resp.Body, MIME: resp.Header.Get("Content-Type"), Size: resp.ContentLength}, nil
}

// scrubText cuts the token out of a text.
func (c *Client) scrubText(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "<token>")
}

// Limits are what the Bot API takes in a multipart upload: photos up to
// 10 MB, every other file up to 50 MB. No type is refused: a file that
// sendPhoto, sendAudio, sendVoice or sendVideo does not take goes out with
// sendDocument (see Sender).
var Limits = core.MediaLimits{
	Channel: "Telegram",
	MaxBytes: map[core.AttachmentKind]int64{
		core.AttachmentImage:    10 * core.MB,
		core.AttachmentAudio:    50 * core.MB,
		core.AttachmentVoice:    50 * core.MB,
		core.AttachmentVideo:    50 * core.MB,
		core.AttachmentDocument: 50 * core.MB,
		core.AttachmentSticker:  50 * core.MB,
	},
}
