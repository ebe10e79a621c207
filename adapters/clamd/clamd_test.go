package clamd

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"strings"
	"testing"
)

// eicar is the EICAR test file: every scanner flags it; it harms nothing.
const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// realScanner is the clamd of SWITCHBOARD_TEST_CLAMD (.ci/media-services
// starts one with a signature for EICAR), or a skip.
func realScanner(t *testing.T) *Scanner {
	t.Helper()
	addr := os.Getenv("SWITCHBOARD_TEST_CLAMD")
	if addr == "" {
		t.Skip("SWITCHBOARD_TEST_CLAMD not set (tcp://host:port of a clamd; .ci/media-services starts one): skipping the real scan")
	}
	s, err := New(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("clamd at %s: %v", addr, err)
	}
	return s
}

func TestRealClamd(t *testing.T) {
	s := realScanner(t)
	cases := []struct {
		name     string
		data     []byte
		infected bool
	}{
		{"eicar", []byte(eicar), true},
		{"eicar in a bigger file", append(bytes.Repeat([]byte("invoice "), 20_000), eicar...), true},
		{"clean photo bytes", append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte{1, 2, 3}, 100_000)...), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := s.Scan(context.Background(), bytes.NewReader(c.data))
			if err != nil {
				t.Fatal(err)
			}
			if res.Infected != c.infected || (c.infected && res.Signature == "") {
				t.Errorf("verdict %+v, want infected %v", res, c.infected)
			}
		})
	}
}

// fakeClamd speaks INSTREAM on a local listener: it checks the framing
// and answers per what it received.
func fakeClamd(t *testing.T, answer func(got []byte) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				cmd := make([]byte, len("zINSTREAM\x00"))
				if _, err := io.ReadFull(c, cmd); err != nil || string(cmd) != "zINSTREAM\x00" {
					c.Write([]byte("UNKNOWN COMMAND\x00"))
					return
				}
				var got []byte
				for {
					var n uint32
					if err := binary.Read(c, binary.BigEndian, &n); err != nil {
						return
					}
					if n == 0 {
						break
					}
					b := make([]byte, n)
					if _, err := io.ReadFull(c, b); err != nil {
						return
					}
					got = append(got, b...)
				}
				c.Write([]byte(answer(got) + "\x00"))
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

func TestScanProtocol(t *testing.T) {
	addr := fakeClamd(t, func(got []byte) string {
		switch {
		case bytes.Contains(got, []byte("EICAR")):
			return "stream: Eicar-Test-Signature FOUND"
		case bytes.Contains(got, []byte("huge")):
			return "INSTREAM size limit exceeded. ERROR"
		}
		return "stream: OK"
	})
	s, err := New(addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	big := bytes.Repeat([]byte("x"), 3*chunk+17) // several chunks and a partial one
	res, err := s.Scan(ctx, bytes.NewReader(big))
	if err != nil || res.Infected {
		t.Errorf("clean file: %+v, %v", res, err)
	}
	res, err = s.Scan(ctx, strings.NewReader(eicar))
	if err != nil || !res.Infected || res.Signature != "Eicar-Test-Signature" {
		t.Errorf("eicar: %+v, %v", res, err)
	}
	if _, err := s.Scan(ctx, strings.NewReader("huge")); err == nil {
		t.Error("clamd's own error was taken as a verdict")
	}
}

func TestUnreachable(t *testing.T) {
	s, err := New("tcp://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Scan(context.Background(), strings.NewReader("a photo")); err == nil {
		t.Error("scan with no clamd succeeded")
	}
}

func TestNew(t *testing.T) {
	for _, ok := range []string{"tcp://127.0.0.1:3310", "unix:///run/clamav/clamd.ctl"} {
		if _, err := New(ok); err != nil {
			t.Errorf("New(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:3310", "http://x", "tcp://", "unix://"} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}
