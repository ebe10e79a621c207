package blobstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/switchboard-chat/switchboard/core"
)

// validKey reports whether key is a hex SHA-256, the only keys stored:
// anything else (a path, "../x") names no blob.
func validKey(key string) bool {
	if len(key) != sha256.Size*2 {
		return false
	}
	for _, c := range key {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkKey(key string) error {
	if !validKey(key) {
		return fmt.Errorf("blob %q: not a content key: %w", key, core.ErrNotFound)
	}
	return nil
}

func keyOf(sum []byte) string { return hex.EncodeToString(sum) }

// errSize is a Put whose reader gave other than the size announced.
func errSize(got, want int64) error {
	return fmt.Errorf("blob: read %d bytes, want %d: %w", got, want, core.ErrInvalid)
}
