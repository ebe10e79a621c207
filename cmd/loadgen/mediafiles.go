package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"

	"github.com/switchboard-chat/switchboard/cmd/internal/samplemedia"
)

// mediaFiles are the real files loadgen's fake provider hands out for
// media messages: a photo as phones send it (a JPEG, with the small size
// Telegram lists beside it), a voice note (Ogg Opus, as WhatsApp and
// Telegram record them) and a one-page PDF (a file sent on Messenger).
//
// Every message's file is its own: the bytes of seq carry seq (a JPEG
// comment, the Opus vendor string, the invoice number), so the
// content-addressed blob store keeps one file per message as it would
// for real customers' files.
type mediaFiles struct {
	photo, photoSmall, voice, pdf []byte
	voiceTags                     [2]int // the Opus comment page: offset and length
}

// seqDigits is the fixed width seq is written in, so every file of a
// kind has the same size.
const seqDigits = 12

func seqText(seq int64) string { return fmt.Sprintf("%0*d", seqDigits, seq) }

// photoCOM is how many bytes photoFor adds to the photo.
const photoCOM = 4 + len("loadgen photo ") + seqDigits

// photoFor is the photo of seq (small: its small size): the JPEG with a
// COM segment naming seq after the SOI marker.
func (f mediaFiles) photoFor(seq int64, small bool) []byte {
	src := f.photo
	if small {
		src = f.photoSmall
	}
	out := make([]byte, 0, len(src)+photoCOM)
	out = append(out, src[:2]...) // SOI
	out = append(out, photoComment(seq)...)
	return append(out, src[2:]...)
}

// photoComment is the COM segment of seq's photo.
func photoComment(seq int64) []byte {
	com := "loadgen photo " + seqText(seq)
	return append([]byte{0xFF, 0xFE, byte((len(com) + 2) >> 8), byte(len(com) + 2)}, com...)
}

// photoSHA is the base64 SHA-256 of seq's photo, as WhatsApp gives it,
// without building the photo.
func (f mediaFiles) photoSHA(seq int64) string {
	h := sha256.New()
	h.Write(f.photo[:2])
	h.Write(photoComment(seq))
	h.Write(f.photo[2:])
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// voiceFor is the voice note of seq: seq in the vendor string of the
// Opus comment header, whose page checksum is computed again.
func (f mediaFiles) voiceFor(seq int64) []byte {
	out := bytes.Clone(f.voice)
	page := out[f.voiceTags[0] : f.voiceTags[0]+f.voiceTags[1]]
	i := bytes.Index(page, []byte(voiceVendor))
	copy(page[i+len(voiceVendor)-seqDigits:], seqText(seq))
	binary.LittleEndian.PutUint32(page[22:], 0)
	binary.LittleEndian.PutUint32(page[22:], samplemedia.OggCRC(page))
	return out
}

// pdfFor is the invoice of seq (its number is in the page's text, at a
// fixed width, so the cross-reference offsets hold).
func (f mediaFiles) pdfFor(seq int64) []byte {
	out := bytes.Clone(f.pdf)
	i := bytes.Index(out, []byte(pdfNumber))
	copy(out[i:], seqText(seq))
	return out
}

// Sizes of the generated photo: a typical chat picture after the
// messenger apps' own downscaling is 1280 px wide and 100–300 KB; the
// load's photo is smaller (a load run keeps thousands of them on disk)
// but big enough that the thumbnail is real work.
const (
	photoW, photoH           = 800, 600
	photoSmallW, photoSmallH = 90, 68
)

func newMediaFiles() (mediaFiles, error) {
	photo, err := jpegOf(photoW, photoH)
	if err != nil {
		return mediaFiles{}, err
	}
	small, err := jpegOf(photoSmallW, photoSmallH)
	if err != nil {
		return mediaFiles{}, err
	}
	voice, tags := samplemedia.OggOpus(250, voiceVendor)
	return mediaFiles{photo: photo, photoSmall: small, voice: voice, voiceTags: tags, pdf: onePagePDF()}, nil
}

// jpegOf encodes a w×h picture with gradients and a grid (so it is not
// trivially compressible) as a baseline JPEG at quality 85.
func jpegOf(w, h int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: uint8(255 * x / w), G: uint8(255 * y / h), B: uint8((x*y)>>5 ^ (x + y)), A: 255}
			if x%40 == 0 || y%40 == 0 {
				c = color.RGBA{R: 250, G: 250, B: 250, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, fmt.Errorf("encode the load's photo: %w", err)
	}
	return b.Bytes(), nil
}

// voiceVendor is the vendor string of the voice note's comment header;
// its last seqDigits digits are the message's seq.
var voiceVendor = "switchboard loadgen " + seqText(0)

// pdfNumber is the invoice number of the template; pdfFor writes seq
// over it.
var pdfNumber = seqText(0)

// onePagePDF is a valid PDF 1.4 file with one A4 page of text and a
// correct cross-reference table.
func onePagePDF() []byte {
	content := "BT /F1 18 Tf 72 760 Td (Invoice " + pdfNumber + ": 3 items, 59.90 EUR) Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b strings.Builder
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return []byte(b.String())
}
