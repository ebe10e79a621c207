package core

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"

	"golang.org/x/image/draw"
)

// Thumbnails fit in thumbSide × thumbSide pixels; images of more than
// maxThumbPixels get none (a decompression bomb must not be decoded).
const (
	thumbSide      = 320
	maxThumbPixels = 50_000_000
)

// thumbSlots is how many thumbnails are made at once: all cores but one
// (at least one). Decoding and scaling a photo is the media worker's
// one CPU-heavy step (tens of milliseconds a photo); the workers fetch
// many files side by side, and unbounded they took every core from the
// webhooks of the same process: on 2 cores, `serve`'s ingest fell to a
// quarter with a 20 % share of media messages (docs/performance.md).
func thumbSlots() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// thumbnail is the package thumbnail in one of the Service's slots
// (thumbSlots); it waits for one as long as ctx lets it.
func (s *Service) thumbnail(ctx context.Context, data []byte, j judged) ([]byte, error) {
	if !j.Image {
		return nil, nil
	}
	select {
	case s.thumbs <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a thumbnail slot: %w", ctx.Err())
	}
	defer func() { <-s.thumbs }()
	return thumbnail(data, j)
}

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
	draw.BiLinear.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("encode thumbnail: %w", err)
	}
	return out.Bytes(), nil
}
