package httpapi

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// multipartBody builds a well-formed body with the given parts.
func multipartBody(parts ...[2]string) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.SetBoundary("sb-fuzz-boundary")
	for _, p := range parts {
		if p[0] == "file" {
			w, _ := mw.CreateFormFile("file", "photo.jpg")
			w.Write([]byte(p[1]))
		} else {
			_ = mw.WriteField(p[0], p[1])
		}
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// FuzzReadUpload: any body and content type is read as one file and a
// text, or refused with one of the contract's client errors (400, 413,
// 415); a file is never longer than the limit and one byte, and the
// parser never panics. Seeds: testdata/fuzz/FuzzReadUpload.
func FuzzReadUpload(f *testing.F) {
	ct, body := multipartBody([2]string{"text", "the broken lid"}, [2]string{"file", "\xff\xd8\xff\xe0JFIF"})
	f.Add(ct, body)
	ct, body = multipartBody([2]string{"file", "a"}, [2]string{"file", "b"})
	f.Add(ct, body)
	ct, body = multipartBody([2]string{"other", "x"})
	f.Add(ct, body)
	ct, body = multipartBody([2]string{"file", strings.Repeat("z", 100)})
	f.Add(ct, body)
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../a.png\"\r\n\r\nPNG\r\n--x--\r\n"))
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nunterminated"))
	f.Add("multipart/form-data", []byte("no boundary"))
	f.Add("application/json", []byte(`{"file":"x"}`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		const limit = 64
		e := echo.New()
		req := httptest.NewRequest(http.MethodPost, "/v1/widget/attachments", bytes.NewReader(body))
		req.Header.Set(echo.HeaderContentType, contentType)
		rec := httptest.NewRecorder()
		req.Body = http.MaxBytesReader(rec, req.Body, 4096)
		up, err := ReadUpload(e.NewContext(req, rec), limit)
		if err != nil {
			status, eb := Classify(err)
			if status != 400 && status != 413 && status != 415 {
				t.Fatalf("refused with %d %+v: %v", status, eb, err)
			}
			if eb.Error.Message == "" || len(eb.Error.Message) > 400 {
				t.Fatalf("message %q", eb.Error.Message)
			}
			return
		}
		if up.File.Body == nil {
			t.Fatal("read without a file")
		}
		data, _ := io.ReadAll(up.File.Body)
		if len(data) > limit+1 {
			t.Fatalf("file of %d bytes past the limit %d", len(data), limit)
		}
		if len(up.Text) > maxUploadText {
			t.Fatalf("text of %d bytes", len(up.Text))
		}
	})
}
