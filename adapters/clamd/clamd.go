// Package clamd scans files with ClamAV's daemon (core.Scanner): the
// INSTREAM command over TCP or a Unix socket, one connection per scan.
package clamd

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// Scanner talks to one clamd.
type Scanner struct {
	network, addr string
	// Timeout bounds one scan (dial, send, verdict).
	Timeout time.Duration
}

var _ core.Scanner = (*Scanner)(nil)

// New returns the scanner of address: tcp://host:port or
// unix:///path/to/clamd.ctl (media.clamd).
func New(address string) (*Scanner, error) {
	u, err := url.Parse(address)
	if err != nil {
		return nil, fmt.Errorf("clamd %q: %w", address, err)
	}
	switch u.Scheme {
	case "tcp":
		if u.Host == "" {
			return nil, fmt.Errorf("clamd %q: want tcp://host:port", address)
		}
		return &Scanner{network: "tcp", addr: u.Host, Timeout: 2 * time.Minute}, nil
	case "unix":
		if u.Path == "" {
			return nil, fmt.Errorf("clamd %q: want unix:///path/to/socket", address)
		}
		return &Scanner{network: "unix", addr: u.Path, Timeout: 2 * time.Minute}, nil
	}
	return nil, fmt.Errorf("clamd %q: want tcp://host:port or unix:///path", address)
}

// chunk is the INSTREAM chunk size; clamd's StreamMaxLength bounds the whole.
const chunk = 64 << 10

// Scan streams r to clamd and reads its verdict: "stream: OK", or
// "stream: <signature> FOUND". A connection that fails, or an answer
// that is neither (clamd's own error, its size limit), is an error:
// the file is not taken unscanned.
func (s *Scanner) Scan(ctx context.Context, r io.Reader) (core.ScanResult, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, s.network, s.addr)
	if err != nil {
		return core.ScanResult{}, fmt.Errorf("clamd: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	w := bufio.NewWriterSize(conn, chunk+4)
	if _, err := w.WriteString("zINSTREAM\x00"); err != nil {
		return core.ScanResult{}, fmt.Errorf("clamd: %w", err)
	}
	buf := make([]byte, chunk)
	var size [4]byte
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			binary.BigEndian.PutUint32(size[:], uint32(n))
			if _, err := w.Write(size[:]); err != nil {
				return core.ScanResult{}, fmt.Errorf("clamd: %w", err)
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return core.ScanResult{}, fmt.Errorf("clamd: %w", err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return core.ScanResult{}, fmt.Errorf("clamd: read file: %w", rerr)
		}
	}
	if _, err := w.Write([]byte{0, 0, 0, 0}); err != nil {
		return core.ScanResult{}, fmt.Errorf("clamd: %w", err)
	}
	if err := w.Flush(); err != nil {
		return core.ScanResult{}, fmt.Errorf("clamd: %w", err)
	}
	reply, err := bufio.NewReader(conn).ReadString(0)
	if err != nil && reply == "" {
		return core.ScanResult{}, fmt.Errorf("clamd: read verdict: %w", err)
	}
	return verdict(strings.TrimRight(reply, "\x00\n"))
}

// verdict reads clamd's answer to INSTREAM.
func verdict(reply string) (core.ScanResult, error) {
	body := strings.TrimPrefix(reply, "stream: ")
	switch {
	case body == "OK":
		return core.ScanResult{}, nil
	case strings.HasSuffix(body, " FOUND"):
		return core.ScanResult{Infected: true, Signature: strings.TrimSuffix(body, " FOUND")}, nil
	}
	return core.ScanResult{}, fmt.Errorf("clamd answered %q", reply)
}

// Ping checks that clamd answers (PING → PONG).
func (s *Scanner) Ping(ctx context.Context) error {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, s.network, s.addr)
	if err != nil {
		return fmt.Errorf("clamd: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := conn.Write([]byte("zPING\x00")); err != nil {
		return fmt.Errorf("clamd: %w", err)
	}
	reply, _ := bufio.NewReader(conn).ReadString(0)
	if strings.TrimRight(reply, "\x00\n") != "PONG" {
		return fmt.Errorf("clamd answered %q to PING", reply)
	}
	return nil
}
