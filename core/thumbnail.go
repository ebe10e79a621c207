package core

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"golang.org/x/image/draw"
)

// Thumbnails fit in thumbSide × thumbSide pixels; images of more than
// maxThumbPixels get none (a decompression bomb must not be decoded).
const (
	thumbSide      = 320
	maxThumbPixels = 50_000_000
)

// thumbnail makes the JPEG preview of a judged image, or nil when the
// image is too big to decode safely. Transparent parts become white.
func thumbnail(data []byte, j judged) ([]byte, error) {
	if !j.Image || j.Width <= 0 || j.Height <= 0 || j.Width*j.Height > maxThumbPixels {
		return nil, nil
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > thumbSide || h > thumbSide {
		if w >= h {
			w, h = thumbSide, max(1, h*thumbSide/b.Dx())
		} else {
			w, h = max(1, w*thumbSide/b.Dy()), thumbSide
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("encode thumbnail: %w", err)
	}
	return out.Bytes(), nil
}
