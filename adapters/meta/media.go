package meta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-chat/switchboard/core"
)

// Download GETs rawURL, a file's address the provider handed out, and
// returns the open body. token, when not empty, goes in the Authorization
// header (WhatsApp's media URLs want the access token); Messenger's and
// Instagram's signed CDN URLs need none. hc should have no overall
// timeout (files are large): ctx bounds the download.
//
// Failures are told apart as core.MediaFetcher callers need: 404 and 410
// are a permanent MediaNotFound; 401 and 403 a permanent MediaExpired on a
// signed URL (its signature ran out) and MediaRefused with a token; other
// 4xx a permanent MediaRefused; 408, 429, 5xx and transport errors are
// returned to be retried. No error names the URL's query (signatures) or
// the token.
func Download(ctx context.Context, hc *http.Client, rawURL, token string) (core.RemoteFile, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return core.RemoteFile{}, core.PermanentMedia(core.MediaNotFound, errors.New("the file's address is not an http(s) URL"))
	}
	where := u.Host
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return core.RemoteFile{}, core.PermanentMedia(core.MediaNotFound, fmt.Errorf("download from %s: %w", where, errors.New("bad request")))
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return core.RemoteFile{}, fmt.Errorf("download from %s: %w", where, transportCause(err))
	}
	if resp.StatusCode/100 != 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return core.RemoteFile{}, statusError(resp.StatusCode, token != "", "download from "+where)
	}
	f := core.RemoteFile{Body: resp.Body, MIME: resp.Header.Get("Content-Type"), Size: resp.ContentLength}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		f.Name = params["filename"]
	}
	return f, nil
}

// transportCause is a transport error without the URL a *url.Error
// names (it holds signatures, or on other channels a token).
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// statusError classifies a failed HTTP answer of a file download.
func statusError(status int, withToken bool, what string) error {
	err := fmt.Errorf("%s: HTTP %d", what, status)
	switch {
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return &core.MediaError{Reason: "http_" + strconv.Itoa(status), Err: err}
	case status == http.StatusNotFound || status == http.StatusGone:
		return core.PermanentMedia(core.MediaNotFound, err)
	case (status == http.StatusUnauthorized || status == http.StatusForbidden) && !withToken:
		return core.PermanentMedia(core.MediaExpired, err)
	}
	return core.PermanentMedia(core.MediaRefused, err)
}

// URLFetcher fetches the files of Messenger and Instagram messages from
// the attachment's payload.url, a signed CDN URL that expires: the
// media:fetch task runs at once after the webhook.
type URLFetcher struct {
	HTTP *http.Client
}

var _ core.MediaFetcher = URLFetcher{}

// FetchMedia downloads a.URL; an attachment without one cannot be fetched.
func (f URLFetcher) FetchMedia(ctx context.Context, a core.InboundAttachment) (core.RemoteFile, error) {
	if a.URL == "" {
		return core.RemoteFile{}, core.PermanentMedia(core.MediaNotFound, errors.New("the attachment has no URL"))
	}
	rf, err := Download(ctx, f.HTTP, a.URL, "")
	if err != nil {
		return core.RemoteFile{}, err
	}
	if rf.Name == "" {
		rf.Name = a.Name
	}
	return rf, nil
}

// Download GETs rawURL with the client's token (WhatsApp's media URLs),
// through the client's HTTP client. See the function Download.
func (c *Client) Download(ctx context.Context, rawURL string) (core.RemoteFile, error) {
	rf, err := Download(ctx, c.http, rawURL, c.token)
	if err != nil {
		return rf, scrubError{err, c}
	}
	return rf, nil
}

// scrubError shows err's text with the client's token cut out, and
// unwraps to err (so errors.As still finds the *core.MediaError).
type scrubError struct {
	err error
	c   *Client
}

func (e scrubError) Error() string { return e.c.scrub(e.err.Error()) }
func (e scrubError) Unwrap() error { return e.err }

// Part is one form field of a multipart request.
type Part struct{ Name, Value string }

// FilePart is the file of a multipart request: Size bytes read from Body.
type FilePart struct {
	Field, Name, MIME string
	Size              int64
	Body              io.Reader
}

// PostFile sends a multipart/form-data POST to path: the fields, then the
// file, streamed from its reader with an exact Content-Length (no chunked
// body, no copy in memory). The answer is read as Do reads it: a 2xx JSON
// body into out, else a *GraphError.
func (c *Client) PostFile(ctx context.Context, path string, fields []Part, file FilePart, out any) error {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	for _, f := range fields {
		if err := mw.WriteField(f.Name, f.Value); err != nil {
			return fmt.Errorf("graph API: encode form: %w", err)
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": file.Field, "filename": fileName(file.Name)}))
	h.Set("Content-Type", file.MIME)
	if _, err := mw.CreatePart(h); err != nil {
		return fmt.Errorf("graph API: encode form: %w", err)
	}
	headLen := head.Len()
	if err := mw.Close(); err != nil {
		return fmt.Errorf("graph API: encode form: %w", err)
	}
	tail := bytes.Clone(head.Bytes()[headLen:]) // "\r\n--boundary--\r\n"
	head.Truncate(headLen)

	u := c.base + "/" + strings.TrimLeft(path, "/")
	body := io.MultiReader(&head, io.LimitReader(file.Body, file.Size), bytes.NewReader(tail))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return fmt.Errorf("graph API: build request: %w", err)
	}
	req.ContentLength = int64(headLen) + file.Size + int64(len(tail))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("graph API POST %s: %w", path, err)
	}
	return c.answer(resp, http.MethodPost, path, out)
}

// fileName is a name safe to put in a form part ("file" when empty).
func fileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name)
	if strings.TrimSpace(name) == "" {
		return "file"
	}
	return name
}
