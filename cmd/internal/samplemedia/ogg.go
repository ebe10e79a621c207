// Package samplemedia makes real files of the kinds customers send —
// an Ogg Opus voice note, a photo's JPEG — for the load generator's fake
// providers and the end-to-end tests: valid for decoders and for the
// gateway's own type sniffing, generated rather than checked in.
package samplemedia

import (
	"bytes"
	"encoding/binary"
)

// OggOpus is a valid Ogg Opus stream (RFC 7845) of `packets` 20 ms
// frames, as WhatsApp and Telegram record voice notes: the
// identification header, the comment header with vendor as its vendor
// string (its page's offset and length are returned, for a caller that
// rewrites the vendor), then the audio pages, 25 frames a page. Each
// frame is a CELT-only mono packet of 40 bytes (16 kbit/s); its payload
// is a fixed pseudo-random pattern, which a decoder plays as noise.
func OggOpus(packets int, vendor string) (data []byte, tagsPage [2]int) {
	const serial = 0x4c47_0001
	var out bytes.Buffer
	seq := uint32(0)
	page := func(flags byte, granule uint64, segs [][]byte) {
		var lacing, body []byte
		for _, s := range segs {
			n := len(s)
			for n >= 255 {
				lacing = append(lacing, 255)
				n -= 255
			}
			lacing = append(lacing, byte(n))
			body = append(body, s...)
		}
		h := make([]byte, 27, 27+len(lacing)+len(body))
		copy(h, "OggS")
		h[5] = flags
		binary.LittleEndian.PutUint64(h[6:], granule)
		binary.LittleEndian.PutUint32(h[14:], serial)
		binary.LittleEndian.PutUint32(h[18:], seq)
		h[26] = byte(len(lacing))
		h = append(append(h, lacing...), body...)
		binary.LittleEndian.PutUint32(h[22:], OggCRC(h))
		out.Write(h)
		seq++
	}
	const preSkip = 312
	head := make([]byte, 19)
	copy(head, "OpusHead")
	head[8] = 1 // version
	head[9] = 1 // mono
	binary.LittleEndian.PutUint16(head[10:], preSkip)
	binary.LittleEndian.PutUint32(head[12:], 48000) // input sample rate
	page(0x02, 0, [][]byte{head})                   // beginning of stream

	tags := []byte("OpusTags")
	tags = binary.LittleEndian.AppendUint32(tags, uint32(len(vendor)))
	tags = append(tags, vendor...)
	tags = binary.LittleEndian.AppendUint32(tags, 0) // no comments
	tagsAt := out.Len()
	page(0, 0, [][]byte{tags})
	tagsPage = [2]int{tagsAt, out.Len() - tagsAt}

	frame := make([]byte, 40)
	frame[0] = 0xF8 // CELT-only, fullband, 20 ms, mono, one frame
	x := uint32(0x9e3779b9)
	for i := 1; i < len(frame); i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		frame[i] = byte(x)
	}
	const perPage = 25
	for done := 0; done < packets; {
		n := min(perPage, packets-done)
		segs := make([][]byte, n)
		for i := range segs {
			segs[i] = frame
		}
		done += n
		flags := byte(0)
		if done == packets {
			flags = 0x04 // end of stream
		}
		page(flags, uint64(preSkip+done*960), segs)
	}
	return out.Bytes(), tagsPage
}

// OggCRC is the Ogg page checksum: CRC-32 with polynomial 0x04c11db7,
// not reflected, initial value 0, over the page with its CRC field zero.
func OggCRC(p []byte) uint32 {
	var crc uint32
	for _, b := range p {
		crc = (crc << 8) ^ oggTable[byte(crc>>24)^b]
	}
	return crc
}

var oggTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()
