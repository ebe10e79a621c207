// Package blobstore keeps the bytes of attachments (core.BlobStore):
// Local, files under data_dir/media (the embedded default), and S3, any
// S3-compatible object store (minio-go). Keys are the hex SHA-256 of
// the bytes, so a file stored twice is kept once; a file is written whole
// or not at all (Local: a temporary file renamed into place; S3: one
// PutObject). The contract suite in blobstore_test.go runs over both.
package blobstore
