package blobstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/switchboard-chat/switchboard/core"
)

// S3Config is the media.s3 block of the configuration.
type S3Config struct {
	// Endpoint is the store's URL (https://s3.eu-central-1.amazonaws.com,
	// http://minio:9000); a bare host:port means HTTPS.
	Endpoint  string
	Bucket    string
	Region    string
	AccessKey string
	SecretKey string
	// PathStyle addresses the bucket in the path (most self-hosted
	// stores) rather than in the host name (AWS's default).
	PathStyle bool
	// Transport, when set, carries the requests (tests).
	Transport http.RoundTripper
}

// S3 keeps blobs as objects named by their key in one bucket.
type S3 struct {
	c      *minio.Client
	bucket string
}

var _ core.BlobStore = (*S3)(nil)

// NewS3 returns the store of cfg. It makes no request: EnsureBucket
// checks the bucket.
func NewS3(cfg S3Config) (*S3, error) {
	host, secure, err := endpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Bucket == "" {
		return nil, errors.New("s3: bucket is required")
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 %s: %w", host, err)
	}
	return &S3{c: c, bucket: cfg.Bucket}, nil
}

// endpoint splits an endpoint into host[:port] and whether it is HTTPS.
func endpoint(e string) (string, bool, error) {
	if e == "" {
		return "", false, errors.New("s3: endpoint is required")
	}
	if !strings.Contains(e, "://") {
		return e, true, nil
	}
	u, err := url.Parse(e)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
		return "", false, fmt.Errorf("s3: endpoint %q: want http(s)://host[:port]", e)
	}
	return u.Host, u.Scheme == "https", nil
}

// EnsureBucket creates the bucket when it does not exist.
func (s *S3) EnsureBucket(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3 bucket %s: %w", s.bucket, s.classify(err))
	}
	if ok {
		return nil
	}
	if err := s.c.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{}); err != nil {
		if r := minio.ToErrorResponse(err); r.Code == "BucketAlreadyOwnedByYou" || r.Code == "BucketAlreadyExists" {
			return nil
		}
		return fmt.Errorf("s3 make bucket %s: %w", s.bucket, s.classify(err))
	}
	return nil
}

// Put hashes the bytes first (an S3 object is named before it is sent):
// a seekable reader is read twice, any other is spooled to a temporary
// file. A key stored already is not sent again.
func (s *S3) Put(ctx context.Context, r io.Reader, size int64) (string, error) {
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		tmp, err := os.CreateTemp("", "switchboard-blob-*")
		if err != nil {
			return "", fmt.Errorf("blob put: spool: %w", err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if _, err := io.Copy(tmp, ctxReader{ctx, r}); err != nil {
			return "", fmt.Errorf("blob put: spool: %w", err)
		}
		rs = tmp
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("blob put: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, rs})
	if err != nil {
		return "", fmt.Errorf("blob put: %w", err)
	}
	if n != size {
		return "", errSize(n, size)
	}
	key := keyOf(h.Sum(nil))
	if _, err := s.Stat(ctx, key); err == nil {
		return key, nil
	} else if !errors.Is(err, core.ErrNotFound) {
		return "", fmt.Errorf("blob put %s: %w", key, err)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("blob put: %w", err)
	}
	_, err = s.c.PutObject(ctx, s.bucket, key, rs, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream", DisableMultipart: size < 64<<20,
	})
	if err != nil {
		return "", fmt.Errorf("blob put %s: %w", key, s.classify(err))
	}
	return key, nil
}

// Open returns the object of key; reads and seeks go to the store
// (ranged GETs), so a Range request fetches only its part.
func (s *S3) Open(ctx context.Context, key string) (core.Blob, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", key, s.classify(err))
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, fmt.Errorf("blob %s: %w", key, s.classify(err))
	}
	return s3Blob{obj, st.Size}, nil
}

type s3Blob struct {
	*minio.Object
	size int64
}

func (b s3Blob) Size() int64 { return b.size }

// Stat returns the size of the object of key.
func (s *S3) Stat(ctx context.Context, key string) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	st, err := s.c.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", key, s.classify(err))
	}
	return st.Size, nil
}

// Delete removes the object of key.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return nil
	}
	if err := s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s.classify(err), core.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("blob delete %s: %w", key, s.classify(err))
	}
	return nil
}

// classify maps the store's answers to core's errors: no such key is
// ErrNotFound; anything else that is not the caller's cancellation
// (a network error, a 5xx, refused credentials) is ErrUnavailable.
func (s *S3) classify(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	r := minio.ToErrorResponse(err)
	switch {
	case r.Code == "NoSuchKey" || r.Code == "NotFound" || (r.StatusCode == http.StatusNotFound && r.Code != "NoSuchBucket"):
		return fmt.Errorf("%w: %w", core.ErrNotFound, err)
	}
	return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
}
