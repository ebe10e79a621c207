package core

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func TestSniffMedia(t *testing.T) {
	cases := []struct {
		name string
		data string
		want string
	}{
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"},
		{"webp sticker", "RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"},
		{"whatsapp voice (opus)", "OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead\x01\x01", "audio/ogg"},
		{"vorbis", "OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1e\x01vorbis", "audio/ogg"},
		{"m4a", "\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"},
		{"mp4", "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "video/mp4"},
		{"quicktime", "\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"},
		{"3gp", "\x00\x00\x00\x14ftyp3gp4\x00\x00\x00\x00", "video/3gpp"},
		{"amr voice", "#!AMR\n\x3c\x48", "audio/amr"},
		{"aac", "\xff\xf1\x50\x80\x02\x1f\xfc", "audio/aac"},
		{"pdf", "%PDF-1.7\n", "application/pdf"},
		{"html", "<!DOCTYPE html><p>hi", "text/html; charset=utf-8"},
		{"svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`, "image/svg+xml"},
		{"bare svg", `<svg onload="x()"/>`, "image/svg+xml"},
		{"text", "just words", "text/plain; charset=utf-8"},
	}
	for _, c := range cases {
		if got := SniffMedia([]byte(c.data)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestJudge(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	img.Set(1, 1, color.NRGBA{255, 0, 0, 255})
	var pngBytes bytes.Buffer
	_ = png.Encode(&pngBytes, img)
	cases := []struct {
		name                    string
		data                    []byte
		active, polyglot, isImg bool
		stored                  string
	}{
		{"png", pngBytes.Bytes(), false, false, true, "image/png"},
		{"png with a page appended", append(pngBytes.Bytes(), "<html><script>x</script>"...), false, true, false, "application/octet-stream"},
		{"png header only", []byte("\x89PNG\r\n\x1a\n garbage"), false, true, false, "application/octet-stream"},
		{"html", []byte("<html><body>"), true, false, false, "text/html; charset=utf-8"},
		{"pdf", []byte("%PDF-1.4\n<script>"), false, false, false, "application/pdf"},
	}
	for _, c := range cases {
		j := judge(c.data)
		if j.Active != c.active || j.Polyglot != c.polyglot || j.Image != c.isImg || j.storedType() != c.stored {
			t.Errorf("%s: %+v (stored %s)", c.name, j, j.storedType())
		}
	}
	if InlineSafe("image/svg+xml") || InlineSafe("text/html") || InlineSafe("application/pdf") || !InlineSafe("audio/ogg; codecs=opus") || !InlineSafe("image/webp") {
		t.Error("InlineSafe")
	}
}

func TestThumbnailFits(t *testing.T) {
	for _, size := range [][2]int{{1000, 200}, {200, 1000}, {100, 80}} {
		img := image.NewNRGBA(image.Rect(0, 0, size[0], size[1]))
		var b bytes.Buffer
		_ = png.Encode(&b, img)
		th, err := thumbnail(b.Bytes(), judge(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(th))
		if err != nil || format != "jpeg" || cfg.Width > thumbSide || cfg.Height > thumbSide ||
			(size[0] <= thumbSide && size[1] <= thumbSide && (cfg.Width != size[0] || cfg.Height != size[1])) {
			t.Errorf("%v: thumbnail %s %dx%d, %v", size, format, cfg.Width, cfg.Height, err)
		}
	}
	// A declared size past maxThumbPixels is never decoded.
	if th, err := thumbnail(nil, judged{Image: true, Width: 100_000, Height: 100_000}); th != nil || err != nil {
		t.Errorf("bomb: %d bytes, %v", len(th), err)
	}
}

// TestContainsFoldASCII: markup is found in any ASCII case, anywhere in
// the bytes (binary around it, at the very start and end), and not when
// a byte differs or the file ends first.
func TestContainsFoldASCII(t *testing.T) {
	bin := []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, '<', 0x80, 'J'}
	for _, tc := range []struct {
		data string
		m    string
		want bool
	}{
		{"<script>", "<script", true},
		{"xx<ScRiPt src=x>", "<script", true},
		{string(bin) + "<SVG", "<svg", true},
		{string(bin) + "<sv", "<svg", false},
		{"<scrip<script", "<script", true},
		{"<scr\xffipt", "<script", false},
		{"a href=JAVASCRIPT:alert(1)", "javascript:", true},
		{"jjjjavascript:", "javascript:", true},
		{"javascrip", "javascript:", false},
		{string(bin), "javascript:", false},
		{"", "<html", false},
		{"<!DOCTYPE HTML>", "<!doctype html", true},
	} {
		if got := containsFoldASCII([]byte(tc.data), tc.m); got != tc.want {
			t.Errorf("containsFoldASCII(%q, %q) = %v, want %v", tc.data, tc.m, got, tc.want)
		}
	}
}
