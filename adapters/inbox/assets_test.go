package inbox

import (
	"bytes"
	"encoding/binary"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated web assets (web/ring.wav, web/favicon.ico)")

// The inbox's ring and its static favicon are generated here, so anyone can
// see how they were made and make them again: `go generate ./adapters/inbox`
// (which runs this test with -update). Without -update the test fails when
// the committed files differ from what the generator makes.
func TestGeneratedAssets(t *testing.T) {
	for _, a := range []struct {
		file string
		make func() []byte
	}{
		{"ring.wav", makeRingWAV},
		{"favicon.ico", makeFaviconICO},
	} {
		t.Run(a.file, func(t *testing.T) {
			want := a.make()
			p := filepath.Join("web", a.file)
			if *update {
				if err := os.WriteFile(p, want, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (run go generate ./adapters/inbox)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what the generator makes (%d bytes, want %d): run go generate ./adapters/inbox", p, len(got), len(want))
			}
		})
	}
}

// makeRingWAV is a telephone ring: two bursts of the 440 Hz + 480 Hz pair of
// the North American ringback tone, warbled at 20 Hz like a bell ringer,
// 0.4 s each with 0.2 s between them; 16 kHz, 16-bit mono PCM, about 32 KB.
// Each burst fades in and out over 10 ms so it does not click.
func makeRingWAV() []byte {
	const (
		rate  = 16000
		burst = 0.4
		gap   = 0.2
		fade  = 0.01
		peak  = 0.45 * math.MaxInt16
	)
	total := int(rate * (2*burst + gap))
	samples := make([]int16, total)
	for i := range samples {
		t := float64(i) / rate
		var local float64 // time inside the current burst, or -1 in the gap
		switch {
		case t < burst:
			local = t
		case t >= burst+gap:
			local = t - burst - gap
		default:
			continue
		}
		env := math.Min(1, math.Min(local/fade, (burst-local)/fade))
		if env < 0 {
			env = 0
		}
		warble := 0.75 + 0.25*math.Sin(2*math.Pi*20*t)
		v := (math.Sin(2*math.Pi*440*t) + math.Sin(2*math.Pi*480*t)) / 2
		samples[i] = int16(math.Round(peak * env * warble * v))
	}
	var b bytes.Buffer
	data := uint32(2 * len(samples))
	b.WriteString("RIFF")
	le32(&b, 36+data)
	b.WriteString("WAVEfmt ")
	le32(&b, 16)     // fmt chunk size
	le16(&b, 1)      // PCM
	le16(&b, 1)      // mono
	le32(&b, rate)   // sample rate
	le32(&b, rate*2) // bytes per second
	le16(&b, 2)      // block align
	le16(&b, 16)     // bits per sample
	b.WriteString("data")
	le32(&b, data)
	for _, s := range samples {
		le16(&b, uint16(s))
	}
	return b.Bytes()
}

// makeFaviconICO is the inbox's mark (a blue rounded square with a white speech
// bubble), 32×32, as an ICO file holding one PNG image (valid since
// Windows Vista and read by every browser).
func makeFaviconICO() []byte {
	const n = 32
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	blue := color.NRGBA{0x2f, 0x5b, 0xea, 0xff}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	inRounded := func(x, y, x0, y0, x1, y1, r float64) bool {
		cx := math.Max(x0+r, math.Min(x, x1-r))
		cy := math.Max(y0+r, math.Min(y, y1-r))
		return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r && x >= x0 && x <= x1 && y >= y0 && y <= y1
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			switch {
			case inRounded(fx, fy, 7, 8, 25, 21, 3), // bubble
				fx >= 10 && fx <= 14 && fy >= 20 && fy <= 25 && fx-10 <= 25-fy: // its tail
				img.SetNRGBA(x, y, white)
			case inRounded(fx, fy, 0, 0, n, n, 7):
				img.SetNRGBA(x, y, blue)
			}
		}
	}
	var p bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		panic(err) // an in-memory image always encodes
	}
	var b bytes.Buffer
	le16(&b, 0) // reserved
	le16(&b, 1) // icon
	le16(&b, 1) // one image
	b.WriteByte(n)
	b.WriteByte(n)
	b.WriteByte(0) // no palette
	b.WriteByte(0)
	le16(&b, 1)  // colour planes
	le16(&b, 32) // bits per pixel
	le32(&b, uint32(p.Len()))
	le32(&b, 6+16) // offset of the image: after this header and entry
	b.Write(p.Bytes())
	return b.Bytes()
}

func le16(b *bytes.Buffer, v uint16) { _ = binary.Write(b, binary.LittleEndian, v) }
func le32(b *bytes.Buffer, v uint32) { _ = binary.Write(b, binary.LittleEndian, v) }
