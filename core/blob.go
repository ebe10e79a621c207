package core

import (
	"context"
	"io"
)

// BlobStore keeps the bytes of attachments, content-addressed: a file's
// key is the hex SHA-256 of its bytes, so the same file stored twice is
// kept once. Implementations: adapters/blobstore (local files, S3); its
// contract suite runs over each.
type BlobStore interface {
	// Put stores the size bytes of r and returns their key. A key stored
	// already is kept as it is. A store that cannot be reached answers an
	// error wrapping ErrUnavailable; nothing is stored when Put fails.
	Put(ctx context.Context, r io.Reader, size int64) (key string, err error)
	// Open returns the stored bytes of key, seekable (Range requests);
	// ErrNotFound when no such key is stored. The caller closes it.
	Open(ctx context.Context, key string) (Blob, error)
	// Stat returns the size of the stored key; ErrNotFound when none.
	Stat(ctx context.Context, key string) (int64, error)
	// Delete removes key (a file refused after it was stored); no error
	// when there is none.
	Delete(ctx context.Context, key string) error
}

// Blob is stored bytes being read.
type Blob interface {
	io.ReadSeekCloser
	Size() int64
}

// Scanner checks a file for malware (adapters/clamd: clamd's INSTREAM).
// An error means the scan could not be made (clamd unreachable): the
// file waits and the scan is tried again; it is never taken unscanned.
type Scanner interface {
	Scan(ctx context.Context, r io.Reader) (ScanResult, error)
}

// ScanResult is a scanner's verdict; Signature names what it found.
type ScanResult struct {
	Infected  bool
	Signature string
}

// DefaultMediaMaxBytes is media.max_bytes unless configured: 25 MiB.
const DefaultMediaMaxBytes int64 = 25 << 20
