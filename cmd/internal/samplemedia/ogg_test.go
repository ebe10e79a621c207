package samplemedia

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"testing"
)

// TestOggOpus: the stream is whole Ogg pages with right checksums, begins
// with OpusHead (beginning of stream) and OpusTags naming the vendor at
// the offset returned, ends its last page with end of stream and a
// granule position of pre-skip plus every frame, and sniffs as Ogg.
func TestOggOpus(t *testing.T) {
	for _, packets := range []int{1, 25, 26, 150} {
		data, tags := OggOpus(packets, "vendor 123")
		var pages [][]byte
		for b := data; len(b) > 0; {
			if len(b) < 27 || string(b[:4]) != "OggS" {
				t.Fatalf("%d packets: page %d has no capture pattern", packets, len(pages))
			}
			size := 27 + int(b[26])
			for _, l := range b[27 : 27+int(b[26])] {
				size += int(l)
			}
			page := bytes.Clone(b[:size])
			want := binary.LittleEndian.Uint32(page[22:])
			binary.LittleEndian.PutUint32(page[22:], 0)
			if got := OggCRC(page); got != want {
				t.Fatalf("%d packets: page %d checksum %08x, computed %08x", packets, len(pages), want, got)
			}
			pages = append(pages, b[:size])
			b = b[size:]
		}
		if want := 2 + (packets+24)/25; len(pages) != want {
			t.Errorf("%d packets: %d pages, want %d", packets, len(pages), want)
		}
		if pages[0][5] != 0x02 || !bytes.Contains(pages[0], []byte("OpusHead")) {
			t.Errorf("%d packets: first page flags %#x, want the OpusHead at the beginning of stream", packets, pages[0][5])
		}
		tp := data[tags[0] : tags[0]+tags[1]]
		if !bytes.Equal(tp, pages[1]) || !bytes.Contains(tp, []byte("OpusTags\x0a\x00\x00\x00vendor 123")) {
			t.Errorf("%d packets: the returned tags page is not the OpusTags page with the vendor", packets)
		}
		last := pages[len(pages)-1]
		if last[5] != 0x04 {
			t.Errorf("%d packets: last page flags %#x, want end of stream", packets, last[5])
		}
		if g := binary.LittleEndian.Uint64(last[6:]); g != uint64(312+packets*960) {
			t.Errorf("%d packets: final granule %d, want %d", packets, g, 312+packets*960)
		}
		if ct := http.DetectContentType(data); ct != "application/ogg" {
			t.Errorf("%d packets: sniffed as %q", packets, ct)
		}
	}
}

// TestOggCRC: the checksum of the standard check input. Ogg's CRC-32 is
// CRC-32/CKSUM (POSIX cksum: check value 0x765e7680) without its final
// inversion, so "123456789" gives 0x89a1897f.
func TestOggCRC(t *testing.T) {
	if got := OggCRC([]byte("123456789")); got != 0x89a1897f {
		t.Errorf("OggCRC(123456789) = %08x, want 89a1897f", got)
	}
}
