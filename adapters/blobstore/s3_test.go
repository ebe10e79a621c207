package blobstore

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/switchboard-chat/switchboard/core"
)

var minioListAll = minio.ListObjectsOptions{Recursive: true}

// An S3 store that cannot be reached is unavailable, not "not found":
// the fetch waits pending and retries.
func TestS3Unreachable(t *testing.T) {
	s, err := NewS3(S3Config{Endpoint: "http://127.0.0.1:1", Bucket: "media", AccessKey: "k", SecretKey: "s", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := []byte("a photo")
	if _, err := s.Put(ctx, bytes.NewReader(data), int64(len(data))); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("put: %v, want ErrUnavailable", err)
	}
	if _, err := s.Open(ctx, sum(data)); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("open: %v, want ErrUnavailable", err)
	}
}

func TestS3Endpoint(t *testing.T) {
	cases := []struct {
		in     string
		host   string
		secure bool
		bad    bool
	}{
		{"https://s3.eu-central-1.amazonaws.com", "s3.eu-central-1.amazonaws.com", true, false},
		{"http://minio:9000", "minio:9000", false, false},
		{"minio:9000", "minio:9000", true, false},
		{"ftp://x", "", false, true},
		{"http://host/bucket", "", false, true},
		{"", "", false, true},
	}
	for _, c := range cases {
		host, secure, err := endpoint(c.in)
		if (err != nil) != c.bad || host != c.host || secure != c.secure {
			t.Errorf("endpoint(%q) = %q, %v, %v", c.in, host, secure, err)
		}
	}
}
