package core

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"testing"
)

// BenchmarkThumbnailPhoto is the thumbnail of a phone photo as WhatsApp
// sends one (1600×1200 JPEG with grain, ~400 KB): the part of an inbound
// photo's fetch that is CPU (docs/performance.md, attachments live).
func BenchmarkThumbnailPhoto(b *testing.B) {
	const w, h = 1600, 1200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(2463534242)
	for i := 0; i < len(img.Pix); i += 4 {
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		x, y := (i/4)%w, (i/4)/w
		img.Pix[i] = uint8(x*200/w) + uint8(seed&0x1f)
		img.Pix[i+1] = uint8(y*200/h) + uint8(seed>>8&0x1f)
		img.Pix[i+2] = 0x60 + uint8(seed>>16&0x1f)
		img.Pix[i+3] = 0xff
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	j := judge(data)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		t, err := thumbnail(data, j)
		if err != nil || len(t) == 0 {
			b.Fatalf("thumbnail: %d bytes, %v", len(t), err)
		}
	}
}

// TestThumbnailSlots: a thumbnail waits for a free slot; while every
// slot is taken a call whose context ends gets the context's error (the
// fetch is retried), and once a slot is free the thumbnail is made.
func TestThumbnailSlots(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	j := judge(data)
	s := &Service{thumbs: make(chan struct{}, 1)}
	s.thumbs <- struct{}{} // every slot taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if th, err := s.thumbnail(ctx, data, j); !errors.Is(err, context.Canceled) || th != nil {
		t.Fatalf("with no slot free: %d bytes, %v; want context.Canceled", len(th), err)
	}
	<-s.thumbs
	th, err := s.thumbnail(context.Background(), data, j)
	if err != nil || len(th) == 0 {
		t.Fatalf("with a slot free: %d bytes, %v", len(th), err)
	}
	if len(s.thumbs) != 0 {
		t.Errorf("the slot was not given back")
	}
	if got := thumbSlots(); got < 1 {
		t.Errorf("thumbSlots() = %d", got)
	}
}
