package core

import (
	"bytes"
	"image"
	_ "image/gif" // image.DecodeConfig and thumbnails read GIF
	_ "image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"strings"

	_ "golang.org/x/image/webp" // stickers are WebP
)

// SniffMedia judges a file's content type from its bytes, never from its
// name or what a sender claims: http.DetectContentType, refined by the
// magic numbers of the media types chat apps send that it does not know
// (Opus and Vorbis in Ogg, MP4 audio, QuickTime, 3GPP, AMR, AAC, HEIC, SVG).
func SniffMedia(data []byte) string {
	head := data[:min(len(data), 4096)]
	switch {
	case bytes.HasPrefix(head, []byte("#!AMR")):
		return "audio/amr"
	case len(head) >= 2 && head[0] == 0xFF && (head[1] == 0xF1 || head[1] == 0xF9):
		return "audio/aac"
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		switch brand := string(head[8:12]); {
		case brand == "M4A " || brand == "M4B ":
			return "audio/mp4"
		case brand == "qt  ":
			return "video/quicktime"
		case strings.HasPrefix(brand, "3gp") || strings.HasPrefix(brand, "3g2"):
			return "video/3gpp"
		case brand == "heic" || brand == "heix" || brand == "mif1":
			return "image/heic"
		}
		return "video/mp4"
	case bytes.HasPrefix(head, []byte("OggS")):
		switch {
		case bytes.Contains(head, []byte("OpusHead")), bytes.Contains(head, []byte("\x01vorbis")):
			return "audio/ogg"
		case bytes.Contains(head, []byte("\x80theora")):
			return "video/ogg"
		}
		return "application/ogg"
	}
	ct := http.DetectContentType(data)
	base, _, _ := mime.ParseMediaType(ct)
	if strings.HasPrefix(base, "text/") || base == "application/xml" {
		if hasMarkup(head, "<svg") {
			return "image/svg+xml"
		}
	}
	return ct
}

// MediaTypeBase is a content type without its parameters, lower case.
func MediaTypeBase(ct string) string {
	if base, _, err := mime.ParseMediaType(ct); err == nil {
		return base
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// InlineSafe reports whether a stored file of content type ct may be
// shown in the browser (Content-Disposition: inline): the raster images
// browsers render, audio and video. Anything else (HTML, SVG, scripts,
// PDF, text) is only ever a download.
func InlineSafe(ct string) bool {
	switch base := MediaTypeBase(ct); {
	case base == "image/png", base == "image/jpeg", base == "image/gif", base == "image/webp":
		return true
	case strings.HasPrefix(base, "audio/"), strings.HasPrefix(base, "video/"):
		return true
	}
	return false
}

// activeContent reports whether a browser would run or render markup in
// files of the base type: never taken from a visitor, never inline.
func activeContent(base string) bool {
	switch base {
	case "text/html", "image/svg+xml", "text/xml", "application/xml", "application/xhtml+xml",
		"text/javascript", "application/javascript", "application/x-javascript":
		return true
	}
	return false
}

// markup a browser would act on, looked for in files that claim to be
// something else (a polyglot: a GIF that is also a script, a PNG with a
// page inside).
var markers = []string{"<script", "<html", "<svg", "<!doctype html", "<iframe", "<object", "<embed", "<?php", "javascript:"}

func hasMarkup(data []byte, only ...string) bool {
	list := markers
	if len(only) > 0 {
		list = only
	}
	for _, m := range list {
		if containsFoldASCII(data, m) {
			return true
		}
	}
	return false
}

// containsFoldASCII tells whether data holds m (lowercase ASCII) in any
// ASCII case, as browsers read tag names and schemes. It reads data in
// place: a lowered copy of a whole file (bytes.ToLower decodes every
// byte of a binary file as UTF-8) cost the media worker a tenth of its
// CPU on photos.
func containsFoldASCII(data []byte, m string) bool {
	if m == "" {
		return true
	}
	first := m[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper = first - 'a' + 'A'
	}
	for i := 0; i+len(m) <= len(data); i++ {
		if c := data[i]; c != first && c != upper {
			if first == upper { // not a letter: jump to its next occurrence
				k := bytes.IndexByte(data[i+1:], first)
				if k < 0 {
					return false
				}
				i += k // the loop's i++ lands on it
			}
			continue
		}
		if equalFoldASCII(data[i+1:i+len(m)], m[1:]) {
			return true
		}
	}
	return false
}

// equalFoldASCII compares b with the lowercase ASCII s, folding only
// ASCII letters of b.
func equalFoldASCII(b []byte, s string) bool {
	for k := range len(s) {
		c := b[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[k] {
			return false
		}
	}
	return true
}

// judged is what the bytes of a file say it is.
type judged struct {
	ContentType string
	// Active: markup a browser would act on (HTML, SVG, XML, scripts).
	Active bool
	// Polyglot: a raster image or media file that also carries markup, or
	// an image whose bytes do not decode: kept only as a download.
	Polyglot bool
	// Image: a raster image that decodes (JPEG, PNG, GIF, WebP), with its
	// dimensions; the kind of file a thumbnail is made for.
	Image         bool
	Width, Height int
}

// judge looks at the bytes of a file.
func judge(data []byte) judged {
	j := judged{ContentType: SniffMedia(data)}
	base := MediaTypeBase(j.ContentType)
	j.Active = activeContent(base)
	if !InlineSafe(base) {
		return j
	}
	if hasMarkup(data) {
		j.Polyglot = true
		return j
	}
	if strings.HasPrefix(base, "image/") {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			j.Polyglot = true
			return j
		}
		j.Image, j.Width, j.Height = true, cfg.Width, cfg.Height
	}
	return j
}

// storedType is the content type a judged file is stored and served
// with: a polyglot is served as bytes, for download only.
func (j judged) storedType() string {
	if j.Polyglot {
		return "application/octet-stream"
	}
	return j.ContentType
}

// kindOf is the attachment kind of an uploaded file, from its judged type.
func kindOf(ct string) AttachmentKind {
	switch base := MediaTypeBase(ct); {
	case base == "image/png", base == "image/jpeg", base == "image/gif", base == "image/webp":
		return AttachmentImage
	case strings.HasPrefix(base, "audio/"), base == "application/ogg":
		return AttachmentAudio
	case strings.HasPrefix(base, "video/"):
		return AttachmentVideo
	}
	return AttachmentDocument
}
