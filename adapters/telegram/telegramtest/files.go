package telegramtest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// File is an uploaded file of a multipart call.
type File struct {
	Name, MIME string
	Data       []byte
}

type storedFile struct {
	path string
	data []byte
	size int // file_size getFile tells (len(data) unless set)
}

// AddFile makes file_id known to getFile, at path, serving data.
func (f *Fake) AddFile(fileID, path string, data []byte) {
	f.AddFileSized(fileID, path, data, len(data))
}

// AddFileSized is AddFile with the file_size getFile tells; a size over
// 20 MB gets getFile's refusal ("file is too big"), as Telegram answers.
func (f *Fake) AddFileSized(fileID, path string, data []byte, size int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.files == nil {
		f.files = map[string]storedFile{}
	}
	f.files[fileID] = storedFile{path: path, data: data, size: size}
}

// Downloads lists the paths of the file downloads so far, with the token
// cut out (a download without the right token is in BadPaths).
func (f *Fake) Downloads() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if c.Method == "download" {
			out = append(out, c.Params.Get("file_path"))
		}
	}
	return out
}

func (f *Fake) getFile(w http.ResponseWriter, p url.Values) {
	f.mu.Lock()
	sf, found := f.files[p.Get("file_id")]
	f.mu.Unlock()
	switch {
	case !found:
		reply(w, Refusal(400, "Bad Request: invalid file_id", 0))
	case sf.size > 20<<20:
		reply(w, Refusal(400, "Bad Request: file is too big", 0))
	default:
		ok(w, map[string]any{"file_id": p.Get("file_id"), "file_unique_id": "u" + p.Get("file_id"),
			"file_size": sf.size, "file_path": sf.path})
	}
}

// serveFile answers GET /file/bot<token>/<file_path>.
func (f *Fake) serveFile(w http.ResponseWriter, r *http.Request) {
	prefix := "/file/bot" + f.Token + "/"
	path, found := strings.CutPrefix(r.URL.Path, prefix)
	f.mu.Lock()
	if !found {
		f.badPaths = append(f.badPaths, r.Method+" "+r.URL.Path)
	} else {
		f.calls = append(f.calls, Call{Method: "download", Path: "/file/bot<token>/" + path,
			Params: url.Values{"file_path": {path}}})
	}
	var data []byte
	served := false
	if scripted := f.scripted["download"]; found && len(scripted) > 0 {
		f.scripted["download"] = scripted[1:]
		f.mu.Unlock()
		reply(w, scripted[0])
		return
	}
	for _, sf := range f.files {
		if found && sf.path == path {
			data, served = sf.data, true
		}
	}
	f.mu.Unlock()
	if !served {
		http.Error(w, `{"ok":false,"error_code":404,"description":"Not Found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

// sendFile answers sendPhoto, sendDocument, … with the message Telegram
// makes of the upload (its file_id made up).
func (f *Fake) sendFile(w http.ResponseWriter, c Call) {
	field := map[string]string{"sendPhoto": "photo", "sendDocument": "document", "sendVoice": "voice",
		"sendAudio": "audio", "sendVideo": "video", "sendSticker": "sticker"}[c.Method]
	chat, err := strconv.ParseInt(c.Params.Get("chat_id"), 10, 64)
	file, uploaded := c.Files[field]
	if err != nil || !uploaded {
		reply(w, Refusal(400, fmt.Sprintf("Bad Request: chat_id and an uploaded %s are required", field), 0))
		return
	}
	f.mu.Lock()
	f.nextMsg++
	id := f.nextMsg
	f.mu.Unlock()
	media := map[string]any{"file_id": "F" + strconv.Itoa(id), "file_unique_id": "U" + strconv.Itoa(id), "file_size": len(file.Data)}
	var content any = media
	if field == "photo" {
		content = []any{media}
	}
	ok(w, map[string]any{"message_id": id, "date": time.Now().Unix(), "caption": c.Params.Get("caption"),
		"chat": map[string]any{"id": chat, "type": "private"}, field: content,
		"from": map[string]any{"id": 4242424242, "is_bot": true, "first_name": "Switchboard"}})
}

func readMultipart(r *http.Request) (url.Values, map[string]File, error) {
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		return nil, nil, err
	}
	files := map[string]File{}
	for field, hs := range r.MultipartForm.File {
		fh := hs[0]
		rd, err := fh.Open()
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(rd)
		rd.Close()
		if err != nil {
			return nil, nil, err
		}
		files[field] = File{Name: fh.Filename, MIME: fh.Header.Get("Content-Type"), Data: data}
	}
	return url.Values(r.MultipartForm.Value), files, nil
}
