package blobstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/switchboard-chat/switchboard/core"
)

// Local keeps blobs as files under a directory: <dir>/<k[0:2]>/<k[2:4]>/<key>,
// written to <dir>/tmp first and renamed into place, so a reader never
// sees a half-written file and a crash leaves only a temporary file.
type Local struct{ dir string }

var _ core.BlobStore = (*Local)(nil)

// NewLocal returns the store under dir, creating it.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("blob store %s: %w", dir, err)
	}
	return &Local{dir: dir}, nil
}

func (l *Local) path(key string) string { return filepath.Join(l.dir, key[0:2], key[2:4], key) }

// Put writes r to a temporary file while hashing it, then renames it to
// its key; a key stored already keeps its file.
func (l *Local) Put(ctx context.Context, r io.Reader, size int64) (string, error) {
	tmp, err := os.CreateTemp(filepath.Join(l.dir, "tmp"), "put-*")
	if err != nil {
		return "", fmt.Errorf("blob put: %w: %w", core.ErrUnavailable, err)
	}
	defer os.Remove(tmp.Name()) // after the rename: no such file, no harm
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err == nil && n != size {
		err = errSize(n, size)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("blob put: %w", unavailable(err))
	}
	key := keyOf(h.Sum(nil))
	dst := l.path(key)
	if _, err := os.Stat(dst); err == nil {
		return key, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", fmt.Errorf("blob put %s: %w: %w", key, core.ErrUnavailable, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("blob put %s: %w: %w", key, core.ErrUnavailable, err)
	}
	return key, nil
}

// unavailable marks a filesystem error as the store being unavailable;
// a size mismatch (the caller's) stays as it is.
func unavailable(err error) error {
	if errors.Is(err, core.ErrInvalid) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
}

// Open opens the file of key.
func (l *Local) Open(_ context.Context, key string) (core.Blob, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(l.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", key, core.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w: %w", key, core.ErrUnavailable, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob %s: %w: %w", key, core.ErrUnavailable, err)
	}
	return localBlob{f, st.Size()}, nil
}

type localBlob struct {
	*os.File
	size int64
}

func (b localBlob) Size() int64 { return b.size }

// Stat returns the size of the file of key.
func (l *Local) Stat(_ context.Context, key string) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	st, err := os.Stat(l.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("blob %s: %w", key, core.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w: %w", key, core.ErrUnavailable, err)
	}
	return st.Size(), nil
}

// Delete removes the file of key.
func (l *Local) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return nil
	}
	if err := os.Remove(l.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob delete %s: %w: %w", key, core.ErrUnavailable, err)
	}
	return nil
}

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
