package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/blobstore/s3test"
	"github.com/switchboard-chat/switchboard/core"
)

// stores gives each store the suite runs over, new and empty.
func stores(t *testing.T) map[string]func(t *testing.T) core.BlobStore {
	return map[string]func(t *testing.T) core.BlobStore{
		"Local": func(t *testing.T) core.BlobStore {
			l, err := NewLocal(filepath.Join(t.TempDir(), "media"))
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		"S3": newTestS3,
	}
}

// newTestS3 is an S3 store on a new bucket: on the server of
// SWITCHBOARD_TEST_S3_URL (http://ACCESS:SECRET@host:port) when set, else
// on an in-process S3 (gofakes3).
func newTestS3(t *testing.T) core.BlobStore {
	t.Helper()
	cfg := S3Config{Region: "us-east-1", PathStyle: true, Bucket: fmt.Sprintf("sb-test-%d", time.Now().UnixNano())}
	srv := s3test.Start(t)
	cfg.Endpoint, cfg.AccessKey, cfg.SecretKey = srv.Endpoint, srv.AccessKey, srv.SecretKey
	s, err := NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.EnsureBucket(ctx); err != nil {
		t.Fatalf("make bucket: %v", err)
	}
	t.Cleanup(func() {
		for obj := range s.c.ListObjects(ctx, s.bucket, minioListAll) {
			_ = s.Delete(ctx, obj.Key)
		}
		_ = s.c.RemoveBucket(ctx, s.bucket)
	})
	return s
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func TestContract(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("PutOpenStat", func(t *testing.T) { testPutOpen(t, open(t)) })
			t.Run("SameFileOnce", func(t *testing.T) { testSameFileOnce(t, open(t)) })
			t.Run("Seek", func(t *testing.T) { testSeek(t, open(t)) })
			t.Run("Refusals", func(t *testing.T) { testRefusals(t, open(t)) })
			t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t)) })
		})
	}
}

func put(t *testing.T, s core.BlobStore, b []byte, r io.Reader) string {
	t.Helper()
	if r == nil {
		r = bytes.NewReader(b)
	}
	key, err := s.Put(context.Background(), r, int64(len(b)))
	if err != nil {
		t.Fatalf("put %d bytes: %v", len(b), err)
	}
	return key
}

func read(t *testing.T, s core.BlobStore, key string) []byte {
	t.Helper()
	b, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if b.Size() != int64(len(got)) {
		t.Errorf("Size %d, read %d bytes", b.Size(), len(got))
	}
	return got
}

func testPutOpen(t *testing.T, s core.BlobStore) {
	ctx := context.Background()
	cases := []struct {
		name string
		data []byte
		// plain hides the reader's Seek: the store must spool or stream.
		plain bool
	}{
		{"jpeg", append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte("photo"), 10_000)...), false},
		{"one byte", []byte{0}, false},
		{"plain reader", bytes.Repeat([]byte("voice note "), 30_000), true},
	}
	for _, c := range cases {
		var r io.Reader = bytes.NewReader(c.data)
		if c.plain {
			r = io.MultiReader(r)
		}
		key := put(t, s, c.data, r)
		if key != sum(c.data) {
			t.Errorf("%s: key %s, want the SHA-256 %s", c.name, key, sum(c.data))
		}
		if got := read(t, s, key); !bytes.Equal(got, c.data) {
			t.Errorf("%s: read back %d bytes that differ", c.name, len(got))
		}
		n, err := s.Stat(ctx, key)
		if err != nil || n != int64(len(c.data)) {
			t.Errorf("%s: stat %d, %v; want %d", c.name, n, err, len(c.data))
		}
	}
}

func testSameFileOnce(t *testing.T, s core.BlobStore) {
	data := []byte("%PDF-1.7\n the same invoice, sent twice")
	k1, k2 := put(t, s, data, nil), put(t, s, data, nil)
	if k1 != k2 {
		t.Fatalf("the same bytes got keys %s and %s", k1, k2)
	}
	if l, ok := s.(*Local); ok {
		var files int
		_ = filepath.WalkDir(l.dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files++
			}
			return nil
		})
		if files != 1 {
			t.Errorf("%d files under the store after two puts of one file (temporary files left?), want 1", files)
		}
	}
	if got := read(t, s, k1); !bytes.Equal(got, data) {
		t.Errorf("read back %q", got)
	}
	ctx := context.Background()
	if err := s.Delete(ctx, k1); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Stat(ctx, k1); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("stat after delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, k1); err != nil {
		t.Errorf("second delete: %v, want none", err)
	}
}

func testSeek(t *testing.T, s core.BlobStore) {
	data := make([]byte, 200_000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	key := put(t, s, data, nil)
	b, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, off := range []int64{150_000, 10, 199_990} {
		if _, err := b.Seek(off, io.SeekStart); err != nil {
			t.Fatalf("seek %d: %v", off, err)
		}
		got := make([]byte, 10)
		if _, err := io.ReadFull(b, got); err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		if !bytes.Equal(got, data[off:off+10]) {
			t.Errorf("bytes at %d: %v, want %v", off, got, data[off:off+10])
		}
	}
	if end, err := b.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
		t.Errorf("seek to end: %d, %v", end, err)
	}
}

func testRefusals(t *testing.T, s core.BlobStore) {
	ctx := context.Background()
	for _, key := range []string{sum([]byte("never stored")), "../../etc/passwd", "", strings.Repeat("A", 64)} {
		if _, err := s.Open(ctx, key); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("open %q: %v, want ErrNotFound", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("stat %q: %v, want ErrNotFound", key, err)
		}
	}
	// A reader that gives fewer bytes than announced stores nothing.
	data := []byte("cut short")
	if _, err := s.Put(ctx, bytes.NewReader(data), int64(len(data))+5); err == nil {
		t.Error("put of a short reader succeeded")
	}
	if _, err := s.Stat(ctx, sum(data)); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("the short put left %s: %v", sum(data), err)
	}
	// A reader that fails stores nothing either.
	broken := io.MultiReader(bytes.NewReader(data), errReader{})
	if _, err := s.Put(ctx, broken, int64(len(data))); err == nil {
		t.Error("put of a failing reader succeeded")
	}
	if _, err := s.Stat(ctx, sum(data)); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("the failed put left %s: %v", sum(data), err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// testConcurrent: many puts of the same and of different files at once
// each get their key and leave each file whole.
func testConcurrent(t *testing.T, s core.BlobStore) {
	const n = 8
	var wg sync.WaitGroup
	keys := make([]string, 2*n)
	errs := make([]error, 2*n)
	same := bytes.Repeat([]byte("screenshot"), 5_000)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = s.Put(context.Background(), bytes.NewReader(same), int64(len(same)))
		}()
		go func() {
			defer wg.Done()
			own := fmt.Appendf(nil, "file %d", i)
			keys[n+i], errs[n+i] = s.Put(context.Background(), bytes.NewReader(own), int64(len(own)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	for i := range n {
		if keys[i] != sum(same) {
			t.Errorf("same file, put %d: key %s", i, keys[i])
		}
		if got := read(t, s, keys[n+i]); string(got) != fmt.Sprintf("file %d", i) {
			t.Errorf("file %d read back %q", i, got)
		}
	}
	if got := read(t, s, sum(same)); !bytes.Equal(got, same) {
		t.Error("the file put concurrently is not whole")
	}
}
