package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchboard-chat/switchboard/core"
)

// Upload is a multipart/form-data upload of one file with an optional
// text (the widget's and the inbox's attachments): the file's bytes are
// read whole, at most the limit and one byte more, so that the Service
// can tell a file over its limit.
type Upload struct {
	File core.Upload
	Text string
}

// maxUploadText bounds the text part (a message is at most
// core.MaxTextLen characters, four bytes each at most).
const maxUploadText = 4 * core.MaxTextLen

// ReadUpload reads the multipart body of c: the part "file" (required,
// once) and the part "text" (optional). Other parts are refused. A body
// that is not multipart/form-data is 415; a malformed one 400; a file
// past limit stops the read there (the Service refuses it with 413).
func ReadUpload(c echo.Context, limit int64) (Upload, error) {
	r := c.Request()
	mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEMultipartForm || params["boundary"] == "" {
		return Upload{}, fmt.Errorf("upload: %w", errMultipart)
	}
	return readParts(multipart.NewReader(r.Body, params["boundary"]), limit)
}

// errMultipart is a body that is not multipart/form-data (415).
var errMultipart = &core.MediaLimitError{Err: core.ErrUnsupportedMediaType,
	Message: "The body must be multipart/form-data with a part named file."}

func readParts(mr *multipart.Reader, limit int64) (Upload, error) {
	var up Upload
	var haveFile, haveText bool
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Upload{}, bodyError(err)
		}
		switch name := p.FormName(); {
		case name == "file" && !haveFile:
			haveFile = true
			data, err := io.ReadAll(io.LimitReader(p, limit+1))
			if err != nil {
				return Upload{}, bodyError(err)
			}
			up.File = core.Upload{Name: p.FileName(), Body: bytes.NewReader(data)}
			if int64(len(data)) > limit {
				// Over the limit: what follows is not read, the
				// Service answers 413 from the bytes it has.
				return up, nil
			}
		case name == "text" && !haveText:
			haveText = true
			b, err := io.ReadAll(io.LimitReader(p, maxUploadText+1))
			if err != nil {
				return Upload{}, bodyError(err)
			}
			if len(b) > maxUploadText {
				return Upload{}, core.Invalid("text", "must be at most %d characters", core.MaxTextLen)
			}
			up.Text = string(b)
		case name == "file" || name == "text":
			return Upload{}, core.Invalid(name, "must be sent once")
		default:
			return Upload{}, core.Invalid(strings.ToValidUTF8(name, "?"), "is not a part of this upload (file and text are)")
		}
		p.Close()
	}
	if !haveFile {
		return Upload{}, core.Invalid("file", "is required")
	}
	return up, nil
}

// bodyError is a multipart body that could not be read: too long for
// the request limit (413) or malformed (400).
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("upload: %w", ErrPayloadTooLarge)
	}
	return core.Invalid("body", "is not valid multipart/form-data: %v", err)
}
