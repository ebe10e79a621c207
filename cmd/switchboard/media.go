package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/switchboard-chat/switchboard/adapters/blobstore"
	"github.com/switchboard-chat/switchboard/adapters/clamd"
	"github.com/switchboard-chat/switchboard/config"
	"github.com/switchboard-chat/switchboard/core"
)

// openMedia builds the blob store and the scanner of media: local files
// under data_dir/media, or the S3 bucket (created when missing); clamd
// when media.clamd is set. An unreachable S3 store or clamd does not stop
// the start: fetches wait pending and retry until it answers.
func openMedia(ctx context.Context, cfg *config.Config) (core.BlobStore, core.Scanner, error) {
	m := cfg.Media
	var blobs core.BlobStore
	switch m.Store {
	case config.MediaS3Store:
		s, err := blobstore.NewS3(blobstore.S3Config{Endpoint: m.S3.Endpoint, Bucket: m.S3.Bucket, Region: m.S3.Region,
			AccessKey: m.S3.AccessKey.Value(), SecretKey: m.S3.SecretKey.Value(), PathStyle: m.S3.PathStyle})
		if err != nil {
			return nil, nil, fmt.Errorf("media.s3: %w", err)
		}
		if err := s.EnsureBucket(ctx); err != nil {
			return nil, nil, fmt.Errorf("media.s3: %w", err)
		}
		blobs = s
	default:
		l, err := blobstore.NewLocal(filepath.Join(cfg.DataDir, "media"))
		if err != nil {
			return nil, nil, fmt.Errorf("media: %w", err)
		}
		blobs = l
	}
	if m.Clamd == "" {
		return blobs, nil, nil
	}
	sc, err := clamd.New(m.Clamd)
	if err != nil {
		return nil, nil, fmt.Errorf("media.clamd: %w", err)
	}
	return blobs, sc, nil
}
